"""The per-field merge of editable records, below the domains that call it.

Stores and contacts merge field by field by hybrid logical clock (`conflicts.py`: `edit_hlc`,
`merge_fields`, `open_conflicts`), against the deployment's one HLC clock (`clock.py`), and
record the edits that lost as conflicts (`models.py`). These used to live in `backend.sync`, the
transport (push, pull, change log), which sits above the domains because it calls their service
functions; the stores domain then had to import them lazily, inside functions, to dodge the
cycle. Here they sit between `core` and the domains: they import no domain, and the domains and
sync import them at module top.

Not in `backend.core`: this package owns tables (`sync_conflicts`, `sync_meta`) and a commit
hook, and depends on the sync protocol's rules (`sync_protocol`); core stays the plain helpers
every layer shares.
"""

from .clock import OBSERVED


def init_app(app) -> None:
    """Store the HLCs a transaction observed just before it commits (once per process)."""
    OBSERVED.register()
