"""The fuzz suite's shared settings."""

from __future__ import annotations


def pytest_configure(config):
    # starlette's TestClient on httpx 0.28 warns that it prefers "httpx2": not our code
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")
