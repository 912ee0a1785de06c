"""API fuzzing with schemathesis against the app's own OpenAPI schema: no 5xx, ever.

Every operation gets generated requests (valid and invalid by the schema); the check is
schemathesis's ``not_a_server_error``. CI runs ``FUZZ_EXAMPLES`` cases per operation (about
a minute); ``pytest -m slow tests/web/test_web_fuzz.py`` runs the larger sweep. The number of
cases sent is printed at the end of the session.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from standoff.web.app import LOOPBACK_HOSTS, create_app

FUZZ_EXAMPLES = int(os.environ.get("STANDOFF_FUZZ_EXAMPLES", "12"))
SLOW_EXAMPLES = 150

# schemathesis's ASGI transport names the host "testserver": allowed here, as --allow-host does
_APP = create_app(warm=False, allowed_hosts=LOOPBACK_HOSTS | {"testserver"})
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)
COUNTS = {"cases": 0, "server_errors": 0}


def setup_module(module):
    _APP.state.services.outlook()  # the one slow first computation (cached afterwards)


def _check(case) -> None:
    response = case.call(timeout=120)
    COUNTS["cases"] += 1
    if response.status_code >= 500:
        COUNTS["server_errors"] += 1
    case.validate_response(response, checks=[not_a_server_error])


_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, **_SETTINGS)
def test_api_never_returns_a_server_error(case):
    _check(case)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=SLOW_EXAMPLES, **_SETTINGS)
def test_api_never_returns_a_server_error_large(case):
    _check(case)


def teardown_module(module):
    print(f"\nschemathesis: {COUNTS['cases']} cases, {COUNTS['server_errors']} server errors")
