"""HTTP endpoints for stores, nearby search and contacts."""

from flask import g
from flask.views import MethodView
from flask_smorest import Page

from ..core.blueprint import Blueprint
from ..core.pagination import SelectPage
from ..extensions import db
from . import service
from .schemas import (
    ContactHistorySchema,
    ContactQuerySchema,
    ContactSchema,
    ContactUpsertSchema,
    StoreQuerySchema,
    StoreSchema,
    StoreUpdateSchema,
)

blp = Blueprint("stores", __name__, url_prefix="/api/v1", description="Stores and their contacts")


class NearbyPage(Page):
    """Pages through (id, distance) pairs and loads only the stores on the page."""

    @property
    def items(self):
        return service.load_with_distance(super().items)


@blp.route("/stores")
class Stores(MethodView):
    @blp.arguments(StoreQuerySchema, location="query")
    @blp.response(200, StoreSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters):
        """List the stores in your scope; with `near=LAT,LON` nearest first within `radius_m`."""
        if "near_point" in filters:
            lat, lon = filters.pop("near_point")
            pairs = service.nearby_stores(g.user, lat, lon, filters["radius_m"], filters)
            page = NearbyPage(pairs, pagination_parameters)
        else:
            page = SelectPage(service.stores_query(g.user, filters), pagination_parameters)
        return page.items  # Page() has set pagination_parameters.item_count (one COUNT query)

    @blp.arguments(StoreSchema)
    @blp.response(201, StoreSchema)
    def post(self, data):
        """Create a store (admin, or a manager in their region)."""
        store = service.create_store(g.user, data)
        db.session.commit()
        return store


@blp.route("/stores/<int:store_id>")
class StoreById(MethodView):
    @blp.response(200, StoreSchema)
    def get(self, store_id):
        """One store in your scope."""
        return service.visible_store(g.user, store_id)

    @blp.arguments(StoreUpdateSchema(partial=True))
    @blp.response(200, StoreSchema)
    def patch(self, data, store_id):
        """Change a store. Reps may correct name, address, position and kind; managers and
        admins everything."""
        store, _conflicts = service.update_store(g.user, store_id, data)
        db.session.commit()
        return store


@blp.route("/stores/<int:store_id>/contacts")
class StoreContacts(MethodView):
    @blp.arguments(ContactQuerySchema, location="query")
    @blp.response(200, ContactSchema(many=True))
    def get(self, args, store_id):
        """The store's contacts (promoters, store manager…)."""
        return service.contacts_of(g.user, store_id, args["include_deleted"])


@blp.route("/stores/<int:store_id>/contacts/<uuid:contact_id>")
class StoreContactById(MethodView):
    @blp.arguments(ContactUpsertSchema(partial=True))
    @blp.response(200, ContactSchema)
    @blp.alt_response(201, schema=ContactSchema, description="Created")
    def put(self, data, store_id, contact_id):
        """Create or change a contact under a client-chosen UUID; each change is kept in history."""
        contact, created, _conflicts = service.upsert_contact(g.user, store_id, contact_id, data)
        db.session.commit()
        return contact, 201 if created else 200

    @blp.response(200, ContactSchema)
    def delete(self, store_id, contact_id):
        """Remove a contact (kept as a tombstone and in the history)."""
        contact = service.delete_contact(g.user, store_id, contact_id)
        db.session.commit()
        return contact


@blp.route("/stores/<int:store_id>/contacts/history")
class StoreContactHistory(MethodView):
    @blp.response(200, ContactHistorySchema(many=True))
    def get(self, store_id):
        """Every change to the store's contacts, newest first."""
        return service.contact_history(g.user, store_id)
