"""Claims as data: the bundled 2018 debate, user files, comparators and errors."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standoff.errors import ClaimsError
from standoff.history.claims import Check, evaluate_claims, load_claims


@pytest.fixture(scope="module")
def results(hist):
    cf, _ = load_claims()
    return {r["id"]: r for r in evaluate_claims(hist, cf)}


def test_bundled_claims_verdicts(results):
    assert results["forty-seven-in-two-years"]["verdict"] == "not supported"
    assert results["forty-seven-in-two-years"]["value"] == 45
    assert results["kju-nearly-tripled"]["verdict"] == "supported"
    assert results["kju-nearly-tripled"]["value"] == pytest.approx(87 / 31, abs=1e-4)
    assert results["icbm-november-2017"]["verdict"] == "supported"
    assert results["icbm-range-mainland-us"]["verdict"] == "not checkable"
    assert results["icbm-range-mainland-us"]["context"][0]["value"] == 4475.0
    for cid in (
        "agreed-framework-1994",
        "six-party-talks-2003",
        "abandon-2005",
        "talks-halted-after-bda",
        "unsc-bans-and-caps",
        "inter-korean-talks-january-2018",
    ):
        assert results[cid]["verdict"] == "supported", cid
    assert [c["value"] for c in results["six-party-talks-2003"]["checks"]] == ["2003-08", 6]
    assert results["talks-halted-after-bda"]["checks"][1]["value"] == 13
    assert results["unsc-bans-and-caps"]["checks"][3]["value"] == 500_000


def test_bundled_file_has_the_required_claims():
    cf, _ = load_claims()
    ids = {c.id for c in cf.claims}
    assert len(ids) >= 10
    assert all(c.checks or c.reason for c in cf.claims)


def _write(tmp_path, body: str):
    p = tmp_path / "claims.yaml"
    p.write_text(textwrap.dedent(body))
    return p


def test_user_claims_file_and_coverage_requirement(tmp_path, hist):
    p = _write(
        tmp_path,
        """
        title: mine
        as_of: 2016-12-31
        claims:
          - id: twenty-four
            text: 24 missiles in 2016
            checks: [{query: "SELECT count(*) FROM launches WHERE year(date) = 2016", op: eq, value: 24}]
          - id: needs-2017
            text: something about 2017
            requires: [{table: launches, through: 2017-12-31}]
            checks: [{query: "SELECT count(*) FROM launches", op: ge, value: 0}]
          - id: nothing
            text: a claim whose query gives no value
            checks: [{query: "SELECT max(apogee_km) FROM launches WHERE year(date) = 2018", op: gt, value: 0}]
        """,
    )
    cf, _ = load_claims(p)
    r = {x["id"]: x for x in evaluate_claims(hist, cf)}
    assert r["twenty-four"]["verdict"] == "supported"
    assert r["needs-2017"]["verdict"] == "not checkable"
    assert "launches data end 2016-12-31, before 2017-12-31" in r["needs-2017"]["reason"]
    assert r["nothing"]["verdict"] == "not checkable"
    assert r["twenty-four"]["as_of"] == "2016-12-31"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("title: t\nclaims: []\n", r"as_of: expected a value \(required\)"),
        (
            "title: t\nas_of: 2018-01-01\nclaims:\n  - {id: a, text: x}\n",
            r"claims\[0\]: expected 'checks' or a 'reason'",
        ),
        (
            "title: t\nas_of: 2018-01-01\nclaims:\n  - {id: a, text: x, checks: [{query: 'SELECT 1', op: about, value: 1}]}\n",
            r"claims\[0\]\.checks\[0\]\.op",
        ),
        (
            "title: t\nas_of: 2018-01-01\nclaims:\n  - {id: a, text: x, checks: [{query: 'SELECT 1', op: between, value: 1}]}\n",
            r"'between' expects \[low, high\]",
        ),
        ("title: [unclosed\n", r"line \d+, column \d+: expected valid YAML"),
        ("- just a list\n", "expected a YAML mapping"),
    ],
)
def test_bad_claims_files(tmp_path, body, message):
    p = tmp_path / "c.yaml"
    p.write_text(body)
    with pytest.raises(ClaimsError, match=message) as ei:
        load_claims(p)
    assert str(p) in str(ei.value) and "\n" not in str(ei.value)


def test_bad_query_names_the_claim(tmp_path, hist):
    p = _write(
        tmp_path,
        """
        title: t
        as_of: 2018-01-01
        claims:
          - id: broken
            text: x
            checks: [{query: "SELECT nope FROM launches", op: eq, value: 1}]
        """,
    )
    cf, path = load_claims(p)
    with pytest.raises(ClaimsError, match=r"claims\[0\] \(broken\)\.checks\[0\]: query failed"):
        evaluate_claims(hist, cf, origin=str(path))


@given(x=st.floats(-1e6, 1e6), v=st.floats(-1e6, 1e6), tol=st.floats(0, 1e3))
def test_comparators_are_consistent(x, v, tol):
    eq = Check(query="-", op="eq", value=v, tolerance=tol)
    ne = Check(query="-", op="ne", value=v, tolerance=tol)
    assert eq.holds(x) != ne.holds(x)
    lt, ge = Check(query="-", op="lt", value=v), Check(query="-", op="ge", value=v)
    assert lt.holds(x) != ge.holds(x)
    lo, hi = sorted((v, v + tol))
    assert Check(query="-", op="between", value=[lo, hi]).holds(x) == (lo <= x <= hi)


def test_string_comparator():
    c = Check(query="-", op="eq", value="2003-08")
    assert c.holds("2003-08") and not c.holds("2003-09")
    with pytest.raises(ValueError, match="expects a number"):
        Check(query="-", op="gt", value="a")


def test_string_result_with_numeric_comparator_is_a_claims_error(tmp_path, hist):
    p = _write(
        tmp_path,
        """
        title: t
        as_of: 2018-01-01
        claims:
          - id: date-as-number
            text: x
            checks: [{query: "SELECT max(date) FROM launches", op: gt, value: 0}]
          - id: decimal
            text: y
            checks: [{query: "SELECT 1.5", op: eq, value: 1.5}]
        """,
    )
    cf, path = load_claims(p)
    with pytest.raises(
        ClaimsError, match=r"date-as-number\)\.checks\[0\]: expected the query to return a number"
    ):
        evaluate_claims(hist, cf, origin=str(path))
    cf2 = cf.model_copy(update={"claims": cf.claims[1:]})
    assert evaluate_claims(hist, cf2)[0]["verdict"] == "supported"
