"""The pure warranty rules: the shared vectors (the PWA's port passes the same file) and properties
of the IMEI check digit, phone numbers, 三包 terms and standing, and masking."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from backend.core.timeutil import business_date
from backend.warranty import rules


@pytest.fixture(autouse=True)
def _app_context():
    """These rules are pure: no app, and no emptying of the database after each test (as in
    tests/sync_protocol); this overrides the suite-wide fixture for this module."""
    yield


VECTORS = json.loads((Path(__file__).resolve().parent.parent / "vectors" / "warranty_rules.json").read_text())

digits = st.text(alphabet="0123456789", min_size=14, max_size=14)
# Bodies rich in 0s and 9s, so that the 09/90 pairs Luhn cannot tell apart come up often.
zeros_and_nines = st.lists(st.sampled_from("0123456789") | st.sampled_from("09"), min_size=14, max_size=14).map("".join)
bodies = digits | zeros_and_nines


def complete(body: str) -> str:
    return body + str(rules.luhn_check_digit(body))


def swapped(imei: str, i: int) -> str:
    return imei[:i] + imei[i + 1] + imei[i] + imei[i + 2 :]


# --- the shared vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "digit"), VECTORS["luhn_check_digit"])
def test_vector_luhn_check_digit(body, digit):
    assert rules.luhn_check_digit(body) == digit


@pytest.mark.parametrize("imei", VECTORS["valid_imeis"])
def test_vector_valid_imeis(imei):
    assert rules.imei_problem(imei) is None


WHY = {"check digit": "check digit is wrong", "length": "has 15 digits", "digits": "digits only"}


@pytest.mark.parametrize("case", VECTORS["invalid_imeis"], ids=lambda c: f"{c['imei']!r}-{c['why']}")
def test_vector_invalid_imeis_say_why(case):
    problem = rules.imei_problem(case["imei"])
    assert problem is not None and WHY[case["why"]] in problem


@pytest.mark.parametrize(("imei", "tac"), VECTORS["tac"])
def test_vector_tac(imei, tac):
    assert rules.tac(imei) == tac


@pytest.mark.parametrize(("raw", "normalised"), VECTORS["phones"])
def test_vector_phones(raw, normalised):
    assert rules.normalise_phone(raw) == normalised


def _terms_args(case: dict) -> tuple:
    return (
        date.fromisoformat(case["purchase_date"]),
        case["return_days"],
        case["exchange_days"],
        case["repair_months"],
    )


@pytest.mark.parametrize("case", VECTORS["terms"], ids=lambda c: c["purchase_date"])
def test_vector_terms(case):
    t = rules.terms(*_terms_args(case))
    assert t.as_dict() == {k: date.fromisoformat(case[k]) for k in ("return_until", "exchange_until", "repair_until")}


@pytest.mark.parametrize("case", VECTORS["standing"], ids=lambda c: f"{c['today']}-{c['standing']}")
def test_vector_standing(case):
    t = rules.terms(*_terms_args(case))
    today = date.fromisoformat(case["today"])
    assert rules.standing(t, today, case["voided"], case.get("closed_kind")) == case["standing"]


@pytest.mark.parametrize(
    "case", VECTORS["service_refusal"], ids=lambda c: f"{c['purchase_date']}-{c['kind']}-{c['occurred_on']}"
)
def test_vector_service_refusal(case):
    t = rules.terms(*_terms_args(case))
    refusal = rules.service_refusal(case["kind"], t, date.fromisoformat(case["occurred_on"]))
    expected = case["refusal"]
    assert refusal == (None if expected is None else (expected["reason"], expected["params"]))


@pytest.mark.parametrize("case", VECTORS["service_at"], ids=lambda c: f"{c['occurred_at']}-{c['zone']}")
def test_vector_service_at_counts_the_business_day_not_the_phones(case):
    """The day of an event is its business day (the server's BUSINESS_TIMEZONE), not the day on a
    phone set to another zone: each case's device day would give the other answer."""
    at = datetime.fromisoformat(case["occurred_at"].replace("Z", "+00:00")).replace(tzinfo=None)
    on = business_date(at, ZoneInfo(case["zone"]))
    assert on.isoformat() == case["occurred_on"]
    assert at.replace(tzinfo=UTC).astimezone(ZoneInfo(case["device_zone"])).date().isoformat() == case["device_day"]
    t = rules.terms(*_terms_args(case))
    refusal = rules.service_refusal(case["kind"], t, on)
    expected = case["refusal"]
    assert refusal == (None if expected is None else (expected["reason"], expected["params"]))
    on_the_phone = rules.service_refusal(case["kind"], t, date.fromisoformat(case["device_day"]))
    assert (on_the_phone is None) != (refusal is None)


@pytest.mark.parametrize(
    ("kind", "raw", "masked"),
    [(kind, raw, masked) for kind, pairs in VECTORS["masks"].items() for raw, masked in pairs],
)
def test_vector_masks(kind, raw, masked):
    assert getattr(rules, f"mask_{kind}")(raw) == masked


def test_the_vectors_cover_every_rule():
    assert set(VECTORS) - {"_comment"} == {
        "luhn_check_digit",
        "valid_imeis",
        "invalid_imeis",
        "tac",
        "phones",
        "terms",
        "standing",
        "service_refusal",
        "service_at",
        "masks",
    }
    assert {c["why"] for c in VECTORS["invalid_imeis"]} == set(WHY)
    assert {(c["kind"], c["refusal"] is None) for c in VECTORS["service_refusal"]} == {
        (kind, allowed) for kind in rules.SERVICE_KINDS for allowed in (True, False)
    }
    assert {c["standing"] for c in VECTORS["standing"]} == {
        rules.RETURNABLE,
        rules.EXCHANGEABLE,
        rules.REPAIRABLE,
        rules.EXPIRED,
        rules.VOID,
        rules.RETURNED,
        rules.EXCHANGED,
    }


# --- the IMEI check digit ---------------------------------------------------------------------------


@given(bodies)
def test_any_body_with_its_check_digit_is_a_valid_imei(body):
    imei = complete(body)
    assert len(imei) == 15
    assert rules.imei_problem(imei) is None
    assert rules.tac(imei) == body[:8]


@given(bodies)
def test_exactly_one_check_digit_completes_a_body(body):
    accepted = [d for d in "0123456789" if rules.imei_problem(body + d) is None]
    assert accepted == [str(rules.luhn_check_digit(body))]


@given(bodies)
def test_every_single_digit_substitution_anywhere_is_caught(body):
    imei = complete(body)
    for i in range(15):
        for d in "0123456789":
            if d != imei[i]:
                typo = imei[:i] + d + imei[i + 1 :]
                assert "check digit" in rules.imei_problem(typo), (imei, i, d)


@given(bodies, st.integers(min_value=0, max_value=13))
@example("86012345678900", 12)  # …0 9 | 0: swapping the 0 and 9 slips through
def test_adjacent_transpositions_are_caught_except_09_and_90(body, i):
    imei = complete(body)
    a, b = imei[i], imei[i + 1]
    assume(a != b)
    slips_through = rules.imei_problem(swapped(imei, i)) is None
    assert slips_through == ({a, b} == {"0", "9"}), (imei, i)


def test_every_adjacent_transposition_at_every_position_exhaustively():
    """All 90 ordered pairs of different digits at all 14 adjacent positions (the last pair being
    the body's last digit and the check digit): caught, but for 0/9, which Luhn cannot see."""
    slipped = set()
    for i in range(14):
        for a in "0123456789":
            for b in "0123456789":
                if a == b:
                    continue
                imei = _imei_with(i, a, b)
                assert (imei[i], imei[i + 1]) == (a, b)
                if rules.imei_problem(swapped(imei, i)) is None:
                    slipped.add((i, a + b))
    assert slipped == {(i, pair) for i in range(14) for pair in ("09", "90")}


def _imei_with(i: int, a: str, b: str) -> str:
    """A valid IMEI with digits a, b at positions i, i+1: the first digit (or, when i is 0, the
    third) is chosen to make the check digit come out as needed when b must be it."""
    free = 2 if i == 0 else 0
    for filler in "0123456789":
        body = ["3"] * 14
        body[free] = filler
        body[i] = a
        if i + 1 < 14:
            body[i + 1] = b
        imei = complete("".join(body))
        if imei[i + 1] == b:
            return imei
    raise AssertionError("some filler digit gives every check digit")


@given(st.text(alphabet="0123456789", max_size=30).filter(lambda s: len(s) not in (0, 15)))
def test_digit_strings_of_another_length_are_refused_for_their_length(text):
    assert rules.imei_problem(text) == f"An IMEI has 15 digits; this one has {len(text)}."


@given(
    st.text(max_size=20).filter(lambda s: any(c not in "0123456789" for c in s)),
)
@example("８６０１２３４５６７８９０１４")  # full-width digits (a Chinese keyboard in full-width mode)
@example("٨٦٠١٢٣٤٥٦٧٨٩٠١٤")  # Arabic-Indic digits: digits to Python, not to an IMEI
@example("86012345678901\n")  # 14 digits and a newline: 15 characters
@example("860123456789014\n")
@example(" 860123456789014")
@example("86012345-6789014")
def test_anything_but_ascii_digits_is_refused(text):
    assert rules.imei_problem(text) == "An IMEI has digits only."


def test_no_imei_at_all_is_refused():
    assert rules.imei_problem("") == "An IMEI has digits only."
    assert rules.imei_problem(None) == "An IMEI has digits only."


# --- buyer phone numbers -----------------------------------------------------------------------------

mainland = st.builds(
    lambda second, rest: f"1{second}{rest}", st.sampled_from("3456789"), st.from_regex(r"[0-9]{9}", fullmatch=True)
)
separators = st.sampled_from([" ", "-", "(", ")", "\u3000"])


@given(mainland)
def test_a_mainland_mobile_is_kept_as_its_11_digits(number):
    assert rules.normalise_phone(number) == number


@given(mainland, st.sampled_from(["+86", "0086", "+86 ", "0086-", "(+86) "]))
def test_the_country_code_before_a_mainland_mobile_is_dropped(number, prefix):
    assert rules.normalise_phone(prefix + number) == number


@given(mainland, st.lists(st.tuples(st.integers(min_value=0, max_value=11), separators), max_size=4))
def test_spaces_dashes_and_brackets_anywhere_are_ignored(number, inserts):
    spaced = number
    for at, sep in sorted(inserts, reverse=True):
        spaced = spaced[:at] + sep + spaced[at:]
    assert rules.normalise_phone(spaced) == number


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True).filter(lambda s: not s.startswith("+86")))
def test_international_numbers_are_kept_in_e164(number):
    assert rules.normalise_phone(number) == number
    assert rules.normalise_phone("00" + number[1:]) == number


