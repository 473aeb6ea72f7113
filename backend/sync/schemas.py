"""Schemas of the sync endpoints, for the OpenAPI document and for query arguments.

The push body is validated by `sync_protocol.parse_push` (its rules and error codes are the
protocol's, shared with other implementations); PushRequestSchema documents the same shape.
"""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, UTCDateTime


class MutationSchema(BaseSchema):
    id = fields.Integer(required=True, metadata={"description": "Per client, from 1, each one more than the last."})
    name = fields.String(required=True, metadata={"description": "e.g. visit.check_in, stock.move, store.update"})
    args = fields.Dict(required=True, metadata={"description": "The mutation's arguments (see SPEC.md)."})
    hlc = fields.String(required=True, metadata={"description": "Hybrid logical clock of the edit, node = client_id."})


class PushRequestSchema(BaseSchema):
    client_id = fields.String(required=True)
    protocol_version = fields.Integer(required=True)
    app_version = fields.String(required=True)
    mutations = fields.List(fields.Nested(MutationSchema), required=True)


class MutationResultSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "applied, duplicate, rejected or merged"})
    error = fields.Dict(metadata={"description": "rejected: {code, message, field?, errors?}"})
    conflicts = fields.List(fields.Dict(), metadata={"description": "merged: [{field, kept, lost}]"})


class PushResponseSchema(BaseSchema):
    protocol_version = fields.Integer()
    last_mutation_id = fields.Integer()
    results = fields.List(fields.Nested(MutationResultSchema))
    server_hlc = fields.String()


class PullArgsSchema(BaseSchema):
    cursor = fields.String(metadata={"description": "From the previous pull; none: a snapshot of your scope."})
    # Checked by sync_protocol.parse_pull_args (the protocol's rule: 1-5000, empty means 500,
    # anything else is 400 invalid_envelope), so it is passed on as the text that came.
    limit = fields.String(metadata={"description": "Page size: 1 to 5000 (default 500)."})
    client_id = fields.String(metadata={"description": "Reports this client's last applied mutation id."})


class ChangeSchema(BaseSchema):
    entity = fields.String()
    id = fields.String()
    op = fields.String(metadata={"description": "put, delete (tombstone) or remove (left your scope)"})
    data = fields.Dict()
    clock = fields.Dict(metadata={"description": "Editable records: the HLC of each field's value."})


class _Changes(fields.List):
    """A list of ChangeSchema in the OpenAPI document, sent as the service built it: the pull's
    items are already in their wire form (`sync.entities.serialise`), key order included, and
    dumping each one again through ChangeSchema (which copies them, unchanged) cost a tenth of a
    first pull."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class PullResponseSchema(BaseSchema):
    protocol_version = fields.Integer()
    reset = fields.Boolean(metadata={"description": "The cursor was too old or your scope changed: a new snapshot."})
    snapshot = fields.Boolean(metadata={"description": "This page is part of a snapshot."})
    changes = _Changes(fields.Nested(ChangeSchema))
    cursor = fields.String()
    has_more = fields.Boolean()
    last_mutation_id = fields.Integer()
    server_hlc = fields.String()


class ConflictSchema(BaseSchema):
    id = fields.Integer()
    entity = fields.String()
    entity_id = fields.String()
    region_id = fields.Integer(allow_none=True)
    field = fields.String()
    kept_value = fields.Raw()
    kept_hlc = fields.String()
    kept_by = fields.Integer(allow_none=True)
    lost_value = fields.Raw()
    lost_hlc = fields.String()
    lost_by = fields.Integer(allow_none=True)
    created_at = UTCDateTime()
    resolved_at = UTCDateTime(allow_none=True)
    resolved_by = fields.Integer(allow_none=True)
    resolution = fields.String(allow_none=True)


class ConflictQuerySchema(BaseSchema):
    resolved = fields.Boolean()
    entity = fields.String(validate=validate.OneOf(["store", "contact"]))
    entity_id = fields.String()


class ResolveSchema(BaseSchema):
    use = fields.String(
        required=True,
        validate=validate.OneOf(["kept", "lost"]),
        metadata={"description": "kept: keep the merged value; lost: apply the value that lost"},
    )
