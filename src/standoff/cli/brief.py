"""``standoff brief``: print a short summary and write the HTML briefing."""

from __future__ import annotations

from pathlib import Path

import typer

from standoff.cli._common import cell, console, emit_json, frame_records, state


def brief(
    ctx: typer.Context,
    out: Path = typer.Option(Path("out/briefing.html"), "--out", help="HTML file to write."),
    scenario: str = typer.Option("korea-now", "--scenario", help="Scenario name or YAML file."),
    claims: str = typer.Option(
        None, "--claims", help="Claims YAML file (default: bundled korea-2018)."
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="Describe the history as of this date (YYYY-MM-DD)."
    ),
    backtest_report: str = typer.Option(
        None, "--backtest-report", help="Link the briefing to this backtest HTML report."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write the HTML briefing (the main job of `make run`) and print its key numbers."""
    from standoff.history.claims import load_claims
    from standoff.limits import check_link
    from standoff.report.brief import write_briefing
    from standoff.scenario import load_scenario

    check_link(backtest_report)  # only a relative path or an http(s) URL goes into the page
    scn = load_scenario(scenario)  # validate inputs before any work
    cf, _ = load_claims(claims)
    h = state(ctx).history()
    if as_of:
        h = h.as_of(as_of)
    from standoff.store.duckdb_store import results_db_path

    path, k = write_briefing(out, h, scn, cf, backtest_report, results_db_path(state(ctx).db))
    from standoff.history.freshness import freshness, freshness_line, freshness_notes

    fr = freshness(h)
    if json_out:
        emit_json({**k, "freshness": frame_records(fr), "freshness_notes": freshness_notes(fr)})
        return
    by_leader = ", ".join(f"{n} {c}" for n, c in k["missiles_by_leader"].items())
    c = k["claims"]
    console.print(f"[bold]standoff briefing[/bold]: the Korean nuclear standoff as of {k['as_of']}")
    console.print(
        f"  missiles tested (CNS unit): {k['missiles']} to {k['launches_through']} ({by_leader}); ICBMs {k['icbm']}",
        markup=False,
    )
    console.print(
        f"  nuclear tests: {k['nuclear_tests']} (last {cell(k['last_nuclear_test'])}); UNSC resolutions adopted: "
        f"{k['resolutions_adopted']}, vetoed drafts: {k['vetoed_drafts']}; sanctions categories in force: "
        f"{k['sanctions_categories_in_force']}/{k['sanctions_categories_total']}",
        markup=False,
    )
    last = k["last_talks"]
    console.print(
        f"  diplomacy: {k['summits']} summits, {k['agreements']} agreements; last talks with the US or ROK: "
        + (f"{last['event']} ({last['date']})" if last else "none"),
        markup=False,
    )
    console.print(
        f"  claims (2018 debate): {c['supported']} supported, {c['not supported']} not supported, "
        f"{c['not checkable']} not checkable",
        markup=False,
    )
    console.print(f"  scenario: {scn.name} (as of {scn.as_of})", markup=False)
    console.print(f"  {freshness_line(fr)}", markup=False)
    for n in freshness_notes(fr):
        console.print(f"  note: {n}", markup=False)
    console.print(f"wrote {path}", markup=False)