@given(mainland)
def test_normalising_is_idempotent(number):
    once = rules.normalise_phone("+86 " + number[:3] + " " + number[3:])
    assert rules.normalise_phone(once) == once


@given(st.from_regex(r"[0-9]{11}", fullmatch=True).filter(lambda s: not s.startswith(("00", "1"))))
def test_eleven_digits_that_are_no_mainland_mobile_are_refused(number):
    assert rules.normalise_phone(number) is None


@given(mainland, st.integers(min_value=0, max_value=10), st.sampled_from("８１٣"))
def test_a_number_with_a_non_ascii_digit_is_refused(number, at, other):
    assert rules.normalise_phone(number[:at] + other + number[at + 1 :]) is None


# --- 三包 terms and standing ------------------------------------------------------------------------

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(days)
def test_default_terms_are_7_days_return_15_exchange_one_year_repair(purchased):
    t = rules.terms(purchased)
    assert t.return_until == purchased + timedelta(days=7)
    assert t.exchange_until == purchased + timedelta(days=15)
    assert t.repair_until == rules.add_months(purchased, 12)
    assert purchased < t.return_until <= t.exchange_until <= t.repair_until


@given(days, st.integers(0, 365), st.integers(0, 365), st.integers(0, 120))
def test_terms_count_from_the_purchase_date(purchased, return_days, exchange_days, repair_months):
    t = rules.terms(purchased, return_days, exchange_days, repair_months)
    assert (t.return_until - purchased).days == return_days
    assert (t.exchange_until - purchased).days == exchange_days
    assert t.repair_until == rules.add_months(purchased, repair_months)


