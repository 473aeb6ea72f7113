"""Offline sync: push of queued mutations, pull of changes by cursor, conflicts.

The protocol's pure parts (HLC, merge, envelope, cursor) live in the top-level `sync_protocol`
package; this package is the server side: the change log, the mutation handlers (which call the
same domain service functions as the REST endpoints), and the endpoints.
"""
