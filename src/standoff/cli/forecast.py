"""``standoff forecast``, ``standoff compare`` and ``standoff evidence``."""

from __future__ import annotations

import typer
from rich.table import Table

from standoff.cli._common import console, emit_json, state
from standoff.errors import UsageError

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
    json_out: bool = JSON,
) -> None:
    """Probabilities of each event within 1, 3, 6, 12, 24 months and the horizon; launch quantiles.

    The probabilities are the combined forecast (simulator stacked with the rolling climatology
    and a Markov chain, weights from its resolved track record); --raw gives the simulator alone.

    Example: standoff forecast --as-of 2018-01-01 --horizon 24 --paths 20000 --seed 1 --json
    """
    from standoff.forecast import run_forecast
    from standoff.scenario import load_scenario

    if scenario is not None and as_of is not None:
        raise UsageError("--as-of: give either --scenario or --as-of, not both")
    scn = load_scenario(scenario or "korea-now") if as_of is None else None
    out, _, _ = run_forecast(
        state(ctx).history(), scn, as_of, policy, horizon, paths, seed, raw=raw
    )
    if scn is not None:
        out = {"scenario": scn.name, **out}
    if json_out:
        emit_json(out)
        return
    console.print(
        f"[bold]Forecast[/bold] as of {out['as_of']} ({out.get('scenario', 'no scenario')}, policy {out['policy']}): "
        f"{out['paths']} paths from {out['first_month']}, seed {out['seed']}"
    )
    for note in out["notes"]:
        console.print(f"  note: {note}", markup=False)
    ks = [k for k in out["events"]["war"] if k != "label"]
    kind = "simulator alone" if out["raw"] else "combined forecast"
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
) -> None:
    """Compare policies side by side on common random numbers, with paired differences.

    Probabilities are combined forecasts (the status quo's combination weights applied to each
    policy); --raw compares the simulators alone.

    Example: standoff compare --scenario korea-now --policies status-quo,maximum-pressure,phased-relief --json
    """
    from standoff.forecast import compare_policies
    from standoff.scenario import load_scenario

    scn = load_scenario(scenario)
    ids = [p.strip() for p in policies.split(",") if p.strip()]
    out, _ = compare_policies(state(ctx).history(), scn, ids, horizon, paths, seed, raw=raw)
    if json_out:
        emit_json(out)
        return
    console.print(
        f"[bold]Policies compared[/bold] ({out['scenario']}, as of {out['as_of']}, {out['paths']} paths, "
        f"seed {out['seed']}); differences are vs {out['baseline']} with paired s.e."
    )
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
) -> None:
    """Does pressure bring a harsher rebound? Estimated associations with 95% intervals."""
    from standoff.dynamics.evidence import evidence as run

    ev = run(state(ctx).history(), as_of)
    if json_out:
        emit_json(ev)
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
            t.add_row(
                r["term"],
                f"{r[col]:.2f}",
                f"{r['lo95']:.2f} - {r['hi95']:.2f}",
                f"{r['p_value']:.3f}",
            )
        console.print(t)
    console.print(ev["note"], markup=False)
