"""The JSON API: validation errors name the field, bounds hold, results match the Python API."""

from __future__ import annotations

import pytest

BODY = {"scenario": "korea-now", "compare": ["status-quo", "phased-relief"], "paths": 400}


def test_openapi_schema_lists_every_api_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for route in (
        "/api/outlook",
        "/api/scenarios",
        "/api/scenarios/{name}",
        "/api/compare",
        "/api/scenario.yaml",
        "/api/history",
        "/api/sources",
        "/api/bargaining",
        "/api/games",
        "/api/games/{model}",
        "/api/track-record",
    ):
        assert route in paths
    assert not any("sql" in p or "query" in p for p in paths)  # no free SQL endpoint


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({**BODY, "paths": 10**9}, "body.paths", 422),
        ({**BODY, "horizon": 0}, "body.horizon", 422),
        ({**BODY, "compare": []}, "body.compare", 422),
        ({**BODY, "compare": ["a", "b", "c", "d", "e"]}, "body.compare", 422),
        ({**BODY, "compare": ["nope"]}, "compare[0]", 422),
        ({**BODY, "scenario": "../../etc/passwd"}, "body.scenario", 422),
        ({**BODY, "parameters": {"war_prior_mean": {"value": 0.1}}}, "body.parameters", 422),
        ({**BODY, "parameters": {"exec": {"value": 1, "assumption": "x"}}}, "body.parameters", 422),
        ({**BODY, "unexpected": 1}, "body.unexpected", 422),
    ],
)
def test_bad_compare_requests_get_422_naming_the_field(client, body, field, status):
    r = client.post("/api/compare", json=body)
    assert r.status_code == status
    js = r.json()
    assert js["field"].startswith(field) and js["error"].startswith(field)
    assert "Traceback" not in r.text


def test_edited_policy_is_validated_like_a_file(client):
    bad = {
        "id": "phased-relief",
        "title": "x",
        "interventions": [{"kind": "relief_rule", "delta": {"value": 5, "assumption": "up"}}],
    }
    r = client.post("/api/compare", json={**BODY, "policies": [bad]})
    assert r.status_code == 422
    assert "relief rule lowers the index" in r.json()["error"]
    unsourced = {**bad, "interventions": [{"kind": "tension_shock", "delta": {"value": 5}}]}
    r = client.post("/api/compare", json={**BODY, "policies": [unsourced]})
    assert r.status_code == 422 and "delta" in r.json()["field"]
    bad_src = {
        **bad,
        "interventions": [{"kind": "tension_shock", "delta": {"value": 5, "source": "NOPE"}}],
    }
    r = client.post("/api/compare", json={**BODY, "policies": [bad_src]})
    assert r.status_code == 422 and "unknown source id 'NOPE'" in r.json()["error"]


def test_compare_matches_the_python_api(client, hist):
    """Same seed, same numbers as standoff.forecast.compare_policies(raw=True): the page
    compares the simulator's own probabilities (threads change nothing)."""
    import standoff as so
    from standoff.forecast import compare_policies

    r = client.post("/api/compare", json=BODY)
    assert r.status_code == 200
    web = r.json()
    ref, _ = compare_policies(
        hist, so.load_scenario("korea-now"), BODY["compare"], 24, 400, 2026, raw=True
    )
    for pid in BODY["compare"]:
        for ev, per_h in ref["policies"][pid]["events"].items():
            assert web["policies"][pid]["summary"]["events"][ev]["24"]["p"] == per_h["24"]["p"]
    d_web = web["differences"]["phased-relief"]["talks"]["24"]
    d_ref = ref["differences"]["phased-relief"]["talks"]["24"]
    assert d_web["diff"] == pytest.approx(d_ref["diff"], abs=1e-6)
    assert d_web["se"] == pytest.approx(d_ref["se"], abs=1e-6)
    fan = web["policies"]["status-quo"]["fan"]
    assert len(fan["months"]) == 24 and len(fan["cumulative_launches"]) == 5
    lo, med, hi = (fan["cumulative_launches"][i][-1] for i in (0, 2, 4))
    assert lo <= med <= hi


