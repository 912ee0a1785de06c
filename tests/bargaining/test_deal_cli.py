"""`standoff bargain --deal` and `--model smp` end to end: text, JSON, CSV, KTAB out, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from standoff.bargaining.deal import analyse_deal, deal_problem
from standoff.bargaining.inputs import read_ktab
from standoff.bargaining.smp import run_smp
from standoff.bargaining.spatial import from_ktab
from standoff.scenario import load_scenario

KTAB = Path(__file__).parent / "data" / "ktab"
SOE = str(KTAB / "SOE-Pol-Comp.csv")


def test_deal_text(run_cli):
    code, out, err = run_cli("bargain", "--scenario", "korea-now", "--deal")
    assert code == 0, err
    for text in (
        "veto players: USA, PRK, CHN, RUS",
        "Feasible packages",
        "Where each model says the deal settles",
        "Spread across the models",
        "Who must move",
        "Stokman & Van Oosten",
        "'phased-relief' policy",
    ):
        assert text in out, text


def test_deal_json_matches_the_python_api(run_cli):
    code, out, err = run_cli("bargain", "--scenario", "korea-2018", "--deal", "--json")
    assert code == 0, err
    obj = json.loads(out)
    res = analyse_deal("korea-2018")
    assert obj["model"] == "default" and obj["veto_players"] == ["USA", "PRK", "CHN", "RUS"]
    assert obj["packages"]["feasible"] == len(res.feasible) > 0
    assert [r["model"] for r in obj["settlements"]] == list(res.settlements["model"])
    dims = [d["id"] for d in obj["dimensions"]]
    assert dims == ["relief", "denuclearisation"]
    for got, (_, want) in zip(obj["settlements"], res.settlements.iterrows(), strict=True):
        assert got["relief"] == pytest.approx(want["relief"])
    assert obj["recommended"]["relief"] == res.recommended["relief"]
    assert obj["policy"]["id"] == "phased-relief"
    assert obj["policy"]["relief_steps"] == obj["recommended"]["relief"]
    assert len(obj["policy"]["schedule"]) == int(obj["recommended"]["relief"])


def test_deal_csv_is_the_feasible_packages(run_cli):
    code, out, _ = run_cli("bargain", "--scenario", "korea-now", "--deal", "--format", "csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("relief,denuclearisation,feasible,gain USA")
    assert len(lines) - 1 == len(analyse_deal("korea-now").feasible)


def test_deal_ktab_out_and_chart(run_cli, tmp_path):
    path = tmp_path / "deal.csv"
    png = tmp_path / "winset.png"
    code, _, err = run_cli(
        "bargain", "--scenario", "korea-now", "--deal", "--ktab-out", path, "--chart", png
    )
    assert code == 0, err
    back = from_ktab(read_ktab(path))
    want = deal_problem(load_scenario("korea-now"))
    assert back.actors == want.actors and back.dimensions == want.dimensions
    assert np.allclose(back.unit_position(), want.unit_position(), rtol=0, atol=1e-12)
    assert np.allclose(back.salience, want.salience, rtol=0, atol=1e-12)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_smp_on_a_2d_ktab_file(run_cli, tmp_path):
    code, out, err = run_cli("bargain", SOE, "--model", "smp")
    assert code == 0, err
    assert "smp forecast Policy" in out and "27 turns, converged" in out
    code, out, err = run_cli("bargain", SOE, "--model", "smp", "--json")
    obj = json.loads(out)
    r = run_smp(from_ktab(read_ktab(SOE)))
    assert obj["turns"] == 27 and obj["status"] == "converged"
    assert obj["forecast"]["Policy"] == pytest.approx(r.forecast[0])
    assert obj["forecast"]["Competitive"] == pytest.approx(r.forecast[1])
    assert len(obj["actors"]) == 13 and obj["challenges"] and obj["moves"]


def test_smp_ktab_out_writes_the_final_state(run_cli, tmp_path):
    path = tmp_path / "final.csv"
    code, _, err = run_cli("bargain", SOE, "--model", "smp", "--rounds", "3", "--ktab-out", path)
    assert code == 0, err
    back = from_ktab(read_ktab(path))
    r = run_smp(from_ktab(read_ktab(SOE)), max_turns=3)
    assert np.allclose(back.position, r.positions[-1], rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--deal", SOE], "--deal: needs --scenario"),
        (["--scenario", "korea-now", "--deal", "--model", "eum-scholz"], "with --deal"),
        (["--scenario", "korea-now", "--deal", "--ensemble", "5"], "--ensemble: not available"),
        ([SOE, "--model", "smp", "--rounds", "5000"], "--rounds: expected SMP turns"),
        ([SOE, "--model", "smp", "--ensemble", "3"], "--ensemble: applies to"),
        ([SOE, "--ktab-out", "x.csv"], "--ktab-out: applies with --deal or --model smp"),
        ([SOE, "--model", "smp", "--ktab-out", "/no/such/dir/x.csv"], "does not exist"),
    ],
)
def test_usage_errors_one_line(run_cli, args, expected):
    code, out, err = run_cli("bargain", *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0]


def test_too_many_actors_for_the_smp_is_refused_before_work(run_cli, tmp_path):
    n = 501
    rows = [f"A{i},a,1,{i % 100},50," for i in range(n)]
    path = tmp_path / "big.csv"
    path.write_text(
        f"Big,desc,{n},1,\nActor,Description,Influence,P Position,P Salience,\n" + "\n".join(rows)
    )
    code, out, err = run_cli("bargain", path, "--model", "smp")
    assert code == 2 and out == "" and "at most 500 actors" in err
