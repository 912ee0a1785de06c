"""``standoff forecast``, ``standoff compare`` and ``standoff evidence``."""

from __future__ import annotations

import typer
from rich.table import Table

from standoff.cli._common import (
    FORMAT,
    MISSING,
    console,
    emit_json,
    output_format,
    state,
    write_csv,
)
from standoff.errors import UsageError
from standoff.labels import interval, label, ratio

SCENARIO = typer.Option(
    None, "--scenario", help="Scenario name or file (default korea-now unless --as-of)."
)
HORIZON = typer.Option(24, "--horizon", help="Months to simulate after the as-of month (1-600).")
PATHS = typer.Option(10_000, "--paths", help="Simulated paths (Monte Carlo error ~ 1/sqrt(paths)).")
SEED = typer.Option(
    None, "--seed", help="Random seed: same seed, same output (default: random, reported)."
)
JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
RAW = typer.Option(
    False,
    "--raw",
    help="The simulator alone (default: combined with fair baselines, weights from its track record).",
)


def _pct(p: float) -> str:
    return f"{100 * p:5.1f}%"


def forecast(
    ctx: typer.Context,
    scenario: str = SCENARIO,
    as_of: str = typer.Option(
        None, "--as-of", help="Fit and forecast as of this date (YYYY-MM-DD), status quo."
    ),
    policy: str = typer.Option("status-quo", "--policy", help="Policy id from the scenario."),
    horizon: int = HORIZON,
    paths: int = PATHS,
    seed: int = SEED,
    raw: bool = RAW,
    record: bool = typer.Option(
        False,
        "--record",
        help="Store the run (vintage, code version, seed, as-of, probabilities) in the results store.",
    ),
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Probabilities of each event within 1, 3, 6, 12, 24 months and the horizon; launch
    quantiles; the war probability beside the crisis games' (what each is conditional on).

    The probabilities are the combined forecast (the simulator's probability recalibrated on its
    resolved track record, the same increasing map for every policy); --raw gives the simulator
    alone.

    With no --scenario and no --as-of: korea-now's policies and parameters, as of the latest
    coverage of the latest vintage. Subcommands: `forecast diff` (what changed between recorded
    runs) and `forecast scores` (recorded forecasts scored once their windows close).

    Example: standoff forecast --as-of 2018-01-01 --horizon 24 --paths 20000 --seed 1 --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from standoff.forecast import forecast as run
    from standoff.scenario import load_scenario

    fmt = output_format(fmt, json_out)
    if scenario is not None and as_of is not None:
        raise UsageError("--as-of: give either --scenario or --as-of, not both")
    h = state(ctx).history()
    scn = load_scenario(scenario or "korea-now") if as_of is None else None
    latest = scenario is None and as_of is None
    eff_as_of = str(h.latest_date.date()) if latest else as_of
    res = run(h, scn, eff_as_of, policy, horizon, paths, seed, raw=raw)
    if latest:
        res["notes"].insert(
            0,
            f"as of {res['as_of']}, the latest coverage of vintage {res['data']['vintage']} "
            f"(policies and parameters of {scn.name})",
        )
    if record:
        from standoff.forecast.log import record as record_run
        from standoff.store.duckdb_store import results_db_path

        db = results_db_path(state(ctx).db)
        req = {
            "scenario": scn.name if scn is not None else None,
            "as_of_given": as_of if as_of is not None else ("latest" if latest else None),
            "policy": policy,
            "horizon": horizon,
            "paths": paths,
            "seed": res["seed"],
            "raw": raw,
        }
        res["run_id"] = record_run(res, db, history=h, request=req)
        res["store"] = str(db)
    war = res.war_risk()
    if fmt == "json":
        emit_json({**res, "war_risk": war.to_dict(orient="records")})
    elif fmt == "csv":
        write_csv(res.table)
    else:
        render_forecast(res, war)


def render_forecast(out: dict, war=None) -> None:
    """Print a forecast (``ForecastResult`` or its dict) as ``standoff forecast`` does."""
    console.print(
        f"[bold]Forecast[/bold] as of {out['as_of']} ({out.get('scenario', 'no scenario')}, policy {out['policy']}): "
        f"{out['paths']} paths from {out['first_month']}, seed {out['seed']}"
    )
    _print_data(out)
    for note in out["notes"]:
        console.print(f"  note: {note}", markup=False)
    ks = [k for k in out["events"]["war"] if k != "label"]
    kind = "simulator alone" if out.get("raw") else "combined forecast"
    t = Table(
        title=f"Probability of at least one event within k months, {kind} (± Monte Carlo s.e.)"
    )
    t.add_column("event")
    for k in ks:
        t.add_column(f"{k} mo", justify="right")
    for v in out["events"].values():
        t.add_row(v["label"], *[f"{_pct(v[k]['p'])} ±{100 * v[k]['se']:.1f}" for k in ks])
    console.print(t)
    t = Table(title="Missiles launched per year of the horizon")
    for c in ("year", "months", "mean", "5%", "25%", "50%", "75%", "95%"):
        t.add_column(c, justify="right")
    for r in out["launches"]:
        t.add_row(
            str(r["year"]),
            r["months"],
            f"{r['mean']:.1f}",
            *[f"{r[q]:.0f}" for q in ("q05", "q25", "q50", "q75", "q95")],
        )
    console.print(t)
    lc = out.get("launches_combined")
    if lc:
        console.print(
            f"Missiles in the first {lc['months']} months, combined (ensemble weight "
            f"{lc['ensemble_weight']:.2f}): mean {lc['mean']:.1f}, median {lc['q50']:.0f}, "
            f"90% interval {lc['q05']:.0f}-{lc['q95']:.0f}",
            markup=False,
        )
    o = out["outcomes_at_horizon"]
    console.print(
        "At the horizon: " + ", ".join(f"{k} {_pct(v['p']).strip()}" for k, v in o.items()),
        markup=False,
    )
    if war is not None:
        render_war_risk(war, out)
    if "run_id" in out:
        console.print(f"recorded as run {out['run_id']} in {out['store']}", markup=False)


def _print_data(out: dict) -> None:
    """The data's freshness: vintage, coverage end per table, as-of, first forecast month."""
    d = out.get("data")
    if not d:
        return
    ends = ", ".join(f"{t} {e}" for t, e in d["coverage_end"].items())
    console.print(
        f"  data: vintage {d['vintage']}; coverage ends {ends}; as of {d['as_of']}; "
        f"first forecast month {d['first_forecast_month']}",
        markup=False,
    )


def render_war_risk(war, out: dict) -> None:
    """The war-risk table: each war probability, its period, what it assumes, whether used."""
    from standoff.forecast.war_risk import COLUMNS, pct, war_risk_note

    t = Table(title="War risk: what each number is conditional on")
    heads = {"war probability": "P(war)", "used by the forecasts": "used?"}
    for c in COLUMNS:
        t.add_column(
            heads.get(c, c), overflow="fold", justify="right" if c == "war probability" else "left"
        )
    for r in war.to_dict(orient="records"):
        se = r.get("se")
        se = None if se is None or se != se else se  # NaN in a DataFrame column: no s.e.
        t.add_row(r["source"], pct(r["war probability"], se), *[r[c] for c in COLUMNS[2:]])
    console.print(t)
    console.print(war_risk_note(out), markup=False)


def compare(
    ctx: typer.Context,
    scenario: str = typer.Option(
        "korea-now", "--scenario", help="Scenario name or file defining the policies."
    ),
    policies: str = typer.Option(
        "status-quo,maximum-pressure,phased-relief",
        "--policies",
        help="Comma-separated policy ids; the first is the baseline.",
    ),
    horizon: int = HORIZON,
    paths: int = PATHS,
    seed: int = SEED,
    raw: bool = RAW,
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Compare policies side by side on common random numbers, with paired differences.

    Probabilities are combined forecasts (the status quo's combination weights applied to each
    policy); --raw compares the simulators alone.

    Example: standoff compare --scenario korea-now --policies status-quo,maximum-pressure,phased-relief --json
    """
    from standoff.forecast import compare as run
    from standoff.scenario import load_scenario

    fmt = output_format(fmt, json_out)
    scn = load_scenario(scenario)
    ids = [p.strip() for p in policies.split(",") if p.strip()]
    out = run(state(ctx).history(), scn, ids, horizon, paths, seed, raw=raw)
    if fmt == "json":
        emit_json(out)
    elif fmt == "csv":
        write_csv(out.table)
    else:
        render_comparison(out)


def render_comparison(out: dict) -> None:
    """Print a policy comparison as ``standoff compare`` does."""
    console.print(
        f"[bold]Policies compared[/bold] ({out['scenario']}, as of {out['as_of']}, {out['paths']} paths, "
        f"seed {out['seed']}); differences are vs {out['baseline']} with paired s.e."
    )
    _print_data(out)
    for note in out.get("notes", []):
        console.print(f"  note: {note}", markup=False)
    h = str(out["horizon"])
    ks = ["12", h] if h != "12" and int(h) > 12 else [h]
    for k in ks:
        t = Table(title=f"Probability within {k} months")
        t.add_column("event")
        for pid in out["policies"]:
            t.add_column(pid, justify="right")
        for e, v in out["policies"][out["baseline"]]["events"].items():
            cells = []
            for pid, s in out["policies"].items():
                p = s["events"][e][k]["p"]
                if pid == out["baseline"]:
                    cells.append(_pct(p))
                else:
                    d = out["differences"][pid][e][k]
                    cells.append(f"{_pct(p)} ({100 * d['diff']:+.1f} ±{100 * d['se']:.1f})")
            t.add_row(v["label"], *cells)
        console.print(t)


def evidence(
    ctx: typer.Context,
    as_of: str = typer.Option(None, "--as-of", help="Use the record up to this date (YYYY-MM-DD)."),
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Does pressure bring a harsher rebound? Estimated associations with 95% intervals."""
    from standoff.dynamics.evidence import evidence as run

    fmt = output_format(fmt, json_out)
    ev = run(state(ctx).history(), as_of)
    if fmt == "json":
        emit_json(ev)
        return
    if fmt == "csv":
        write_csv(
            [
                {"outcome": key, "label": label(r["term"]), **r}
                for key in ("launches_on_pressure", "sanctions_on_provocation")
                for r in ev[key]["terms"]
            ]
        )
        return
    console.print(
        f"[bold]Evidence[/bold] from the monthly record {ev['window'][0]}..{ev['window'][1]} ({ev['months']} months)"
    )
    for key, title, col in (
        ("launches_on_pressure", "Missile launches: incidence-rate ratios", "irr"),
        ("sanctions_on_provocation", "New UNSC sanctions resolution: odds ratios", "odds_ratio"),
    ):
        t = Table(title=f"{title} ({ev[key]['model']})")
        for c in ("term", "ratio", "95% interval", "p"):
            t.add_column(c, justify="right" if c != "term" else "left")
        for r in ev[key]["terms"]:
            if r["term"] == "const":
                continue
            est = ratio(r[col])
            pv = r["p_value"]
            t.add_row(
                label(r["term"]),
                est,
                interval(r["lo95"], r["hi95"]),
                MISSING
                if est == "not estimable" or pv != pv
                else (f"{pv:.3f}" if pv >= 0.001 else "< 0.001"),
            )
        console.print(t)
    console.print(ev["note"], markup=False)
