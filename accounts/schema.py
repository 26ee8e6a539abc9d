"""The OpenAPI description of token authentication (drf-spectacular), for schema generation
only: drf_spectacular.extensions pulls in django.test, unittest and jinja2, which a web
worker serving requests never needs. Imported by api.openapi.AutoSchema, the schema class
settings name, so it is registered before any schema is generated (view or command)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.auth.TokenAuthentication"
    match_subclasses = True  # api.authentication's, which settings name
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>` or `Bearer <key>`; keys are created by managers.",
        }
