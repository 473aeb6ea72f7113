"""The test session never takes the application's database: only TEST_DATABASE_URL, whose name
says test (the session drops every table of its database)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT, database_for_tests


def test_database_url_alone_is_never_used():
    url = database_for_tests({"DATABASE_URL": "postgresql+psycopg://app@db/fieldsales"})
    assert url.startswith("sqlite:///") and url.endswith("test.db")


def test_a_test_database_is_used():
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/fieldsales_test_ci_1"
    assert database_for_tests({"TEST_DATABASE_URL": url, "DATABASE_URL": "postgresql://x/prod"}) == url


@pytest.mark.parametrize("name", ["fieldsales", "production", "postgres"])
def test_a_database_whose_name_does_not_say_test_is_refused(name):
    with pytest.raises(pytest.UsageError, match="must contain 'test'"):
        database_for_tests({"TEST_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1/{name}"})


def test_the_session_stops_before_touching_such_a_database():
    env = os.environ | {"TEST_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/fieldsales"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_smoke.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "must contain 'test'" in run.stdout + run.stderr
