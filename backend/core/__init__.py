"""Cross-cutting pieces shared by every domain: errors, auth, scoping helpers, schemas, time, and
per-transaction state with commit hooks (`transaction.py`). Core imports no domain."""
