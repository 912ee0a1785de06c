"""``standoff history update`` and vintages: exact diff, dry run, bad copies, interrupted updates,
as-of by vintage, the online registry (served from recorded copies, never fetched)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from standoff.errors import DataError, LookAheadError, UsageError
from standoff.history import History
from standoff.history import vintages as V

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "data" / "vintages" / "update1"  # 20 added, 2 revised, 1 deleted launch
RAW = ROOT / "data" / "raw"
CSIS = RAW / "csis_provocations" / "north_korea_provocations_1958_present.csv"


def _tree(p: Path) -> list[str]:
    return sorted(str(q.relative_to(p)) for q in p.rglob("*")) if p.exists() else []


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    """A store updated once from the recorded copy (API, fixed date obtained)."""
    home = tmp_path_factory.mktemp("home")
    root = V.vintages_root(home / "history.duckdb")
    res = V.update(root, FIX, today="2026-11-30")
    return home, root, res


def test_update_gives_exactly_the_recorded_changes(updated):
    _, root, res = updated
    s = V.diff_summary(res.diff)
    assert s["launches"] == {"added": 20, "removed": 1, "changed": 2}
    assert s["coverage"] == {"added": 0, "removed": 0, "changed": 1}
    for t in (
        "sources",
        "leaders",
        "nuclear_tests",
        "sanctions",
        "diplomacy",
        "provocations",
        "events",
    ):
        assert s[t] == {"added": 0, "removed": 0, "changed": 0}, t
    la = res.diff["tables"]["launches"]
    assert la["removed"] == ["cns-2023-03-15-01"]
    assert {c["id"]: c["fields"] for c in la["changed"]} == {
        "cns-2017-07-28-01": {"apogee_km": ["3724.9", "999.0"], "distance_km": ["998.0", "1234.0"]},
        "cns-2022-11-18-01": {
            "apogee_km": ["6100.0", "999.0"],
            "distance_km": ["1000.0", "1234.0"],
        },
    }
    assert la["rows_before"] == 339 and la["rows_after"] == 358
    assert all(i.startswith("cns-2026-") for i in la["added"])
    assert res.diff["coverage"] == {
        "launches": {"end_before": "2026-04-18", "end_after": "2026-10-20", "days": 185}
    }
    m = res.diff["monthly"]
    assert m["months_added"] == ["2026-08", "2026-09"]
    moved = {(c["month"], c["column"]): (c["before"], c["after"]) for c in m["cells_changed"]}
    # the deleted launch was an ICBM on a day of its own (2023-03-15)
    assert moved[("2023-03", "launches")] == ("12", "11")
    assert moved[("2023-03", "launches_icbm")] == ("1", "0")
    # the months between the old and the new end of the launch data become observed
    assert moved[("2026-05", "launches")] == (None, "2")
    assert all(
        c["month"] in ("2023-03", "2026-04", "2026-05", "2026-06", "2026-07")
        for c in m["cells_changed"]
    )


def test_update_writes_a_new_vintage_and_keeps_the_old(updated):
    home, root, res = updated
    assert res.written and res.vintage.id == f"2026-11-30-{res.vintage.fingerprint[:8]}"
    assert V.current_id(root) == res.vintage.id
    ids = [v.id for v in V.list_vintages(root)]
    assert ids == ["bundled", res.vintage.id]
    fr = V.vintages_frame(root)  # the DataFrame the web app shows
    assert fr["id"].tolist() == ids and fr["current"].tolist() == [False, True]
    assert fr["launches_to"].tolist() == ["2026-04-18", "2026-10-20"]
    latest = History.load(db=home / "history.duckdb")
    assert latest.vintage == res.vintage.id and len(latest.launches) == 358
    assert latest.coverage_end("launches").date().isoformat() == "2026-10-20"
    old = History.load(db=home / "history.duckdb", vintage="bundled")
    assert len(old.launches) == 339
    # the stored vintage is the --history export format and carries its source copy
    vdir = root / res.vintage.id
    assert (vdir / "tables" / "launches.csv").is_file()
    assert (vdir / "sources" / "raw" / "cns_missile_tests_via_nagix" / "test.en.json").is_file()
    meta = json.loads((vdir / "vintage.json").read_text())
    assert (
        meta["sources"]["cns"]["rows"] == 358
        and meta["sources"]["cns"]["last_date"] == "2026-10-20"
    )
    assert meta["base"] == "bundled" and meta["obtained"] == "2026-11-30"
    # the package was not written
    assert not any(p.name.endswith(".tmp") for p in V.bundled_vintage().tables_dir.iterdir())


def test_same_copy_again_changes_nothing(updated):
    _, root, res = updated
    again = V.update(root, FIX, today="2026-12-01")
    assert again.vintage is None and not again.written
    assert V.current_id(root) == res.vintage.id
    assert all(sum(c.values()) == 0 for c in V.diff_summary(again.diff).values())


def test_full_data_dir_rebuilds_the_bundled_tables_exactly(tmp_path):
    """Same code as `make data`: the repository's data/ gives the bundled vintage, unchanged."""
    root = V.vintages_root(tmp_path / "h.duckdb")
    res = V.update(root, ROOT / "data", dry_run=True)
    assert res.vintage is None
    assert all(sum(c.values()) == 0 for c in V.diff_summary(res.diff).values())


