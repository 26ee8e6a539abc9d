"""The schema class of every API view (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]): drf-spectacular's,
with our extensions registered first. DRF resolves the setting only when a schema is
generated, so a web worker serving requests never imports drf_spectacular.openapi and what it
pulls in (django.test, jinja2: tests/config/test_lazy_imports.py)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

import accounts.schema  # noqa: F401  (registers the token authentication scheme)


class AutoSchema(SpectacularAutoSchema):
    pass