@given(days, st.integers(min_value=0, max_value=240))
def test_add_months_keeps_the_day_or_clamps_it_to_the_month_end(d, months):
    later = rules.add_months(d, months)
    assert (later.year * 12 + later.month) - (d.year * 12 + d.month) == months
    last_day = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(d.day, last_day)
    assert later >= d


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_add_months_examples(d, months, expected):
    assert rules.add_months(d, months) == expected


STANDINGS = [rules.RETURNABLE, rules.EXCHANGEABLE, rules.REPAIRABLE, rules.EXPIRED]


@given(days, st.integers(0, 60), st.integers(0, 60), st.integers(0, 36), st.integers(-5, 1500), st.integers(0, 500))
def test_standing_only_ever_gets_worse_as_days_pass(purchased, ret, exc, rep, offset, later):
    t = rules.terms(purchased, ret, exc, rep)
    today = purchased + timedelta(days=offset)
    first, second = rules.standing(t, today), rules.standing(t, today + timedelta(days=later))
    assert STANDINGS.index(first) <= STANDINGS.index(second)


@given(days, st.integers(0, 60), st.integers(0, 60), st.integers(0, 36), st.integers(-5, 1500))
def test_standing_is_the_best_entitlement_that_still_applies(purchased, ret, exc, rep, offset):
    t = rules.terms(purchased, ret, exc, rep)
    today = purchased + timedelta(days=offset)
    got = rules.standing(t, today)
    if today <= t.return_until:
        assert got == rules.RETURNABLE
    elif today <= t.exchange_until:
        assert got == rules.EXCHANGEABLE
    elif today <= t.repair_until:
        assert got == rules.REPAIRABLE
    else:
        assert got == rules.EXPIRED
    assert rules.standing(t, today, voided=True) == rules.VOID


