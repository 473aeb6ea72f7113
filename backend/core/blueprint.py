"""flask-smorest for this app: the `api` the factory binds (documenting the error body our
handlers really send), and the Blueprint every domain's api.py uses, with this app's request
parser (depth-limited JSON, integers as text only from query strings) and bounded page numbers."""

from __future__ import annotations

import flask_smorest
import flask_smorest.pagination
import marshmallow as ma
from marshmallow import fields, validate

from .requests import Parser
from .schemas import INT32_MAX, BaseSchema, ErrorSchema

PARSER = Parser()


class FieldSalesApi(flask_smorest.Api):
    """flask-smorest's Api, documenting the error body our handlers really send."""

    ERROR_SCHEMA = ErrorSchema


api = FieldSalesApi()


def _pagination_schema(def_page: int, def_page_size: int, def_max_page_size: int) -> type[ma.Schema]:
    """flask-smorest's pagination arguments, with a largest page: `?page=9223372036854775807`
    would otherwise reach the database as an OFFSET beyond 64 bits (a 500)."""

    class PaginationParametersSchema(BaseSchema):
        class Meta:
            unknown = ma.EXCLUDE

        page = fields.Integer(load_default=def_page, validate=validate.Range(min=1, max=INT32_MAX))
        page_size = fields.Integer(load_default=def_page_size, validate=validate.Range(min=1, max=def_max_page_size))

        @ma.post_load
        def make_paginator(self, data, **kwargs):
            return flask_smorest.pagination.PaginationParameters(**data)

    return PaginationParametersSchema


# `Blueprint.paginate` builds its arguments schema with this module-level factory; there is no
# hook for it, so it is replaced here (this app's only flask-smorest Blueprints are these).
flask_smorest.pagination._pagination_parameters_schema_factory = _pagination_schema


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = PARSER
    PAGINATION_ARGUMENTS_PARSER = PARSER