def test_dry_run_writes_nothing(run_cli, tmp_path):
    db = tmp_path / "h.duckdb"
    before = _tree(tmp_path)
    code, out, err = run_cli("--db", db, "history", "update", "--from", FIX, "--dry-run", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["dry_run"] and not d["written"] and d["summary"]["launches"]["added"] == 20
    assert _tree(tmp_path) == before


def test_update_text_output_and_vintages_json(run_cli, tmp_path):
    db = tmp_path / "h.duckdb"
    code, out, err = run_cli("--db", db, "history", "update", "--from", FIX)
    assert code == 0, err
    assert "cns-2023-03-15-01" in out and "apogee_km: 3724.9 -> 999.0" in out
    assert "2026-04-18 -> 2026-10-20" in out and "Wrote vintage" in out
    code, out, err = run_cli("--db", db, "history", "vintages", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert [v["id"] for v in d["vintages"]][0] == "bundled"
    assert d["current"] == d["vintages"][-1]["id"] and d["vintages"][-1]["current"]
    assert d["vintages"][-1]["coverage"]["launches"]["end"] == "2026-10-20"
    assert d["vintages"][0]["coverage"]["launches"]["end"] == "2026-04-18"
    # --vintage selects; an unknown one is a usage error
    code, out, _ = run_cli("--db", db, "--vintage", "bundled", "history", "summary", "--json")
    assert code == 0 and json.loads(out)["missiles"] == 339
    code, out, _ = run_cli("--db", db, "history", "summary", "--json")
    assert json.loads(out)["missiles"] == 358
    code, _, err = run_cli("--db", db, "--vintage", "nope", "history", "summary")
    assert code == 2 and "--vintage: unknown vintage 'nope'" in err
    # going back to the bundled vintage
    code, _, _ = run_cli("--db", db, "history", "vintages", "--use", "bundled")
    assert code == 0 and V.current_id(V.vintages_root(db)) == "bundled"


def _copy_with(tmp_path: Path, name: str, data: bytes) -> Path:
    d = tmp_path / "copy"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(data)
    return d


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("test.en.json", lambda b: b[: len(b) // 2], "test.en.json: not valid JSON"),
        ("test.en.json", lambda b: b"", "test.en.json: not valid JSON"),
        (
            "test.en.json",
            lambda b: b'{"timeBins": [{"data": [{"date": "2026-01-01"}]}]}',
            "expected field(s)",
        ),
        (CSIS.name, lambda b: b[: len(b) // 2], "looks truncated"),
        (CSIS.name, lambda b: b[: b.rfind(b"\n", 0, len(b) // 2) + 1], "rows would be removed"),
        (CSIS.name, lambda b: b.replace(b"Missile", b"Missle", 1), "unknown provocation type"),
    ],
)
def test_corrupt_or_truncated_copy_is_refused(run_cli, tmp_path, updated, name, make, expected):
    home, root, res = updated
    # a private copy of the updated store
    db = tmp_path / "home" / "history.duckdb"
    shutil.copytree(root, V.vintages_root(db))
    src = FIX / "test.en.json" if name == "test.en.json" else CSIS
    d = _copy_with(tmp_path, name, make(src.read_bytes()))
    before = _tree(V.vintages_root(db))
    code, out, err = run_cli("--db", db, "history", "update", "--from", d)
    assert code == 2, err
    last = err.strip().splitlines()[-1]  # progress lines come first, then one error line
    assert last.startswith("error: ") and err.count("error:") == 1 and expected in last
    assert name in last and "Traceback" not in err
    assert _tree(V.vintages_root(db)) == before
    assert V.current_id(V.vintages_root(db)) == res.vintage.id
    assert len(History.load(db=db).launches) == 358


def test_injected_failure_while_switching_leaves_the_old_vintage(tmp_path, monkeypatch):
    root = V.vintages_root(tmp_path / "h.duckdb")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(V, "_write_pointer", boom)
    with pytest.raises(DataError, match="cannot write the new vintage"):
        V.update(root, FIX)
    assert V.current_id(root) == "bundled"
    assert len(History.load(db=tmp_path / "h.duckdb").launches) == 339


_KILL = """
import os, signal, shutil, sys
from pathlib import Path
from standoff.history import vintages as V
stage = sys.argv[3]
def half_copy(src, dst):
    files = sorted(p for p in Path(src).rglob('*') if p.is_file())
    for p in files[: len(files) // 2]:
        q = Path(dst) / p.relative_to(src)
        q.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, q)
    os.kill(os.getpid(), signal.SIGKILL)
def kill_on_pointer(root, vid):
    os.kill(os.getpid(), signal.SIGKILL)
if stage == "copy":
    V._copy_tree = half_copy
else:
    V._write_pointer = kill_on_pointer
V.update(Path(sys.argv[1]), Path(sys.argv[2]))
"""


@pytest.mark.parametrize("stage", ["copy", "pointer"])
def test_kill_9_half_way_leaves_the_store_readable_on_the_old_vintage(tmp_path, stage):
    db = tmp_path / "h.duckdb"
    root = V.vintages_root(db)
    env = {**os.environ, "STANDOFF_HOME": str(tmp_path / "unused")}
    p = subprocess.run(
        [sys.executable, "-c", _KILL, str(root), str(FIX), stage],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert p.returncode == -9, p.stderr.decode()
    assert V.current_id(root) == "bundled"
    h = History.load(db=db)
    assert h.vintage == "bundled" and len(h.launches) == 339
    # the next update cleans up and succeeds
    res = V.update(root, FIX)
    assert V.current_id(root) == res.vintage.id
    assert not list(root.glob(".partial-*")) and not list(root.glob(".CURRENT.*"))


def test_as_of_by_vintage(updated):
    home, root, res = updated
    h = History.load(db=home / "history.duckdb")
    # a vintage obtained after the cut is refused; 'known' picks the newest obtained by then
    with pytest.raises(LookAheadError, match="obtained on 2026-11-30, after the cut 2026-09-01"):
        h.as_of("2026-09-01", vintage=res.vintage.id)
    k = h.as_of("2026-09-01", vintage="known")
    assert k.vintage == "bundled" and len(k.launches) == 339
    k2 = h.as_of("2026-12-01", vintage="known")
    assert k2.vintage == res.vintage.id and len(k2.launches) == 358
    # revisions are invisible before the vintage that made them was obtained
    assert (k.launches["id"] == "cns-2023-03-15-01").any()
    assert not (k2.launches["id"] == "cns-2023-03-15-01").any()
    with pytest.raises(LookAheadError, match="no vintage was obtained on or before 2020-01-01"):
        h.as_of("2020-01-01", vintage="known")


def test_online_uses_the_registry_and_is_served_recorded_copies(tmp_path):
    from standoff.history.sources_online import SOURCE_GROUPS, online_sources

    listed = online_sources()
    assert listed and all(s["url"].startswith("https://") and s["licence"] for s in listed)
    served = {
        "test.en.json": FIX / "test.en.json",
        "missile.en.json": RAW / "cns_missile_tests_via_nagix" / "missile.en.json",
        "facility.en.json": RAW / "cns_missile_tests_via_nagix" / "facility.en.json",
        CSIS.name: CSIS,
    }
    asked = []

    def fake_fetch(url: str) -> bytes:
        asked.append(url)
        return served[url.rsplit("/", 1)[1]].read_bytes()

    root = V.vintages_root(tmp_path / "h.duckdb")
    res = V.update(root, online=True, fetch=fake_fetch, today="2026-11-30")
    assert sorted(asked) == sorted(s["url"] for s in listed)
    assert V.diff_summary(res.diff)["launches"] == {"added": 20, "removed": 1, "changed": 2}
    assert V.diff_summary(res.diff)["provocations"] == {"added": 0, "removed": 0, "changed": 0}
    assert res.vintage.sources["cns"]["origin"].startswith(
        "https://raw.githubusercontent.com/nagix/"
    )
    assert "csis" in res.vintage.sources and set(SOURCE_GROUPS) >= set(res.vintage.sources)


def test_update_needs_exactly_one_source(run_cli, tmp_path):
    code, _, err = run_cli("--db", tmp_path / "h.duckdb", "history", "update")
    assert code == 2 and "exactly one of --from DIR and --online" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(
        "--db", tmp_path / "h.duckdb", "history", "update", "--from", tmp_path / "empty"
    )
    assert code == 2 and "no source files found" in err


def test_one_update_at_a_time(tmp_path):
    root = V.vintages_root(tmp_path / "h.duckdb")
    root.mkdir(parents=True)
    with V._Lock(root), pytest.raises(DataError, match="another update is running"):
        V.update(root, FIX)
    assert V.current_id(root) == "bundled"
    assert V.update(root, FIX).written  # the lock is released


def test_unsc_curated_copy_adds_a_resolution(tmp_path):
    """UN Security Council documents come as the curated CSVs: a copy with one more resolution
    (a fixture, not a real one) rebuilds the sanctions table and extends its coverage."""
    import csv

    cur = ROOT / "data" / "curated"
    d = tmp_path / "unsc"
    d.mkdir()
    for name, key in (
        ("unsc_resolutions_dprk.csv", "resolution"),
        ("sanctions_measures.csv", "document"),
    ):
        with open(cur / name, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        new = dict(next(r for r in rows if r[key] == "2397"), **{key: "2999"})
        if "date" in new:
            new["date"] = "2026-10-01"
        with open(d / name, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows([*rows, new])
    res = V.update(V.vintages_root(tmp_path / "h.duckdb"), d, dry_run=True)
    sa = res.diff["tables"]["sanctions"]
    assert sa["added"] == ["UNSCR-2999"] and not sa["removed"] and not sa["changed"]
    assert res.diff["coverage"]["sanctions"]["end_after"] == "2026-10-01"
    assert V.diff_summary(res.diff)["launches"] == {"added": 0, "removed": 0, "changed": 0}
    assert any("vetoed drafts not cross-checked" in n for n in res.notes)
    # one of the pair alone is refused: the two files are coded together
    (d / "sanctions_measures.csv").unlink()
    with pytest.raises(UsageError, match="needs unsc_resolutions_dprk.csv, sanctions_measures.csv"):
        V.update(V.vintages_root(tmp_path / "h.duckdb"), d, dry_run=True)


def test_cached_summary_follows_the_latest_vintage(run_cli, tmp_path, monkeypatch):
    """The start-up cache of `history summary` (default store) is keyed on the latest vintage."""
    monkeypatch.setenv("STANDOFF_HOME", str(tmp_path / "home"))
    for _ in range(2):  # computed, then served from the cache
        code, out, err = run_cli("history", "summary", "--json")
        assert code == 0 and json.loads(out)["missiles"] == 339, err
    code, _, err = run_cli("history", "update", "--from", FIX)
    assert code == 0, err
    for _ in range(2):
        code, out, err = run_cli("history", "summary", "--json")
        assert code == 0 and json.loads(out)["missiles"] == 358, err
    code, out, _ = run_cli("--vintage", "bundled", "history", "summary", "--json")
    assert json.loads(out)["missiles"] == 339
