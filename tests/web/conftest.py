"""Fixtures of the web app's tests: one app, one live server and one browser per session."""

from __future__ import annotations

import pytest


def pytest_configure(config):
    # starlette's TestClient on httpx 0.28 warns that it prefers "httpx2": not our code
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture(scope="session")
def app():
    from standoff.web.app import create_app

    return create_app(warm=False)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def live_url(app):
    """The app on 127.0.0.1 and a free port (uvicorn in a thread), for the browser."""
    from standoff.web.testing import serve_in_thread

    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context():
    """Debian's headless Chromium driven by Playwright (fresh profile, no network)."""
    from pathlib import Path

    from standoff.web.testing import CHROMIUM, launch_chromium

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, launch_chromium(pw) as ctx:
        yield ctx


@pytest.fixture
def page(browser_context, live_url):
    """A fresh tab that records console errors and uncaught page errors."""
    pg = browser_context.new_page()
    pg.set_default_timeout(90_000)
    errors: list[str] = []
    pg.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.errors = errors
    pg.base = live_url
    yield pg
    pg.close()
