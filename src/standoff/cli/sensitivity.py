"""``standoff sensitivity``: how robust is the policy ranking to the assumptions?"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from standoff.cli._common import console, emit_json, err_console, state


def sensitivity(
    ctx: typer.Context,
    scenario: str = typer.Option("korea-now", "--scenario", help="Scenario name or file."),
    policies: str = typer.Option(
        "status-quo,maximum-pressure,phased-relief",
        "--policies",
        help="Comma-separated policy ids (at least two); differences are later minus earlier.",
    ),
    outputs: str = typer.Option(
        "talks@24,nuclear@24,war@24,agreement_signed@24",
        "--outputs",
        help="Comma-separated EVENT@MONTHS: probability of the event within that many months.",
    ),
    n: int = typer.Option(
        512, "--n", help="Sobol: base sample size N (a power of two); Morris: trajectories."
    ),
    method: str = typer.Option("sobol", "--method", help="sobol (Saltelli) or morris (screen)."),
    paths: int = typer.Option(2000, "--paths", help="Simulated paths per policy and point."),
    seed: int = typer.Option(None, "--seed", help="Random seed (default: random, reported)."),
    backend: str = typer.Option("local", "--backend", help="local (process pool) or ray."),
    workers: int = typer.Option(None, "--workers", help="Parallel workers (default: all cores)."),
    address: str = typer.Option(
        None, "--address", help="Ray cluster address (with --backend ray; default: a local Ray)."
    ),
    resume: str = typer.Option(
        None, "--resume", help="Resume the stored run RUN_ID (its own settings are used)."
    ),
    report: str = typer.Option(None, "--report", help="Write the HTML report to PATH (.html)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout."),
) -> None:
    """Global sensitivity of a policy comparison to every assumption with a plausible range.

    Sobol first-order and total indices (or a Morris screen) for each output and each policy
    difference, the share of the assumption space in which each policy is best, and the
    assumptions that flip the ranking. Every finished task is stored: after an interruption,
    rerun with --resume RUN_ID.

    Example: standoff sensitivity --scenario korea-now --n 256 --paths 1000 --report sens.html
    """
    from standoff.errors import UsageError
    from standoff.scenario import load_scenario
    from standoff.sensitivity import parse_outputs, run_sensitivity
    from standoff.sensitivity.analysis import check_design, summary_subject
    from standoff.store.duckdb_store import results_db_path
    from standoff.sweep.engine import BACKENDS
    from standoff.sweep.store import SweepStore

    if backend not in BACKENDS:
        raise UsageError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if address and backend != "ray":
        raise UsageError("--address: only with --backend ray")
    if report is not None:
        from pathlib import Path

        rp = Path(report)
        if rp.suffix.lower() not in (".html", ".htm"):
            raise UsageError(f"--report: expected a path ending in .html, got {report!r}")
        if not rp.parent.exists():
            raise UsageError(f"--report: directory {str(rp.parent)!r} does not exist")
    st = state(ctx)
    scn = load_scenario(scenario)
    if resume is None:  # validate cheap things before loading the history
        parse_outputs(outputs)
        check_design(method, n, paths, 2, 1)
    from standoff.progress import enabled as progress_enabled

    show_progress = progress_enabled()  # a terminal, not --json (unless standoff --progress)
    history = st.history()
    with SweepStore(results_db_path(st.db)) as store:

        def announce(run_id: str) -> None:
            if show_progress:
                err_console.print(
                    f"sensitivity run {run_id} (tasks stored in {store.path}; if interrupted, "
                    f"resume with: standoff sensitivity --resume {run_id})",
                    markup=False,
                    highlight=False,
                )

        res = run_sensitivity(
            history,
            scn,
            policies,
            outputs,
            method=method,
            n=n,
            paths=paths,
            seed=seed,
            backend=backend,
            workers=workers,
            address=address,
            store=store,
            resume=resume,
            on_run=announce,
        )
        store.put_summary(res.run_id, "sensitivity", summary_subject(scn), res.to_dict())
    if report is not None:
        from standoff.sensitivity.report import write_report

        write_report(res, report)
    if json_out:
        emit_json(res.to_dict())
        return
    _print(res, report)


def _print(res, report) -> None:
    from standoff.sensitivity.report import summary_rows

    s = res.spec
    console.print(
        f"[bold]Sensitivity[/bold] of {s['scenario']}: {', '.join(s['policies'])}; {s['method']} "
        f"n={s['n']} ({s['points']} points), {s['paths']} paths, seed {s['seed']}; run {res.run_id}"
    )
    col = "ST" if s["method"] == "sobol" else "mu*"
    t = Table(title="How robust is each comparison? (share of the plausible assumption space)")
    for c in (
        "output",
        "comparison",
        "share",
        f"largest {col} of the difference",
        "flip the ranking",
    ):
        t.add_column(c)
    for r in summary_rows(res):
        verb = "better" if r["ranked"] else "higher"
        t.add_row(
            r["output"],
            f"{r['better']} {verb} than {r['than']}",
            f"{100 * r['share_better']:.0f}%",
            "; ".join(f"{lb} ({v:.2f})" for lb, v in r["top"]) or "–",
            "; ".join(r["flips"]) or "–",
        )
    console.print(t)
    b = res.best
    if len(b):
        t = Table(title="Share of the assumption space in which each policy is best")
        t.add_column("output")
        for p in dict.fromkeys(b["policy"]):
            t.add_column(p, justify="right")
        for o, d in b.groupby("output", sort=False):
            t.add_row(o, *[f"{100 * v:.0f}%" for v in d["share"]])
        console.print(t)
    tm = res.timing
    console.print(
        f"{tm['tasks']} tasks ({tm['tasks_resumed']} resumed) on {tm['backend']} with "
        f"{tm['workers']} workers in {tm['sweep_s']} s" + (f"; report: {report}" if report else ""),
        markup=False,
    )
    if sys.stdout.isatty():
        console.print("Full indices: --json or --report PATH.", markup=False)
