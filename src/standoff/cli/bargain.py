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
    "default (the default point forecast: mean of compromise and Nash bargaining with the "
    "status quo as disagreement point; weighted majority on two-outcome issues), compromise "
    "(capability x salience weighted mean), median (power-weighted median), nbs (Nash "
    "bargaining), eum (expected utility model, clean), eum-scholz (Scholz-compatible EUM), "
    "smp (KTAB's Spatial Model of Politics, all dimensions of a KTAB file at once). With "
    "--deal: also exchange (Stokman-Van Oosten)."
)
SIDE_BY_SIDE = (
    "default",
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


def _check_flags(files, model, rounds, ensemble, noise, seed, scenario, deal=False) -> None:
    from standoff.bargaining.deal import DEAL_MODELS
    from standoff.bargaining.models import DYNAMIC, MODELS, SPATIAL
    from standoff.bargaining.smp import MAX_SMP_TURNS
    from standoff.errors import UsageError

    if not files and not scenario:
        raise UsageError("expected one or more FILEs (KTAB or plain CSV) or --scenario NAME")
    if files and scenario:
        raise UsageError("use either FILE... or --scenario NAME, not both")
    if deal:
        if not scenario:
            raise UsageError("--deal: needs --scenario NAME (a scenario with a deal_space)")
        if model not in DEAL_MODELS:
            raise UsageError(
                f"--model: expected one of {', '.join(DEAL_MODELS)} with --deal, got {model!r}"
            )
        if ensemble is not None:
            raise UsageError("--ensemble: not available with --deal")
    elif model not in (*MODELS, *SPATIAL):
        raise UsageError(
            f"--model: expected one of {', '.join([*MODELS, *SPATIAL])}, got {model!r}"
        )
    if rounds is not None and not 1 <= rounds <= 10_000:
        raise UsageError(f"--rounds: expected an integer in [1, 10000], got {rounds}")
    if rounds is not None and model == "smp" and rounds > MAX_SMP_TURNS:
        raise UsageError(f"--rounds: expected SMP turns in [1, {MAX_SMP_TURNS}], got {rounds}")
    if rounds is not None and model not in (*DYNAMIC, *SPATIAL) and not scenario:
        raise UsageError(f"--rounds: applies to --model eum, eum-scholz or smp, not {model!r}")
    if model == "smp" and ensemble is not None:
        raise UsageError("--ensemble: applies to the one-issue models, not smp")
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
    model: str = typer.Option("default", "--model", "-m", help=MODEL_HELP),
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
    deal: bool = typer.Option(
        False,
        "--deal",
        help="With --scenario: the deal space (several issues as one package): feasible "
        "packages (the veto players' win-set of the status quo), who must move, where each "
        "model settles and the spread across models.",
    ),
    ktab_out: Path = typer.Option(
        None,
        "--ktab-out",
        help="Write a KTAB CSV to PATH: with --deal the scenario's deal space; with --model "
        "smp the final positions of the run (positions and saliences on KTAB's 0-100).",
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

    Examples: standoff bargain eu.csv --model eum --json;
    standoff bargain ktab.csv --model smp; standoff bargain --scenario korea-now --deal
    """
    from standoff.bargaining.inputs import from_scenario, read_file

    fmt = output_format(fmt, json_out)
    json_out = fmt == "json"
    files = list(files or [])
    _check_flags(files, model, rounds, ensemble, noise, seed, scenario, deal)
    lohi = _scale(scale, scenario)
    if ktab_out is not None:
        _check_out(ktab_out)
        if not deal and model != "smp":
            from standoff.errors import UsageError

            raise UsageError("--ktab-out: applies with --deal or --model smp")
    if deal:
        _deal(scenario, model, rounds, fmt, ktab_out, chart)
        return
    if model == "smp":
        _smp_files(files, scenario, lohi, rounds, fmt, ktab_out, chart)
        return
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


# --------------------------------------------------------------------------- KTAB out
def _check_out(path: Path) -> None:
    from standoff.errors import UsageError

    if path.is_dir():
        raise UsageError(f"--ktab-out: expected a file path, got the directory {str(path)!r}")
    if not (path.parent if str(path.parent) else Path(".")).is_dir():
        raise UsageError(f"--ktab-out: the directory of {str(path)!r} does not exist")


def _write_ktab_atomic(ktab, path: Path) -> None:
    """Write a KTAB CSV to a temporary file in the same directory, then rename it."""
    import os
    import tempfile

    from standoff.bargaining.inputs import write_ktab
    from standoff.errors import UsageError

    text = write_ktab(ktab)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        Path(tmp).replace(path)
    except OSError as exc:
        raise UsageError(f"--ktab-out: cannot write {path} ({exc.strerror or exc})") from None


def _fmt_num(v) -> str:
    import math

    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return MISSING
    return f"{v:.3g}" if abs(v) >= 100 else f"{v:.2f}"


# --------------------------------------------------------------------------- --model smp
def _smp_files(files, scenario, lohi, rounds, fmt, ktab_out, chart) -> None:
    """``--model smp``: every dimension of each file at once (a plain CSV is one dimension);
    with --scenario, the scenario's deal space."""
    from dataclasses import replace

    from standoff.bargaining.inputs import _read_text, is_ktab, read_csv, read_ktab
    from standoff.bargaining.smp import check_size, run_smp
    from standoff.bargaining.spatial import from_ktab, make_spatial
    from standoff.errors import UsageError

    problems = []
    if scenario:
        from standoff.bargaining.deal import deal_problem
        from standoff.scenario import load_scenario

        problems.append(({"scenario": scenario}, deal_problem(load_scenario(scenario))))
    for f in files:
        text = _read_text(Path(f))
        if not text.strip():
            raise UsageError(f"{f}: file is empty; expected a CSV table")
        if is_ktab(text):
            sp = from_ktab(read_ktab(f, text, scale=lohi), scale=lohi)
        else:
            p = read_csv(f, scale=lohi)
            sp = make_spatial(
                p.actors, p.capability, p.position[:, None], p.salience[:, None],
                dimensions=[p.name], scales=[p.scale], name=p.name, where=str(f),
            )  # fmt: skip
        problems.append(({"file": f}, sp))
    turns = rounds or 100
    for _, sp in problems:  # every size checked before any work
        check_size(sp.n, sp.d, turns)
    if ktab_out is not None and len(problems) > 1:
        raise UsageError("--ktab-out: expected a single FILE with --model smp")
    if chart is not None and chart.suffix.lower() not in (".png", ".html", ".htm"):
        raise UsageError(f"--chart: expected a path ending in .png or .html, got {str(chart)!r}")
    lines = len(problems) > 1
    csv_rows = []
    for idx, (head, sp) in enumerate(problems):
        r = run_smp(sp, **({"max_turns": rounds} if rounds else {}))
        if ktab_out is not None:
            fin = replace(sp, position=r.positions[-1])
            _write_ktab_atomic(
                fin.to_ktab(description=f"{sp.title or sp.name}: SMP final state"), ktab_out
            )
        if chart is not None:
            _smp_chart(r, chart, idx, len(problems))
        obj = {
            **head,
            "model": "smp",
            "title": sp.title,
            "dimensions": list(sp.dimensions),
            "scales": [list(s) for s in sp.scales],
            "forecast": dict(zip(sp.dimensions, r.forecast.tolist(), strict=True)),
            "expected": dict(zip(sp.dimensions, r.expected.tolist(), strict=True)),
            "turns": r.turns,
            "status": r.status,
            "movement_ratio": r.ratio,
            "actors": frame_records(r.final_frame()),
            "challenges": frame_records(r.challenges),
            "moves": frame_records(r.moves),
        }
        if ktab_out is not None:
            obj["ktab_out"] = str(ktab_out)
        if fmt == "json":
            emit_json(obj, lines=lines)
        elif fmt == "csv":
            src = head.get("file") or head.get("scenario")
            for row in frame_records(r.final_frame()):
                csv_rows.append({"source": src, "model": "smp", **row})
        else:
            _print_smp(head, sp, r)
    if fmt == "csv":
        write_csv(csv_rows)


def _smp_chart(r, chart: Path, idx: int, total: int) -> None:
    from standoff.bargaining.chart import write_chart
    from standoff.bargaining.models import Forecast

    sp = r.problem
    for k in range(sp.d):
        prob = sp.problem(k)
        fc = Forecast("smp", prob, float(r.forecast[k]), r.positions[:, :, k])
        path = chart
        if sp.d > 1 or total > 1:
            path = chart.with_name(
                f"{chart.stem}-{idx + 1:03d}-{_slug(sp.dimensions[k])}{chart.suffix}"
            )
        write_chart(fc, path)


def _print_smp(head, sp, r) -> None:
    label = head.get("file") or head.get("scenario")
    fc = ", ".join(f"{d} {_fmt_num(v)}" for d, v in zip(sp.dimensions, r.forecast, strict=True))
    console.print(
        f"{label}: smp forecast {fc}; {r.turns} turns, {r.status.replace('-', ' ')} "
        f"(last turn's movement {r.ratio:.1%} of the first's)",
        markup=False,
        highlight=False,
    )
    exp = ", ".join(f"{d} {_fmt_num(v)}" for d, v in zip(sp.dimensions, r.expected, strict=True))
    console.print(
        f"  probability-weighted mean of the final positions: {exp}", markup=False, highlight=False
    )
    t = Table(show_header=True, header_style="bold")
    t.add_column("actor")
    t.add_column("capability", justify="right")
    for d in sp.dimensions:
        t.add_column(f"{d} initial", justify="right")
        t.add_column(f"{d} final", justify="right")
    t.add_column("P(position wins)", justify="right")
    for i, a in enumerate(sp.actors):
        cells = [a, f"{sp.capability[i]:g}"]
        for k in range(sp.d):
            cells += [_fmt_num(float(r.positions[0, i, k])), _fmt_num(float(r.positions[-1, i, k]))]
        cells.append(f"{r.win_prob[-1, i]:.3f}")
        t.add_row(*cells)
    console.print(t)
    n_chl = len(r.challenges)
    moved = r.moves[r.moves["option"] != "status quo"]
    console.print(
        f"  {n_chl} challenges and {len(moved)} moves to a bargain over {r.turns} turns "
        "(--json lists them)",
        markup=False,
        highlight=False,
    )


# --------------------------------------------------------------------------- --deal
def _deal(scenario, model, rounds, fmt, ktab_out, chart) -> None:
    from standoff.bargaining.deal import analyse_deal, deal_problem, phased_relief_package
    from standoff.bargaining.smp import check_size
    from standoff.errors import UsageError
    from standoff.scenario import load_scenario

    scn = load_scenario(scenario)
    sp = deal_problem(scn)
    check_size(sp.n, sp.d, rounds or 100)
    if chart is not None:
        if chart.suffix.lower() not in (".png", ".html", ".htm"):
            raise UsageError(
                f"--chart: expected a path ending in .png or .html, got {str(chart)!r}"
            )
        if sp.d != 2:
            raise UsageError("--chart: the win-set picture needs a deal space of two dimensions")
    res = analyse_deal(scn, model=model, rounds=rounds)
    relief = None
    if scn.deal_space.policy is not None and res.recommended is not None:
        relief = phased_relief_package(scn, model=model)
    if ktab_out is not None:
        _write_ktab_atomic(sp.to_ktab(description=f"{scn.name}: {sp.title}"), ktab_out)
    if chart is not None:
        from standoff.bargaining.chart import write_winset_chart

        write_winset_chart(res, chart)
    if fmt == "json":
        obj = res.to_dict()
        obj["policy"] = (
            None
            if relief is None
            else {
                "id": relief.policy,
                "relief_steps": relief.relief_steps,
                "halt": relief.halt,
                "halt_label": relief.halt_label,
                "index_points_per_step": relief.step_delta,
                "schedule": frame_records(relief.schedule),
            }
        )
        if ktab_out is not None:
            obj["ktab_out"] = str(ktab_out)
        if chart is not None:
            obj["chart"] = str(chart)
        emit_json(obj)
        return
    if fmt == "csv":
        write_csv(res.feasible)
        return
    _print_deal(scn, res, relief)


def _print_deal(scn, res, relief) -> None:
    p = res.problem
    dims = list(p.dimensions)

    def say(text=""):
        console.print(text, markup=False, highlight=False)

    def pt(vals) -> str:
        return ", ".join(f"{p.titles[k].lower()} {_fmt_num(float(v))}" for k, v in enumerate(vals))

    sq = res.winset.status_quo
    say(f"{scn.name} (as of {scn.as_of}): {p.title}")
    for k, d in enumerate(dims):
        unit = p.meta.get("units", {}).get(d, "")
        say(
            f"  {p.titles[k]} [{p.scales[k][0]:g}-{p.scales[k][1]:g}{' ' + unit if unit else ''}]: "
            f"{p.scales[k][0]:g} = {p.labels[k][0]}; {p.scales[k][1]:g} = {p.labels[k][1]}"
        )
    say(f"  veto players: {', '.join(res.winset.veto)}; status quo: {pt(sq)}")
    feas = res.feasible
    say()
    say(
        f"Feasible packages (every veto player prefers them to the status quo): {len(feas)} of "
        f"{len(res.packages)}, most robust first (gain = how much nearer the package is than the "
        "status quo to the actor's position, in its own salience-weighted units)"
    )
    if len(feas):
        t = Table(show_header=True, header_style="bold")
        for title in p.titles:
            t.add_column(title, justify="right")
        for a in res.winset.veto:
            t.add_column(f"gain {a}", justify="right")
        for _, r in feas.head(10).iterrows():
            t.add_row(
                *[f"{r[d]:g}" for d in dims], *[f"{r[f'gain {a}']:.3f}" for a in res.winset.veto]
            )
        console.print(t)
        if len(feas) > 10:
            say(f"  ... and {len(feas) - 10} more (--json or --format csv lists all)")
    say()
    say("Where each model says the deal settles:")
    t = Table(show_header=True, header_style="bold")
    t.add_column("model")
    for k in range(p.d):
        t.add_column(p.titles[k], justify="right")
    t.add_column("in the win-set")
    for _, r in res.settlements.iterrows():
        t.add_row(
            r["short"] + (" *" if r["model"] == res.model else ""),
            *[_fmt_num(float(r[d])) for d in dims],
            "yes" if r["in_win_set"] else f"no (blocked by {r['blocked_by']})",
        )
    console.print(t)
    say("  * the model chosen with --model (the default point forecast unless told)")
    say()
    say("Spread across the models (the uncertainty; the default combines compromise and Nash):")
    for _, r in res.spread.iterrows():
        k = dims.index(r["dimension"])
        say(
            f"  {p.titles[k]}: {_fmt_num(r['min'])} to {_fmt_num(r['max'])} "
            f"(range {_fmt_num(r['range'])}, sd {_fmt_num(r['sd'])} over {r['models']} models); "
            f"default {_fmt_num(r['default'])}"
        )
    say()
    rec = res.recommended
    if rec is None:
        say(
            "No feasible package: no deal on these steps is better than the status quo for every veto player."
        )
    else:
        say(
            f"Feasible package nearest the {res.model} settlement: "
            + "; ".join(f"{p.titles[k].lower()} {res.label(d, rec[d])}" for k, d in enumerate(dims))
        )
        say("Who must move (from their stated positions to this package):")
        t = Table(show_header=True, header_style="bold")
        t.add_column("actor")
        t.add_column("veto")
        for title in p.titles:
            t.add_column(f"{title}: position -> move", justify="right")
        t.add_column("concession", justify="right")
        t.add_column("prefers it to the status quo")
        for _, r in res.movers.iterrows():
            t.add_row(
                r["actor"],
                "yes" if r["veto"] else "",
                *[f"{r[f'{d} position']:g} -> {r[f'{d} move']:+.2f}" for d in dims],
                f"{r['concession']:.2f}",
                "yes" if r["prefers_package"] else "no",
            )
        console.print(t)
    ex = res.exchange.exchanges
    say()
    say(
        f"Issue linkage (Stokman & Van Oosten exchange model): {len(ex)} exchange(s); expected "
        f"outcome {pt(res.exchange.before)} -> {pt(res.exchange.after)}"
    )
    for _, r in ex.head(8).iterrows():
        say(
            f"  {r['actor']} gives on {r['gives_on']} ({_fmt_num(r['from'])} -> {_fmt_num(r['to'])}) "
            f"for {r['partner']} on {r['partner_gives_on']} ({_fmt_num(r['partner_from'])} -> "
            f"{_fmt_num(r['partner_to'])}); gain {r['gain']:.4f} each"
        )
    if relief is not None:
        say()
        say(
            f"Content for the {relief.policy!r} policy: {relief.relief_steps:g} relief step(s) of "
            f"{abs(relief.step_delta):g} index points, each granted after {relief.quiet_months} "
            f"verified months, in exchange for: {relief.halt_label} (from month {relief.start}, "
            f"every {relief.every} months, never below index {relief.floor:g})."
        )
    for note in res.notes:
        say(f"Note: {note}")
