"""What other domains may react to in stores (blinker signals, sent inside the transaction).

- `store_moved`: a store changed territory. Sender: the `Store` (already in its new territory);
  keyword `old_territory_id`. Receivers change their own rows in the same transaction.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

store_moved = _signals.signal("store-moved")
