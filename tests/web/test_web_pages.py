"""The pages in a real browser (Debian's headless Chromium via Playwright)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

PAGES = ["/", "/policies", "/history", "/bargaining", "/games", "/track-record", "/api"]


def _plot_points(page, div: str) -> list:
    """The y values plotly is drawing in ``div`` (from the live DOM element)."""
    return page.evaluate(
        f"() => (document.getElementById('{div}').data || []).map(t => Array.from(t.y || t.x || []))"
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_without_console_errors(page, path):
    resp = page.goto(page.base + path)
    assert resp.status == 200
    page.wait_for_load_state("networkidle")
    assert page.locator("nav.top a.active").count() == 1
    # offline: every script, style and image comes from this server
    hosts = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => new URL(e.name).host)"
    )
    assert set(hosts) <= {page.base.split("//")[1]}
    assert page.locator("h1").inner_text().strip()
    if path == "/":
        page.wait_for_selector("#fan .main-svg")
        from standoff.forecast.summary import EVENT_LABELS

        assert page.locator("#outlook-table tbody tr").count() == len(EVENT_LABELS)
        assert re.search(r"\d+\.\d%", page.locator("#outlook-table").inner_text())
    if path == "/history":
        page.wait_for_selector("#chart-year .main-svg")
        assert page.locator("#timeline tbody tr").count() > 50
        assert page.locator("#claims tbody tr").count() >= 5
        # every timeline row links its sources, and the links resolve on the page
        first = page.locator("#timeline tbody tr").first.locator("a").first
        target = first.get_attribute("href")
        assert target.startswith("#src-") and page.locator(target).count() == 1
    if path == "/bargaining":
        page.wait_for_selector("#bargain-results .main-svg")
        assert page.locator(".forecast").count() >= 1
    if path == "/games":
        page.wait_for_selector("#g-chart .main-svg")
        assert "negotiation" in page.locator("#g-chart").inner_text().lower()
    assert page.errors == []


def test_policy_edit_and_comparison_update_chart_and_numbers(page):
    page.goto(page.base + "/policies")
    page.fill("#paths", "2000")
    page.click("#run")
    page.wait_for_selector("#compare-table")
    page.wait_for_selector("#bars .main-svg")
    cell = "#compare-table td[data-policy='phased-relief'][data-event='talks']"
    before_text = page.locator(cell).inner_text()
    before_bars = _plot_points(page, "bars")
    assert len(before_bars) == 3  # status quo, phased relief, maximum pressure

    # change an analyst assumption: the log odds ratio of talks under phased relief
    iv = page.locator("details[data-policy='phased-relief'] .iv").nth(1)
    box = iv.locator("input[type=number][data-name='log_ratio']")
    box.fill("2")  # the top of the value's stated plausible range [0, 2]
    box.dispatch_event("change")
    assert "edited" in page.locator("#status").inner_text()
    page.click("#run")
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel) && document.querySelector(sel).innerText !== old",
        arg=[cell, before_text],
    )
    after_text = page.locator(cell).inner_text()
    after_bars = _plot_points(page, "bars")
    p_before = float(before_text.split("%")[0])
    p_after = float(after_text.split("%")[0])
    assert p_after > p_before + 5  # talks much likelier with the stronger offer
    assert after_bars[1] != before_bars[1] and after_bars[0] == before_bars[0]  # baseline fixed
    assert page.locator("#error").is_hidden()
    assert page.errors == []


def test_bad_edit_shows_the_field_not_a_crash(page):
    page.goto(page.base + "/policies")
    box = page.locator("details[data-policy='phased-relief'] input[aria-label='start month']").first
    box.fill("0")
    box.dispatch_event("change")
    page.fill("#paths", "500")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    assert "start" in page.locator("#error").inner_text()
    # the 422 response is logged by the browser as a failed resource; nothing else
    assert all("422" in e for e in page.errors)


def test_history_as_of_slider_cuts_the_record(page):
    page.goto(page.base + "/history")
    page.wait_for_selector("#chart-year .main-svg")
    total = page.locator("#timeline-count").inner_text()
    page.eval_on_selector(
        "#asof",
        "el => { el.value = '2005'; el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); }",
    )
    page.wait_for_function(
        "(old) => document.querySelector('#timeline-count').innerText !== old", arg=total
    )
    assert page.locator("#asof-label").inner_text() == "2005-12-31"
    dates = page.locator("#timeline tbody tr td:first-child").all_inner_texts()
    assert dates and max(dates) <= "2005-12-31"
    assert "2018" in page.locator("#claims").inner_text()  # claims need the 2018 view
    assert page.errors == []


def test_download_edited_scenario(page, tmp_path, run_cli):
    page.goto(page.base + "/policies")
    box = page.locator(
        "details[data-policy='maximum-pressure'] input[type=number][data-name='delta']"
    ).first
    box.fill("12.5")
    box.dispatch_event("change")
    with page.expect_download() as dl:
        page.click("#download")
    path = tmp_path / "edited.yaml"
    dl.value.save_as(path)
    text = path.read_text()
    assert "value: 12.5" in text
    code, out, err = run_cli("scenario", "validate", str(path))
    assert code == 0, err
    assert page.errors == []


def test_track_record_page_draws_a_stored_run(page, app, hist):
    from standoff.backtest import backtest
    from standoff.backtest.report import store_result

    svc = app.state.services
    run = backtest(hist, ["2016-01", "2016-02", "2016-03"], [12], paths=100, seed=5, reps=50)
    store_result(run, svc.results_db)
    page.goto(page.base + "/track-record")
    page.wait_for_selector("#reliability .main-svg")
    page.wait_for_selector("#over-time .main-svg")
    text = page.locator("#scores").inner_text()
    assert "nuclear test" in text and "seed 5" in page.locator("main").inner_text()
    # the outlook now shows the stored skill beside its 12-month numbers
    page.goto(page.base + "/")
    row = page.locator("#outlook-table tr[data-event='nuclear'] td.skill").nth(1)
    assert row.inner_text().strip() not in ("", "–")
    assert page.errors == []


def test_edited_rationale_travels_into_the_yaml(page, tmp_path):
    page.goto(page.base + "/policies")
    card = page.locator("details[data-policy='phased-relief']")
    card.locator("input[type=number][data-name='delta']").first.fill("-8")
    card.locator("input[type=number][data-name='delta']").first.dispatch_event("change")
    why = card.locator("input.rationale-edit").first
    why.fill("Two steps per quarter: a faster offer (my assumption).")
    why.dispatch_event("change")
    with page.expect_download() as dl:
        page.click("#download")
    path = tmp_path / "e.yaml"
    dl.value.save_as(path)
    text = path.read_text()
    assert "value: -8" in text and "a faster offer (my assumption)" in text
    assert page.errors == []


def test_bargaining_page_draws_the_win_set_of_the_default_deal(page):
    """The Bargaining page opens on korea-now and the default model (as the CLI) and draws
    the win-set: positions, status quo, the four veto players' curves and the feasible region."""
    from standoff.bargaining.deal import analyse_deal

    page.goto(page.base + "/bargaining")
    page.wait_for_selector("#deal-chart .main-svg")
    assert page.locator("#d-scenario").input_value() == "korea-now"
    assert page.locator("#d-model").input_value() == "default"
    traces = page.evaluate(
        "() => document.getElementById('deal-chart').data.map(t => "
        "({type: t.type || 'scatter', name: t.name, n: (t.x || []).length}))"
    )
    names = [t["name"] for t in traces]
    assert traces[0]["type"] == "heatmap"  # the feasible region
    assert sum(n.endswith("indifferent to status quo") for n in names) == 4
    res = analyse_deal("korea-now")
    pos = next(t for t in traces if t["name"] == "positions")
    assert pos["n"] == res.problem.n
    feas = next(t for t in traces if t["name"] == "feasible package")
    assert feas["n"] == len(res.feasible)
    assert page.locator("#deal-settlements tbody tr").count() == len(res.settlements)
    title = page.evaluate("() => document.getElementById('deal-chart').layout.title.text")
    page.select_option("#d-scenario", "korea-2018")
    page.click("#d-run")
    page.wait_for_function(
        "(old) => document.getElementById('deal-chart').layout.title.text !== old", arg=title
    )
    assert "korea-2018" in page.evaluate(
        "() => document.getElementById('deal-chart').layout.title.text"
    )
    assert page.errors == []
