"""A small cache of ``standoff history summary`` so that the command starts fast.

Computing the summary needs pandas and the DuckDB store (about 1 s of CPU, mostly imports).
The summary is a pure function of the bundled history tables and of the code that computes
it, so its result is kept as JSON in ``<store dir>/cache/`` under a key made of: the text of
every bundled table, the id of the latest vintage (``standoff history update``), the source of
the modules that compute it, and the arguments (``--by``, ``--as-of``). Any change to any of these is a new key (a miss: the
summary is computed the usual way and stored). Only the default store is cached: with
``--db`` or ``--history`` the summary is always computed.

This module imports nothing heavier than the standard library and platformdirs.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

#: the modules whose code decides what the summary says or which arguments are accepted
#: (a change in any of them is a new cache key, so a cached answer never outlives its code)
_CODE = (
    "history/core.py",
    "history/korea.py",
    "history/schema.py",
    "cases/case.py",
    "data/cases/korea/case.yaml",
    "_dates.py",
    "cli/history.py",
    "cli/main.py",
    "cli/_summary_cache.py",
)


def cache_dir() -> Path:
    """``<dir of the default history store>/cache`` (as :func:`default_db_path`, kept light)."""
    home = os.environ.get("STANDOFF_HOME")
    if home:
        return Path(home) / "cache"
    import platformdirs

    return Path(platformdirs.user_data_dir("standoff", appauthor=False)) / "cache"


def key(by: str | None, as_of: str | None) -> str | None:
    """The cache key of a summary of the bundled history, or None if it cannot be formed."""
    root = Path(str(resources.files("standoff")))
    h = hashlib.sha256(f"summary v1\0{by}\0{as_of}\0".encode())
    # the latest vintage (``standoff history update``): its id names immutable tables
    try:
        h.update(b"vintage\0" + (cache_dir().parent / "vintages" / "CURRENT").read_bytes())
    except OSError:
        h.update(b"vintage\0bundled")
    try:
        for rel in _CODE:
            h.update((root / rel).read_bytes())
        for p in sorted((root / "data" / "history").glob("*.csv")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    except OSError:
        return None
    return h.hexdigest()[:32]


def get(by: str | None, as_of: str | None) -> dict | None:
    k = key(by, as_of)
    if k is None:
        return None
    try:
        return json.loads((cache_dir() / f"summary-{k}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def put(by: str | None, as_of: str | None, summary: dict) -> None:
    """Store a summary (atomically; a failure to write is not an error: it is only a cache)."""
    k = key(by, as_of)
    if k is None:
        return
    d = cache_dir()
    tmp = d / f".summary-{k}.{os.getpid()}.tmp"
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
        tmp.replace(d / f"summary-{k}.json")
    except OSError:
        tmp.unlink(missing_ok=True)
