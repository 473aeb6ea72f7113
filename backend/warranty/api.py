"""HTTP endpoints for warranty cards, shipment imports, IMEI spot checks and the diversion report."""

from flask import current_app, g, request
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.errors import InvalidInput
from ..core.pagination import SelectPage
from ..extensions import db
from . import diversion, imports, service, spot_checks
from .schemas import (
    CardCorrectionSchema,
    CardQuerySchema,
    DiversionCountSchema,
    DiversionFilterSchema,
    DiversionFlagSchema,
    DiversionSummaryQuerySchema,
    ImportErrorSchema,
    RevisionSchema,
    ShipmentImportSchema,
    ShipmentQuerySchema,
    ShipmentSchema,
    SpotCheckQuerySchema,
    SpotCheckSchema,
    VoidSchema,
    WarrantyCardSchema,
)

blp = Blueprint(
    "warranty",
    __name__,
    url_prefix="/api/v1",
    description="Warranty cards (保修卡), shipments, IMEI spot checks and diversion (窜货)",
)


class CardPage(SelectPage):
    @property
    def items(self):
        return service.present(g.user, super().items)


class FlagPage(SelectPage):
    @property
    def items(self):
        return diversion.describe(super().items)


@blp.route("/warranty-cards")
class Cards(MethodView):
    @blp.arguments(CardQuerySchema, location="query")
    @blp.response(200, WarrantyCardSchema(many=True))
    @blp.paginate(CardPage)
    def get(self, filters):
        """Warranty cards newest first: a clerk's store's, a manager's region's (masked), HQ all (masked).

        `imei` finds a card by either of its IMEIs."""
        return service.cards_query(g.user, filters)

    @blp.arguments(WarrantyCardSchema)
    @blp.response(201, WarrantyCardSchema)
    @blp.alt_response(200, schema=WarrantyCardSchema, description="Already registered (same id, same content)")
    def post(self, data):
        """Register a warranty card at the clerk's store (idempotent by id; one card per IMEI)."""
        card, created = service.register(g.user, data)
        db.session.commit()
        return service.present(g.user, [card])[0], 201 if created else 200


@blp.route("/warranty-cards/<uuid:card_id>")
class CardById(MethodView):
    @blp.response(200, WarrantyCardSchema)
    def get(self, card_id):
        """One warranty card with its 三包 terms and standing today."""
        return service.present(g.user, [service.visible_card(g.user, card_id)])[0]

    @blp.arguments(CardCorrectionSchema(partial=True))
    @blp.response(200, WarrantyCardSchema)
    def patch(self, changes, card_id):
        """Correct a card (the store that registered it); the change is kept in its history."""
        card = service.correct(g.user, card_id, changes)
        db.session.commit()
        return service.present(g.user, [card])[0]


@blp.route("/warranty-cards/<uuid:card_id>/revisions")
class CardRevisions(MethodView):
    @blp.response(200, RevisionSchema(many=True))
    def get(self, card_id):
        """The card's history: each correction and the voiding, with what changed."""
        return service.revisions(g.user, card_id)


@blp.route("/warranty-cards/<uuid:card_id>/void")
class CardVoid(MethodView):
    @blp.arguments(VoidSchema)
    @blp.response(200, WarrantyCardSchema)
    def post(self, data, card_id):
        """Void a card registered in error (HQ); its IMEI is then free for a new card."""
        card = service.void(g.user, card_id, data["reason"])
        db.session.commit()
        return service.present(g.user, [card])[0]


_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@blp.route("/shipment-imports")
class Imports(MethodView):
    @blp.response(200, ShipmentImportSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self):
        """Shipment imports, newest first (HQ)."""
        return imports.imports_query(g.user)

    @blp.doc(**_UPLOAD_DOC)
    @blp.response(202, ShipmentImportSchema)
    def post(self):
        """Upload a CSV of shipments (HQ): columns imei, model, ship_date, region, partner.

        The file is loaded by a background job; poll the import for progress and its bad rows."""
        imports.check_importer(g.user)
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + 1024 * 1024
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise InvalidInput("Send the CSV as the form field `file`.", field="file", reason="import.no_file")
            return imports.save_upload(g.user, upload.stream, upload.filename or "shipments.csv"), 202
        if request.mimetype in ("text/csv", "application/octet-stream", "text/plain"):
            name = request.args.get("filename", "shipments.csv")
            return imports.save_upload(g.user, request.stream, name), 202
        raise InvalidInput(
            "Send a CSV file (multipart form field `file`, or a text/csv body).", field="file", reason="import.no_file"
        )


@blp.route("/shipment-imports/<int:import_id>")
class ImportById(MethodView):
    @blp.response(200, ShipmentImportSchema)
    def get(self, import_id):
        """One import with its progress and counts."""
        return imports.get_import(g.user, import_id)


@blp.route("/shipment-imports/<int:import_id>/errors")
class ImportErrors(MethodView):
    @blp.response(200, ImportErrorSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, import_id):
        """The rows that were not loaded, by line number, with the reason."""
        return imports.errors_query(g.user, import_id)


@blp.route("/shipments")
class Shipments(MethodView):
    @blp.arguments(ShipmentQuerySchema, location="query")
    @blp.response(200, ShipmentSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Shipped units (HQ), by IMEI."""
        return imports.shipments_query(g.user, filters)


@blp.route("/imei-spot-checks")
class SpotChecks(MethodView):
    @blp.arguments(SpotCheckQuerySchema, location="query")
    @blp.response(200, SpotCheckSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """IMEI spot checks in your scope, newest first."""
        return spot_checks.query(g.user, filters)

    @blp.arguments(SpotCheckSchema)
    @blp.response(201, SpotCheckSchema)
    @blp.alt_response(200, schema=SpotCheckSchema, description="Already recorded")
    def post(self, data):
        """Record an IMEI seen on a store's shelf (抽查); checked against shipments for diversion."""
        check, created = spot_checks.record(g.user, data)
        db.session.commit()
        return check, 201 if created else 200


@blp.route("/imei-spot-checks/<uuid:check_id>")
class SpotCheckById(MethodView):
    @blp.response(200, SpotCheckSchema)
    def get(self, check_id):
        """One spot check."""
        return spot_checks.visible(g.user, check_id)


@blp.route("/diversion/summary")
class DiversionSummary(MethodView):
    @blp.arguments(DiversionSummaryQuerySchema, location="query")
    @blp.response(200, DiversionCountSchema(many=True))
    def get(self, args):
        """Possible diversion (HQ): flag counts by partner, shipped region, sold region or model."""
        by = args.pop("by")
        return diversion.summary(g.user, by, args)


@blp.route("/diversion/flags")
class DiversionFlags(MethodView):
    @blp.arguments(DiversionFilterSchema, location="query")
    @blp.response(200, DiversionFlagSchema(many=True))
    @blp.paginate(FlagPage)
    def get(self, filters):
        """The cards and spot checks behind the report: units sold or seen outside their shipped region."""
        return diversion.flags_query(g.user, filters)
