"""Offline sync: push of queued mutations, pull of changes by cursor, conflicts.

The protocol's pure parts (HLC, merge, envelope, cursor) live in the top-level `sync_protocol`
package; this package is the server side: the change log, the mutation handlers (which call the
same domain service functions as the REST endpoints), and the endpoints. The per-field merge, the
deployment clock and the conflicts it records are `backend.merge`, below the domains that merge.
"""

from ..routes import team
from .changelog import PENDING
from .service import last_sync_by_user


def init_app(app) -> None:
    """Keep the change log at every commit (once per process); hand the team view (a domain,
    below) the phones' last sync times."""
    PENDING.register()  # registered last: its rows are written under a lock held until the commit
    team.use_last_sync_source(last_sync_by_user)
