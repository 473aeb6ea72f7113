"""gunicorn's settings for production (`make serve` runs `gunicorn -c backend/gunicorn_conf.py`).

Sync workers, one request at a time each, 2 × CPUs + 1 of them (`WEB_CONCURRENCY` overrides).
They must sit behind a buffering proxy (docs/nginx.conf): a sync worker reading a slow client's
body is held for as long as the client takes. The bind address comes from the command line
(`--bind HOST:PORT`); anything else can be overridden there or with `GUNICORN_CMD_ARGS`.
"""

import os
import re

from gunicorn.glogging import Logger


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "wsgi:app"
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cpus() + 1)
# A request taking longer is killed (502 through nginx, whose proxy_read_timeout is longer). The
# longest are uploads of shipment CSVs (up to IMPORT_MAX_BYTES), copied from nginx to disk.
timeout = 60
graceful_timeout = 30
proc_name = "fieldsales"
# Errors to stderr; access lines are nginx's job (`GUNICORN_CMD_ARGS=--access-logfile=-` adds them,
# without download links' tokens: see below).
errorlog = "-"

# A download link's token (`dl=…`, backend/auth/downloads.py) in a query, however its name is
# spelled (a percent-encoded letter, upper case).
_LINK_TOKEN = re.compile(r"(^|[?&])((?:d|%64)(?:l|%6c)=)[^&\s]*", re.IGNORECASE)


class AccessLogWithoutLinkTokens(Logger):
    """gunicorn's logger, but an access line never carries a download link's token: it works
    once and for a minute, a log is kept for long and read by others. Every text the access log
    format may quote (the request line `%(r)s`, the query `%(q)s`, headers such as the referrer,
    environ values such as RAW_URI) has the token's value written `-`."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: _LINK_TOKEN.sub(r"\1\2-", v) if isinstance(v, str) else v for k, v in atoms.items()}


logger_class = AccessLogWithoutLinkTokens
