"""Schemas for training topics (with their quiz), training sessions and the coverage screens.

A quiz's shape (0 or 3–5 questions, 2–5 choices, the answer one of them) is a business rule
checked by `service.check_quiz`, which names the question at fault; the schema only bounds sizes
so nothing absurd reaches it."""

from marshmallow import fields, validate

from ..core.schemas import BaseSchema, UTCDateTime
from .models import TopicKind

KINDS = [k.value for k in TopicKind]
MAX_QUESTIONS = 5
MAX_CHOICES = 5
MAX_ATTENDEES = 50
MAX_DURATION_MINUTES = 480


def _text(max_len: int, **kw) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


class QuizQuestionSchema(BaseSchema):
    question = _text(300, required=True, metadata={"description": "The question (Chinese)."})
    question_en = fields.String(allow_none=True, validate=validate.Length(max=300))
    choices = fields.List(
        _text(120),
        required=True,
        validate=validate.Length(max=10),
        metadata={"description": "2–5 choices (Chinese)."},
    )
    choices_en = fields.List(
        _text(120),
        allow_none=True,
        validate=validate.Length(max=10),
        metadata={"description": "The same choices in English, one for one; null: none."},
    )
    answer = fields.Integer(required=True, metadata={"description": "The index of the right choice (from 0)."})


class TopicSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    code = _text(32, required=True)
    title = _text(120, required=True, metadata={"description": "Chinese title."})
    title_en = fields.String(allow_none=True, validate=validate.Length(max=120))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"description": " | ".join(KINDS)})
    product_id = fields.Integer(allow_none=True, metadata={"description": "The model a product topic is about."})
    starts_on = fields.Date(allow_none=True, metadata={"description": "First day it is current; null: open."})
    ends_on = fields.Date(allow_none=True, metadata={"description": "Last day it is current; null: open."})
    active = fields.Boolean()
    quiz = fields.List(
        fields.Nested(QuizQuestionSchema),
        validate=validate.Length(max=20),
        metadata={"description": "0 or 3–5 multiple-choice questions."},
    )


class TopicQuerySchema(BaseSchema):
    current = fields.Boolean(
        metadata={"description": "true: the topics current today (active, today within starts_on..ends_on)."}
    )


class AttendeeSchema(BaseSchema):
    contact_id = fields.UUID(required=True, metadata={"description": "A live contact of the session's store."})
    answers = fields.List(
        fields.Integer(),
        allow_none=True,
        validate=validate.Length(max=20),
        metadata={
            "description": "The chosen choice index per quiz question; null: not quizzed. Answers that do not "
            "fit the topic's quiz (another count, a choice it lacks, a topic without a quiz) are kept "
            "unscored (score and quiz_size null)."
        },
    )
    score = fields.Integer(dump_only=True, metadata={"description": "Right answers (server-scored)."})
    quiz_size = fields.Integer(dump_only=True)


class TrainingSessionSchema(BaseSchema):
    id = fields.UUID(required=True)
    store_id = fields.Integer(required=True)
    visit_id = fields.UUID(allow_none=True)
    topic_id = fields.Integer(required=True)
    held_at = UTCDateTime(required=True, metadata={"description": "The phone's time of the training."})
    held_on = fields.Date(dump_only=True, metadata={"description": "Its business day."})
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_DURATION_MINUTES))
    note = fields.String(
        load_default="",
        allow_none=True,
        validate=validate.Length(max=300),
        metadata={"description": 'Free text; null is taken as empty (stored as "").'},
    )
    attendees = fields.List(
        fields.Nested(AttendeeSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ATTENDEES),
        metadata={"description": "1–50 distinct contacts of the store."},
    )
    rep_id = fields.Integer(dump_only=True)
    received_at = UTCDateTime(dump_only=True)


class TrainingSessionQuerySchema(BaseSchema):
    store_id = fields.Integer()
    topic_id = fields.Integer()
    visit_id = fields.UUID()
    rep_id = fields.Integer()
    since = fields.Date(metadata={"description": "Held on or after this day."})
    until = fields.Date(metadata={"description": "Held on or before this day."})


class CoverageQuerySchema(BaseSchema):
    region_id = fields.Integer()
    topic_id = fields.Integer()


class GapsQuerySchema(BaseSchema):
    region_id = fields.Integer()


class CoverageRegionSchema(BaseSchema):
    region_id = fields.Integer()
    region_name = fields.String(allow_none=True)
    stores_total = fields.Integer()
    stores_trained = fields.Integer()
    promoters_total = fields.Integer()
    promoters_trained = fields.Integer()
    avg_score_pct = fields.Float(allow_none=True)


class CoverageSchema(BaseSchema):
    topic_id = fields.Integer()
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    kind = fields.String()
    product_id = fields.Integer(allow_none=True)
    quiz_size = fields.Integer()
    stores_total = fields.Integer()
    stores_trained = fields.Integer()
    promoters_total = fields.Integer()
    promoters_trained = fields.Integer()
    avg_score_pct = fields.Float(
        allow_none=True, metadata={"description": "Mean of the quizzed attendees' score %, one decimal; null: none."}
    )
    regions = fields.List(fields.Nested(CoverageRegionSchema))


class GapSchema(BaseSchema):
    store_id = fields.Integer()
    store_name = fields.String()
    region_id = fields.Integer()
    product_id = fields.Integer()
    model_code = fields.String()
    product_name = fields.String()
    product_name_en = fields.String(allow_none=True)
    topic_id = fields.Integer(allow_none=True, metadata={"description": "The model's current topic; null: none yet."})
    topic_title = fields.String(allow_none=True)
    topic_title_en = fields.String(allow_none=True)
    seen_on = fields.Date(
        metadata={"description": "The last day it was seen there: its latest count > 0, or its latest card's purchase."}
    )
