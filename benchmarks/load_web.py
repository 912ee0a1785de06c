"""Bounded load test of ``standoff serve`` on 127.0.0.1 (``make load``); stops by itself.

Starts the app in a subprocess on a free port, warms it (the outlook, then the policy
comparison of the Policies page: 10,000 paths x 24 months x 3 policies, timed), then runs
``CLIENTS`` concurrent httpx clients, each sending ``ROUNDS`` x (GET /api/outlook, POST
/api/compare with the same body, i.e. a cached comparison). Prints p50/p95/max latency,
errors and throughput, and exits 1 if any request failed.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

CLIENTS = int(os.environ.get("STANDOFF_LOAD_CLIENTS", "200"))
ROUNDS = int(os.environ.get("STANDOFF_LOAD_ROUNDS", "5"))
DEADLINE_S = 600
COMPARE = {
    "scenario": "korea-now",
    "compare": ["status-quo", "phased-relief", "maximum-pressure"],
    "paths": 10_000,
    "horizon": 24,
    "seed": 2026,
}


def _free_port() -> int:
    from standoff.web.testing import free_port

    return free_port()


async def _client(http: httpx.AsyncClient, lat: dict, errors: list) -> None:
    for _ in range(ROUNDS):
        for name, call in (
            ("outlook", lambda: http.get("/api/outlook")),
            ("compare", lambda: http.post("/api/compare", json=COMPARE)),
        ):
            t = time.perf_counter()
            try:
                r = await call()
                ok = r.status_code == 200
            except httpx.HTTPError as exc:
                ok, r = False, exc
            lat[name].append(time.perf_counter() - t)
            if not ok:
                errors.append(f"{name}: {getattr(r, 'status_code', r)}")


def _q(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[int(q) - 1] if len(xs) > 1 else xs[0]


async def main() -> int:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "STANDOFF_HOME": os.environ.get("STANDOFF_HOME") or tempfile.mkdtemp()}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from standoff.cli.main import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
            for _ in range(600):
                try:
                    if (await http.get("/api/scenarios")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            t = time.perf_counter()
            (await http.get("/api/outlook")).raise_for_status()
            print(
                f"warm-up: outlook (fit + 10,000 x 24 simulation) {time.perf_counter() - t:.2f} s"
            )
            t = time.perf_counter()
            (await http.post("/api/compare", json=COMPARE)).raise_for_status()
            print(
                f"warm-up: compare 10,000 x 24 x 3, first (with its fit) {time.perf_counter() - t:.2f} s"
            )
            t = time.perf_counter()
            (await http.post("/api/compare", json={**COMPARE, "seed": 7})).raise_for_status()
            print(
                f"compare 10,000 x 24 x 3, model fitted (new seed): {time.perf_counter() - t:.2f} s"
            )
            lat: dict[str, list[float]] = {"outlook": [], "compare": []}
            errors: list[str] = []
            t0 = time.perf_counter()
            await asyncio.wait_for(
                asyncio.gather(*(_client(http, lat, errors) for _ in range(CLIENTS))),
                timeout=DEADLINE_S,
            )
            wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(timeout=20)
    n = sum(len(v) for v in lat.values())
    print(
        f"{CLIENTS} concurrent clients x {ROUNDS} rounds: {n} requests in {wall:.1f} s ({n / wall:.0f}/s)"
    )
    for name, xs in lat.items():
        print(
            f"  {name:8s} n={len(xs)} p50 {1000 * statistics.median(xs):.0f} ms, "
            f"p95 {1000 * _q(xs, 95):.0f} ms, max {1000 * max(xs):.0f} ms"
        )
    allx = [x for xs in lat.values() for x in xs]
    print(f"  all      p95 {1000 * _q(allx, 95):.0f} ms; errors {len(errors)}")
    if errors:
        print("  first errors: " + "; ".join(errors[:5]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
