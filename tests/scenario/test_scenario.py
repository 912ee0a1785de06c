"""Scenario files: the bundled ones validate; every number has provenance; errors are clear."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from standoff.errors import ScenarioError
from standoff.scenario import bundled_scenarios, load_scenario
from standoff.scenario.spec import resolve_scenario_path


@pytest.mark.parametrize("name", ["korea-2018", "korea-now"])
def test_bundled_scenarios_validate(name, hist):
    s = load_scenario(name)
    assert {a.id for a in s.actors} >= {"USA", "PRK", "KOR", "CHN", "JPN", "RUS", "UNSC"}
    assert len(s.issues) >= 3
    for key, v in s.sourced_values():
        assert (v.source is None) != (v.assumption is None), key
        if v.assumption is not None:
            assert len(v.assumption.strip()) > 10, key  # a rationale, not a placeholder
    # a scenario may not be dated after the data it stands on
    assert s.as_of <= hist.latest_date.date()


def test_korea_scenario_dates():
    assert load_scenario("korea-2018").as_of == dt.date(2018, 1, 1)
    assert set(bundled_scenarios()) >= {"korea-2018", "korea-now"}


def test_positions_frame():
    df = load_scenario("korea-2018").positions_frame("sanctions_relief")
    assert list(df.columns) == ["actor", "capability", "position", "salience"]
    assert df.set_index("actor").loc["PRK", "position"] == 100


@pytest.fixture
def base_doc():
    return yaml.safe_load(resolve_scenario_path("korea-2018").read_text())


def _write(tmp_path, doc) -> str:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(p)


def test_round_trip_through_dump(tmp_path, base_doc):
    s = load_scenario(_write(tmp_path, base_doc))
    again = load_scenario(_write(tmp_path, s.model_dump(mode="json", exclude_none=True)))
    assert again == s


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["actors"][1]["capability"].pop("assumption"),
            r"actors\[1\]\.capability: expected exactly one of 'source' .* or 'assumption'",
        ),
        (
            lambda d: d["actors"][0]["capability"].update(source="W-2397"),
            r"actors\[0\]\.capability: expected exactly one of",
        ),
        (
            lambda d: d["issues"][0]["positions"]["USA"]["salience"].update(value=1.5),
            r"issues\[0\]\.positions\.USA\.salience: expected a salience in \[0, 1\], got 1\.5",
        ),
        (
            lambda d: d["issues"][0]["positions"]["USA"]["position"].update(value=140),
            r"issues\[0\]: positions\.USA\.position: expected a value in \[0, 100\], got 140",
        ),
        (
            lambda d: d["issues"][0]["positions"].update(XXX=d["issues"][0]["positions"]["USA"]),
            r"unknown actor 'XXX'",
        ),
        (
            lambda d: d["actors"][2]["capability"].update(value=-3),
            r"actors\[2\]\.capability: expected a capability >= 0, got -3",
        ),
        (lambda d: d.update(as_of="2018-02-30"), r"as_of: .*got '2018-02-30'"),
        (lambda d: d.update(colour="red"), r"colour: unknown key"),
        (lambda d: d["actors"][0].pop("name"), r"actors\[0\]\.name: expected a value \(required\)"),
        (
            lambda d: d["issues"][1]["positions"]["PRK"]["position"].update(
                assumption=None, source="NOPE-1"
            ),
            r"issues\.sanctions_relief\.positions\.PRK\.position\.source: unknown source id 'NOPE-1'",
        ),
        (lambda d: d["actors"].append(dict(d["actors"][0])), r"actors: duplicate id 'USA'"),
    ],
)
def test_bad_scenarios_name_file_and_key(tmp_path, base_doc, edit, message):
    edit(base_doc)
    path = _write(tmp_path, base_doc)
    with pytest.raises(ScenarioError, match=message) as ei:
        load_scenario(path)
    assert str(ei.value).startswith(path) and "\n" not in str(ei.value)


def test_unknown_name_and_bad_yaml(tmp_path):
    with pytest.raises(
        ScenarioError, match=r"no file or bundled scenario named 'korea-1950' \(bundled: "
    ):
        load_scenario("korea-1950")
    p = tmp_path / "x.yaml"
    p.write_text("actors: [\n")
    with pytest.raises(ScenarioError, match=r"x\.yaml: line \d+, column \d+: expected valid YAML"):
        load_scenario(p)
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "missing.yaml")
