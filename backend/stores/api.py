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
    PositionProposalSchema,
    ProposalDecisionSchema,
    ProposalQuerySchema,
    StoreHistorySchema,
    StorePatchResultSchema,
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


class PatchedStore:
    """A store as a PATCH answers it: its fields, and the proposal the edit held (or None)."""

    def __init__(self, store, pending_position):
        self._store = store
        self.pending_position = pending_position

    def __getattr__(self, name):
        return getattr(self._store, name)


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
    @blp.response(200, StorePatchResultSchema)
    def patch(self, data, store_id):
        """Change a store. Reps may correct name, address, position and kind; managers and
        admins everything. A rep's move beyond STORE_MOVE_APPROVAL_M does not move the store: it
        waits for a manager's approval, returned as `pending_position`. Every change is kept in
        the store's history."""
        store, _conflicts, proposal = service.update_store(g.user, store_id, data)
        db.session.commit()
        return PatchedStore(store, proposal)


@blp.route("/stores/<int:store_id>/history")
class StoreHistory(MethodView):
    @blp.response(200, StoreHistorySchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, store_id):
        """Every change of the store's fields (who, when, old → new, REST or sync), newest first."""
        return service.store_history_query(g.user, store_id)


@blp.route("/store-position-proposals")
class PositionProposals(MethodView):
    @blp.arguments(ProposalQuerySchema, location="query")
    @blp.response(200, PositionProposalSchema(many=True))
    @blp.paginate(SelectPage)
    def get(self, filters):
        """Reps' moves of stores held for approval, newest first: a manager sees their region's,
        HQ and admins all, a rep their own."""
        return service.proposals_query(g.user, filters)


@blp.route("/store-position-proposals/<int:proposal_id>/approve")
class ApprovePositionProposal(MethodView):
    @blp.arguments(ProposalDecisionSchema)
    @blp.response(200, PositionProposalSchema)
    def post(self, data, proposal_id):
        """Approve a pending proposal: the store moves there (a manager of its region, HQ, admin)."""
        proposal = service.decide_proposal(g.user, proposal_id, True, data["note"])
        db.session.commit()
        return proposal


@blp.route("/store-position-proposals/<int:proposal_id>/reject")
class RejectPositionProposal(MethodView):
    @blp.arguments(ProposalDecisionSchema)
    @blp.response(200, PositionProposalSchema)
    def post(self, data, proposal_id):
        """Reject a pending proposal: the store stays where it is."""
        proposal = service.decide_proposal(g.user, proposal_id, False, data["note"])
        db.session.commit()
        return proposal


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