def test_yaml_download_round_trips_through_scenario_validate(client, tmp_path, run_cli):
    import yaml

    doc = client.get("/api/scenarios/korea-now").json()
    pol = next(p for p in doc["document"]["policies"] if p["id"] == "phased-relief")
    pol["interventions"][0]["delta"]["value"] = -8.0
    r = client.post(
        "/api/scenario.yaml",
        json={"scenario": "korea-now", "policies": [pol], "parameters": {}},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/yaml")
    path = tmp_path / "edited.yaml"
    path.write_text(r.text)
    code, _, err = run_cli("scenario", "validate", str(path))
    assert code == 0, err
    back = yaml.safe_load(r.text)
    got = next(p for p in back["policies"] if p["id"] == "phased-relief")
    assert got["interventions"][0]["delta"]["value"] == -8.0
    assert "assumption" in got["interventions"][0]["delta"]  # the rationale travels with it


def test_history_as_of_hides_later_records(client):
    r = client.get("/api/history", params={"as_of": "2017-12-31", "kinds": ["launches"]})
    assert r.status_code == 200
    js = r.json()
    assert js["timeline"] and max(row["date"] for row in js["timeline"]) <= "2017-12-31"
    assert sum(sum(v) for v in js["charts"]["by_year"].values()) == 118  # CNS missiles to 2017
    assert js["claims"]["rows"] == []  # the claims are checked as of 2018-02-28
    for row in js["timeline"]:
        assert row["source_ids"] and all(s in js["sources"] for s in row["source_ids"])
    r = client.get("/api/history", params={"as_of": "2090-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "as_of"
    r = client.get("/api/history", params={"kinds": "sql"})
    assert r.status_code == 422 and r.json()["field"].startswith("query.kinds")


def test_bargaining_scenario_issue_and_ktab_upload(client, repo_root):
    r = client.post(
        "/api/bargaining",
        data={"scenario": "korea-2018", "issue": "sanctions_relief", "model": "eum"},
    )
    assert r.status_code == 200
    p = r.json()["problems"][0]
    assert p["issue"] == "sanctions_relief" and len(p["rounds"]) >= 2
    assert p["models"]["compromise"] == pytest.approx(p["compromise"])
    ktab = (repo_root / "tests" / "bargaining" / "data" / "toy_2dim_ktab.csv").read_bytes()
    r = client.post(
        "/api/bargaining",
        data={"model": "compromise"},
        files={"file": ("mine.csv", ktab, "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "mine.csv"
    assert [p["issue"] for p in r.json()["problems"]] == ["Tariff", "Quota"]
    r = client.post(
        "/api/bargaining",
        data={"model": "compromise"},
        files={"file": ("big.csv", b"x" * (300 * 1024), "text/csv")},
    )
    assert r.status_code == 413 and r.json()["field"] == "file"
    r = client.post(
        "/api/bargaining",
        data={"model": "compromise"},
        files={"file": ("bad.csv", b"Actor,Power\nA,lots\n", "text/csv")},
    )
    assert r.status_code == 422 and "bad.csv" in r.json()["error"]


def test_games_validate_parameters_by_name(client):
    r = client.post("/api/games/iig", json={"scenario": "korea-now", "params": {"lam": 2}})
    assert r.status_code == 200
    probs = r.json()["probabilities"]
    assert sum(probs.values()) == pytest.approx(1.0)
    r = client.post("/api/games/iig", json={"params": {"lam": -1}})
    assert r.status_code == 422 and r.json()["field"] == "params.lam"
    r = client.post("/api/games/kydd", json={"params": {"runs": 10**5}})
    assert r.status_code == 422 and r.json()["field"] == "params.runs"
    r = client.post("/api/games/nope", json={})
    assert r.status_code == 422 and r.json()["field"] == "path.model"


def test_body_size_is_bounded(client):
    r = client.post(
        "/api/compare",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["field"] == "body"


def test_unknown_route_is_json_404(client):
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and r.json()["field"] == "path"


def test_serve_binds_localhost_and_warns_for_other_hosts(run_cli, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    monkeypatch.setattr("standoff.web.app.create_app", lambda *a, **k: object())
    code, _, err = run_cli("serve", "--port", "8123")
    assert code == 0 and calls[-1]["host"] == "127.0.0.1" and "warning" not in err
    code, _, err = run_cli("serve", "--host", "0.0.0.0")
    assert code == 0 and calls[-1]["host"] == "0.0.0.0" and "warning: serving on 0.0.0.0" in err
    code, _, err = run_cli("serve", "--port", "70000")
    assert code == 2 and "--port" in err


def test_a_long_run_does_not_block_other_requests(live_url):
    """While a big comparison runs in a worker thread, other requests are answered."""
    import threading

    import httpx

    done = threading.Event()
    result = {}

    def long_run():
        body = {
            "scenario": "korea-now",
            "compare": ["status-quo", "phased-relief", "maximum-pressure", "military-option"],
            "paths": 20_000,
            "horizon": 36,
            "seed": 99,
        }
        result["status"] = httpx.post(f"{live_url}/api/compare", json=body, timeout=120).status_code
        done.set()

    t = threading.Thread(target=long_run)
    t.start()
    try:
        threading.Event().wait(0.3)
        r = httpx.get(f"{live_url}/api/games", timeout=60)
        assert r.status_code == 200
        assert not done.is_set()  # answered while the comparison was still running
    finally:
        t.join(timeout=120)
    assert result["status"] == 200


def test_history_date_filters_are_checked(client):
    r = client.get("/api/history", params={"start": "2019-01-01", "end": "2018-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "start"
    r = client.get("/api/history", params={"as_of": "2000-01-01", "start": "2001-01-01"})
    assert r.status_code == 422 and r.json()["field"] == "start"
    r = client.get(
        "/api/history",
        params={"start": "2018-06-01", "end": "2018-06-30", "kinds": ["diplomacy"]},
    )
    assert r.status_code == 200
    rows = r.json()["timeline"]
    assert any("Singapore" in row["what"] for row in rows)
    assert all("2018-06-01" <= row["date"] <= "2018-06-30" for row in rows)


def test_deal_space_api_matches_the_python_api(client):
    from standoff.bargaining.deal import analyse_deal

    r = client.get("/api/bargaining/deal", params={"scenario": "korea-now"})
    assert r.status_code == 200, r.text
    body = r.json()
    res = analyse_deal("korea-now")
    assert body["model"] == "default" and body["packages"]["feasible"] == len(res.feasible)
    assert body["recommended"]["relief"] == res.recommended["relief"]
    assert len(body["chart"]["curves"]) == len(res.winset.veto)
    assert body["policy"]["id"] == "phased-relief"
    r = client.get("/api/bargaining/deal", params={"scenario": "korea-now", "model": "bogus"})
    assert r.status_code == 422 and "model" in r.text
