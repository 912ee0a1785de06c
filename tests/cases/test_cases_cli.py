"""``standoff cases`` and the global ``--case`` option (issue 20, phase 2a)."""

from __future__ import annotations

import json

import pytest


def test_cases_lists_both_cases(run_cli):
    code, out, err = run_cli("cases")
    assert code == 0 and not err
    assert "korea" in out and "iran" in out and "iran-2018" in out
    assert "strike on nuclear facilities" in out
    code, out, _ = run_cli("cases", "--json")
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["korea", "iran"]
    iran = rows[1]
    assert iran["coverage"] == {"start": "1988-01-01", "end": "2026-06-23"}
    assert iran["scenarios"] == ["iran-2018", "iran-now"]
    assert "stockpile" in {t["name"] for t in iran["targets"]}
    assert iran["panel"] == {"start": "2003-01", "columns": 38}
    code, out, _ = run_cli("cases", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("case,title,coverage")


@pytest.mark.parametrize("args", [("history", "summary"), ("scenario", "list"), ("cases",)])
def test_an_unknown_case_is_one_line_exit_2(run_cli, args):
    code, out, err = run_cli("--case", "atlantis", *args)
    assert code == 2 and not out
    assert err.strip() == "error: --case: unknown case 'atlantis' (expected one of korea, iran)"


@pytest.mark.parametrize(
    "args",
    [
        ("forecast",),
        ("forecast", "--as-of", "2018-05-01"),
        ("compare", "--scenario", "iran-2018"),
        ("evidence",),
        ("backtest", "--from", "2008-01", "--horizons", "3,12"),
        ("brief",),
        ("sensitivity",),
        ("serve",),
        ("game", "list"),
        ("bargain",),
    ],
)
def test_commands_not_yet_case_aware_refuse_another_case(run_cli, args):
    code, out, err = run_cli("--case", "iran", *args)
    assert code == 2 and not out
    assert err.count("\n") == 1 and "phase 2b" in err and f"`standoff {args[0]}`" in err


@pytest.mark.parametrize("sub", ["update", "vintages", "chart"])
def test_korea_only_history_commands_refuse_iran(run_cli, sub, tmp_path):
    code, _, err = run_cli(
        "--case",
        "iran",
        "history",
        sub,
        *(["x", "--out", tmp_path / "x.png"] if sub == "chart" else []),
    )
    assert code == 2 and "korea case only" in err and err.count("\n") == 1


def test_iran_history_commands(run_cli, tmp_path):
    code, out, _ = run_cli("--case", "iran", "history", "summary", "--json")
    s = json.loads(out)
    assert code == 0 and s["case"] == "iran" and s["counts"]["unsc_resolutions"] == 7
    code, out, _ = run_cli("--case", "iran", "history", "summary", "--as-of", "2018-05-08")
    assert code == 0 and "as of 2018-05-08" in out and "iaea_stockpile_thresholds" in out
    code, out, _ = run_cli(
        "--case", "iran", "history", "summary", "--by", "year", "--format", "csv"
    )
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("year,iaea_reports,board_resolutions")
    assert lines[1].startswith("2003,,2,2,0,")  # IAEA reports not covered in 2003: empty
    code, out, _ = run_cli(
        "--case",
        "iran",
        "history",
        "query",
        "--format",
        "json",
        "SELECT month, enrichment_level_pct FROM monthly WHERE enrichment_step_up = 1",
    )
    assert code == 0
    assert [r["month"] for r in json.loads(out)] == [
        "2006-04",
        "2010-02",
        "2019-07",
        "2021-01",
        "2021-04",
    ]
    code, out, _ = run_cli(
        "--case",
        "iran",
        "history",
        "timeline",
        "--from",
        "2025-06-20",
        "--to",
        "2025-06-25",
        "--kinds",
        "strikes",
        "--json",
    )
    rows = json.loads(out)
    assert code == 0 and {r["kind"] for r in rows} == {
        "strike (nuclear_facility)",
        "strike (military)",
    }
    code, _, err = run_cli("--case", "iran", "history", "timeline", "--kinds", "nuclear_tests")
    assert code == 2 and "--kinds: unknown nuclear_tests" in err
    code, out, _ = run_cli("--case", "iran", "history", "sources", "IR-G-CNS-TJB", "--json")
    assert code == 0 and json.loads(out)[0]["source_type"] == "dataset-derivative"
    code, out, _ = run_cli(
        "--case", "iran", "history", "export", tmp_path / "x", "--as-of", "2019-01-01", "--json"
    )
    assert code == 0 and "monthly.csv" in json.loads(out)["files"]
    code, out, _ = run_cli(
        "--case", "iran", "--history", tmp_path / "x", "history", "summary", "--json"
    )
    again = json.loads(out)
    assert code == 0 and again["history"] == str(tmp_path / "x")
    assert again["latest"]["enrichment_level_pct"] == {"value": 3.67, "month": "2018-12"}
    code, _, err = run_cli("--case", "iran", "history", "claims")
    assert code == 2 and "no bundled claims file for the iran case" in err


def test_iran_scenarios_through_the_cli(run_cli):
    code, out, _ = run_cli("--case", "iran", "scenario", "list", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == ["iran-2018", "iran-now"]
    code, out, _ = run_cli("--case", "iran", "scenario", "show", "iran-2018", "--json")
    s = json.loads(out)
    assert code == 0 and s["name"] == "iran-2018" and s["as_of"] == "2018-05-08"
    code, out, _ = run_cli("--case", "iran", "scenario", "show", "iran-2018")
    assert code == 0 and "US withdrawal from the JCPOA" in out
    code, out, _ = run_cli("--case", "iran", "scenario", "validate", "iran-now")
    assert code == 0 and "valid" in out
    # a scenario of the other case: one line saying which --case to use
    code, _, err = run_cli("scenario", "show", "iran-2018")
    assert code == 2 and "scenario of the iran case (use --case iran)" in err
    code, _, err = run_cli("--case", "iran", "scenario", "show", "korea-2018")
    assert code == 2 and "(use --case korea)" in err
    code, out, _ = run_cli("scenario", "list", "--json")  # korea, the default, unchanged
    assert [r["name"] for r in json.loads(out)] == ["korea-2018", "korea-now"]


def test_a_file_scenario_is_validated_against_the_selected_case(run_cli, tmp_path):
    from standoff.cases import load_case

    text = (load_case("iran").scenarios()["iran-2018"]).read_text(encoding="utf-8")
    p = tmp_path / "mine.yaml"
    p.write_text(text, encoding="utf-8")
    assert run_cli("--case", "iran", "scenario", "validate", p)[0] == 0
    code, _, err = run_cli("scenario", "validate", p)  # Korean sources: the Iran ids are unknown
    assert code == 2 and "unknown source id 'IR-" in err
