"""HTTP endpoints for training topics, training sessions and training coverage."""

from flask import g
from flask.views import MethodView

from ..core.blueprint import Blueprint
from ..core.crud import partial
from ..core.pagination import SelectPage
from ..extensions import db
from . import (
    models,  # noqa: F401  (the tables, for the app and its migrations)
    service,
)
from .schemas import (
    CoverageQuerySchema,
    CoverageSchema,
    GapSchema,
    GapsQuerySchema,
    TopicQuerySchema,
    TopicSchema,
    TrainingSessionQuerySchema,
    TrainingSessionSchema,
)

blp = Blueprint(
    "training",
    __name__,
    url_prefix="/api/v1",
    description="Promoters' training (导购培训): topics, sessions with quiz scores, coverage",
)


class SessionPage(SelectPage):
    @property
    def items(self):
        return service.with_attendees(super().items)


@blp.route("/training/topics")
class Topics(MethodView):
    @blp.arguments(TopicQuerySchema, location="query")
    @blp.response(200, TopicSchema(many=True))
    def get(self, args):
        """Training topics (every signed-in role), by code; `current=true`: those current today."""
        return service.topics(bool(args.get("current")))

    @blp.arguments(TopicSchema)
    @blp.response(201, TopicSchema)
    def post(self, data):
        """Add a topic, with 0 or 3–5 quiz questions (HQ and admins)."""
        topic = service.create_topic(g.user, data)
        db.session.commit()
        return topic


@blp.route("/training/topics/<int:topic_id>")
class TopicById(MethodView):
    @blp.arguments(partial(TopicSchema))
    @blp.response(200, TopicSchema)
    def patch(self, data, topic_id):
        """Change a topic (HQ and admins). Sessions already recorded keep their scores."""
        topic = service.update_topic(g.user, topic_id, data)
        db.session.commit()
        return topic


@blp.route("/training-sessions")
class Sessions(MethodView):
    @blp.arguments(TrainingSessionQuerySchema, location="query")
    @blp.response(200, TrainingSessionSchema(many=True))
    @blp.paginate(SessionPage)
    def get(self, filters):
        """Training sessions in your scope (a rep their own, a manager their region's), newest first."""
        return service.sessions_query(g.user, filters)

    @blp.arguments(TrainingSessionSchema)
    @blp.response(201, TrainingSessionSchema)
    @blp.alt_response(200, schema=TrainingSessionSchema, description="Already recorded")
    def post(self, data):
        """Record a training given at a store, with its attendees' quiz answers (idempotent by id;
        the server scores the answers)."""
        session, created = service.record_session(g.user, data)
        db.session.commit()
        return service.with_attendees([session])[0], 201 if created else 200


@blp.route("/training/coverage")
class Coverage(MethodView):
    @blp.arguments(CoverageQuerySchema, location="query")
    @blp.response(200, CoverageSchema(many=True))
    def get(self, filters):
        """Per current topic: stores and promoters trained, mean quiz score, by region (HQ, admins,
        a region's manager)."""
        return service.coverage(g.user, filters)


@blp.route("/training/gaps")
class Gaps(MethodView):
    @blp.arguments(GapsQuerySchema, location="query")
    @blp.response(200, GapSchema(many=True))
    def get(self, filters):
        """Stores with a new model on the shelf and no training on it (HQ, admins, a region's manager)."""
        return service.gaps(g.user, filters)
