"""Pure rules of warranty cards: IMEI check digit and TAC, buyer phone numbers, 三包 terms, masking.

No database and no Flask here: the PWA has a port of this module (`pwa/src/warranty/rules.js`)
and both are tested against the same vectors (`tests/vectors/warranty_rules.json`), so a card the
phone accepts offline is a card the server accepts.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

IMEI_LENGTH = 15
TAC_LENGTH = 8

# ASCII digits only, to the very end (`\Z`): `\d` would take full-width and other scripts' digits
# (a second card for one phone, and not what the PWA's port accepts), and `$` a trailing newline.
_DIGITS = re.compile(r"^[0-9]+\Z")
_SEPARATORS = re.compile(r"[\s\-()]")
_MAINLAND = re.compile(r"^1[3-9][0-9]{9}\Z")
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}\Z")


# --- IMEI ---------------------------------------------------------------------------------------


def luhn_check_digit(body: str) -> int:
    """The Luhn digit that completes `body` (digits only): every second digit from the right of
    the body is doubled, digits of the products summed."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def imei_fault(imei: str) -> tuple[str, str, dict] | None:
    """Why `imei` is not a valid IMEI as (English sentence, reason code, params), or None.
    Checks shape and the Luhn check digit only."""
    if not _DIGITS.match(imei or ""):
        return "An IMEI has digits only.", "imei.digits", {}
    if len(imei) != IMEI_LENGTH:
        return (
            f"An IMEI has {IMEI_LENGTH} digits; this one has {len(imei)}.",
            "imei.length",
            {"expected": IMEI_LENGTH, "found": len(imei)},
        )
    if luhn_check_digit(imei[:-1]) != int(imei[-1]):
        return (
            "The IMEI's check digit is wrong: a digit was mistyped or two were swapped.",
            "imei.check_digit",
            {},
        )
    return None


def imei_problem(imei: str) -> str | None:
    """Why `imei` is not a valid IMEI, or None. Checks shape and the Luhn check digit only."""
    fault = imei_fault(imei)
    return fault[0] if fault else None


def tac(imei: str) -> str:
    """The Type Allocation Code: the first 8 digits, which name the phone model."""
    return imei[:TAC_LENGTH]


# --- buyer phone numbers --------------------------------------------------------------------------


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile number as its 11 digits, anything else as E.164 (`+<country><number>`);
    None when it is neither. Spaces, dashes and brackets are ignored; `0086`/`+86` before a
    mainland number is dropped; a leading `00` means `+`."""
    s = _SEPARATORS.sub("", raw or "")
    if s.startswith("00"):
        s = "+" + s[2:]
    if s.startswith("+86") and _MAINLAND.match(s[3:]):
        return s[3:]
    if _MAINLAND.match(s):
        return s
    if _E164.match(s) and not s.startswith("+86"):
        return s
    return None


# --- 三包 terms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    return_until: date  # 包退: the last day the buyer may return the phone
    exchange_until: date  # 包换
    repair_until: date  # 包修

    def as_dict(self) -> dict:
        return {
            "return_until": self.return_until,
            "exchange_until": self.exchange_until,
            "repair_until": self.repair_until,
        }


RETURNABLE, EXCHANGEABLE, REPAIRABLE, EXPIRED, VOID = "returnable", "exchangeable", "repairable", "expired", "void"
# A card closed by a 三包 service event (its closed_kind): the phone went back to the store.
RETURNED, EXCHANGED = "returned", "exchanged"
CLOSED_KINDS = (RETURNED, EXCHANGED)

# The 三包 service events and the term each one needs (issue 17).
SERVICE_KINDS = ("return", "exchange", "repair")


def add_months(d: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter (31 Jan + 1 → 28/29 Feb)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def terms(purchase_date: date, return_days: int = 7, exchange_days: int = 15, repair_months: int = 12) -> Terms:
    """The 三包 dates of a phone bought on `purchase_date`; each date is the last day it applies."""
    return Terms(
        return_until=purchase_date + timedelta(days=return_days),
        exchange_until=purchase_date + timedelta(days=exchange_days),
        repair_until=add_months(purchase_date, repair_months),
    )


def standing(t: Terms, today: date, voided: bool = False, closed_kind: str | None = None) -> str:
    """What the buyer is entitled to on `today`: the best of return, exchange, repair, or nothing.
    A voided card is "void" (even when it was closed first); a card closed by a return or an
    exchange is "returned" / "exchanged": nothing more applies to it (an exchange's new card
    carries the remaining terms)."""
    if voided:
        return VOID
    if closed_kind:
        return closed_kind
    if today <= t.return_until:
        return RETURNABLE
    if today <= t.exchange_until:
        return EXCHANGEABLE
    if today <= t.repair_until:
        return REPAIRABLE
    return EXPIRED


def service_refusal(kind: str, t: Terms, occurred_on: date) -> tuple[str, dict] | None:
    """Why a 三包 service event of `kind` ("return", "exchange" or "repair") on `occurred_on` (a
    business date) falls outside the card's terms, as (reason code, params), or None when it is
    within them. Each term's date is the last day it applies: a return on return_until is allowed,
    the day after is refused."""
    term = _SERVICE_TERMS[kind]
    until = getattr(t, term["until"])
    if occurred_on <= until:
        return None
    return term["reason"], {"until": until.isoformat(), "occurred_on": occurred_on.isoformat()}


# Each service event's term, and the reason (backend/core/reasons.py) it is refused with after it.
_SERVICE_TERMS = {
    "return": {"until": "return_until", "reason": "service.return_expired"},
    "exchange": {"until": "exchange_until", "reason": "service.exchange_expired"},
    "repair": {"until": "repair_until", "reason": "service.repair_expired"},
}


# --- masking of buyers' personal data --------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """138****5678; +44******3456: the first 3 and last 4 characters stay."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_address(address: str) -> str:
    """The first 6 characters (city and district, usually) and ****; an empty address stays empty."""
    if not address:
        return address
    return (address[:6] if len(address) > 6 else "") + "****"


def mask_name(name: str) -> str:
    """张** : the first character (the family name, usually) and one star per other character."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)
