"""Vintages of the history: ``standoff history update`` and ``standoff history vintages``.

A *vintage* is one complete set of history tables as obtained on a date. The bundled tables
are the vintage ``bundled``; every ``standoff history update`` that changes something writes
a new vintage in the user data directory and keeps the earlier ones::

    <home>/vintages/<id>/tables/<table>.csv   the tables (the ``--history`` export format)
    <home>/vintages/<id>/sources/...           the source files it was built from (data/ layout)
    <home>/vintages/<id>/vintage.json          date obtained, source versions, coverage, fingerprint
    <home>/vintages/CURRENT                    the id of the latest vintage (one line)

``<home>`` is the directory of the history store (``$STANDOFF_HOME`` or the user data dir;
the directory of ``--db PATH`` when given). The package directory is never written.

An update is built and validated in a temporary directory, copied to
``<home>/vintages/.partial-*``, renamed into place (an atomic rename on one file system),
and only then is ``CURRENT`` replaced (write a temporary file, ``os.replace``). A failure or a
kill at any point leaves ``CURRENT`` naming the previous vintage, whose files are never
touched; leftovers of an interrupted update are removed by the next one.

The tables are rebuilt with the code of ``make data`` (:mod:`standoff.history.build`): each
table whose source files are given is rebuilt from them; the others are carried over from the
current vintage. The result is validated exactly like ``--history DIR``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from standoff.errors import DataError, UsageError
from standoff.history.sources_online import AUX_FILES, SOURCE_GROUPS, SourceGroup

BUNDLED = "bundled"
POINTER = "CURRENT"
META = "vintage.json"
#: date column of each dated table (coverage is extended to the latest of these)
DATE_COL = {
    "launches": "date",
    "nuclear_tests": "date",
    "sanctions": "date",
    "diplomacy": "date_start",
    "provocations": "date",
    "events": "date_start",
}
#: key column of each table in the diff
KEYS = {"coverage": "table", "leaders": "leader"}
#: an update removing more rows than this from a table is refused unless allowed
MAX_REMOVED = (5, 0.02)
MAX_DOWNLOAD = 64 * 2**20  # bytes per file fetched with --online


def vintages_root(db: str | Path | None = None) -> Path:
    """``<home>/vintages``: beside the history store (``--db``'s directory when given)."""
    from standoff.store.duckdb_store import default_db_path

    base = Path(db).parent if db is not None else default_db_path().parent
    return base / "vintages"


@dataclass
class Vintage:
    """One set of history tables as obtained on a date."""

    id: str
    obtained: str  # YYYY-MM-DD: the date the sources were obtained
    fingerprint: str  # sha256 of the tables (the history store's fingerprint)
    coverage: dict[str, dict] = field(default_factory=dict)  # table -> {start, end}
    sources: dict[str, dict] = field(default_factory=dict)  # group -> version info
    rows: dict[str, int] = field(default_factory=dict)
    created: str | None = None  # UTC time the vintage was written
    base: str | None = None  # the vintage it was updated from
    path: Path | None = None  # None for the bundled vintage

    @property
    def tables_dir(self) -> Path:
        if self.path is None:
            from standoff.history.core import bundled_dir

            return bundled_dir()
        return self.path / "tables"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["path"] = None if self.path is None else str(self.path)
        return d


# ---------------------------------------------------------------------- listing and resolving
def _fingerprint_dir(tables_dir: Path) -> str:
    from standoff.history.core import _read_texts
    from standoff.store.duckdb_store import fingerprint

    return fingerprint(_read_texts(tables_dir))


def _coverage_of(tables: dict[str, pd.DataFrame]) -> dict[str, dict]:
    cov = tables["coverage"]
    return {
        r["table"]: {"start": str(r["start"].date()), "end": str(r["end"].date())}
        for _, r in cov.iterrows()
    }


def _rows_of(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    return {n: int(len(df)) for n, df in tables.items() if n in DATE_COL}


@lru_cache(maxsize=1)
def bundled_vintage() -> Vintage:
    """The tables installed with the package. Its date obtained is the latest date they cover
    (the exact download dates are in ``data/README.md``)."""
    from standoff.history.core import _parse_dir, bundled_dir

    d = bundled_dir()
    tables = _parse_dir(d)
    cov = _coverage_of(tables)
    sources = {
        g.key: {"origin": "bundled", "version": g.bundled_version, "licence": g.licence}
        for g in SOURCE_GROUPS.values()
    }
    return Vintage(
        id=BUNDLED,
        obtained=max(c["end"] for c in cov.values()),
        fingerprint=_fingerprint_dir(d),
        coverage=cov,
        sources=sources,
        rows=_rows_of(tables),
    )


#: largest vintage description read (they are a few KiB)
META_MAX_BYTES = 1 << 20


def _read_meta(path: Path) -> Vintage | None:
    from standoff.limits import load_json_bounded, read_bounded

    try:
        data = read_bounded(path / META, META_MAX_BYTES, "vintage description")
        meta = load_json_bounded(data, str(path / META))
        if not isinstance(meta, dict):
            return None
        return Vintage(**{**meta, "path": path})
    except (OSError, ValueError, TypeError):  # DataError is a ValueError
        return None  # not a (complete) vintage


def list_vintages(root: Path, *, include_bundled: bool = True) -> list[Vintage]:
    """Every complete vintage under ``root``, oldest first (the bundled one first)."""
    out = [bundled_vintage()] if include_bundled else []
    if root.is_dir():
        found = [
            v
            for p in sorted(root.iterdir())
            if p.is_dir() and not p.name.startswith(".")
            for v in [_read_meta(p)]
            if v is not None
        ]
        out += sorted(found, key=lambda v: (v.created or "", v.id))
    return out


def current_id(root: Path) -> str:
    """The id named by ``CURRENT`` (``bundled`` when there is none)."""
    from standoff.limits import read_text_bounded

    p = root / POINTER
    if not os.path.lexists(p) or not p.parent.is_dir():
        return BUNDLED  # no update yet (or no usable store directory: the bundled tables)
    vid = read_text_bounded(p, 4096, "current-vintage pointer").strip()
    return vid or BUNDLED


def resolve(root: Path, vintage: str | None = None, *, full: bool = True) -> Vintage:
    """The vintage ``vintage`` (an id, a unique prefix, ``latest`` or ``bundled``).

    ``full=False`` skips describing the bundled vintage (only its id and tables are needed).
    """
    vid = current_id(root) if vintage in (None, "", "latest") else str(vintage)
    if vid == BUNDLED:
        return bundled_vintage() if full else Vintage(BUNDLED, "", "")
    exact = root / vid
    if (exact / META).is_file():
        v = _read_meta(exact)
        if v is not None:
            return v
        raise DataError(f"{exact / META}: not a readable vintage description")
    hits = [v for v in list_vintages(root, include_bundled=False) if v.id.startswith(vid)]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join([BUNDLED, *(v.id for v in list_vintages(root, include_bundled=False))])
    what = "ambiguous" if hits else "unknown"
    if vintage in (None, "", "latest"):
        raise DataError(f"{root / POINTER}: names {vid!r}, which is not a vintage (known: {known})")
    raise UsageError(f"--vintage: {what} vintage {vid!r} (known: {known})")


def latest_obtained_by(root: Path, date: pd.Timestamp) -> Vintage:
    """The newest vintage obtained on or before ``date`` (for ``History.as_of(D, vintage='known')``)."""
    ok = [v for v in list_vintages(root) if pd.Timestamp(v.obtained) <= date]
    if not ok:
        from standoff.errors import LookAheadError

        raise LookAheadError(
            f"vintage: no vintage was obtained on or before {date.date()} "
            f"(the oldest is {min(v.obtained for v in list_vintages(root))})"
        )
    return max(ok, key=lambda v: (v.obtained, v.created or ""))


def vintages_frame(root: Path) -> pd.DataFrame:
    """One row per vintage: id, current, date obtained, created, base, coverage ends, sources."""
    cur = current_id(root)
    rows = []
    for v in list_vintages(root):
        rows.append(
            {
                "id": v.id,
                "current": v.id == cur,
                "obtained": v.obtained,
                "created": v.created,
                "base": v.base,
                "fingerprint": v.fingerprint[:16],
                "launches_to": v.coverage.get("launches", {}).get("end"),
                "latest_coverage": max((c["end"] for c in v.coverage.values()), default=None),
                "sources": "; ".join(
                    f"{k}: {s.get('version') or s.get('origin')}" for k, s in v.sources.items()
                ),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------- reading source copies
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _find(src: Path, name: str, subdir: str) -> Path | None:
    for cand in (src / subdir / name, src / name, src / Path(subdir).name / name):
        if cand.is_file():
            return cand
    return None


def collect(src: Path) -> tuple[dict[str, dict[str, Path]], dict[str, Path]]:
    """Source files found in ``src`` (data/ layout or flat): group -> {file: path}, aux files."""
    if not src.is_dir():
        raise UsageError(f"--from: {src}: expected a directory of source files")
    groups: dict[str, dict[str, Path]] = {}
    for g in SOURCE_GROUPS.values():
        found = {f: p for f in g.files if (p := _find(src, f, g.subdir)) is not None}
        if not found:
            continue
        missing = [f for f in g.required if f not in found]
        if missing:
            raise UsageError(
                f"--from: {src}: found {', '.join(found)} but not {', '.join(missing)} "
                f"({g.title} needs {', '.join(g.required)})"
            )
        groups[g.key] = found
    aux = {f: p for f, sub in AUX_FILES.items() if (p := _find(src, f, sub)) is not None}
    if not groups and not aux:
        expected = sorted({f for g in SOURCE_GROUPS.values() for f in g.files} | set(AUX_FILES))
        raise UsageError(
            f"--from: {src}: no source files found (expected any of {', '.join(expected)})"
        )
    return groups, aux


def _check_json(path: Path, data: bytes) -> object:
    """Parsed JSON, bounded: integers of at most 4,000 digits, nesting of at most 64 levels,
    valid Unicode (:func:`standoff.limits.load_json_bounded`)."""
    from standoff.limits import load_json_bounded

    try:
        return load_json_bounded(data, str(path))
    except DataError as exc:
        msg = str(exc)
        if "not valid JSON (" in msg and "for standoff" not in msg:
            msg += "; the copy looks truncated or corrupt"
        raise DataError(msg) from None


def _read_source(path: Path) -> bytes:
    """A source copy: a regular file of at most :data:`standoff.limits.SOURCE_MAX_BYTES`."""
    from standoff.limits import SOURCE_MAX_BYTES, read_bounded

    return read_bounded(path, SOURCE_MAX_BYTES, "source")


_CNS_FIELDS = ("date", "time", "missile", "facility", "landing", "apogee", "distance", "outcome")


def _check_cns(path: Path, obj: object, name: str) -> None:
    if name == "test.en.json":
        bins = obj.get("timeBins") if isinstance(obj, dict) else None
        if not isinstance(bins, list) or not bins:
            raise DataError(f"{path}: expected an object with a non-empty 'timeBins' list")
        for i, b in enumerate(bins):
            rows = b.get("data") if isinstance(b, dict) else None
            if not isinstance(rows, list):
                raise DataError(f"{path}: timeBins[{i}]: expected a 'data' list")
            for j, r in enumerate(rows):
                miss = [f for f in _CNS_FIELDS if not isinstance(r, dict) or f not in r]
                if miss:
                    raise DataError(
                        f"{path}: timeBins[{i}].data[{j}]: expected field(s) {', '.join(miss)}"
                    )
    elif name == "missile.en.json":
        if not isinstance(obj, dict) or not all(
            isinstance(v, dict) and "name" in v for v in obj.values()
        ):
            raise DataError(f"{path}: expected an object of missiles, each with a 'name'")
    elif name == "facility.en.json":
        if not isinstance(obj, dict) or not isinstance(obj.get("facilities"), dict):
            raise DataError(f"{path}: expected an object with a 'facilities' object")


def _check_csv(path: Path, data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: expected UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise DataError(f"{path}: expected a CSV table with a header row, got an empty file")
        for row in reader:
            if row and len(row) != len(header):
                raise DataError(
                    f"{path}: line {reader.line_num}: expected {len(header)} fields, got "
                    f"{len(row)}; the copy looks truncated or corrupt"
                )
    except csv.Error as exc:
        raise DataError(
            f"{path}: line {reader.line_num}: not valid CSV ({exc}); the copy looks truncated or corrupt"
        ) from None


_CSIS_COLUMNS = ("date", "type", "event", "description", "resources")


def _stage(groups, aux, staging: Path) -> dict[str, dict]:
    """Check every given file and copy it into ``staging`` (data/ layout); file versions."""
    versions: dict[str, dict] = {}
    for key, files in groups.items():
        g = SOURCE_GROUPS[key]
        info = {}
        for name, path in files.items():
            data = _read_source(path)
            if name.endswith(".json"):
                _check_cns(path, _check_json(path, data), name)
            else:
                _check_csv(path, data)
                if key == "csis":
                    head = next(csv.reader(io.StringIO(data.decode("utf-8"))))
                    miss = [c for c in _CSIS_COLUMNS if c not in head]
                    if miss:
                        raise DataError(f"{path}: missing column(s) {', '.join(miss)}")
            out = staging / g.subdir / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            info[name] = _sha(data)[:16]
        versions[key] = {"files": info}
    for name, path in aux.items():
        data = _read_source(path)
        _check_csv(path, data)
        out = staging / AUX_FILES[name] / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    return versions


def _synth_cns_lookups(staging: Path, launches: pd.DataFrame) -> list[str]:
    """missile/facility lookups rebuilt from the current launches table when not given."""
    g = SOURCE_GROUPS["cns"]
    d = staging / g.subdir
    made = []
    if not (d / "missile.en.json").exists():
        m = launches.drop_duplicates("missile_id")
        obj = {
            r["missile_id"]: {
                "name": r["missile"],
                "type": "Unknown" if r["type"] == "unknown" else r["type"],
            }
            for _, r in m.iterrows()
        }
        (d / "missile.en.json").write_text(json.dumps(obj, sort_keys=True), encoding="utf-8")
        made.append("missile.en.json")
    if not (d / "facility.en.json").exists():
        f = launches.drop_duplicates("facility_id")
        fac = {}
        for _, r in f.iterrows():
            e = {"name": r["facility"]}
            for k in ("lat", "lon"):
                v = r[f"facility_{k}"]
                if v is not None and not pd.isna(v):
                    e[k] = float(v)
            fac[r["facility_id"]] = {k: v for k, v in e.items() if v is not None}
        (d / "facility.en.json").write_text(
            json.dumps({"facilities": fac}, sort_keys=True), encoding="utf-8"
        )
        made.append("facility.en.json")
    return made


# ---------------------------------------------------------------------- building
def _build_group(g: SourceGroup, staging: Path, cur: dict[str, pd.DataFrame]) -> pd.DataFrame:
    from standoff.history import build

    leaders = cur["leaders"]
    try:
        if g.key == "cns":
            return build.build_launches(staging, leaders)
        if g.key == "csis":
            return build.build_provocations(staging)
        if g.key == "unsc":
            check = (staging / build.VETO_FILE).is_file()
            return build.build_sanctions(staging, check_vetoes=check)
        if g.key == "diplomacy":
            return build.build_diplomacy(staging)
        if g.key == "events":
            return build.build_events(staging)
        if g.key == "nuclear":
            return build.build_nuclear_tests(staging, leaders)
    except DataError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        files = ", ".join(g.files)
        raise DataError(
            f"{g.subdir}/{files}: cannot build table '{g.table}' ({type(exc).__name__}: {exc})"
        ) from None
    raise AssertionError(g.key)  # pragma: no cover


def _extend_coverage(
    cov: pd.DataFrame, tables: dict[str, pd.DataFrame], rebuilt: list[str], obtained: str
) -> pd.DataFrame:
    cov = cov.copy()
    for t in rebuilt:
        df = tables[t]
        if df.empty:
            continue
        last = pd.Timestamp(df[DATE_COL[t]].max())
        i = cov.index[cov["table"] == t]
        if len(i) and last > cov.loc[i[0], "end"]:
            cov.loc[i[0], "end"] = last
            note = cov.loc[i[0], "note"] or ""
            cov.loc[i[0], "note"] = (
                f"{note} [extended to {last.date()}, the latest row of the copy obtained {obtained}]"
            ).strip()
    return cov


def rebuild(
    cur: dict[str, pd.DataFrame],
    staging: Path,
    groups: list[str],
    aux: list[str],
    obtained: str,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The new base tables: rebuilt groups from ``staging``, the rest from ``cur``."""
    from standoff.history.build import _read_curated
    from standoff.history.schema import BASE_TABLES, validate_frame

    notes = []
    tables = {n: cur[n] for n in BASE_TABLES}
    if "sources.csv" in aux:
        tables["sources"] = validate_frame(
            "sources", _read_curated(staging, "sources.csv"), "sources.csv"
        )
    rebuilt = []
    for key in groups:
        g = SOURCE_GROUPS[key]
        if key == "cns":
            made = _synth_cns_lookups(staging, cur["launches"])
            if made:
                notes.append(
                    f"{', '.join(made)} not given: missile and facility names taken from the "
                    "current vintage (new ids keep their id as name, type unknown)"
                )
        if key == "unsc" and not (staging / "raw/unsc_vetoes").is_dir():
            notes.append("unsc_vetoes_1946_sept2022.csv not given: vetoed drafts not cross-checked")
        tables[g.table] = _build_group(g, staging, cur)
        rebuilt.append(g.table)
    if "coverage.csv" in aux:
        tables["coverage"] = validate_frame(
            "coverage", _read_curated(staging, "coverage.csv"), "coverage.csv"
        )
    else:
        tables["coverage"] = _extend_coverage(cur["coverage"], tables, rebuilt, obtained)
    return tables, notes


# ---------------------------------------------------------------------- the diff
def _as_text_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    from standoff.history.schema import to_csv_text

    return pd.read_csv(io.StringIO(to_csv_text(name, df)), dtype=str, keep_default_na=False)


def diff_tables(
    old: dict[str, pd.DataFrame],
    new: dict[str, pd.DataFrame],
    old_monthly: pd.DataFrame | None = None,
    new_monthly: pd.DataFrame | None = None,
) -> dict:
    """Rows added, removed and changed per table (with the changed fields), coverage extended,
    and the monthly panel cells that moved."""
    out: dict = {"tables": {}, "coverage": {}, "monthly": {}}
    for name in new:
        key = KEYS.get(name, "id")
        a = _as_text_frame(name, old[name]).set_index(key)
        b = _as_text_frame(name, new[name]).set_index(key)
        added = [k for k in b.index if k not in a.index]
        removed = [k for k in a.index if k not in b.index]
        both = a.index.intersection(b.index, sort=False)
        aa, bb = a.loc[both], b.loc[both, a.columns]
        neq = aa.to_numpy() != bb.to_numpy()
        changed = []
        for i in np.flatnonzero(neq.any(axis=1)):
            cols = a.columns[neq[i]]
            changed.append(
                {
                    "id": both[i],
                    "fields": {c: [aa.iloc[i][c] or None, bb.iloc[i][c] or None] for c in cols},
                }
            )
        out["tables"][name] = {
            "rows_before": int(len(a)),
            "rows_after": int(len(b)),
            "added": added,
            "removed": removed,
            "changed": changed,
        }
    oc = old["coverage"].set_index("table")
    nc = new["coverage"].set_index("table")
    for t in nc.index:
        o_end = oc["end"].get(t)
        n_end = nc.loc[t, "end"]
        if o_end is None or pd.Timestamp(o_end) != pd.Timestamp(n_end):
            out["coverage"][t] = {
                "end_before": None if o_end is None else str(pd.Timestamp(o_end).date()),
                "end_after": str(pd.Timestamp(n_end).date()),
                "days": None
                if o_end is None
                else int((pd.Timestamp(n_end) - pd.Timestamp(o_end)).days),
            }
    if old_monthly is not None and new_monthly is not None:
        out["monthly"] = diff_monthly(old_monthly, new_monthly)
    return out


def diff_monthly(old: pd.DataFrame, new: pd.DataFrame) -> dict:
    """Cells of the monthly panel that moved (months in both panels) and months added."""
    a = _as_text_frame("monthly", old).set_index("month")
    b = _as_text_frame("monthly", new).set_index("month")
    cols = [c for c in b.columns if c in a.columns]
    both = a.index.intersection(b.index, sort=False)
    aa, bb = a.loc[both, cols], b.loc[both, cols]
    neq = aa.to_numpy() != bb.to_numpy()
    cells = [
        {
            "month": both[i],
            "column": cols[j],
            "before": aa.iat[i, j] or None,
            "after": bb.iat[i, j] or None,
        }
        for i, j in zip(*np.nonzero(neq), strict=True)
    ]
    return {
        "months_added": [m for m in b.index if m not in a.index],
        "months_removed": [m for m in a.index if m not in b.index],
        "cells_changed": cells,
        "panel_end_before": a.index[-1] if len(a) else None,
        "panel_end_after": b.index[-1] if len(b) else None,
    }


def diff_summary(diff: dict) -> dict[str, dict[str, int]]:
    """Counts per table: added, removed, changed."""
    return {
        n: {k: len(d[k]) for k in ("added", "removed", "changed")}
        for n, d in diff["tables"].items()
    }


# ---------------------------------------------------------------------- update
@dataclass
class UpdateResult:
    base: Vintage
    vintage: Vintage | None  # the new vintage (None when nothing changed)
    diff: dict
    written: bool
    dry_run: bool
    notes: list[str]

    def to_dict(self) -> dict:
        return {
            "base": self.base.id,
            "vintage": None if self.vintage is None else self.vintage.to_dict(),
            "written": self.written,
            "dry_run": self.dry_run,
            "changed": self.vintage is not None,
            "summary": diff_summary(self.diff),
            "notes": self.notes,
            "diff": self.diff,
        }


def fetch_url(url: str) -> bytes:
    """Download ``url`` (``--online`` only; bounded size and time)."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, headers={"User-Agent": "standoff history update"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # https URLs from the registry only
            data = r.read(MAX_DOWNLOAD + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise UsageError(f"--online: cannot fetch {url} ({getattr(exc, 'reason', exc)})") from None
    if len(data) > MAX_DOWNLOAD:
        raise DataError(f"{url}: larger than {MAX_DOWNLOAD // 2**20} MB; refusing")
    return data


def _download(dest: Path, fetch: Callable[[str], bytes]) -> dict[str, str]:
    urls = {}
    for g in SOURCE_GROUPS.values():
        for name, url in g.urls.items():
            p = dest / g.subdir / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(fetch(url))
            urls[name] = url
    return urls


def update(
    root: Path,
    from_dir: str | Path | None = None,
    *,
    online: bool = False,
    dry_run: bool = False,
    allow_removals: bool = False,
    today: str | dt.date | None = None,
    fetch: Callable[[str], bytes] | None = None,
    progress: Callable[[str], None] | None = None,
) -> UpdateResult:
    """Build a new vintage from newer copies of the sources (see the module docstring).

    Exactly one of ``from_dir`` and ``online``. ``dry_run`` computes the diff and writes
    nothing. Raises :class:`DataError` (a bad source file) or :class:`UsageError` (bad
    arguments); in every failure the current vintage stays as it was.
    """
    from standoff.history.build import render_tables, write_tables
    from standoff.history.core import History
    from standoff.history.panel import build_monthly
    from standoff.history.schema import BASE_TABLES
    from standoff.store.duckdb_store import fingerprint

    say = progress or (lambda _msg: None)
    if (from_dir is None) == (not online):
        raise UsageError("history update: give exactly one of --from DIR and --online")
    obtained = str(pd.Timestamp(today or dt.datetime.now(dt.UTC).date()).date())
    base = resolve(root)
    say(f"current vintage: {base.id}")
    cur = History.load(base.tables_dir, store=False).tables

    with tempfile.TemporaryDirectory(prefix="standoff-update-") as tmp:
        tmp = Path(tmp)
        urls: dict[str, str] = {}
        if online:
            say("downloading the sources")
            src = tmp / "download"
            urls = _download(src, fetch or fetch_url)
        else:
            src = Path(from_dir)
        groups, aux = collect(src)
        stage = tmp / "vintage"
        say(f"checking {', '.join([*groups, *aux])}")
        versions = _stage(groups, aux, stage / "sources")
        say("rebuilding the tables")
        tables, notes = rebuild(cur, stage / "sources", list(groups), list(aux), obtained)
        texts = render_tables(tables)
        write_tables(texts, stage / "tables")
        # validated exactly like --history DIR
        new = History.load(stage / "tables", store=False).tables
        fp = fingerprint({n: texts[n] for n in BASE_TABLES})
        diff = diff_tables(cur, new, build_monthly(cur), build_monthly(new))
        _guard_removals(diff, groups, src, allow_removals)
        if fp == base.fingerprint:
            return UpdateResult(
                base,
                None,
                diff,
                False,
                dry_run,
                [*notes, "no change: same tables as the current vintage"],
            )
        sources = dict(base.sources)
        for key, info in versions.items():
            g = SOURCE_GROUPS[key]
            t = new[g.table]
            last = t[DATE_COL[g.table]].max() if len(t) else None
            origin = "; ".join(urls[f] for f in info["files"] if f in urls) or str(src)
            sources[key] = {
                "origin": origin,
                "obtained": obtained,
                "files": info["files"],
                "version": f"{'online' if online else 'copy'} of {obtained}, sha256 "
                + ",".join(v[:8] for v in info["files"].values()),
                "rows": int(len(t)),
                "last_date": None
                if last is None or pd.isna(last)
                else str(pd.Timestamp(last).date()),
                "licence": g.licence,
            }
        vid = f"{obtained}-{fp[:8]}"
        vint = Vintage(
            id=vid,
            obtained=obtained,
            fingerprint=fp,
            coverage=_coverage_of(new),
            sources=sources,
            rows=_rows_of(new),
            created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            base=base.id,
        )
        if dry_run:
            return UpdateResult(base, vint, diff, False, True, notes)
        say(f"writing vintage {vid}")
        vint.path = commit(root, stage, vint)
        return UpdateResult(base, vint, diff, True, False, notes)


def _guard_removals(diff: dict, groups, src: Path, allow: bool) -> None:
    if allow:
        return
    lo, share = MAX_REMOVED
    for key in groups:
        g = SOURCE_GROUPS[key]
        d = diff["tables"][g.table]
        n = len(d["removed"])
        if n > max(lo, share * d["rows_before"]):
            raise DataError(
                f"{src}: {', '.join(g.files[:1])}: {n} of {d['rows_before']} {g.table} rows would be "
                "removed; the copy looks truncated (check it, or pass --allow-removals)"
            )


# ---------------------------------------------------------------------- atomic commit
def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(root: Path, vid: str) -> None:
    tmp = root / f".{POINTER}.{os.getpid()}.tmp"
    tmp.write_text(vid + "\n", encoding="utf-8")
    _fsync_file(tmp)
    os.replace(tmp, root / POINTER)
    _fsync_file(root)


def _cleanup(root: Path) -> None:
    """Remove leftovers of interrupted updates (``.partial-*`` dirs, pointer temp files)."""
    for p in root.glob(".partial-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(f".{POINTER}.*.tmp"):
        p.unlink(missing_ok=True)


class _Lock:
    """One update at a time per store (an advisory lock, released when the process dies)."""

    def __init__(self, root: Path):
        self.path = root / ".lock"
        self.fh = None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return self
        self.fh = open(self.path, "w")  # held until __exit__
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            raise DataError(f"{self.path.parent}: another update is running; try again") from None
        return self

    def __exit__(self, *exc):
        if self.fh is not None:
            self.fh.close()


def commit(root: Path, stage: Path, vint: Vintage) -> Path:
    """Move a built vintage into ``root`` and make it current, atomically."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _Lock(root):
            return _commit_locked(root, stage, vint)
    except OSError as exc:
        raise DataError(f"{root}: cannot write the new vintage ({exc.strerror or exc})") from None


def _commit_locked(root: Path, stage: Path, vint: Vintage) -> Path:
    _cleanup(root)
    final = root / vint.id
    if not (final / META).is_file():
        partial = root / f".partial-{vint.id}-{os.getpid()}"
        _copy_tree(stage, partial)
        meta = {k: v for k, v in vint.to_dict().items() if k != "path"}
        (partial / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        for p in sorted(partial.rglob("*")):
            if p.is_file():
                _fsync_file(p)
        if final.exists():  # a leftover without its description: replace it
            shutil.rmtree(final)
        os.rename(partial, final)
    _write_pointer(root, vint.id)
    return final


def set_current(root: Path, vintage: str) -> Vintage:
    """Make an existing vintage the current one (``bundled`` removes the pointer's effect)."""
    v = resolve(root, vintage)
    root.mkdir(parents=True, exist_ok=True)
    _write_pointer(root, v.id)
    return v
