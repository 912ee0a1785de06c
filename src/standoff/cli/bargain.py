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


def _scale(value: str | None, scenario) -> tuple[float, float] | None:
    import math

    from standoff.errors import UsageError
    from standoff.limits import clip

    if value is None:
        return None
    if scenario:
        raise UsageError("--scale: applies to FILEs; a scenario's issues state their own scale")
    try:
        lo, hi = (float(v) for v in value.split(","))
    except ValueError:
        raise UsageError(f"--scale: expected MIN,MAX (two numbers), got {clip(value)}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or max(abs(lo), abs(hi)) > 1e12:
        raise UsageError(f"--scale: expected finite MIN < MAX, got {clip(value)}")
    return lo, hi


class _DetailWriter:
    """``--detail PATH``: every challenge as JSON Lines, written to a temporary file that is
    renamed to PATH only when the command succeeds (nothing half-written on failure)."""

    def __init__(self, target: str | None):
        self.target, self.fh, self.tmp = target, None, None

    def __enter__(self):
        import os
        import sys
        import tempfile

        from standoff.errors import UsageError

        if self.target is None:
            return self
        if self.target == "-":
            self.fh = sys.stdout
            return self
        path = Path(self.target)
        if path.is_dir():
            raise UsageError(f"--detail: expected a file path, got the directory {self.target!r}")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        except OSError as exc:
            raise UsageError(f"--detail: cannot write {self.target} ({exc.strerror})") from None
        self.tmp = Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(fd, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        self.fh = os.fdopen(fd, "w", encoding="utf-8")
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.tmp is None:
            return False
        self.fh.close()
        if exc_type is None:
            self.tmp.replace(self.target)
        else:
            self.tmp.unlink(missing_ok=True)
        return False

    def sink(self, head: dict, problem):
        from standoff.bargaining.eum import RoundLog, log_frame

        def write(rnd, part):
            for lo in range(0, part.target.size, 20_000):  # bounded text per write
                sub = RoundLog(
                    **{f: getattr(part, f)[lo : lo + 20_000] for f in RoundLog.__dataclass_fields__}
                )
                df = log_frame(problem, rnd, sub)
                for k, v in reversed([*head.items(), ("issue", problem.name)]):
                    df.insert(0, k, v)
                text = df.to_json(orient="records", lines=True, force_ascii=False)
                self.fh.write(text if text.endswith("\n") else text + "\n")

        return write


def _result(
    problem, model, rounds, ensemble, noise, seed, *, side_by_side=False, sink=None
) -> dict:
    """Everything the command reports about one problem, as a JSON-ready dict."""
    from standoff.bargaining.baselines import compromise
    from standoff.bargaining.ensemble import run_ensemble
    from standoff.bargaining.models import DYNAMIC, forecast

    opts = {"log": "accepted", "sink": sink} if model in DYNAMIC else {}
    fc = forecast(problem, model, rounds=rounds, **opts)
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
        # the moves acted on; every challenge (O(n^2) per round) only with --detail
        obj["accepted_moves"] = frame_records(fc.eum.events())
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
    scale: str = typer.Option(
        None,
        "--scale",
        help="The issue's own scale as MIN,MAX (e.g. 4,10 for years), overriding the file's "
        "(a KTAB position header may state it: 'Years Position [4 .. 10]'; default 0-100 for "
        "KTAB files, the range of the positions for plain CSVs).",
        show_default=False,
    ),
    detail: str = typer.Option(
        None,
        "--detail",
        help="Write every credible challenge of every EUM round to PATH as JSON Lines "
        "(streamed; '-' for stdout, before the result). By default only the accepted moves "
        "are reported.",
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
    lohi = _scale(scale, scenario)
    if detail is not None and model not in ("eum", "eum-scholz"):
        from standoff.errors import UsageError

        raise UsageError(f"--detail: applies to --model eum or eum-scholz, not {model!r}")
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
            for prob in read_file(f, scale=lohi):
                jobs.append(({"file": f}, prob))
    from standoff.limits import check_bargain_cli  # the whole command's work, estimated

    check_bargain_cli(
        [p.n for _, p in jobs], model, rounds, ensemble, SIDE_BY_SIDE if scenario else ()
    )
    lines = len(jobs) > 1
    csv_rows: list[dict] = []
    with _DetailWriter(detail) as dw:
        for idx, (head, prob) in enumerate(jobs):
            sink = None if dw.fh is None else dw.sink(head, prob)
            csv_rows += _one(
                idx,
                head,
                prob,
                jobs,
                model,
                rounds,
                ensemble,
                noise,
                seed,
                scenario,
                chart,
                json_out,
                fmt,
                lines,
                sink,
            )
    if fmt == "csv":
        write_csv(csv_rows)


def _one(
    idx,
    head,
    prob,
    jobs,
    model,
    rounds,
    ensemble,
    noise,
    seed,
    scenario,
    chart,
    json_out,
    fmt,
    lines,
    sink,
) -> list[dict]:
    obj = _result(
        prob, model, rounds, ensemble, noise, seed, side_by_side=bool(scenario), sink=sink
    )
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
        return _csv_rows(head, obj, fc)
    else:
        label = head.get("file") or f"{head['scenario']}"
        if label != prob.name:
            label = f"{label} [{prob.name}]"
        _print_text({**obj, "_forecast": fc}, label)
    return []


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
