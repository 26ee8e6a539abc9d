"""The API's JSON parser: DRF's, with a nesting limit.

Python's json module recurses once per nesting level, so `{"name": [[[...1,500 levels...]]]}`
raised RecursionError (a 500) in any view that read `request.data`. No payload of ours nests
beyond a handful of levels; MAX_JSON_DEPTH leaves room for free-form JSON (`settings`,
`metadata`, ping's `echo`) and refuses the rest with a 400 `too_deep` before any view runs.
It is the default parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]); views that take files
list it first next to the multipart parser; the one plain Django view that reads JSON (the
survey answer page) calls `loads`. So no JSON body bypasses the limit.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers, status
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64


class JsonTooDeep(ParseError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
    default_code = "too_deep"


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value: 0 for a scalar, 1 for `[]` or `{"a": 1}`.
    Iterative, so measuring never recurses itself."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def within_depth(data: Any) -> Any:
    if json_depth(data) > MAX_JSON_DEPTH:
        raise JsonTooDeep()
    return data


def loads(text: str | bytes) -> Any:
    """json.loads with the nesting limit, for views outside DRF: JsonTooDeep if too deep,
    ValueError if not JSON."""
    try:
        return within_depth(json.loads(text))
    except RecursionError:
        raise JsonTooDeep() from None


class JSONParser(parsers.JSONParser):
    """application/json with at most MAX_JSON_DEPTH levels of arrays and objects."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise JsonTooDeep() from None
        return within_depth(data)
