"""The schema class of every API view (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]), made
drf-spectacular's only when a schema is generated.

drf-spectacular's `extend_schema` subclasses the default schema class while the views are
being imported (each decorated view gets an `ExtendedSchema(DEFAULT_SCHEMA_CLASS)` instance),
so naming drf-spectacular's AutoSchema there would make every web worker import it and what
it pulls in (django.test, unittest, jinja2: 3.2 MiB per worker that never generates a
schema). So `AutoSchema` starts as DRF's bare ViewInspector and `activate()` rebases it onto
drf-spectacular's AutoSchema (`__bases__`: Python lets a class change its bases, and every
subclass's method resolution follows; drf-spectacular's AutoSchema keeps no state of its own
per instance, only class attributes) before the first schema is generated: our generator
class calls it (SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"], used by the schema views and
`manage.py spectacular`; code that builds a schema itself uses api.schema_generator's class,
as drf-spectacular's own would find the bare inspector and refuse).
tests/config/test_lazy_imports.py keeps the web worker free of it; tests/test_schema.py checks
the schema itself."""

from __future__ import annotations

from rest_framework.schemas.inspectors import ViewInspector


class AutoSchema(ViewInspector):
    """drf-spectacular's AutoSchema once `activate()` has run; a bare inspector before, with
    the one attribute drf-spectacular's decorators read while the views are imported:
    drf-spectacular's HTTP method -> viewset action names (tests/test_schema.py checks that
    they are still its own)."""

    method_mapping = {
        "get": "retrieve",
        "post": "create",
        "put": "update",
        "patch": "partial_update",
        "delete": "destroy",
    }


def activate() -> None:
    """Make AutoSchema drf-spectacular's (once; idempotent), with our extensions registered."""
    if AutoSchema.__bases__ != (ViewInspector,):
        return
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

    import accounts.schema  # noqa: F401  (registers the token authentication scheme)

    AutoSchema.__bases__ = (SpectacularAutoSchema,)
