"""``standoff forecast diff`` and ``standoff forecast scores``: the forecast log."""

from __future__ import annotations

import typer
from rich.table import Table

from standoff.cli._common import console, emit_json, state

JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")


def _db(ctx: typer.Context):
    from standoff.store.duckdb_store import results_db_path

    return results_db_path(state(ctx).db)


def _pp(v) -> str:
    return "–" if v is None else f"{100 * v:+.1f}"


def diff(
    ctx: typer.Context,
    run_a: str = typer.Argument(
        None, help="Earlier run id (or prefix); default: the next to last."
    ),
    run_b: str = typer.Argument(None, help="Later run id (or prefix); default: the last."),
    no_attribution: bool = typer.Option(
        False, "--no-attribution", help="Skip re-running the model to split data and code effects."
    ),
    json_out: bool = JSON,
) -> None:
    """How each probability moved between two recorded runs, and why: new data or new code.

    Example: standoff forecast diff --json
    """
    from standoff.forecast.log import diff as run
    from standoff.history.vintages import vintages_root

    st = state(ctx)
    out = run(
        _db(ctx),
        run_a,
        run_b,
        vintage_root=vintages_root(st.db),
        attribute=not no_attribution,
    )
    if json_out:
        emit_json(out)
        return
    a, b = out["run_a"], out["run_b"]
    for tag, r in (("A", a), ("B", b)):
        console.print(
            f"run {tag} {r['run_id']}: recorded {r['recorded_at']}, vintage {r['vintage']}, "
            f"as of {r['as_of']} (from {r['first_month']}), code {r['code_version']}, seed {r['seed']}",
            markup=False,
        )
    console.print(f"attribution: {out['attribution']}", markup=False)
    t = Table(title="Probability (%) and its move in points (B - A)")
    for c in ("event", "months", "A", "B", "change", "± s.e.", "new data", "code/model"):
        t.add_column(c, justify="left" if c == "event" else "right")
    for r in out["changes"]:
        t.add_row(
            r["label"],
            str(r["horizon"]),
            f"{100 * r['p_a']:.1f}",
            f"{100 * r['p_b']:.1f}",
            _pp(r["change"]),
            f"{100 * r['se']:.1f}",
            _pp(r["data_effect"]),
            _pp(r["code_effect"]),
        )
    console.print(t)


def scores(
    ctx: typer.Context,
    json_out: bool = JSON,
) -> None:
    """Score recorded forecasts whose windows have closed, against the current vintage.

    Example: standoff forecast scores --json
    """
    from standoff.forecast.log import scores as run

    out = run(_db(ctx), state(ctx).history())
    if json_out:
        emit_json(out)
        return
    console.print(
        f"[bold]Live track record[/bold]: {out['n_runs']} recorded run(s), "
        f"{out.get('n_scored', 0)} forecasts scored against vintage {out['vintage']}, "
        f"{out.get('n_pending', 0)} with windows still open or not yet covered"
    )
    if not out["scores"]:
        console.print("nothing to score yet (record runs with: standoff forecast --record)")
        return
    t = Table(title="Brier score (lower is better) vs the recorded climatology")
    for c in ("event", "months", "n", "events", "Brier", "climatology", "skill", "log score"):
        t.add_column(c, justify="left" if c == "event" else "right")
    for r in out["scores"]:
        t.add_row(
            r["event"],
            str(r["horizon"]),
            str(r["n"]),
            str(r["events"]),
            f"{r['brier']:.3f}",
            "–" if r["brier_climatology"] is None else f"{r['brier_climatology']:.3f}",
            "–" if r["skill_vs_climatology"] is None else f"{r['skill_vs_climatology']:+.2f}",
            f"{r['log']:.3f}",
        )
    console.print(t)
