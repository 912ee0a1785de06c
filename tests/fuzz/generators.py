"""Hypothesis strategies for malformed inputs to every surface of the CLI.

Each strategy draws a *case*: the files to write (relative path -> bytes) and the command
line to run on them. The inputs start from valid material (a small scenario, a KTAB file,
the bundled history tables, valid flag values) and are then broken in the ways users and
hostile files break them: wrong types (``yes`` for a number), out-of-domain values,
duplicate keys, deep nesting, alias bombs, huge or non-UTF-8 text, lone surrogates,
truncation, missing or extra columns, header-only tables, 20-digit integers, 1e308.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from hypothesis import strategies as st

# ------------------------------------------------------------------ shared tokens
TOKENS = [
    "",
    " ",
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "7",
    "0.5",
    "100",
    "101",
    "1e308",
    "-1e308",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999",
    "-99999999999999999999",
    "true",
    "yes",
    "no",
    "null",
    "~",
    "1900-01-01",
    "2100-01-01",
    "2018-02-30",
    "0000-00-00",
    "9999-12-31",
    "2018-01-01",
    "2018-13",
    "x" * 3000,
    "a,b",
    '"',
    "'",
    "\n",
    "G1; nope",
    "\u00e9\u4e2d\U0001f600",
    "\x00",
    "[1, 2]",
    "{a: 1}",
    "&a [*a]",
    "javascript:alert(1)",
]
token = st.one_of(
    st.sampled_from(TOKENS),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)


@dataclass
class Case:
    """Files to write under a fresh directory and the argv to run there."""

    files: dict[str, bytes] = field(default_factory=dict)
    argv: list[str] = field(default_factory=list)
    what: str = ""


def _bytes(text: str) -> bytes:
    # lone surrogates cannot be encoded: write them as the (invalid) bytes they would be
    return text.encode("utf-8", "surrogatepass")


# ------------------------------------------------------------------ scenarios (YAML)
BASE_SCENARIO = {
    "schema_version": 1,
    "name": "fuzz",
    "title": "Fuzzed scenario",
    "as_of": "2018-01-01",
    "sources": [{"id": "S1", "citation": "Author (2018), Title"}],
    "actors": [
        {"id": "USA", "name": "United States", "capability": {"value": 100, "source": "S1"}},
        {"id": "PRK", "name": "North Korea", "capability": {"value": 10, "assumption": "x"}},
        {"id": "CHN", "name": "China", "capability": {"value": 50, "source": "S1"}},
    ],
    "issues": [
        {
            "id": "freeze",
            "title": "Freeze first",
            "scale": {"min": 0, "max": 100, "low": "no", "high": "yes"},
            "positions": {
                "USA": {
                    "position": {"value": 90, "source": "S1"},
                    "salience": {"value": 0.8, "assumption": "a"},
                },
                "PRK": {
                    "position": {"value": 10, "source": "S1"},
                    "salience": {"value": 0.9, "assumption": "a"},
                },
                "CHN": {
                    "position": {"value": 40, "source": "S1"},
                    "salience": {"value": 0.5, "assumption": "a"},
                },
            },
        }
    ],
    "policies": [
        {
            "id": "relief",
            "title": "Relief",
            "interventions": [
                {"kind": "sanctions", "start": 1, "delta": {"value": -5, "assumption": "a"}}
            ],
        }
    ],
    "games": {"iig": {"lam": {"value": 5, "assumption": "a"}}},
}


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _set(obj, path, value):
    if not path:
        return value
    import copy

    out = copy.deepcopy(obj)
    cur = out
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value
    return out


yaml_value = st.one_of(
    token,
    st.sampled_from([True, False, None, 1, 0, -1, 10**20, 1e308, float("nan"), [], {}]),
    st.lists(st.integers(), max_size=3),
)


@st.composite
def scenario_yaml(draw) -> bytes:
    kind = draw(st.integers(0, 9))
    doc = BASE_SCENARIO
    if kind <= 4:  # structural: change some values
        for _ in range(draw(st.integers(1, 3))):  # paths of the document as changed so far
            doc = _set(doc, draw(st.sampled_from(list(_paths(doc))[1:] or [()])), draw(yaml_value))
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    else:
        text = yaml.safe_dump(doc, sort_keys=False)
    if kind == 5:  # a duplicate key
        line = draw(st.sampled_from([ln for ln in text.splitlines() if ":" in ln]))
        text = text.replace(line, line + "\n" + line, 1)
    elif kind == 6:  # deep nesting (flow or block)
        depth = draw(st.sampled_from([70, 500, 1000]))
        text += "extra: " + "[" * depth + "]" * depth + "\n"
    elif kind == 7:  # alias expansion bomb
        lines = ["a: &a [" + ",".join(["lol"] * 9) + "]"]
        for i in range(1, draw(st.integers(2, 9))):
            lines.append(
                f"l{i}: &l{i} [" + ",".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 9) + "]"
            )
        text = "\n".join(lines) + "\n" + text
    elif kind == 8:  # truncation or garbage
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "\x00\xff", ": : :", "\t- ["]))
    elif kind == 9:  # a lone surrogate escape or a token spliced in
        text = text.replace(
            "United States", draw(st.sampled_from(['"\\ud800"', "\\ud800", "x" * 5000]))
        )
    return _bytes(text)


@st.composite
def scenario_case(draw) -> Case:
    cmd = draw(
        st.sampled_from(
            [
                ["scenario", "validate", "s.yaml"],
                ["bargain", "--scenario", "s.yaml"],
                ["scenario", "show", "s.yaml"],
            ]
        )
    )
    return Case({"s.yaml": draw(scenario_yaml())}, cmd, "scenario")


# ------------------------------------------------------------------ KTAB and plain CSVs
num = st.one_of(
    st.integers(0, 100).map(str),
    st.floats(0, 100, allow_nan=False).map(lambda v: f"{v:.3f}"),
)


@st.composite
def ktab_text(draw) -> str:
    n = draw(st.integers(0, 7))
    d = draw(st.integers(0, 3))
    bad = draw(st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.6, 1.0]))  # share of broken cells
    n_decl = str(n) if draw(st.integers(0, 3)) else draw(token)
    d_decl = str(d) if draw(st.integers(0, 3)) else draw(token)
    rows = [["T", draw(st.sampled_from(["desc", "x" * 200000, ""])), n_decl, d_decl, ""]]
    head = ["Actor", "Description", "Influence"]
    for k in range(d):
        pos = f"D{k} Position"
        if draw(st.integers(0, 5)) == 0:
            pos += draw(st.sampled_from([" [4 .. 10]", " [10 .. 4]", " [0 .. 1e400]", " [a .. b]"]))
        head += [pos, f"D{k} Salience"]
    rows.append([*head, ""])
    for i in range(n):
        name = draw(st.one_of(st.just(f"A{i}"), token)) if bad > 0.7 else f"A{i}"
        cells = [name, "d"]
        for k in range(1 + 2 * d):
            if bad and draw(st.floats(0, 1)) < bad:
                cells.append(draw(token))
            elif k and k % 2 == 0:  # a salience: KTAB wants an actor's saliences to sum <= 100
                cells.append(f"{draw(st.floats(0, 100 / max(d, 1))):.3f}")
            else:
                cells.append(draw(num))
        rows.append([*cells, ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@st.composite
def plain_csv_text(draw) -> str:
    n = draw(st.integers(0, 6))
    cols = draw(
        st.sampled_from(
            [
                ["actor", "capability", "position", "salience"],
                ["Name", "Influence", "Position", "Salience"],
                ["actor", "position", "salience"],
                ["actor", "capability", "position", "salience", "actor"],
            ]
        )
    )
    rows = [cols]
    for i in range(n):
        rows.append([f"A{i}"] + [draw(st.one_of(num, token)) for _ in cols[1:]])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@st.composite
def bargain_case(draw) -> Case:
    text = draw(st.one_of(ktab_text(), plain_csv_text()))
    model = draw(st.sampled_from(["compromise", "median", "nbs", "eum", "eum-scholz"]))
    argv = ["bargain", "b.csv", "--model", model]
    if model.startswith("eum") and draw(st.booleans()):
        argv += ["--rounds", draw(st.sampled_from(["1", "3", "0", "-1", "99999999999999999999"]))]
    if draw(st.integers(0, 4)) == 0:
        argv += ["--scale", draw(st.sampled_from(["0,100", "4,10", "10,4", "a,b", "0,1e400", "1"]))]
    if draw(st.integers(0, 4)) == 0:
        argv += ["--json"]
    return Case({"b.csv": _bytes(text)}, argv, "ktab")


# ------------------------------------------------------------------ history tables
HISTORY_TABLES = (
    "sources",
    "coverage",
    "leaders",
    "launches",
    "nuclear_tests",
    "sanctions",
    "diplomacy",
    "provocations",
    "events",
)


def small_history(src: Path, rows: int = 120) -> dict[str, str]:
    """The bundled tables with the two long ones cut to their first ``rows`` rows (valid)."""
    out = {}
    for name in HISTORY_TABLES:
        text = (src / f"{name}.csv").read_text(encoding="utf-8")
        if name in ("launches", "provocations"):
            parsed = list(csv.reader(io.StringIO(text)))
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(parsed[: rows + 1])
            text = buf.getvalue()
        out[name] = text
    return out


@st.composite
def history_case(draw, base: dict[str, str]) -> Case:
    files = {f"h/{n}.csv": t.encode() for n, t in base.items()}
    name = draw(st.sampled_from(HISTORY_TABLES))
    rows = list(csv.reader(io.StringIO(base[name])))
    kind = draw(st.integers(0, 9))
    if kind <= 3:  # a cell (header included) replaced by a token
        for _ in range(draw(st.integers(1, 3))):
            r = draw(st.integers(0, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(token)
    elif kind == 4:  # a column removed
        c = draw(st.integers(0, len(rows[0]) - 1))
        rows = [row[:c] + row[c + 1 :] for row in rows]
    elif kind == 5:  # a row duplicated (e.g. coverage.csv with one table twice)
        r = draw(st.integers(1, max(1, len(rows) - 1))) if len(rows) > 1 else 0
        rows.insert(r, list(rows[r]))
    elif kind == 6:  # header only
        rows = rows[:1]
    elif kind == 7:  # every date shifted after the as-of date / start later than the data
        rows = [
            [("2099-01-01" if len(v) == 10 and v[4:5] == "-" and v[7:8] == "-" else v) for v in row]
            for row in rows
        ]
    elif kind == 8:  # ragged rows
        rows.append(["only", "two"])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    data = _bytes(buf.getvalue())
    if kind == 9:
        data = draw(
            st.sampled_from([b"", b"\xff\xfe\x00garbage", b"\n\n\n", data[: len(data) // 2]])
        )
    files[f"h/{name}.csv"] = data
    cmd = draw(
        st.sampled_from(
            [
                ["history", "summary"],
                ["history", "timeline", "--from", "1990-01-01"],
                ["history", "summary", "--as-of", "2000-06-30"],
            ]
        )
    )
    return Case(files, ["--history", "h", *cmd], "history")


# ------------------------------------------------------------------ flags
date = st.one_of(
    st.sampled_from(["2018-01-01", "2010-06-30", "1984-01-01", "2026-08-20"]),
    st.sampled_from(["1900-01-01", "2100-01-01", "1983-12-31", "2018-02-30", "2018-1-1", "x", ""]),
    st.dates().map(str),
)
month = st.one_of(
    st.sampled_from(["2000-01", "2015-06", "9999-12", "0001-01", "1984-01", "2018-13", "x"]),
    st.dates().map(lambda d: d.strftime("%Y-%m")),
)
bad_int = st.one_of(
    st.sampled_from(["-1", "0", "1", "1000000000", "99999999999999999999", "1e3", "x", ""]),
    st.integers(-(10**22), 10**22).map(str),
)


@st.composite
def flags_case(draw) -> Case:
    """A command with at least one value drawn from a bad or extreme pool.

    Commands whose valid runs are long (forecast, compare, backtest, brief, evidence) always
    get one out-of-domain value, so every example ends at validation; the others (bargain on
    the bundled example, games, history) also run with valid values.
    """
    c = draw(st.integers(0, 7))
    if c == 0:
        argv = [
            "forecast",
            "--as-of",
            draw(st.sampled_from(["1900-01-01", "2100-01-01", "1983-12-31", "2018-02-30"])),
            "--paths",
            draw(st.one_of(bad_int, st.just("100"))),
            "--horizon",
            draw(st.one_of(bad_int, st.just("12"))),
        ]
    elif c == 1:
        argv = [
            "forecast",
            "--as-of",
            "2010-01-01",
            "--paths",
            draw(st.sampled_from(["1000000000", "5000000", "-1", "1", "99999999999999999999"])),
            "--horizon",
            draw(st.sampled_from(["600", "0", "601", "24"])),
            "--seed",
            draw(bad_int),
        ]
    elif c == 2:
        argv = [
            "compare",
            "--policies",
            draw(st.sampled_from(["status-quo,nope", "", ",", "status-quo,status-quo"])),
            "--paths",
            draw(bad_int),
        ]
    elif c == 3:
        argv = [
            "backtest",
            "--no-store",
            "--from",
            draw(month),
            "--to",
            draw(st.sampled_from(["9999-12", "0001-01", "1983-01", "x", "2018-13"])),
            "--horizons",
            draw(st.sampled_from(["12", "0", "121", "a", "", "1,2,3"])),
            "--paths",
            draw(st.one_of(bad_int, st.just("10"))),
        ]
    elif c == 4:
        argv = [
            "brief",
            "--out",
            "b.html",
            "--backtest-report",
            draw(
                st.sampled_from(
                    ["javascript:alert(1)", "data:text/html,x", "//evil", "a b", "x" * 3000, "\x00"]
                )
            ),
        ]
    elif c == 5:
        from standoff.bargaining import example_path

        argv = [
            "bargain",
            str(example_path()),
            "--model",
            draw(st.sampled_from(["eum", "compromise", "nbs", "eum-scholz", "nope"])),
        ]
        for flag, pool in (
            ("--rounds", st.one_of(bad_int, st.sampled_from(["1", "5"]))),
            ("--ensemble", st.sampled_from(["1", "5", "0", "-3", "x", "99999999999999999999"])),
            ("--noise", st.sampled_from(["0.05", "-1", "2", "nan", "inf", "1e308"])),
            ("--seed", st.one_of(bad_int, st.just("1"))),
            ("--scale", st.sampled_from(["4,10", "0,100", "10,4", "nan,1", "1", "a,b"])),
        ):
            if draw(st.booleans()):
                argv += [flag, draw(pool)]
    elif c == 6:
        from standoff.games.params import PARAMS

        model = draw(st.sampled_from(sorted(set(PARAMS) - {"iig", "kydd"})))
        name = draw(st.sampled_from(sorted(PARAMS[model])))
        value = draw(
            st.sampled_from(["1e308", "-1e308", "nan", "inf", "-1", "0", "1e400", "x", "1e3", "2"])
        )
        argv = ["game", model, f"--{name.replace('_', '-')}", value]
    else:
        argv = [
            "history",
            "timeline",
            "--from",
            draw(date),
            "--to",
            draw(date),
            "--as-of",
            draw(st.sampled_from(["1900-01-01", "2100-01-01", "2018-02-30", "2018-01-01"])),
        ]
    return Case({}, argv, "flags")


# ------------------------------------------------------------------ issue 21: SQL, claims, --db
#: text that broke the output or the parser in the second audit
HOSTILE = [
    "[/x]",
    "[link=http://evil.example]click[/link]",
    "[bold]b[/bold]",
    ":smile:",
    "\ud800",
    "\udcff",
    "9" * 4301,
    "x" * 3000,
    "",
    "'",
    "\x00",
]
#: SQL pieces: every DuckDB type the output must print, statements that must be refused
SQL_VALUES = [
    "uuid()",
    "INTERVAL '1 year 2 months 3 days'",
    "'\\x00ab'::BLOB",
    "1.25::DECIMAL(38,10)",
    "170141183460469231731687303715884105727::HUGEINT",
    "340282366920938463463374607431768211455::UHUGEINT",
    "'12:00:00+02'::TIMETZ",
    "'0101'::BIT",
    "[1, NULL, 3]",
    "{'a': uuid(), 'n': 'nan'::DOUBLE}",
    "MAP(['k'], [INTERVAL 1 DAY])",
    "'infinity'::DATE",
    "'-infinity'::TIMESTAMP",
    "TIMESTAMP '294247-01-10 00:00:00'",
    "TIMESTAMP '-290000-01-01'",
    "'nan'::DOUBLE",
    "'inf'::DOUBLE",
    "now()",
    "1::TINYINT",
    "union_value(k := 1)",
    "[[1.5, NULL]]",
    "NULL",
]
SQL_STATEMENTS = [
    "UPDATE EXTENSIONS",
    "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
    "EXPLAIN ANALYZE SELECT 1",
    "EXPLAIN (ANALYZE) SELECT 1",
    "EXPLAIN SELECT 1",
    "EXPLAIN CREATE TABLE t AS SELECT 1",
    "SELECT * FROM checkpoint()",
    "CHECKPOINT",
    "VACUUM",
    "CREATE TABLE t AS SELECT 1",
    "SELECT 1; SELECT 2",
    "SHOW TABLES",
    "DESCRIBE launches",
    "SUMMARIZE SELECT 1 AS x",
    "SELECT * FROM query('SELECT 1')",
    "SELECT count(*) FROM launches",
    "PIVOT (SELECT 1 AS a) ON a",
    "SELECT * FROM range(200000)",
]


@st.composite
def sql_text(draw) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(SQL_STATEMENTS))
    if kind == 1:
        vals = draw(st.lists(st.sampled_from(SQL_VALUES), min_size=1, max_size=4))
        return "SELECT " + ", ".join(f"{v} AS c{k}" for k, v in enumerate(vals))
    if kind == 2:
        s = draw(st.sampled_from(HOSTILE)).replace("'", "''")
        alias = draw(st.sampled_from(["a", '"[/h]"', '"\ud800"', '""', '"x y"']))
        return f"SELECT '{s}' AS {alias}"
    return draw(st.sampled_from(SQL_STATEMENTS)) + draw(
        st.sampled_from([" ", ";", " -- c", " /* c */", "\n", " \ud800", "'", ")"])
    )


@st.composite
def sql_case(draw) -> Case:
    fmt = draw(st.sampled_from([[], ["--json"], ["--format", "csv"], ["--format", "table"]]))
    return Case({}, ["history", "query", draw(sql_text()), *fmt], "sql")


@st.composite
def claims_case(draw) -> Case:
    n = draw(st.integers(1, 6))
    claims = []
    for i in range(n):
        c = {
            "id": draw(st.one_of(st.just(f"c{i}"), st.sampled_from(HOSTILE))) or f"c{i}",
            "text": draw(st.sampled_from(HOSTILE)) or "t",
            "checks": [
                {
                    "query": draw(sql_text()),
                    "op": draw(st.sampled_from(["eq", "ge", "between", "rel", "bad"])),
                    "value": draw(
                        st.sampled_from([0, 1, "x", [0, 10], 10**20, 1e308, float("nan")])
                    ),
                }
            ],
        }
        if draw(st.booleans()):
            c["as_of"] = draw(
                st.sampled_from(
                    ["2018-01-01", "2005-06-30", "9999-12-31", "0001-01-01", "2262-04-12", "x"]
                )
            )
        claims.append(c)
    doc = {"title": draw(st.sampled_from(HOSTILE)) or "t", "as_of": "2018-01-01", "claims": claims}
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    if draw(st.integers(0, 5)) == 0:  # an integer Python will not print
        text = text.replace("value: 0", "value: " + "9" * 4301, 1)
    cmd = draw(
        st.sampled_from(
            [["history", "claims", "c.yaml"], ["history", "claims", "c.yaml", "--json"]]
        )
    )
    return Case({"c.yaml": _bytes(text)}, cmd, "claims")


def _duckdb_bytes(*statements: str) -> bytes:
    import tempfile

    import duckdb

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "v.duckdb"
        with duckdb.connect(str(p)) as con:
            for s in statements:
                con.execute(s)
        return p.read_bytes()


_DB_VICTIMS: list[bytes] = []


def db_victims() -> list[bytes]:
    """DuckDB files that are not wholly standoff's (the audit's cases), built once."""
    if not _DB_VICTIMS:
        meta = "CREATE TABLE standoff_meta (key VARCHAR, value VARCHAR)"
        _DB_VICTIMS.extend(
            _duckdb_bytes(*s)
            for s in (
                ("CREATE SCHEMA s", "CREATE TABLE s.t AS SELECT 1 AS x"),
                ("CREATE VIEW v AS SELECT 42 AS x",),
                ("CREATE MACRO m(x) AS x + 1",),
                ("CREATE SEQUENCE q",),
                ("CREATE TYPE mood AS ENUM ('a')",),
                (meta, "INSERT INTO standoff_meta VALUES ('fingerprint', 'x')"),
                (meta, "INSERT INTO standoff_meta VALUES ('kind', 'other')"),
                (
                    meta,
                    "INSERT INTO standoff_meta VALUES ('kind', 'standoff-history')",
                    "CREATE TABLE mine AS SELECT 1 AS x",
                ),  # fmt: skip
                (),
            )
        )
    return _DB_VICTIMS


@st.composite
def db_case(draw) -> Case:
    """``--db`` at a file that is not ours: refused (exit 2), the file unchanged."""
    data = draw(
        st.one_of(
            st.sampled_from(db_victims()),
            st.binary(min_size=1, max_size=64),
            st.sampled_from(db_victims()).map(lambda b: b[: len(b) // 2]),
        )
    )
    cmd = draw(
        st.sampled_from(
            [
                ["history", "summary"],
                ["history", "query", "SELECT 1"],
                ["forecast", "--as-of", "2018-01-01", "--paths", "x"],
            ]
        )
    )
    return Case({"v.duckdb": data}, ["--db", "v.duckdb", *cmd], "db")
