"""The HTML briefing (``standoff brief``, the job behind ``make run``).

A single self-contained HTML file (charts embedded as PNG, no external assets): key
numbers, launches by year/type/leader, the sanctions and diplomacy timelines, the claims
table, the scenario's actors and positions with their provenance, and the data sources
with their licences. Later capabilities (bargaining, crisis games, forecasts) add sections
through :data:`SECTION_PROVIDERS`.

The briefing reads results; it never fits or forecasts anything itself. It is
deterministic for a given history, scenario and claims file (no timestamps).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from standoff.errors import UsageError
from standoff.history.charts import figure_png, img_tag, make_chart
from standoff.history.claims import ClaimsFile, evaluate_claims
from standoff.history.core import History
from standoff.history.schema import MEASURES
from standoff.scenario import Scenario
from standoff.templates import Markup, environment, render


@dataclass
class BriefContext:
    history: History  # the as-of view the briefing describes
    scenario: Scenario | None
    claims: ClaimsFile | None
    claim_results: list[dict]
    backtest_report: str | None = None  # link to the backtest's HTML report, if any
    results_db: Path | None = None  # where stored backtest runs are read from


#: Extra sections: (title, provider). A provider returns an HTML fragment, or "" to skip.
#: Later capabilities register here (e.g. bargaining forecasts, crisis games).
def _bargaining(ctx: BriefContext) -> str:
    if ctx.scenario is None or not ctx.scenario.issues:
        return ""
    from standoff.bargaining.report import briefing_section

    return briefing_section(ctx.scenario)


def _strategic(ctx: BriefContext) -> str:
    if ctx.scenario is None:
        return ""
    from standoff.games.report import briefing_section

    return briefing_section(ctx.scenario)


def _forecast(ctx: BriefContext) -> str:
    if ctx.scenario is None or not ctx.scenario.policies:
        return ""
    if ctx.history.as_of_date is not None and ctx.history.as_of_date.date() < ctx.scenario.as_of:
        return ""  # the history view ends before the scenario's date: no forecast from it
    from standoff.forecast.report import briefing_section

    return briefing_section(ctx.history, ctx.scenario)


def _scorecard(ctx: BriefContext) -> str:
    from standoff.forecast.report import scorecard_2018

    return scorecard_2018(ctx.history)


def _track_record(ctx: BriefContext) -> str:
    from standoff.backtest.report import latest_run_section

    return latest_run_section(ctx.history, ctx.backtest_report, ctx.results_db)


def _sensitivity(ctx: BriefContext) -> str:
    if ctx.scenario is None:
        return ""
    from standoff.sensitivity.report import stored_briefing_section

    return stored_briefing_section(ctx.scenario, ctx.results_db)


SECTION_PROVIDERS: list[tuple[str, Callable[[BriefContext], str]]] = [
    ("Forecast and policy comparison", _forecast),
    ("The January 2018 scorecard", _scorecard),
    ("Track record", _track_record),
    ("Robustness of the policy ranking", _sensitivity),
    ("Bargaining: where the negotiation would settle", _bargaining),
    ("Strategic logic: crisis games", _strategic),
]


def key_numbers(h: History) -> dict:
    la, nt = h.tables["launches"], h.tables["nuclear_tests"]
    sa, dp = h.tables["sanctions"], h.tables["diplomacy"]
    adopted = sa["adopted"].fillna(False).astype(bool)
    to2017 = la[la["date"] <= "2017-12-31"].groupby("leader").size()
    kju, others = (
        int(to2017.get("Kim Jong Un", 0)),
        int(to2017.drop("Kim Jong Un", errors="ignore").sum()),
    )
    with_us_rok = dp["participants"].fillna("").str.contains(r"\b(?:USA|KOR)\b")
    talks = dp[dp["kind"].isin(["talks", "summit"]) & with_us_rok]
    last_talks = talks.sort_values("date_start").iloc[-1] if len(talks) else None
    regime = h.sanctions_regime()
    return {
        "as_of": str((h.as_of_date or h.latest_date).date()),
        "missiles": int(len(la)),
        "launches_through": str(h.coverage_end("launches").date()),
        "icbm": int((la["type"] == "ICBM").sum()),
        "last_launch": None if la.empty else str(la["date"].max().date()),
        "missiles_by_leader": {k: int(v) for k, v in la.groupby("leader").size().items()},
        "kju_ratio_through_2017": round(kju / others, 2) if others else None,
        "nuclear_tests": int(len(nt)),
        "last_nuclear_test": None if nt.empty else str(nt["date"].max().date()),
        "resolutions_adopted": int((adopted & (sa["kind"] != "panel_renewal")).sum()),
        "sanctions_resolutions": int(
            (adopted & sa["kind"].isin(["sanctions", "designations"])).sum()
        ),
        "vetoed_drafts": int((sa["kind"] == "vetoed_draft").sum()),
        "sanctions_categories_in_force": int((regime["level"] > 0).sum()),
        "sanctions_categories_total": len(MEASURES),
        "summits": int((dp["kind"] == "summit").sum()),
        "agreements": int((dp["kind"] == "agreement").sum()),
        "last_talks": None
        if last_talks is None
        else {"date": str(last_talks["date_start"].date()), "event": last_talks["event"]},
    }


def _rows(df: pd.DataFrame, cols: list[str]) -> list[dict[str, str]]:
    """Table cells as text: dates as YYYY-MM-DD, missing as empty."""
    out = []
    for _, r in df.iterrows():
        row = {}
        for c in cols:
            v = r[c]
            if isinstance(v, pd.Timestamp):
                v = "" if pd.isna(v) else str(v.date())
            elif v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
                v = ""
            row[c] = str(v)
        out.append(row)
    return out


def _caps(regime: pd.DataFrame) -> list[str]:
    return [
        f"{label} capped at {regime.attrs[key]:,} barrels a year"
        for key, label in (
            ("refined_petroleum_cap_bbl", "refined petroleum"),
            ("crude_oil_cap_bbl", "crude oil"),
        )
        if regime.attrs.get(key)
    ]


def _chart(h: History, kind: str) -> str:
    return img_tag(figure_png(make_chart(h, kind)), kind)


def _claims_section(ctx: BriefContext) -> str:
    if ctx.claims is None:
        return ""
    rows = []
    for r in ctx.claim_results:
        says = "; ".join(
            f"{c['label']}: {c['value']} (claim: {c['expected']})" for c in r["checks"]
        )
        if not says:
            says = "; ".join(f"{c['label']}: {c['value']}" for c in r["context"])
        if r["verdict"] == "not checkable" and r["reason"]:
            says = (says + ". " if says else "") + r["reason"]
        rows.append({"text": r["text"], "verdict": r["verdict"], "says": says})
    return render("sections/claims.html", title=ctx.claims.title, as_of=ctx.claims.as_of, rows=rows)


def _scenario_section(ctx: BriefContext) -> str:
    s = ctx.scenario
    if s is None:
        return ""
    values = s.sourced_values()
    actors = [
        {
            "id": a.id,
            "name": a.name,
            "capability": f"{a.capability.value:g}",
            "provenance": a.capability.source or "assumption: " + (a.capability.assumption or ""),
        }
        for a in s.actors
    ]
    issues = [
        (
            issue,
            [
                {
                    "actor": a,
                    "position": f"{st.position.value:g}",
                    "salience": f"{st.salience.value:g}",
                    "provenance": st.position.source
                    or "assumption: " + (st.position.assumption or ""),
                }
                for a, st in issue.positions.items()
            ],
        )
        for issue in s.issues
    ]
    return render(
        "sections/scenario.html",
        s=s,
        n_values=len(values),
        n_sourced=sum(v.source is not None for _, v in values),
        actors=actors,
        issues=issues,
    )


def build_briefing(ctx: BriefContext) -> tuple[str, dict]:
    """Render the briefing (template ``briefing.html``); returns (html, key numbers)."""
    h = ctx.history
    k = key_numbers(h)
    sa = h.tables["sanctions"].copy()
    sa["measures"] = sa["measures_added"].fillna("")
    sa["status"] = sa["adopted"].map({True: "adopted", False: "failed (veto)"})
    dp = h.tables["diplomacy"]
    agr = dp[dp["kind"] == "agreement"]
    meetings = dp[dp["kind"].isin(["talks", "summit", "collapse"])]
    regime = h.sanctions_regime()
    regime_rows = regime[regime["level"] > 0].assign(
        level=lambda d: d["level"].map({1: "partial", 2: "comprehensive"})
    )
    leaders_txt = ", ".join(f"{n} {c}" for n, c in k["missiles_by_leader"].items())
    hist_t = environment().get_template("sections/history.html").module
    charts = {
        kind: _chart(h, kind)
        for kind in ("launches-by-year", "launches-by-leader", "launches-by-type")
    }
    sections = [
        ("Key numbers", render("sections/key_numbers.html", k=k, leaders_txt=leaders_txt)),
        ("Missile tests", hist_t.missiles(charts)),
        (
            "Sanctions",
            hist_t.sanctions(
                _chart(h, "sanctions"),
                _rows(sa, ["document", "date", "status", "vote", "trigger", "measures"]),
                _rows(regime_rows, ["category", "level", "since_document"]),
                _caps(regime),
            ),
        ),
        (
            "Diplomacy",
            hist_t.diplomacy(
                _chart(h, "diplomacy"),
                _rows(agr, ["date_start", "event", "participants", "in_force_to", "end_basis"]),
                _rows(meetings, ["date_start", "kind", "track", "event", "outcome"]),
            ),
        ),
        ("Claims of the 2018 debate", _claims_section(ctx)),
        ("Scenario", _scenario_section(ctx)),
    ]
    for title, provider in SECTION_PROVIDERS:
        frag = provider(ctx).strip()
        head = re.match(r"^(<section[^>]*>)?\s*<h2>(.*?)</h2>", frag)
        if head:  # a fragment with its own title: use it as the section title
            title = html.unescape(head.group(2))
            frag = (head.group(1) or "") + frag[head.end() :]
        if frag:
            sections.append((title, frag))
    sections.append(
        (
            "Data, coverage and licences",
            hist_t.data_sources(
                _rows(h.tables["coverage"], ["table", "start", "end", "note"]),
                _rows(h.tables["sources"], ["id", "kind", "citation"]),
            ),
        )
    )
    title = f"standoff briefing: the Korean nuclear standoff as of {k['as_of']}"
    page = render(
        "briefing.html",
        title=title,
        origin=h.origin,
        as_of=k["as_of"],
        freshness=Markup(_freshness_block(h)),
        sections=[(t, Markup(str(frag))) for t, frag in sections],
    )
    return page + "\n", k


def _freshness_block(h: History) -> str:
    """How fresh the data are: coverage end per table vs the as-of date, and warnings."""
    from standoff.history.freshness import freshness, freshness_notes

    fr = freshness(h)
    rows = [
        {
            "label": r["label"],
            "coverage_end": str(r["coverage_end"].date()),
            "days_behind": int(r["days_behind"]),
            "nowcast": r["nowcast"],
        }
        for _, r in fr.iterrows()
    ]
    return render(
        "sections/freshness.html",
        vintage=str(h.vintage or h.origin),
        as_of=str(fr["as_of"].iloc[0].date()) if len(fr) else "–",
        first=fr["first_forecast_month"].iloc[0] if len(fr) else None,
        rows=rows,
        notes=freshness_notes(fr),
    )


def write_briefing(
    out: str | Path,
    history: History,
    scenario: Scenario | None = None,
    claims: ClaimsFile | None = None,
    backtest_report: str | None = None,
    results_db: Path | None = None,
) -> tuple[Path, dict]:
    """Build and write the briefing atomically; returns (path, key numbers + claim tally)."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out: expected a path ending in .html, got {str(out)!r}")
    results = evaluate_claims(history, claims) if claims is not None else []
    page, k = build_briefing(
        BriefContext(history, scenario, claims, results, backtest_report, results_db)
    )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {out} ({exc.strerror})") from None
    tally = {
        v: sum(r["verdict"] == v for r in results)
        for v in ("supported", "not supported", "not checkable")
    }
    return out, {**k, "claims": tally, "briefing": str(out)}
