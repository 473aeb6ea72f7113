"""Every reason code the server can give for a refusal or a rejected import row, with its params.

An error body's `code` is the kind of answer clients branch on (`invalid`, `not_found`,
`conflict`…). `reason` says which rule refused, and `params` holds the numbers and names the
sentence needs, as data: the PWA turns `reason` + `params` into a sentence in the user's
language (its `err.<reason>` strings) and shows the English `message` only for a reason it does
not know. A code is stable once released: rename nothing, add new ones.

`REASONS` maps each reason to the names of its params. A `DomainError` (and an import's `BadRow`)
given a reason not listed here, or params other than its names, fails at once
(`check_reason`), and `tests/test_error_reasons.py` checks that every reason the code raises is
listed and has a zh-CN and an English template in the PWA.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

REASONS: dict[str, tuple[str, ...]] = {
    # sync protocol refusals (sync/service.py); the last three over REST too (backend/__init__.py)
    "clock_drift": ("ahead_seconds", "max_ahead_seconds"),
    "unknown_mutation": ("name",),
    "write_conflict": (),
    "out_of_range": (),
    "invalid_value": ("field",),
    # an IMEI's shape (warranty/rules.imei_fault): cards, spot checks, shipment import rows
    "imei.digits": (),
    "imei.length": ("expected", "found"),
    "imei.check_digit": (),
    # warranty cards (a clerk's phone) and IMEI spot checks
    "card.unknown_product": ("product_id",),
    "card.imei_other_model": ("imei", "tac", "owner_model", "model"),
    "card.imei_not_model_tac": ("imei", "model", "tacs"),
    "card.imei2_repeats": (),
    "card.bad_phone": (),
    "card.future_purchase": (),
    "card.before_launch": ("model", "launch_date"),
    "card.imei_taken_here": ("imei", "registered_on"),
    "card.imei_taken_elsewhere": ("imei", "registered_on"),
    "card.no_store": (),
    "card.id_taken": ("card_id",),
    "card.id_taken_other_content": ("card_id", "fields"),
    "card.not_found": ("card_id",),
    "card.voided": (),
    "card.not_correctable": ("fields",),
    "card.already_voided": ("card_id", "voided_on"),
    "card.closed": ("closed_kind",),
    "card.purchase_date_inherited": ("purchase_date",),
    # 三包 service events at the counter (aftersales/service.py; the windows: warranty/rules.py)
    "service.return_expired": ("until", "occurred_on"),
    "service.exchange_expired": ("until", "occurred_on"),
    "service.repair_expired": ("until", "occurred_on"),
    "service.before_purchase": ("purchase_date", "occurred_on"),
    "service.card_closed": ("closed_kind",),
    "service.card_voided": (),
    "service.unknown_fault_code": ("fault_code",),
    "service.fault_code_in_use": ("fault_code",),
    "service.no_fault_not_allowed": (),
    "service.no_fault_only_return": (),
    "service.other_model_not_allowed": ("model", "new_model"),
    "service.same_unit": ("imei",),
    "service.repair_point_required": (),
    "service.unknown_repair_point": (),
    "service.id_taken_other_content": ("event_id", "fields"),
    "service.new_card_required": (),
    "service.field_not_for_kind": ("field", "kind"),
    "service.not_your_store": (),
    "spot_check.not_found": ("check_id",),
    # day plans (a rep's own, or a manager's)
    "plan.no_stores": (),
    "plan.too_many_stores": ("max",),
    "plan.store_twice": (),
    "plan.stores_outside": ("store_ids",),
    "plan.stores_outside_territory": ("store_ids",),
    "plan.whose": (),
    "plan.own_days_only": (),
    "plan.day_past": (),
    "plan.id_taken": (),
    "plan.exists": (
        "plan_id",
        "updated_at",
        "updated_by",
        "updated_by_name",
        "stores",
        "added",
        "removed",
        "kept",
        "order_changed",
        "note_changed",
    ),
    "plan.not_found": (),
    # any record sent twice with the same id (core/records.py), a role's permissions (core/auth.py)
    "record.id_taken_other_content": ("fields",),
    "role.forbidden": ("role",),
    # photos attached to a record
    "photo.uploaded_by_other": (),
    "photo.of_others_record": (),
    # sync: a client id of another user, a gap in the mutation ids, a manager's conflict review
    "sync.client_of_other_user": (),
    "mutation_gap": ("expected_id", "got_id"),
    "conflict.not_found": (),
    "conflict.resolved": (),
    # HQ's and managers' desks: reps, date ranges, market data, alerts, the import upload
    "rep.not_found": ("rep_id",),
    "range.until_before_since": (),
    "range.too_long": ("max_days",),
    "region.not_found": ("region_id",),
    "team.region_required": (),
    "product.not_found": ("product_id",),
    "alert.not_found": ("alert_id",),
    "alert.acknowledged": (),
    "import.no_file": (),
    # signing in (the limits' scopes: user_ip, ip, user)
    "login.wrong_password": (),
    "login.too_many_user_ip": ("retry_after",),
    "login.too_many_ip": ("retry_after",),
    "login.too_many_user": ("retry_after",),
    "auth.login_first": (),
    "auth.token_invalid": (),
    "auth.link_invalid": (),
    "download.not_an_export": ("path",),
    # a photo's file
    "photo.too_many_pixels": ("width", "height", "max_pixels"),
    "photo.not_an_image": (),
    "photo.unsupported_format": ("format",),
    "photo.decompression_bomb": (),
    "photo.file_too_large": ("size", "max_bytes"),
    "photo.storage_full": (),
    "photo.not_found": (),
    # the photo upload's protocol (the phone's photo lane acts on the code and details)
    "photo.upload_empty": (),
    "photo.sha256_mismatch": (),
    "photo.id_taken": (),
    "photo.other_content": (),
    "photo.other_upload_under_way": (),
    "photo.upload_not_found": (),
    "photo.chunk_empty": (),
    "photo.chunk_beyond_size": (),
    "photo.not_ready": (),
    "photo.upload_quota": (),
    "photo.wrong_offset": (),
    "photo.damaged": (),
    # administration: users, the catalogue, master data (core/crud.py)
    "user.needs_placement": ("role", "field"),
    "user.not_found": ("user_id",),
    "user.username_taken": ("username",),
    "unknown_reference": ("field", "value"),
    "checklist.target_needed": (),
    "product.tac_twice": (),
    "product.tac_taken": ("tac", "model"),
    "product.unknown_rival": ("competitor_model_id",),
    "record.not_found": ("id",),
    "record.duplicate": ("fields",),
    "partner.parent_cycle": (),
    # device times (core/records.py)
    "device_time.future": ("field",),
    # visits
    "visit.not_found": ("visit_id",),
    "visit.other_store": ("visit_id",),
    "visit.checkout_before_checkin": (),
    "visit.already_checked_out": ("visit_id", "checked_out_at"),
    "display.no_answers": (),
    "display.answered_twice": (),
    "display.unknown_item": ("item_id",),
    "display.needs_yes_no": ("item",),
    "display.needs_number": ("item",),
    "display.not_found": ("check_id",),
    # a failed item whose on_fail asks for evidence (given as f"display.needs_{lacking}")
    "display.needs_reason": ("item",),
    "display.needs_photo": ("item",),
    "display.needs_photo_or_reason": ("item",),
    # stock
    "stock.unknown_material": ("material_id",),
    "stock.quantity_zero": (),
    "stock.not_found": ("movement_id",),
    # intel and prices
    "price.unknown_product": ("product_id",),
    "price.unknown_competitor_model": ("competitor_model_id",),
    "price.not_found": ("observation_id",),
    "intel.territory_needed": (),
    "intel.not_found": ("report_id",),
    "intel.already_reviewed": ("status",),
    "intel.duplicate_store_needed": (),
    # shop stock, declared sell-out and competitors' sell-out estimates (sellout/rules.py)
    "sellout.unknown_product": ("product_id",),
    "sellout.unknown_competitor_model": ("competitor_model_id",),
    "sellout.week_not_monday": (),
    "sellout.week_future": (),
    "sellout.units_and_band": (),
    "sellout.period_order": (),
    "sellout.period_too_long": (),
    "sellout.period_future": (),
    "sellout.not_found": ("record_id",),
    # promoters' training: topics and their quiz (HQ), sessions a rep records (training/service.py)
    "training.unknown_topic": ("topic_id",),
    "training.topic_not_current": ("topic_id",),
    "training.topic_not_found": ("topic_id",),
    "training.unknown_contact": ("contact_id",),
    "training.contact_other_store": ("contact_id",),
    "training.contact_removed": ("contact_id",),
    "training.duplicate_attendee": ("contact_id",),
    "training.id_taken_other_content": ("session_id", "fields"),
    "training.quiz_size": ("found",),
    "training.quiz_choices": ("question", "found"),
    "training.quiz_choices_en": ("question",),
    "training.quiz_answer": ("question",),
    "training.unknown_product": ("product_id",),
    "training.code_taken": ("code",),
    "training.dates_order": (),
    "training.quiz_in_use": ("topic_id",),
    # tasks for reps: assigning (a manager, HQ), cancelling, completing at a visit (tasks/service.py)
    "task.not_found": ("task_id",),
    "task.due_in_past": ("due_on", "today"),
    "task.reference_required": ("kind", "field"),
    "task.one_price_target": (),
    "task.assignee_not_covering": ("assignee_id",),
    "task.id_taken_other_content": ("task_id", "fields"),
    "task.stores_outside": ("store_ids",),
    "task.too_many_stores": ("max",),
    "task.no_stores": (),
    "task.cancelled": ("task_id", "cancelled_at"),
    "task.already_done": ("task_id", "done_by", "done_by_name", "done_at"),
    "task.completion_other_task": ("completion_id",),
    "task.photo_required": (),
    "task.visit_mismatch": ("visit_id",),
    # stores and contacts
    "store.not_found": ("store_id",),
    "store.radius_too_large": ("max_radius_m",),
    "store.unknown_partner": ("partner_id",),
    "store.unknown_territory": ("territory_id",),
    "store.code_taken": ("store_code",),
    "store.rep_may_not_change": ("fields",),
    "store.proposal_not_found": ("proposal_id",),
    "store.proposal_decided": ("proposal_id", "status"),
    "contact.not_found": ("contact_id",),
    "contact.missing_field": ("field",),
    "contact.not_at_store": ("contact_id", "store_id"),
    "contact.removed": ("contact_id",),
    # shipment imports: the upload (REST) and the file's rows (kept with the import)
    "import.file_too_large": ("max_mb",),
    "import.storage_full": (),
    "import.file_empty": (),
    "import.not_found": ("import_id",),
    "import.missing_columns": ("columns",),
    "import.column_count": ("expected", "found"),
    "import.unknown_model": ("model",),
    "import.imei_not_model": ("imei", "model", "tac"),
    "import.bad_date": ("value",),
    "import.future_date": ("date",),
    "import.unknown_region": ("region",),
    "import.unknown_partner": ("partner",),
    "import.duplicate_in_file": ("imei", "first_line"),
    "import.already_shipped": ("imei", "ship_date", "import_id", "line"),
    "import.nul_char": (),
    "import.not_utf8": (),
    "import.not_utf8_line": ("line",),
    "import.undecodable": (),
    "import.undecodable_line": ("line",),
    "import.malformed_csv": ("line",),
    "import.interrupted": ("row",),
}


def check_reason(reason: str | None, params: dict | None) -> None:
    """Fails (a programming error, not a user's) on a reason not in `REASONS` or other params."""
    if reason is None:
        if params:
            raise ValueError("params without a reason")
        return
    if reason not in REASONS:
        raise ValueError(f"unknown error reason {reason!r}: add it to backend/core/reasons.py")
    if set(params or {}) != set(REASONS[reason]):
        raise ValueError(f"reason {reason!r} takes params {REASONS[reason]}, got {sorted(params or {})}")


def checked_reason(reason: str | None, params: dict | None) -> tuple[str | None, dict]:
    """(reason, params) for an error body, once checked against `REASONS`.

    A mismatch is a programming error. Under tests, in debug and outside an app it fails at once
    (`check_reason`). In production it is logged and the error goes out without a reason: its
    English message still says what was refused, where raising would turn the refusal into a 500
    (and a sync push into one that fails again on every retry, blocking the phone's outbox)."""
    try:
        check_reason(reason, params)
    except ValueError:
        if not has_app_context() or current_app.testing or current_app.debug:
            raise
        log.exception("error reason %r with params %r left out of the error body", reason, sorted(params or {}))
        return None, {}
    return reason, params or {}
