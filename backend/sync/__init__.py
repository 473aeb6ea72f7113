"""Offline sync: push of queued mutations, pull of changes by cursor, conflicts.

The protocol's pure parts (HLC, merge, envelope, cursor) live in the top-level `sync_protocol`
package; this package is the server side: the change log, the mutation handlers (which call the
same domain service functions as the REST endpoints), and the endpoints.
"""

from .changelog import PENDING
from .clock import OBSERVED


def init_app(app) -> None:
    """Keep the change log and the deployment clock at every commit (once per process)."""
    OBSERVED.register()
    PENDING.register()  # last: its rows are written under a lock held until the commit
