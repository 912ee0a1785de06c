"""Screenshots of every page of ``standoff serve`` (PNG, for the README): ``make screenshots``.

Runs the app on 127.0.0.1 with a temporary STANDOFF_HOME, stores a small rolling-origin
backtest there first (so the Track record page has a run to show), then loads each page in
Debian's headless Chromium, runs a policy comparison on the Policies page, and writes
``<out>/<page>.png``. Deterministic inputs (seeds); nothing is downloaded.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

PAGES = [
    ("/", "outlook"),
    ("/policies", "policies"),
    ("/history", "history"),
    ("/bargaining", "bargaining"),
    ("/games", "games"),
    ("/track-record", "track-record"),
]


def main(out: str = "docs/screenshots") -> int:
    os.environ["STANDOFF_HOME"] = tempfile.mkdtemp(prefix="standoff-shots-")
    from playwright.sync_api import sync_playwright

    from standoff.backtest import backtest
    from standoff.backtest.report import store_result
    from standoff.history import History
    from standoff.store.duckdb_store import results_db_path
    from standoff.web.app import create_app
    from standoff.web.testing import launch_chromium, serve_in_thread

    outdir = Path(out)
    outdir.mkdir(parents=True, exist_ok=True)
    hist = History.load()
    origins = [f"{y}-{m:02d}" for y in range(2012, 2020) for m in (1, 4, 7, 10)]
    print(f"backtest for the Track record page: {len(origins)} origins", file=sys.stderr)
    store_result(backtest(hist, origins, [3, 12], paths=300, seed=0), results_db_path())
    app = create_app()
    svc = app.state.services
    svc.outlook()  # the simulator's forecast; the combined forecast follows in the background
    for _ in range(600):
        if svc.outlook()["combination"]["status"] != "computing":
            break
        time.sleep(1)
    with serve_in_thread(app) as url, sync_playwright() as pw, launch_chromium(pw) as ctx:
        page = ctx.new_page()
        page.set_default_timeout(180_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path, name in PAGES:
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            if name == "policies":
                page.click("#run")
                page.wait_for_selector("#bars .main-svg")
            page.wait_for_timeout(300)
            target = outdir / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            print(f"wrote {target}", file=sys.stderr)
        if errors:
            print("page errors: " + "; ".join(errors), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
