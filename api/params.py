"""Whole-number query parameters (`?limit=`, `?days=`, `?page_size=`): one parser and one
schema per parameter, so the bounds the code enforces are the bounds the schema documents."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

_DIGITS = re.compile(r"[0-9]+")  # ASCII only: "²".isdigit() is True, int("²") fails


def int_schema(*, minimum: int, maximum: int | None = None, default: int) -> dict:
    schema = {"type": "integer", "minimum": minimum, "default": default}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def int_parameter(
    name: str, *, minimum: int, maximum: int, default: int, description: str
) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        int_schema(minimum=minimum, maximum=maximum, default=default),
        description=description,
    )


def query_int(
    request, name: str, *, default: int, minimum: int, maximum: int, cap: bool = False
) -> int:
    """`?name=` as a whole number from `minimum` to `maximum`; absent or empty is `default`.
    Anything else is a 400 on the field, except a number above `maximum` with `cap`, which is
    read as `maximum` (a page size: asking for more than the server gives is not an error)."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return default
    if _DIGITS.fullmatch(raw):
        significant = raw.lstrip("0") or "0"
        # int() refuses strings past 4,300 digits; anything past 9 is above every maximum.
        value = int(significant) if len(significant) <= 9 else maximum + 1
        if value >= minimum and (cap or value <= maximum):
            return min(value, maximum)
    raise ValidationError({name: [f"A whole number from {minimum} to {maximum}."]})
