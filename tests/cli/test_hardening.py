"""Regression tests: every bad input of issue 12's "Why" (input side) ends with exit 2 and
one line, at most 500 characters, naming the file or flag; nothing written on failure."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from standoff.bargaining import example_path

HISTORY = Path(__file__).resolve().parents[2] / "src" / "standoff" / "data" / "history"


def one_line_error(code: int, err: str, *needles: str) -> str:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: ") and len(line) <= 500, line[:600]
    assert "internal error" not in line
    for n in needles:
        assert n in line, line
    return line


@pytest.fixture
def hist_dir(tmp_path):
    d = tmp_path / "h"
    shutil.copytree(HISTORY, d)
    (d / "monthly.csv").unlink()
    return d


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")


# ------------------------------------------------------------------ forecast flags
@pytest.mark.parametrize(
    "args, needle",
    [
        (["--as-of", "1900-01-01"], "as_of: expected a date from 1984-01-01"),
        (["--as-of", "2100-01-01"], "(today + 31 days), got 2100-01-01"),
        (["--as-of", "2018-01-01", "--seed", "-1"], "--seed: expected an integer in [0, "),
        (
            ["--as-of", "2018-01-01", "--paths", "1000000000"],
            "--paths: expected an integer in [2, 10000000]",
        ),
        (
            ["--as-of", "2018-01-01", "--paths", "5000000", "--horizon", "600"],
            "above the 2 GiB budget",
        ),
        (["--as-of", "2018-01-01", "--seed", "99999999999999999999"], "--seed"),
    ],
)
def test_forecast_flags_exit_2(run_cli, args, needle):
    code, out, err = run_cli("forecast", *args)
    one_line_error(code, err, needle)
    assert out == ""


def test_compare_memory_budget_counts_policies(run_cli):
    code, _, err = run_cli("compare", "--paths", "3000000", "--horizon", "24")
    one_line_error(code, err, "3 policies", "2 GiB budget")


def test_db_directory_exit_2(run_cli, tmp_path):
    code, _, err = run_cli("--db", str(tmp_path), "history", "summary")
    one_line_error(code, err, "is a directory")
    code, _, err = run_cli("--db", ".", "history", "summary")
    one_line_error(code, err, "is a directory")


# ------------------------------------------------------------------ history tables
def test_history_coverage_duplicated_table(run_cli, hist_dir):
    cov = hist_dir / "coverage.csv"
    lines = cov.read_text().splitlines(keepends=True)
    cov.write_text("".join([*lines, lines[1]]))
    code, _, err = run_cli("--history", hist_dir, "history", "summary")
    line = len(lines) + 1  # the appended copy of the first row (the header is line 1)
    one_line_error(code, err, f"coverage.csv: line {line}, column 'table'", "'launches' twice")


def test_history_every_table_starts_after_as_of(run_cli, hist_dir):
    cov = hist_dir / "coverage.csv"
    text = cov.read_text()
    for start in ("1984-01-01", "1994-01-01", "1958-02-16", "2018-01-01"):
        text = text.replace(f",{start},", ",2019-01-01,")
    cov.write_text(text)
    code, _, err = run_cli("--history", hist_dir, "history", "summary", "--as-of", "2010-01-01")
    one_line_error(code, err, "as_of: expected a date from 2019-01-01 (start of the record)")


def test_history_header_only_launches_falls_back(run_cli, hist_dir):
    p = hist_dir / "launches.csv"
    p.write_text(p.read_text().splitlines()[0] + "\n")
    code, out, err = run_cli(
        "--history", hist_dir, "forecast", "--as-of", "2018-01-01", "--paths", "200", "--seed", "1"
    )
    assert code == 0, err  # no launch at all: the launch rate falls back to its moments
    assert "Forecast as of 2018-01-01" in out


@pytest.mark.parametrize(
    "table, old, new, needle",
    [
        ("sanctions", ",2,2,", ",7,2,", "expected an integer in [0, 2], got '7'"),
        ("sanctions", ",2,2,", ",-2,2,", "expected an integer in [0, 2], got '-2'"),
        ("nuclear_tests", ",1,2006-10-09", ",99999999999999999999,2006-10-09", "[1, 1000]"),
        ("launches", "40.849997", "1e308", "column 'facility_lat': expected a number in [-90, 90]"),
        ("launches", "1984-04-09,day", "2100-04-09,day", "expected a date from 1900-01-01"),
    ],
)
def test_history_values_outside_their_domain(run_cli, hist_dir, table, old, new, needle):
    _edit(hist_dir / f"{table}.csv", old, new)
    code, _, err = run_cli("--history", hist_dir, "history", "summary")
    one_line_error(code, err, f"{table}.csv: line", needle)


# ------------------------------------------------------------------ YAML
@pytest.fixture
def scenario_text():
    from standoff.scenario.spec import bundled_scenarios

    return bundled_scenarios()["korea-2018"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (
            lambda t: t.replace("name: korea-2018", "name: korea-2018\nname: again", 1),
            "duplicate key",
        ),
        (lambda t: t + "x: " + "[" * 1000 + "]" * 1000 + "\n", "nesting deeper than 64"),
        (
            lambda t: (
                "a: &a ["
                + ",".join(["lol"] * 9)
                + "]\n"
                + "".join(
                    f"l{i}: &l{i} [" + ",".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 9) + "]\n"
                    for i in range(1, 10)
                )
                + t
            ),
            "once aliases are expanded",
        ),
        (lambda t: t.replace("schema_version: 1", "schema_version: yes"), "expected the integer 1"),
        (lambda t: t.replace("value: 100", "value: yes", 1), "valid number, got True"),
        (lambda t: t.replace("name: korea-2018", 'name: "\\ud800"', 1), "valid Unicode"),
    ],
)
def test_scenario_yaml_refused_quickly(run_cli, tmp_path, scenario_text, mutate, needle):
    p = tmp_path / "s.yaml"
    p.write_text(mutate(scenario_text), encoding="utf-8")
    t0 = time.perf_counter()
    code, _, err = run_cli("scenario", "validate", p)
    one_line_error(code, err, str(p), needle)
    assert time.perf_counter() - t0 < 60  # a hang guard (the alias bomb took 60 s and 1.5 GB)


def test_claims_yaml_duplicate_key(tmp_path):
    from standoff.errors import ClaimsError
    from standoff.history.claims import bundled_claims, load_claims

    text = bundled_claims()["korea-2018"].read_text(encoding="utf-8")
    p = tmp_path / "c.yaml"
    p.write_text(text.replace("title:", "title: x\ntitle:", 1), encoding="utf-8")

    with pytest.raises(ClaimsError, match="duplicate key 'title'"):
        load_claims(p)


# ------------------------------------------------------------------ backtest and brief
def test_backtest_to_bounded(run_cli):
    code, _, err = run_cli("backtest", "--to", "9999-12", "--paths", "10", "--no-store")
    one_line_error(code, err, "--to: expected a month up to")


def test_backtest_every_origin_fails_exit_2(run_cli, tmp_path):
    report = tmp_path / "r.html"
    code, out, err = run_cli(
        "backtest", "--from", "1984-01", "--to", "1984-02", "--paths", "10", "--report", report
    )
    one_line_error(code, err, "all 2 origins failed, nothing to score", "2 x UsageError")
    assert not report.exists()


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JavaScript:x", "data:text/html,<b>x</b>", "//evil.org/x"]
)
def test_brief_backtest_report_link_refused(run_cli, tmp_path, link):
    out = tmp_path / "b.html"
    code, _, err = run_cli("brief", "--out", out, "--backtest-report", link)
    one_line_error(code, err, "--backtest-report: expected a relative path or an http(s) URL")
    assert not out.exists()


def test_safe_links_are_kept_and_escaped():
    from standoff.limits import check_link

    assert check_link("backtest.html") == "backtest.html"
    assert check_link("https://example.org/r?a=1&b=2") == "https://example.org/r?a=1&b=2"


# ------------------------------------------------------------------ games
def test_game_parameter_1e308_exit_2(run_cli):
    code, _, err = run_cli("game", "sanctions", "--k-t", "1e308")
    one_line_error(code, err, "'k_t': expected a value in [0, 1000], got 1e+308")
    code, _, err = run_cli("scenario", "validate", "korea-2018")
    assert code == 0


def test_qre_failure_is_explained(run_cli, monkeypatch):
    from standoff.games import _tree

    monkeypatch.setattr(_tree, "_MAX_QRE_STEPS", 2)
    code, _, err = run_cli("game", "sanctions", "--lam", "1000")
    one_line_error(code, err, "lam: the QRE continuation did not reach lam=1000")


# ------------------------------------------------------------------ bargaining inputs
def _ktab(path: Path, n: int, name=lambda i: f"A{i}", infl=lambda i: "1") -> Path:
    rows = [f"T,desc,{n},1,", "Actor,Description,Influence,D Position,D Salience,"]
    rows += [f"{name(i)},d,{infl(i)},{(37 * i) % 101},50," for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "make, needle",
    [
        (lambda p: _ktab(p, 3, name=lambda i: "X" * 1_000_000 if i == 0 else f"A{i}"), "line 3"),
        (
            lambda p: _ktab(p, 3, infl=lambda i: "1e308"),
            "capability: expected a value in [0, 1e+12]",
        ),
        (lambda p: _ktab(p, 20_000), "expected numActors in [2, 5000], got 20000"),
    ],
)
def test_bargain_bad_ktab_exit_2(run_cli, tmp_path, make, needle):
    p = make(tmp_path / "k.csv")
    code, out, err = run_cli("bargain", p, "--model", "eum")
    one_line_error(code, err, str(p), needle)
    assert out == ""


def test_bargain_dev_zero_and_directories(run_cli, tmp_path):
    code, _, err = run_cli("bargain", "/dev/zero")
    one_line_error(code, err, "/dev/zero: expected a regular CSV file")
    code, _, err = run_cli("bargain", tmp_path)
    one_line_error(code, err, "found a directory")


def test_bargain_file_size_cap(run_cli, tmp_path, monkeypatch):
    from standoff import limits

    monkeypatch.setattr(limits, "CSV_MAX_BYTES", 1000)
    monkeypatch.setattr("standoff.bargaining.inputs.CSV_MAX_BYTES", 1000)
    p = _ktab(tmp_path / "k.csv", 200)
    code, _, err = run_cli("bargain", p)
    one_line_error(code, err, "a CSV file may be at most")


def test_lone_surrogate_in_names(run_cli, tmp_path):
    p = tmp_path / "s.csv"
    p.write_bytes(b"actor,capability,position,salience\n\xed\xa0\x80,1,0,0.5\nB,1,1,0.5\n")
    code, _, err = run_cli("bargain", p)
    one_line_error(code, err, "expected UTF-8 text")
    from standoff.bargaining.inputs import make_problem
    from standoff.errors import DataError

    with pytest.raises(DataError, match="valid Unicode"):
        make_problem(["\ud800", "b"], [1, 1], [0, 1], [1, 1])
    # a surrogate-escaped file name (undecodable bytes on the command line) prints safely
    bad = os.fsdecode(b"\xff-missing.csv")
    code, _, err = run_cli("bargain", bad)
    one_line_error(code, err, "file not found")


def test_bargain_scale_in_file_and_flag(run_cli, tmp_path):
    import json

    code, out, err = run_cli("bargain", example_path(), "--model", "eum", "--json")
    assert code == 0, err
    assert json.loads(out)["scale"] == [4.0, 10.0]  # 'Years Position [4 .. 10]'
    code, out, err = run_cli("bargain", example_path(), "--scale", "0,12", "--json")
    assert code == 0, err
    assert json.loads(out)["scale"] == [0.0, 12.0]
    code, _, err = run_cli("bargain", example_path(), "--scale", "5,10")
    one_line_error(code, err, "expected a position in [5, 10], got '4'")
    code, _, err = run_cli("bargain", example_path(), "--scale", "10,4")
    one_line_error(code, err, "--scale: expected finite MIN < MAX")


# ================================================================== issue 21 (second audit)
# Every reproducer of issue 21 that is not about the web app or --db (tests/web,
# tests/store): a one-line exit 2 or correct output, nothing written on failure.
MARKUP = "[/x] [link=http://e.x]c[/link] [bold]b[/bold] :smile:"


def test_data_is_never_read_as_markup_in_query_results(run_cli):
    parts = MARKUP.split(" ")
    cols = ", ".join(f"'{p}' AS c{k}" for k, p in enumerate(parts))
    code, out, err = run_cli("history", "query", f'SELECT {cols}, 1 AS "[/h]"')
    assert code == 0, err
    for p in [*parts, "[/h]"]:
        assert p in out, (p, out)
    assert "\x1b]8;" not in out  # no terminal hyperlink escape
    code, out, err = run_cli("history", "query", f"SELECT '{MARKUP}' AS m", "--json")
    assert code == 0 and MARKUP in out, err


def test_data_is_never_read_as_markup_in_claims_and_actor_names(run_cli, tmp_path):
    claims = tmp_path / "c.yaml"
    claims.write_text(
        f'title: "{MARKUP}"\nas_of: 2018-01-01\nclaims:\n- id: "[/i]"\n  text: "{MARKUP}"\n'
        "  checks:\n  - query: SELECT 1\n    op: eq\n    value: 1\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("history", "claims", claims)
    assert code == 0, err
    assert "[/x]" in out and "[link=http://e.x]" in out
    csv = tmp_path / "k.csv"
    csv.write_text("actor,capability,position,salience\n[/x],1,0,1\n[link=http://e]A,1,1,1\n")
    code, out, err = run_cli("bargain", csv, "--model", "eum")
    assert code == 0, err
    assert "[/x]" in out and "[link=http://e]A" in out


def test_a_history_path_with_markup_is_printed_as_is(run_cli, tmp_path):
    d = tmp_path / "[/x][link=http:" / "e]h"
    code, _, err = run_cli("--history", d, "history", "summary")
    line = one_line_error(code, err)
    assert "[/x][link=http:/e]h" in line


def test_own_styles_stay_and_nothing_else_is_styled():
    from rich.console import Console

    from standoff.cli._common import SafeConsole

    c = SafeConsole(record=True, width=200, force_terminal=True)
    c.print("[bold]Heading[/bold] of [/x] and [link=http://e]y[/link]")
    text = c.export_text(clear=False)
    assert text.startswith("Heading of [/x] and [link=http://e]y[/link]")
    styled = c.export_text(styles=True)
    assert "\x1b[1mHeading" in styled and "\x1b]8;" not in styled
    assert isinstance(c, Console)


QUERY_TYPES = (
    "SELECT uuid() AS u, INTERVAL '1 year 2 months 3 days' AS i, '\\x00ab'::BLOB AS b, "
    "1.25::DECIMAL(38,10) AS d, 170141183460469231731687303715884105727::HUGEINT AS h, "
    "340282366920938463463374607431768211455::UHUGEINT AS uh, '12:00:00+02'::TIMETZ AS tz, "
    "'0101'::BIT AS bits, [1, 2] AS l, {'a': uuid(), 'n': 'nan'::DOUBLE} AS s, "
    "MAP(['k'], [INTERVAL 1 DAY]) AS m, 'infinity'::DATE AS inf, "
    "TIMESTAMP '294247-01-10 00:00:00' AS far, TIMESTAMP '-290000-01-01' AS before"
)


def test_every_duckdb_type_prints_as_json_csv_and_table(run_cli):
    import json

    code, out, err = run_cli("history", "query", QUERY_TYPES, "--json")
    assert code == 0, err
    row = json.loads(out)[0]
    assert len(row["u"]) == 36 and row["i"] == "1 year 2 months 3 days"
    assert row["b"] == "\\x00ab" and row["d"] == 1.25
    assert row["h"] == 2**127 - 1 and row["uh"] == 2**128 - 1  # exact integers
    assert row["tz"].startswith("12:00:00") and row["bits"] == "0101"
    assert row["l"] == [1, 2] and "'a':" in row["s"] or isinstance(row["s"], (dict, str))
    assert row["inf"] == "infinity" and row["far"].startswith("294247-01-10")
    code, out, err = run_cli("history", "query", QUERY_TYPES, "--format", "csv")
    assert code == 0 and "infinity" in out and "1 year 2 months 3 days" in out, err
    narrow = "SELECT 'infinity'::DATE AS inf, 2::HUGEINT AS h, '0101'::BIT AS b"
    code, out, err = run_cli("history", "query", narrow)
    assert code == 0 and "infinity" in out and "0101" in out, err


@pytest.mark.parametrize(
    "sql, needle",
    [
        ("UPDATE EXTENSIONS", "statements of this type are not allowed"),
        ("EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1", "EXPLAIN ANALYZE"),
        ("explain analyse select 1", "EXPLAIN ANALYZE"),
        ("/* x */ EXPLAIN -- y\n ANALYZE SELECT 1", "EXPLAIN ANALYZE"),
        ("EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", "EXPLAIN ANALYZE"),
        ("EXPLAIN CREATE TABLE t AS SELECT 1", "EXPLAIN of anything but one SELECT"),
        ("SELECT * FROM checkpoint()", "checkpoint() acts on the database"),
        ("SELECT * FROM force_checkpoint()", "force_checkpoint() acts"),
        ("SELECT '\ud800'", "valid Unicode"),
        ("SELECT '\udcff' || 'x'", "valid Unicode"),
    ],
)
def test_statements_that_execute_or_cannot_be_read_are_refused(run_cli, sql, needle):
    code, out, err = run_cli("history", "query", sql)
    one_line_error(code, err, "query:", needle)
    assert out == ""


def test_explain_of_a_select_still_shows_the_plan(run_cli):
    code, out, err = run_cli("history", "query", "EXPLAIN SELECT count(*) FROM launches")
    assert code == 0 and "explain_value" in out, err


def test_integers_longer_than_python_prints_are_refused(run_cli, tmp_path, scenario_text):
    big = "9" * 4301
    scn = tmp_path / "s.yaml"
    scn.write_text(scenario_text.replace("value: 100", f"value: {big}", 1), encoding="utf-8")
    code, _, err = run_cli("scenario", "validate", scn)
    one_line_error(code, err, "s.yaml", "an integer of 4301 digits (at most 4000)")
    claims = tmp_path / "c.yaml"
    claims.write_text(
        f"title: t\nas_of: 2018-01-01\nclaims:\n- id: a\n  text: x\n  checks:\n"
        f"  - query: SELECT 1\n    op: eq\n    value: {big}\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("history", "claims", claims)
    one_line_error(code, err, "c.yaml", "4301 digits")
    code, _, err = run_cli("brief", "--claims", claims, "--out", tmp_path / "b.html")
    one_line_error(code, err, "4301 digits")
    assert not (tmp_path / "b.html").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["bargain", "{long}.csv"],
        ["scenario", "validate", "{long}.yaml"],
        ["history", "claims", "{long}.yaml"],
        ["--db", "{long}.duckdb", "history", "summary"],
        ["--history", "{long}", "history", "summary"],
        ["history", "update", "--from", "{long}"],
    ],
)
def test_over_long_file_names_are_one_line(run_cli, tmp_path, args):
    long = str(tmp_path / ("x" * 300))
    code, out, err = run_cli(*[a.replace("{long}", long) for a in args])
    one_line_error(code, err)
    assert "internal error" not in err and sorted(p.name for p in tmp_path.iterdir()) == []


def test_history_update_bounds_size_and_nesting(run_cli, tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "test.en.json", "wb") as f:  # a 6 GB sparse file: never read
        f.truncate(6 * 2**30)
    code, _, err = run_cli("history", "update", "--from", big)
    one_line_error(code, err, "test.en.json", "at most 64 MiB")
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "test.en.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run_cli("history", "update", "--from", deep)
    one_line_error(code, err, "test.en.json", "nested deeper than 64 levels")
    (deep / "test.en.json").write_text('{"timeBins": [{"data": [' + "1" * 5000 + "]}]}")
    code, _, err = run_cli("history", "update", "--from", deep)
    one_line_error(code, err, "5000 digits")


def test_bargain_ensemble_bounded_before_it_starts(run_cli):
    code, out, err = run_cli("bargain", example_path(), "--model", "eum", "--ensemble", "1000000")
    one_line_error(code, err, "--ensemble: expected a number of runs in [1, 100000]")
    code, out, err = run_cli("bargain", example_path(), "--model", "eum", "--ensemble", "100000")
    line = one_line_error(code, err, "--ensemble: the work is estimated at", "budget of 2 min")
    assert "use at most" in line and out == ""
    code, out, err = run_cli(
        "bargain", example_path(), "--model", "compromise", "--ensemble", "200", "--seed", "1"
    )
    assert code == 0, err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["forecast", "--scenario", ""], "--scenario: expected a value, got an empty one"),
        (["forecast", "--scenario="], "--scenario: expected a value"),
        (["bargain", "--scenario", " "], "--scenario: expected a value"),
        (["history", "query", "SELECT 1", "--format", ""], "--format: expected a value"),
    ],
)
def test_empty_names_are_refused(run_cli, args, needle):
    code, out, err = run_cli(*args)
    one_line_error(code, err, needle)
    assert out == ""


def test_claims_share_one_time_budget_per_file(run_cli, tmp_path, monkeypatch):
    """Three runaway as-of dates stop within the file's one budget (they used to get 30 s
    each); the dates after the first are never started."""
    monkeypatch.setattr("standoff.history.claims.CLAIMS_TIME_LIMIT_S", 1.0)
    runaway = "SELECT count(*) FROM range(1000000000000) t(a), range(10) u(b)"
    claims = "".join(
        f"- id: c{y}\n  text: t\n  as_of: {y}-01-01\n  checks:\n"
        f"  - query: {runaway}\n    op: ge\n    value: 0\n"
        for y in (2005, 2010, 2015)
    )
    f = tmp_path / "c.yaml"
    f.write_text(f"title: t\nas_of: 2018-01-01\nclaims:\n{claims}", encoding="utf-8")
    code, _, err = run_cli("history", "claims", f)
    one_line_error(code, err, "c.yaml: claims[0]", "ran past the time limit (1 s)")


def test_a_failed_command_leaves_no_store_file(run_cli, tmp_path):
    d = tmp_path / "new"
    d.mkdir()
    code, _, err = run_cli("--db", d / "h.duckdb", "forecast", "--scenario", "no-such")
    one_line_error(code, err, "no-such")
    code, _, err = run_cli("--db", d / "h.duckdb", "sensitivity", "--resume", "nope")
    one_line_error(code, err, "--resume")
    assert list(d.iterdir()) == []  # neither the history store nor a results store


def test_a_failed_command_leaves_the_results_store_unchanged(run_cli, tmp_path, monkeypatch):
    import duckdb

    db = tmp_path / "h.duckdb"
    args = ["--db", db, "forecast", "--record", "--raw", "--as-of", "2018-01-01"]
    args += ["--paths", "200", "--horizon", "3", "--seed", "1"]
    code, _, err = run_cli(*args)
    assert code == 0, err
    results = tmp_path / "results.duckdb"

    def rows():
        with duckdb.connect(str(results), read_only=True) as con:
            names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
            return {
                n: sorted(map(str, con.execute(f'SELECT * FROM "{n}"').fetchall())) for n in names
            }

    before = rows()
    from standoff.errors import UsageError
    from standoff.forecast.results import ForecastResult

    def fail(self):  # a failure after the run was stored (e.g. the output cannot be written)
        raise UsageError("output: cannot be written")

    monkeypatch.setattr(ForecastResult, "war_risk", fail)
    code, _, err = run_cli(*args[:-1], "2")
    one_line_error(code, err, "output: cannot be written")
    assert rows() == before  # the run it added was removed again
