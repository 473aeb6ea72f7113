"""Request bodies: JSON parsed with a depth limit, and the webargs parser every endpoint uses.

A JSON body nested thousands deep would exhaust Python's recursion (a RecursionError, a 500)
in the parser or in any code that walks it; no message of this API is deeper than a few levels.
"""

from __future__ import annotations

from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest

from .schemas import text_input

MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays a request body may have (the top level is 1)."""
TOO_DEEP = f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels."


def deeper_than(value: object, limit: int) -> bool:
    """Whether parsed JSON nests objects and arrays more than `limit` levels (no recursion)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose `loads` (what `request.get_json` and the parser below use) refuses
    bodies nested deeper than MAX_JSON_DEPTH with a 400, even for `get_json(silent=True)`: the
    client should learn why."""

    def loads(self, s, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise BadRequest(TOO_DEEP) from None
        if deeper_than(value, MAX_JSON_DEPTH):
            raise BadRequest(TOO_DEEP)
        return value


class Parser(FlaskParser):
    """webargs' Flask parser, reading JSON bodies with the app's JSON (depth-limited), and
    telling the schemas when their input is text (query string, form, path), where integers
    necessarily arrive as digits."""

    TEXT_LOCATIONS = ("query", "querystring", "form", "headers", "cookies", "view_args", "path")

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return req.json_module.loads(req.get_data(cache=True))

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        if (location or self.location) not in self.TEXT_LOCATIONS:
            return super().parse(argmap, req, location=location, **kwargs)
        with text_input():
            return super().parse(argmap, req, location=location, **kwargs)
