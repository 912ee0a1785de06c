"""``standoff game ...``, the scenario ``games:`` section and the briefing fragment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from standoff.cli.main import main
from standoff.errors import ScenarioError
from standoff.games.params import MODELS, PARAMS
from standoff.games.report import briefing_section
from standoff.scenario import bundled_scenarios, load_scenario

GROUPS = ("status_quo", "negotiation", "acquiescence", "capitulation", "war")


def run_json(capsys, *args: str) -> dict:
    assert main(["game", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fearon_check_values_from_the_command_line(capsys):
    out = run_json(capsys, "fearon", "--p", "0.6", "--cost-a", "0.1", "--cost-b-max", "0.3")
    assert out["demand"] == pytest.approx(0.7)
    assert out["p_war"] == pytest.approx(1 / 3)
    assert out["inputs"]["p"] == {"value": 0.6, "from": "option"}
    assert out["inputs"]["delta"]["from"].startswith("default")


@pytest.mark.parametrize("scenario", ["korea-2018", "korea-now"])
def test_iig_from_scenario_sums_to_one(capsys, scenario):
    out = run_json(capsys, "iig", "--scenario", scenario)
    probs = out["probabilities"]
    assert set(probs) == set(GROUPS)
    assert sum(probs.values()) == pytest.approx(1.0)
    assert out["scenario"] == scenario and out["dyad"] == {"A": "USA", "B": "PRK"}
    # third parties enter the dyad through p
    assert out["p_a_with_third_parties"] != pytest.approx(out["p_a_dyad_alone"])
    assert out["inputs"]["lam"]["from"] == f"scenario {scenario}"
    assert out["inputs"]["lam"]["assumption"]


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_runs_with_defaults_and_with_a_scenario(capsys, model):
    out = run_json(capsys, model)
    assert out["model"] == model and out["scenario"] is None
    out = run_json(capsys, model, "--scenario", "korea-2018")
    assert "note" not in out  # korea-2018 has a games section for every model
    assert set(out["inputs"]) == set(PARAMS[model])


def test_human_output(capsys):
    assert main(["game", "kydd", "--scenario", "korea-2018"]) == 0
    text = capsys.readouterr().out
    assert "threshold: 0.5" in text and "inputs:" in text and "scenario korea-2018" in text


def test_game_list(capsys):
    assert main(["game", "list"]) == 0
    text = capsys.readouterr().out
    for m in MODELS:
        assert m in text
    rows = run_json(capsys, "list")
    assert [r["model"] for r in rows] == list(MODELS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fearon", "--p", "1.5"], "error: 'p': expected a value in [0, 1], got 1.5"),
        (["kydd", "--periods", "0"], "error: 'periods': expected an integer in [1, 1200], got 0"),
        (
            ["iig", "--scenario", "nowhere"],
            "error: scenario: no file or bundled scenario named 'nowhere'",
        ),
        (["fearon", "--bogus", "1"], "error: No such option: --bogus"),
    ],
)
def test_invalid_values_exit_2_with_one_line(capsys, args, message):
    assert main(["game", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


# ------------------------------------------------------------------ scenario format
def test_bundled_scenarios_validate_and_list_game_values():
    for name in bundled_scenarios():
        scn = load_scenario(name)
        keys = [k for k, _ in scn.sourced_values()]
        assert any(k.startswith("games.iig.") for k in keys)
        assert "games.alignment.USA.PRK" in keys


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _base() -> dict:
    return {
        "name": "toy",
        "title": "Toy",
        "as_of": "2018-01-01",
        "actors": [
            {"id": "USA", "name": "US", "capability": {"value": 100, "assumption": "anchor"}},
            {"id": "PRK", "name": "DPRK", "capability": {"value": 20, "assumption": "x"}},
        ],
    }


def test_games_section_is_optional(tmp_path):
    assert load_scenario(_write(tmp_path, _base()), known_sources=set()).games is None


@pytest.mark.parametrize(
    ("games", "message"),
    [
        (
            {"fearon": {"p": {"value": 1.5, "assumption": "x"}}},
            "games: fearon.p: expected a value in [0, 1], got 1.5",
        ),
        (
            {"fearon": {"q": {"value": 0.5, "assumption": "x"}}},
            "games: fearon.q: unknown parameter",
        ),
        ({"fearon": {"p": {"value": 0.5}}}, "expected exactly one of 'source'"),
        (
            {"alignment": {"USA": {"PRK": {"value": 2, "assumption": "x"}}}},
            "alignment.USA.PRK: expected a value in [-1, 1]",
        ),
        (
            {"alignment": {"USA": {"CHN": {"value": 0.1, "assumption": "x"}}}},
            "games.alignment: unknown actor 'CHN'",
        ),
        ({"poker": {}}, "games.poker: unknown key"),
        (
            {"fearon": {"p": {"value": 0.5, "source": "NOPE"}}},
            "games.fearon.p.source: unknown source id 'NOPE'",
        ),
    ],
)
def test_games_section_is_validated(tmp_path, games, message):
    data = _base() | {"games": games}
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, data), known_sources=set())
    assert message in str(info.value)


def test_game_reads_a_scenario_file(tmp_path, capsys):
    data = _base() | {
        "games": {
            "fearon": {
                "p": {"value": 0.6, "assumption": "x"},
                "cost_a": {"value": 0.1, "assumption": "y"},
            }
        }
    }
    path = _write(tmp_path, data)
    assert main(["scenario", "validate", str(path)]) == 0
    capsys.readouterr()
    out = run_json(capsys, "fearon", "--scenario", str(path), "--cost-b-max", "0.3")
    assert out["demand"] == pytest.approx(0.7)
    assert out["inputs"]["cost_a"]["assumption"] == "y"
    out = run_json(capsys, "kydd", "--scenario", str(path))
    assert "no games.kydd section" in out["note"]


# ------------------------------------------------------------------ briefing
@pytest.mark.parametrize("scenario", ["korea-2018", "korea-now"])
def test_briefing_section(scenario):
    html = briefing_section(load_scenario(scenario))
    assert html.startswith('<section class="strategic-logic">') and html.endswith("</section>")
    assert "<h2>Strategic logic</h2>" in html
    for needle in ("Negotiation", "War", "Bargaining range", "TIES 9", "trust"):
        assert needle in html
    assert "<script" not in html and "<link" not in html and "http" not in html
