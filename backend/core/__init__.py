"""Cross-cutting pieces shared by every domain: errors, auth, scoping helpers, schemas, time."""
