"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backend.extensions import db
from backend.warranty.models import in_migrations

ROOT = Path(__file__).resolve().parent.parent


def test_migrated_schema_matches_the_models():
    # The session database was built by `flask_migrate.upgrade()` in conftest, not create_all().
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "compare_server_default": False, "include_object": in_migrations}
        ctx = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_upgrade_and_downgrade_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = os.environ | {"DATABASE_URL": url, "FLASK_APP": "wsgi.py"}
    env.pop("REDIS_URL", None)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"users", "stores", "visits", "stock_movements", "price_observations", "photos"} <= tables
    subprocess.run([*flask, "db", "downgrade", "base"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert set(inspect(create_engine(url)).get_table_names()) <= {"alembic_version"}
