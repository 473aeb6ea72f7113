"""The sync protocol is pure: these tests need no Flask app and no database.

Overrides the suite-wide autouse `_app_context` fixture (tests/conftest.py) with a no-op for this
directory, so these tests neither build the app nor empty tables after every test.
"""

import pytest


@pytest.fixture(autouse=True)
def _app_context():
    yield
