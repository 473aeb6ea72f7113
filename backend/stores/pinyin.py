"""A store name's pinyin, so the rep's store search (on the phone's replica, offline) finds
体育西路店 by "tiyuxi" or "tyx" without a dictionary on the phone.

pypinyin's phrase dictionary picks the reading of a character from the words around it
(重庆 chong qing, not zhong qing). Letters and digits in the name are kept, lower-cased.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_SPLIT = re.compile(r"[^0-9a-z]+")
_LATIN = "\x00"  # marks a run that was not Chinese (pypinyin's `errors` hook)


@lru_cache(maxsize=16384)  # ~75 µs a name uncached; a snapshot dumps every store in scope
def _pinyin(name: str) -> tuple[str, str]:
    parts: list[str] = []
    initials: list[str] = []
    for piece in lazy_pinyin(name, style=Style.NORMAL, errors=lambda run: [_LATIN + run]):
        latin = piece.startswith(_LATIN)
        for word in _SPLIT.split(piece.lower()):
            if word:
                parts.append(word)
                initials.append(word if latin else word[0])
    return " ".join(parts), "".join(initials)


def name_pinyin(name: str | None) -> dict[str, str]:
    """`{"full": "ti yu xi lu dian", "initials": "tyxld"}` for 体育西路店: each syllable (or word of
    Latin letters and digits) lower-case, separated by spaces; `initials` the syllables' first
    letters with the Latin words whole (OPPO专卖 → "oppozm"). Empty strings for a name with
    neither Chinese nor Latin text."""
    full, initials = _pinyin(name or "")
    return {"full": full, "initials": initials}
