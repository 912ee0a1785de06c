"""``standoff bargain FILE... | --scenario NAME``: forecast where a negotiation settles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from standoff.cli._common import FORMAT, console, emit_json, frame_records, output_format, write_csv
from standoff.labels import MISSING

MODEL_HELP = (
    "compromise (default: capability x salience weighted mean, the most accurate on real "
    "decisions), median (power-weighted median), nbs (Nash bargaining), eum (expected "
    "utility model, clean), eum-scholz (Scholz-compatible EUM)."
)
SIDE_BY_SIDE = (
    "compromise",
    "median",
    "mean",
    "unweighted-median",
    "status-quo",
    "nbs",
    "eum",
    "eum-scholz",
)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "issue"


def _check_flags(files, model, rounds, ensemble, noise, seed, scenario) -> None:
    from standoff.bargaining.models import DYNAMIC, MODELS
    from standoff.errors import UsageError

    if not files and not scenario:
        raise UsageError("expected one or more FILEs (KTAB or plain CSV) or --scenario NAME")
    if files and scenario:
        raise UsageError("use either FILE... or --scenario NAME, not both")
    if model not in MODELS:
        raise UsageError(f"--model: expected one of {', '.join(MODELS)}, got {model!r}")
    if rounds is not None and not 1 <= rounds <= 10_000:
        raise UsageError(f"--rounds: expected an integer in [1, 10000], got {rounds}")
    if rounds is not None and model not in DYNAMIC and not scenario:
        raise UsageError(f"--rounds: applies to --model eum or eum-scholz, not {model!r}")
    if ensemble is not None and not 1 <= ensemble <= 1_000_000:
        raise UsageError(f"--ensemble: expected a number of runs in [1, 1000000], got {ensemble}")
    if ensemble is None and (noise is not None or seed is not None):
        raise UsageError("--noise and --seed need --ensemble N")
    if noise is not None and not 0.0 <= noise <= 1.0:
        raise UsageError(f"--noise: expected a standard deviation in [0, 1], got {noise:g}")
    if seed is not None and seed < 0:
        raise UsageError(f"--seed: expected a non-negative integer, got {seed}")


def _result(problem, model, rounds, ensemble, noise, seed, *, side_by_side=False) -> dict:
    """Everything the command reports about one problem, as a JSON-ready dict."""
    from standoff.bargaining.baselines import compromise
    from standoff.bargaining.ensemble import run_ensemble
    from standoff.bargaining.models import forecast

    fc = forecast(problem, model, rounds=rounds)
    obj: dict = {
        "issue": problem.name,
        "model": model,
        "forecast": fc.value,
        "compromise": compromise(problem),
        "scale": list(problem.scale),
        "actors": list(problem.actors),
        "rounds": [
            {"round": k, "positions": dict(zip(problem.actors, row.tolist(), strict=True))}
            for k, row in enumerate(fc.positions)
        ],
    }
    if problem.status_quo is not None:
        obj["status_quo"] = problem.status_quo
    obj.update(fc.details)
    if fc.eum is not None:
        obj["medians"] = fc.eum.medians.tolist()
        obj["weighted_means"] = fc.eum.means.tolist()
        obj["risk_exponents"] = [
            dict(zip(problem.actors, row.tolist(), strict=True)) for row in fc.eum.risk
        ]
        obj["events"] = frame_records(fc.eum.events())
    if side_by_side:
        models = {}
        for m in SIDE_BY_SIDE:
            models[m] = (
                fc.value if m == model else forecast(problem, m, rounds=rounds, log=False).value
            )
        obj["models"] = models
    if ensemble is not None:
        ens = run_ensemble(
            problem,
            model,
            n=ensemble,
            noise=0.05 if noise is None else noise,
            seed=seed,
            rounds=rounds,
        )
        obj["quantiles"] = ens.quantiles
        obj["ensemble"] = {
            "runs": ensemble,
            "noise": ens.noise,
            "seed": ens.seed_entropy,
            "mean": ens.mean,
            "sd": ens.sd,
            "conflict": "stochastic" if model == "eum" else "deterministic",
        }
    obj["_forecast"] = fc
    return obj


def _chart(obj: dict, path: Path, rounds) -> None:
    from standoff.bargaining.chart import write_chart
    from standoff.bargaining.models import DYNAMIC, forecast

    fc = obj["_forecast"]
    if fc.model not in DYNAMIC:  # static models have no trajectory: chart the clean EUM run
        fc = forecast(fc.problem, "eum", rounds=rounds, log=False)
        fc.details["extra_lines"] = {obj["model"]: obj["forecast"]}
    write_chart(fc, path)


def _print_text(obj: dict, label: str) -> None:
    fc = obj["_forecast"]
    p = fc.problem

    def f(v):
        return MISSING if v is None else f"{v:.3g}" if abs(v) >= 100 else f"{v:.2f}"

    head = f"{label}: {obj['model']} forecast {f(obj['forecast'])}"
    if obj["model"] != "compromise":
        head += f" (compromise model {f(obj['compromise'])})"
    if "status" in obj:
        head += f"; {len(obj['rounds']) - 1} rounds, {obj['status']}"
        if obj.get("oscillating"):
            head += ", oscillating"
    console.print(head, markup=False, highlight=False)
    if "quantiles" in obj:
        q = obj["quantiles"]
        e = obj["ensemble"]
        console.print(
            f"  ensemble of {e['runs']} (noise {e['noise']:g}, seed {e['seed']}): "
            + ", ".join(f"q{k}={f(v)}" for k, v in q.items()),
            markup=False,
            highlight=False,
        )
    if "models" in obj:
        if p.title:
            lo, hi = p.scale
            console.print(f"  {p.title} (scale {lo:g}-{hi:g})", markup=False, highlight=False)
        t = Table(show_header=True, header_style="bold")
        t.add_column("model")
        t.add_column("forecast", justify="right")
        for m, v in obj["models"].items():
            t.add_row(m, f(v))
        console.print(t)
        return
    t = Table(show_header=True, header_style="bold")
    for c in ("actor", "capability", "salience", "position", "final"):
        t.add_column(c, justify="left" if c == "actor" else "right")
    for k, a in enumerate(p.actors):
        t.add_row(
            a,
            f"{p.capability[k]:g}",
            f"{p.salience[k]:.2f}",
            f"{p.position[k]:g}",
            f"{fc.positions[-1, k]:.3f}",
        )
    console.print(t)
    if fc.eum is not None:
        ev = fc.eum.events()
        if len(ev):
            acc = ev[ev["accepted"]]
            counts = acc["kind"].value_counts().to_dict()
            console.print(
                "  accepted moves: "
                + ", ".join(
                    f"{counts.get(k, 0)} {k}" for k in ("conflict", "compromise", "capitulation")
                ),
                markup=False,
                highlight=False,
            )


def bargain(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="KTAB scenario CSVs or plain CSVs (columns actor, capability, position, "
            "salience). Several files: one JSON object per line with --json.",
            show_default=False,
        ),
    ] = None,
    model: str = typer.Option("compromise", "--model", "-m", help=MODEL_HELP),
    rounds: int = typer.Option(
        None,
        "--rounds",
        help="EUM rounds: cap for eum (default 50), exact for eum-scholz (default 10).",
        show_default=False,
    ),
    ensemble: int = typer.Option(
        None,
        "--ensemble",
        help="Run N perturbed copies and report quantiles (eum also "
        "resolves conflicts stochastically).",
        show_default=False,
    ),
    noise: float = typer.Option(
        None,
        "--noise",
        help="Ensemble noise SD on positions (share of the scale), "
        "saliences and log-capabilities (default 0.05).",
        show_default=False,
    ),
    seed: int = typer.Option(
        None, "--seed", help="Ensemble seed (same seed, same output).", show_default=False
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
    fmt: str = FORMAT,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            help="Write position trajectories to PATH (.png or .html); one file "
            "per issue when there are several.",
            show_default=False,
        ),
    ] = None,
    scenario: str = typer.Option(
        None,
        "--scenario",
        help="Forecast every issue of a scenario (e.g. korea-2018) with every model side by side.",
        show_default=False,
    ),
) -> None:
    """Forecast where a multi-party negotiation settles, and how it gets there.

    Example: standoff bargain eu.csv --model eum --json
    """
    from standoff.bargaining.inputs import from_scenario, read_file

    fmt = output_format(fmt, json_out)
    json_out = fmt == "json"
    files = list(files or [])
    _check_flags(files, model, rounds, ensemble, noise, seed, scenario)
    if chart is not None and chart.suffix.lower() not in (".png", ".html", ".htm"):
        from standoff.errors import UsageError

        raise UsageError(f"--chart: expected a path ending in .png or .html, got {str(chart)!r}")
    # read and validate every input before computing anything
    jobs: list[tuple[dict, object]] = []
    if scenario:
        from standoff.scenario import load_scenario

        scn = load_scenario(scenario)
        for prob in from_scenario(scn):
            jobs.append(({"scenario": scn.name}, prob))
    else:
        for f in files:
            for prob in read_file(f):
                jobs.append(({"file": f}, prob))
    lines = len(jobs) > 1
    csv_rows: list[dict] = []
    for idx, (head, prob) in enumerate(jobs):
        obj = _result(prob, model, rounds, ensemble, noise, seed, side_by_side=bool(scenario))
        fc = obj.pop("_forecast")
        if chart is not None:
            path = chart
            if len(jobs) > 1:
                src = Path(head.get("file", "")).stem if "file" in head else ""
                tag = _slug(f"{src}-{prob.name}" if src and src != prob.name else prob.name)
                path = chart.with_name(f"{chart.stem}-{idx + 1:03d}-{tag}{chart.suffix}")
            _chart({**obj, "_forecast": fc}, path, rounds)
            obj["chart"] = str(path)
        out = {**head, **obj}
        if json_out:
            emit_json(out, lines=lines)
        elif fmt == "csv":
            csv_rows += _csv_rows(head, obj, fc)
        else:
            label = head.get("file") or f"{head['scenario']}"
            if label != prob.name:
                label = f"{label} [{prob.name}]"
            _print_text({**obj, "_forecast": fc}, label)
    if fmt == "csv":
        write_csv(csv_rows)


def _csv_rows(head: dict, obj: dict, fc) -> list[dict]:
    """``--format csv``: one row per model (``--scenario``) or per actor (files)."""
    src = head.get("file") or head.get("scenario")
    if "models" in obj:
        return [
            {"source": src, "issue": obj["issue"], "model": m, "forecast": v}
            for m, v in obj["models"].items()
        ]
    p = fc.problem
    return [
        {
            "source": src,
            "issue": obj["issue"],
            "model": obj["model"],
            "forecast": obj["forecast"],
            "actor": a,
            "capability": float(p.capability[k]),
            "salience": float(p.salience[k]),
            "position": float(p.position[k]),
            "final": float(fc.positions[-1, k]),
        }
        for k, a in enumerate(p.actors)
    ]