@given(days)
def test_each_term_includes_its_last_day(purchased):
    t = rules.terms(purchased)
    assert rules.standing(t, t.return_until) == rules.RETURNABLE
    assert rules.standing(t, t.return_until + timedelta(days=1)) == rules.EXCHANGEABLE
    assert rules.standing(t, t.exchange_until) == rules.EXCHANGEABLE
    assert rules.standing(t, t.exchange_until + timedelta(days=1)) == rules.REPAIRABLE
    assert rules.standing(t, t.repair_until) == rules.REPAIRABLE
    assert rules.standing(t, t.repair_until + timedelta(days=1)) == rules.EXPIRED


@given(days, st.integers(0, 60), st.integers(0, 60), st.integers(0, 36), st.integers(-5, 1500))
def test_a_service_event_is_refused_exactly_after_its_term(purchased, ret, exc, rep, offset):
    t = rules.terms(purchased, ret, exc, rep)
    on = purchased + timedelta(days=offset)
    for kind, until in (("return", t.return_until), ("exchange", t.exchange_until), ("repair", t.repair_until)):
        refusal = rules.service_refusal(kind, t, on)
        if on <= until:
            assert refusal is None
        else:
            assert refusal == (f"service.{kind}_expired", {"until": until.isoformat(), "occurred_on": on.isoformat()})


@given(days, st.sampled_from(rules.CLOSED_KINDS), st.integers(-5, 1500))
def test_a_closed_card_stands_closed_whatever_the_day_unless_voided(purchased, kind, offset):
    t = rules.terms(purchased)
    today = purchased + timedelta(days=offset)
    assert rules.standing(t, today, closed_kind=kind) == kind
    assert rules.standing(t, today, voided=True, closed_kind=kind) == rules.VOID


# --- masking ----------------------------------------------------------------------------------------


@given(mainland)
def test_a_masked_mainland_mobile_shows_its_first_3_and_last_4_digits(number):
    masked = rules.mask_phone(number)
    assert masked == number[:3] + "****" + number[-4:]


@given(st.text(min_size=8, max_size=20))
def test_masking_a_phone_keeps_its_length_and_hides_all_but_7_characters(phone):
    masked = rules.mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked[:3] == phone[:3] and masked[-4:] == phone[-4:]
    assert set(masked[3:-4]) == {"*"}


@given(st.text(min_size=1, max_size=7))
def test_a_short_phone_shows_only_its_last_2_characters(phone):
    masked = rules.mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked.endswith(phone[-2:])
    assert set(masked[:-2]) <= {"*"}


@given(st.text(min_size=1, max_size=60))
def test_a_masked_name_keeps_only_its_first_character(name):
    masked = rules.mask_name(name)
    assert masked == name[0] + "*" * (len(name) - 1)


@given(st.text(min_size=1, max_size=300))
def test_a_masked_address_keeps_at_most_its_first_6_characters(address):
    masked = rules.mask_address(address)
    assert masked.endswith("****")
    kept = masked[: -len("****")]
    assert address.startswith(kept) and len(kept) == (6 if len(address) > 6 else 0)


@pytest.mark.parametrize("mask", [rules.mask_phone, rules.mask_name, rules.mask_address])
def test_nothing_to_mask_stays_empty(mask):
    assert mask("") == ""
