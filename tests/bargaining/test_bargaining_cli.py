"""`standoff bargain` end to end: every model on the KTAB example, JSON Lines, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from standoff.cli.main import main

DATA = Path(__file__).parent / "data"
KTAB = str(DATA / "eu_emissions_ktab.csv")
PLAIN = str(DATA / "eu_emissions.csv")
GOOD = "actor,capability,position,salience\nA,1,0,0.5\nB,2,10,0.8\nC,1,5,1\n"


def run(capsys, *args):
    code = main(["bargain", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("model", ["compromise", "median", "nbs", "eum", "eum-scholz"])
def test_every_model_on_ktab_csv(capsys, model):
    code, out, err = run(capsys, KTAB, "--model", model, "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["model"] == model
    assert obj["file"] == KTAB
    assert 4 <= obj["forecast"] <= 10
    assert obj["compromise"] == pytest.approx(7.390, abs=5e-4)
    r0 = obj["rounds"][0]
    assert r0["round"] == 0 and r0["positions"]["UK"] == 10 and r0["positions"]["Belgium"] == 7
    if model == "eum-scholz":
        assert len(obj["rounds"]) == 11
        assert obj["rounds"][10]["positions"]["Belgium"] == pytest.approx(4.292, abs=5e-4)
        assert obj["oscillating"] is True
        assert obj["risk_exponents"][0]["Denmark"] == pytest.approx(2.0, abs=5e-4)
    if model == "eum":
        assert obj["status"] in ("converged", "oscillating", "median_stable", "max_rounds")
        kinds = {e["kind"] for e in obj["accepted_moves"]}
        assert kinds <= {"conflict", "compromise", "capitulation"} and kinds
        assert {"challenger", "target", "challenger_eu", "target_eu"} <= set(
            obj["accepted_moves"][0]
        )


def test_expected_forecasts(capsys):
    got = {}
    for model in ("compromise", "median", "eum-scholz"):
        code, out, _ = run(capsys, PLAIN, "--model", model, "--json")
        assert code == 0
        got[model] = json.loads(out)["forecast"]
    assert got["compromise"] == pytest.approx(7.38996, abs=1e-5)
    assert got["median"] == 7.0


def test_several_files_give_json_lines(capsys, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text(GOOD)
    code, out, _ = run(capsys, KTAB, PLAIN, str(other), "--json", "--model", "eum")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3
    objs = [json.loads(line) for line in lines]
    assert [o["file"] for o in objs] == [KTAB, PLAIN, str(other)]
    assert objs[0]["forecast"] == objs[1]["forecast"]


def test_ktab_dimensions_are_issues(capsys):
    code, out, _ = run(capsys, str(DATA / "toy_2dim_ktab.csv"), "--json")
    assert code == 0
    objs = [json.loads(x) for x in out.strip().splitlines()]
    assert [o["issue"] for o in objs] == ["Tariff", "Quota"]


def test_ensemble_same_seed_same_output(capsys):
    args = [KTAB, "--model", "eum", "--ensemble", "20", "--seed", "7", "--json"]
    a = json.loads(run(capsys, *args)[1])
    b = json.loads(run(capsys, *args)[1])
    c = json.loads(run(capsys, *args[:-2], "8", "--json")[1])
    assert a["quantiles"] == b["quantiles"]
    assert set(a["quantiles"]) == {"0.05", "0.25", "0.5", "0.75", "0.95"}
    assert a["ensemble"]["seed"] == 7
    assert a["quantiles"] != c["quantiles"] or a["ensemble"]["mean"] != c["ensemble"]["mean"]


def test_scenario_side_by_side(capsys):
    code, out, err = run(capsys, "--scenario", "korea-2018", "--json")
    assert code == 0, err
    objs = [json.loads(x) for x in out.strip().splitlines()]
    assert len(objs) >= 3
    for o in objs:
        assert o["scenario"] == "korea-2018"
        assert {"default", "compromise", "median", "nbs", "eum", "eum-scholz"} <= set(o["models"])
        assert o["forecast"] == o["models"]["default"]  # the default model by default
        m = o["models"]
        assert m["default"] == pytest.approx(0.5 * (m["compromise"] + m["nbs"]))
    code, out, _ = run(capsys, "--scenario", "korea-now")
    assert code == 0 and "compromise" in out and "eum-scholz" in out


def test_text_output_prints_compromise_next_to_dynamic(capsys):
    code, out, _ = run(capsys, PLAIN, "--model", "eum")
    assert code == 0
    assert "eum forecast" in out and "compromise model 7.39" in out


@pytest.mark.parametrize("suffix", [".png", ".html"])
def test_chart(capsys, tmp_path, suffix):
    path = tmp_path / f"traj{suffix}"
    code, _, err = run(capsys, PLAIN, "--model", "eum-scholz", "--chart", str(path))
    assert code == 0, err
    data = path.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG")
    else:
        assert b"data:image/png;base64," in data and b"<script" not in data


BAD_FILES = {
    "missing_column": ("actor,capability,position\nA,1,0\nB,1,1\n", "missing column(s) 'salience'"),
    "salience_high": (
        "actor,capability,position,salience\nA,1,0,0.5\nB,1,1,130\n",
        "salience: expected a value in [0, 1] or [0, 100], got 130",
    ),
    "salience_negative": (
        "actor,capability,position,salience\nA,1,0,-0.5\nB,1,1,0.5\n",
        "salience: expected a value in [0, 1] or [0, 100]",
    ),
    "negative_capability": (
        "actor,capability,position,salience\nA,-1,0,0.5\nB,1,1,0.5\n",
        "capability: expected a value >= 0, got -1",
    ),
    "single_actor": (
        "actor,capability,position,salience\nA,1,0,0.5\n",
        "expected at least two actors, got 1",
    ),
    "all_equal": (
        "actor,capability,position,salience\nA,1,3,0.5\nB,1,3,0.5\n",
        "all actors are at 3",
    ),
    "non_numeric": (
        "actor,capability,position,salience\nA,1,0,0.5\nB,1,ten,0.5\n",
        "column 'position': expected a number, got 'ten'",
    ),
    "empty_cell": (
        "actor,capability,position,salience\nA,1,0,0.5\nB,,1,0.5\n",
        "column 'capability': expected a number, got ''",
    ),
    "ktab_count": (
        "T,desc,3,1,\nActor,Description,Influence,P Position,P Salience,\n"
        "A,a,1,0,50,\nB,b,1,100,50,\n",
        "expected 3 actor rows",
    ),
    "ktab_salience_sum": (
        "T,desc,2,2,\nActor,Description,Influence,P Position,P Salience,"
        "Q Position,Q Salience,\nA,a,1,0,60,10,50,\nB,b,1,100,50,20,50,\n",
        "saliences sum to 110",
    ),
    "ktab_non_numeric": (
        "T,desc,2,1,\nActor,Description,Influence,P Position,P Salience,\n"
        "A,a,x,0,50,\nB,b,1,100,50,\n",
        "column 'Influence': expected a number, got 'x'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_exit_2_one_line(capsys, tmp_path, case):
    text, expected = BAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(text)
    code, out, err = run(capsys, str(path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}")
    assert expected in lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "expected one or more FILEs"),
        ([PLAIN, "--model", "bogus"], "--model: expected one of"),
        ([PLAIN, "--noise", "0.1"], "--noise and --seed need --ensemble N"),
        ([PLAIN, "--ensemble", "0"], "--ensemble: expected"),
        ([PLAIN, "--model", "eum", "--rounds", "0"], "--rounds: expected"),
        ([PLAIN, "--rounds", "5"], "--rounds: applies to"),
        ([PLAIN, "--chart", "out.pdf"], "--chart: expected a path ending in .png or .html"),
        (["nope.csv"], "nope.csv: file not found"),
        (["--scenario", "no-such-scenario"], "no file or bundled scenario"),
        ([PLAIN, "--scenario", "korea-2018"], "not both"),
    ],
)
def test_usage_errors(capsys, args, expected):
    code, out, err = run(capsys, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert expected in lines[0]


def test_bad_file_in_batch_fails_before_output(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_FILES["non_numeric"][0])
    code, out, err = run(capsys, PLAIN, str(bad), "--json")
    assert code == 2 and out == "" and str(bad) in err
