"""HTTP endpoints for the promo-material stock ledger."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import service
from .schemas import StockLevelSchema, StockMovementQuerySchema, StockMovementSchema

blp = Blueprint("stock", __name__, url_prefix="/api/v1", description="Promo-material stock ledger")


@blp.route("/stock-movements")
class StockMovements(MethodView):
    @blp.arguments(StockMovementQuerySchema, location="query")
    @blp.response(200, StockMovementSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Ledger entries in your scope, newest first."""
        return service.movements_query(g.user, filters)

    @blp.arguments(StockMovementSchema)
    @blp.response(201, StockMovementSchema)
    @blp.alt_response(200, schema=StockMovementSchema, description="Already recorded")
    def post(self, data):
        """Record a delivery, use, return or stock count (idempotent by id)."""
        movement, created = service.record_movement(g.user, data)
        db.session.commit()
        return movement, 201 if created else 200


@blp.route("/stock-movements/<uuid:movement_id>")
class StockMovementById(MethodView):
    @blp.response(200, StockMovementSchema)
    def get(self, movement_id):
        """One ledger entry."""
        return service.visible_movement(g.user, movement_id)


@blp.route("/stores/<int:store_id>/stock")
class StoreStock(MethodView):
    @blp.response(200, StockLevelSchema(many=True))
    def get(self, store_id):
        """Current promo stock at a store, per material: the latest count plus what moved since."""
        return service.current_stock(g.user, store_id)
