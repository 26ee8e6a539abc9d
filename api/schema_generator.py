"""The OpenAPI generator (SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"]): drf-spectacular's,
which first makes our views' schema class drf-spectacular's (api.openapi.activate)."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator as SpectacularSchemaGenerator

from .openapi import activate


class SchemaGenerator(SpectacularSchemaGenerator):
    def __init__(self, *args, **kwargs) -> None:
        activate()
        super().__init__(*args, **kwargs)
