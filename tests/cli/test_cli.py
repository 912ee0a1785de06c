"""The CLI: the issue's acceptance commands, JSON output, and one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest


def test_summary_by_leader_json(run_cli):
    code, out, err = run_cli(
        "history", "summary", "--by", "leader", "--as-of", "2017-12-31", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["missiles"] == {"Kim Il Sung": 15, "Kim Jong Il": 16, "Kim Jong Un": 87}
    assert data["as_of"] == "2017-12-31"


def test_export_then_history_dir_gives_the_same_numbers(run_cli, tmp_path):
    d = tmp_path / "mine"
    code, _, err = run_cli("history", "export", d)
    assert code == 0, err
    assert (d / "launches.csv").exists() and (d / "monthly.csv").exists()
    for args in (["--by", "leader"], ["--by", "year"], []):
        _, a, _ = run_cli("history", "summary", *args, "--json")
        _, b, _ = run_cli("--history", d, "history", "summary", *args, "--json")
        a, b = json.loads(a), json.loads(b)
        a.pop("history")
        b.pop("history")
        assert a == b


def test_claims_json(run_cli):
    code, out, err = run_cli("history", "claims", "--json")
    assert code == 0, err
    claims = {c["id"]: c for c in json.loads(out)["claims"]}
    assert claims["forty-seven-in-two-years"]["value"] == 45
    assert claims["forty-seven-in-two-years"]["verdict"] == "not supported"
    assert round(claims["kju-nearly-tripled"]["value"], 1) == 2.8
    assert claims["kju-nearly-tripled"]["verdict"] == "supported"


def test_claims_text(run_cli):
    code, out, _ = run_cli("history", "claims")
    assert code == 0
    assert "not supported" in out and "45" in out


def test_query_and_timeline(run_cli):
    code, out, _ = run_cli(
        "history",
        "query",
        "SELECT year(date) AS y, count(*) AS n FROM launches GROUP BY y ORDER BY y",
        "--json",
    )
    assert code == 0
    rows = {r["y"]: r["n"] for r in json.loads(out)}
    assert rows[2016] == 24 and rows[2017] == 21 and rows[2022] == 69
    code, out, _ = run_cli(
        "history", "timeline", "--from", "2018-01-01", "--to", "2018-06-30", "--json"
    )
    assert code == 0
    tl = json.loads(out)
    assert any("Singapore" in r["what"] for r in tl)
    assert all("2018-01-01" <= r["date"] <= "2018-06-30" for r in tl)
    code, out, _ = run_cli(
        "history", "query", "SELECT count(*) AS n FROM launches", "--as-of", "2017-12-31"
    )
    assert code == 0 and "118" in out


@pytest.mark.parametrize("suffix", [".png", ".html"])
def test_chart(run_cli, tmp_path, suffix):
    out = tmp_path / f"c{suffix}"
    code, _, err = run_cli(
        "history", "chart", "launches-by-year", "--out", out, "--as-of", "2018-01-01"
    )
    assert code == 0, err
    data = out.read_bytes()
    assert (
        data[:8] == b"\x89PNG\r\n\x1a\n" if suffix == ".png" else b"data:image/png;base64" in data
    )


def test_brief_writes_the_briefing(run_cli, tmp_path):
    out = tmp_path / "b" / "brief.html"
    code, text, err = run_cli("brief", "--out", out)
    assert code == 0, err
    assert "339" in text and "wrote" in text
    html = out.read_text()
    for needle in (
        "Missile tests",
        "Sanctions",
        "Diplomacy",
        "Claims of the 2018 debate",
        "not supported",
        "Data, coverage and licences",
        "data:image/png;base64",
        "War risk: what each number is conditional on",  # simulator beside the games
        "<td>game: Fearon bargaining</td>",
    ):
        assert needle in html
    code, js, _ = run_cli(
        "brief",
        "--out",
        tmp_path / "b2.html",
        "--as-of",
        "2018-01-01",
        "--json",
        "--scenario",
        "korea-2018",
    )
    k = json.loads(js)
    assert k["as_of"] == "2018-01-01" and k["missiles"] == 118 and k["nuclear_tests"] == 6


def test_brief_is_deterministic(run_cli, tmp_path):
    run_cli("brief", "--out", tmp_path / "a.html")
    run_cli("brief", "--out", tmp_path / "b.html")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_sources(run_cli):
    code, out, _ = run_cli("history", "sources", "W-2397", "GK", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows) == {"W-2397", "GK"} and rows["GK"]["kind"] == "general-knowledge"
    code, out, err = run_cli("history", "sources", "W-NOPE")
    _one_line_error(code, out, err, "unknown id(s) W-NOPE")


def test_unwritable_default_store_falls_back_to_memory(tmp_path, monkeypatch):
    from standoff.history import History

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("STANDOFF_HOME", str(blocker / "sub"))
    assert len(History.load().launches) == 339
    with pytest.raises(Exception, match="cannot create the database directory"):
        History.load(db=blocker / "sub" / "h.duckdb")


def test_scenario_commands(run_cli):
    code, out, _ = run_cli("scenario", "validate", "korea-2018", "--json")
    assert code == 0 and json.loads(out)["valid"] is True
    code, out, _ = run_cli("scenario", "show", "korea-now", "--json")
    assert code == 0 and json.loads(out)["name"] == "korea-now"
    code, out, _ = run_cli("scenario", "show", "korea-2018")
    assert code == 0 and "assumption" in out


def _one_line_error(code, out, err, *needles):
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_malformed_history_dir_exit_2_nothing_written(run_cli, tmp_path):
    d = tmp_path / "h"
    run_cli("history", "export", d)
    p = d / "sanctions.csv"
    p.write_text(p.read_text().replace("2017-12-22", "22/12/2017", 1))
    db = tmp_path / "never.duckdb"
    code, out, err = run_cli("--history", d, "--db", db, "history", "summary", "--json")
    _one_line_error(
        code, out, err, "sanctions.csv", "column 'date'", "expected a date YYYY-MM-DD", "22/12/2017"
    )
    assert not db.exists()
    code, out, err = run_cli("--history", d, "history", "export", tmp_path / "out")
    _one_line_error(code, out, err, "sanctions.csv")
    assert not (tmp_path / "out").exists()


def test_malformed_scenario_exit_2(run_cli, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        (tmp_path / "x").as_posix()
        and "schema_version: 1\nname: x\ntitle: x\nas_of: 2018-01-01\n"
        "actors:\n  - {id: USA, name: US, capability: {value: 1}}\n  - {id: PRK, name: NK, capability: {value: 1, assumption: tiny}}\n"
    )
    code, out, err = run_cli("scenario", "validate", p)
    _one_line_error(
        code, out, err, str(p), "actors[0].capability", "expected exactly one of 'source'"
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["history", "summary", "--as-of", "2018-13-01"], "as_of: expected a"),
        (["history", "summary", "--by", "decade"], "--by: expected one of year, leader, type"),
        (["history", "chart", "pie", "--out", "x.png"], "chart: unknown kind 'pie'"),
        (
            ["history", "chart", "sanctions", "--out", "x.pdf"],
            "--out: expected a path ending in .png or .html",
        ),
        (["history", "query", "SELEC 1"], "query: "),
        (["history", "claims", "no-such-file.yaml"], "no-such-file.yaml: file not found"),
        (["history", "timeline", "--from", "2019-01-01", "--to", "2018-01-01"], "is before --from"),
        (["history", "summary", "--bogus"], "No such option: --bogus"),
        (["brief", "--scenario", "korea-1950"], "no file or bundled scenario named 'korea-1950'"),
        (["brief", "--out", "x.txt"], "--out: expected a path ending in .html"),
    ],
)
def test_bad_input_is_one_line_exit_2(run_cli, tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(*args)
    _one_line_error(code, out, err, needle)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_help_for_every_command(run_cli):
    import typer.main

    from standoff.cli.main import app

    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        assert cmd.help or cmd.short_help, name
        sub = getattr(cmd, "commands", {})
        for sname, scmd in sub.items():
            assert scmd.help, f"{name} {sname}"
            code, out, _ = run_cli(name, sname, "--help")
            assert code == 0 and "Usage" in out
