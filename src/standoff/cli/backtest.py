"""``standoff backtest``: rolling-origin track record against naive baselines."""

from __future__ import annotations

import re
from pathlib import Path

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
from standoff.labels import skill
from standoff.labels import target as label
from standoff.limits import check_seed, check_simulation, one_line

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _month(value: str, flag: str):
    import pandas as pd

    if not _MONTH.match(value or ""):
        raise UsageError(f"{flag}: expected a month YYYY-MM, got {value!r}")
    try:
        return pd.Period(value, freq="M")
    except ValueError as exc:
        raise UsageError(f"{flag}: expected a month YYYY-MM, got {value!r}") from exc


def _ints(value: str, flag: str) -> list[int]:
    try:
        out = [int(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise UsageError(f"{flag}: expected comma-separated integers, got {value!r}") from exc
    if not out or min(out) < 1 or max(out) > 120:
        raise UsageError(f"{flag}: expected months in [1, 120], got {value!r}")
    return out


def _fmt_skill(s: dict) -> str:
    if not s.get("n"):
        return MISSING
    lo, hi = s["skill_interval"]
    return skill(s["skill"], lo, hi)


def _fmt_num(v: float) -> str:
    return MISSING if v is None or v != v else f"{v:.2f}"


def backtest(
    ctx: typer.Context,
    start: str = typer.Option("2000-01", "--from", help="First origin month (YYYY-MM)."),
    end: str = typer.Option(
        None, "--to", help="Last origin month (default: last month of the record)."
    ),
    step: int = typer.Option(1, "--step", help="Months between origins."),
    horizons: str = typer.Option(
        "1,3,6,12,24", "--horizons", help="Comma-separated horizons in months."
    ),
    targets: str = typer.Option(None, "--targets", help="Comma-separated targets (default: all)."),
    paths: int = typer.Option(
        500,
        "--paths",
        help="Simulated paths per origin (Monte Carlo s.e. <= 0.022 per probability).",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the Monte Carlo."),
    boot_seed: int = typer.Option(
        None, "--boot-seed", help="Seed of the bootstrap intervals (its own; default fixed)."
    ),
    report: Path = typer.Option(None, "--report", help="Write the HTML report to PATH (.html)."),
    store: bool = typer.Option(
        True, "--store/--no-store", help="Record the run in the results store (DuckDB)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout."),
    fmt: str = FORMAT,
    workers: int = typer.Option(1, "--workers", help="Origins in parallel (processes)."),
    backend: str = typer.Option("local", "--backend", help="local (process pool) or ray."),
    address: str = typer.Option(None, "--address", help="Ray cluster address (--backend ray)."),
) -> None:
    """Rolling-origin backtest: per target, n origins, Brier (or CRPS) of standoff (combined)
    and the fair baselines, skill with a 90% stationary-bootstrap interval, AUC, recalibration.

    Example: standoff backtest --from 2000-01 --horizons 3,12 --paths 500 --json
    """
    import pandas as pd

    from standoff.backtest import TARGETS, backtest

    fmt = output_format(fmt, json_out)
    from standoff.sweep.engine import BACKENDS

    if backend not in BACKENDS:
        raise UsageError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if not 1 <= workers <= 1024:
        raise UsageError(f"--workers: expected an integer in [1, 1024], got {workers}")
    if address and backend != "ray":
        raise UsageError("--address: only with --backend ray")
    lo = _month(start, "--from")
    if step < 1:
        raise UsageError(f"--step: expected an integer >= 1, got {step}")
    hs = _ints(horizons, "--horizons")
    check_simulation(paths, max(hs))  # bounds and memory budget before any work
    check_seed(seed)
    if boot_seed is not None:
        check_seed(boot_seed)
    tg = list(TARGETS) if targets is None else [t.strip() for t in targets.split(",") if t.strip()]
    bad = [t for t in tg if t not in TARGETS]
    if bad or not tg:
        raise UsageError(
            f"--targets: unknown {bad[0] if bad else targets!r} (expected {','.join(TARGETS)})"
        )
    history = state(ctx).history()
    last = pd.Period(history.monthly["month"].iloc[-1], freq="M")
    hi = _month(end, "--to") if end is not None else last
    first = pd.Period(history.monthly["month"].iloc[0], freq="M")
    if not first <= lo <= last:
        raise UsageError(f"--from: expected a month from {first} to {last} (the record), got {lo}")
    if hi > last:
        raise UsageError(f"--to: expected a month up to {last} (the end of the record), got {hi}")
    if hi < lo:
        raise UsageError(f"--to: {hi} is before --from {lo}")
    origins = pd.period_range(lo, hi, freq="M")[::step]
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--report: expected a path ending in .html, got {str(report)!r}")
    if store:  # a results store that is locked, foreign or read-only: say so before the work
        from standoff.store.duckdb_store import results_db_path
        from standoff.store.results import check_writable

        check_writable(results_db_path(state(ctx).db))
    from standoff.backtest.core import BOOT_SEED

    bseed = BOOT_SEED if boot_seed is None else boot_seed
    res = backtest(
        history, [str(o) for o in origins], hs, tg, paths, seed, boot_seed=bseed,
        workers=workers, backend=backend, address=address,
    )  # fmt: skip
    if not res["n_forecast"]:  # nothing to score: say why, write and store nothing
        reasons: dict[str, int] = {}
        for s in res["skipped"]:
            reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
        why = "; ".join(f"{n} x {r}" for r, n in sorted(reasons.items(), key=lambda x: -x[1]))
        raise UsageError(
            one_line(
                f"--from/--to: all {len(res['skipped'])} origins failed, nothing to score "
                f"({why[:300]})"
            )
        )
    res["step"] = step
    if report is not None:
        from standoff.backtest.report import write_report

        res["report"] = str(write_report(res, report))
    if store:
        from standoff.backtest.report import store_result
        from standoff.store.duckdb_store import results_db_path

        db = results_db_path(state(ctx).db)
        res["run_id"] = store_result(res, db)
        res["store"] = str(db)
    res.pop("records")
    if fmt == "json":
        emit_json(res)
    elif fmt == "csv":
        write_csv(res.table)
    else:
        render_backtest(res)


def render_backtest(res: dict) -> None:
    """Print a backtest result as ``standoff backtest`` does."""
    origins, hs, step, paths, seed = (
        res["origins"],
        res["horizons"],
        res.get("step", 1),
        res["paths"],
        res["seed"],
    )
    tg = list(res["scores"])
    console.print(
        f"[bold]Backtest[/bold] {len(origins)} origins {origins[0]}..{origins[-1]} (step {step}), "
        f"{paths} paths, seed {seed}, refit {res['refit']}, vintage {res['vintage']}: {res['seconds']:.1f} s "
        f"({res['seconds_per_origin']:.2f} s per origin)"
    )
    if res["skipped"]:
        console.print(
            f"  skipped {len(res['skipped'])} of {len(origins)} origins (no forecast possible):",
            markup=False,
        )
    for s in res["skipped"]:
        console.print(f"  skipped {s['origin']}: {s['reason']}", markup=False)
    for h in hs:
        t = Table(
            title=f"{h}-month horizon: Brier (CRPS for counts) of standoff (the combined "
            "forecast) and the simulator alone (raw)"
        )
        for c in ("target", "n", "episodes", "standoff", "raw", "AUC", "recal. slope"):
            t.add_column(c, justify="left" if c == "target" else "right", overflow="fold")
        k = Table(title=f"{h}-month horizon: skill of standoff = 1 - score / baseline's [90%]")
        for c in ("target", "vs climatology", "vs rolling clim.", "vs Markov", "vs persistence"):
            k.add_column(c, justify="left" if c == "target" else "right", overflow="fold")
        for name in tg:
            s = res["scores"][name][str(h)]
            if not s.get("n"):
                t.add_row(label(name), "0", *[MISSING] * 5)
                k.add_row(label(name), *[MISSING] * 4)
            elif "crps" in s:
                c = s["crps"]
                t.add_row(
                    label(name),
                    str(s["n"]),
                    str(s["episodes"]),
                    f"{c['standoff']:.2f}",
                    f"{c['standoff_raw']:.2f}",
                    MISSING,
                    MISSING,
                )
                k.add_row(
                    label(name),
                    f"{_fmt_skill(s['skill']['intercept'])} (intercept NB)",
                    f"{_fmt_skill(s['skill']['rolling_nb'])} (rolling NB)",
                    MISSING,
                    MISSING,
                )
            else:
                b = s["brier"]
                t.add_row(
                    label(name),
                    str(s["n"]),
                    str(s["episodes"]),
                    f"{b['standoff']:.3f}",
                    f"{b['standoff_raw']:.3f}",
                    _fmt_num(s["auc"]["standoff"]),
                    _fmt_num(s["recalibration"]["standoff"]["slope"]),
                )
                k.add_row(
                    label(name),
                    *(
                        _fmt_skill(s["skill"][x])
                        for x in ("climatology", "rolling_climatology", "markov", "persistence")
                    ),
                )
        console.print(t)
        console.print(k)
        w = res["war"][str(h)]
        mean = MISSING if w["mean_forecast"] is None else f"{100 * w['mean_forecast']:.1f}%"
        console.print(f"  war: mean forecast {mean}, not scored ({w['why']})", markup=False)
