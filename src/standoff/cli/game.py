"""``standoff game MODEL [--param value ...] [--scenario NAME] [--json]`` and ``standoff game list``.

One subcommand per crisis game (:mod:`standoff.games`). Parameter values come from the model's
illustrative defaults, then the scenario's ``games:`` section (``--scenario``), then explicit
options; the output lists every input with where it came from.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import typer

from standoff.cli._common import console, emit_json
from standoff.games.params import MODELS, PARAMS
from standoff.labels import MISSING, label

app = typer.Typer(
    help="Crisis games: negotiate or fight, pressure, reassurance, brinkmanship, arms races.",
    no_args_is_help=True,
)


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List the models and the question each one answers."""
    rows = [
        {"model": m, "title": d["title"], "answers": d["answers"], "parameters": list(PARAMS[m])}
        for m, d in MODELS.items()
    ]
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        console.print(f"[bold]{r['model']}[/bold]  {r['title']}")
        console.print(f"    {r['answers']}", markup=False)
        console.print(f"    parameters: {', '.join(r['parameters'])}", markup=False)


def _fmt(v: Any) -> str:
    if v is None:
        return MISSING
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else MISSING
    if isinstance(v, list):
        if len(v) > 8:
            return (
                "["
                + ", ".join(_fmt(x) for x in v[:4])
                + ", ..., "
                + _fmt(v[-1])
                + f"] ({len(v)} values)"
            )
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return str(v)


def _print(obj: dict[str, Any], indent: int = 0) -> None:
    pad = "  " * indent
    for k, v in obj.items():
        if k in ("model", "title") and indent == 0:
            continue
        if isinstance(v, dict):
            console.print(f"{pad}{label(k)}:", markup=False)
            _print(v, indent + 1)
        else:
            console.print(f"{pad}{label(k)}: {_fmt(v)}", markup=False)


def _print_result(res: dict[str, Any]) -> None:
    console.print(
        f"[bold]{res['title']}[/bold]"
        + (f"  (scenario {res['scenario']})" if res["scenario"] else "")
    )
    body = {k: v for k, v in res.items() if k not in ("inputs", "scenario", "utilities")}
    _print(body)
    console.print("inputs:", markup=False)
    for name, e in res["inputs"].items():
        why = e.get("source") and f"source {e['source']}" or e.get("assumption") or ""
        console.print(
            f"  {name} = {_fmt(e['value'])}  [{e['from']}{': ' + why if why else ''}]", markup=False
        )


def _make_command(model: str):
    params = PARAMS[model]

    def command(**kwargs: Any) -> None:
        from standoff.games.run import run
        from standoff.scenario import load_scenario

        scenario_name = kwargs.pop("scenario")
        json_out = kwargs.pop("json_out")
        scn = load_scenario(scenario_name) if scenario_name else None
        res = run(model, scn, kwargs)
        if json_out:
            emit_json(res)
        else:
            _print_result(res)

    sig = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                None,
                "--" + name.replace("_", "-"),
                help=f"{p.help} [{p.lo:g}, {p.hi:g}; default {p.default:g}]",
            ),
            annotation=int | None if p.integer else float | None,
        )
        for name, p in params.items()
    ]
    sig += [
        inspect.Parameter(
            "scenario",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                None,
                "--scenario",
                help="Take parameters from this scenario (bundled name or YAML file).",
            ),
            annotation=str | None,
        ),
        inspect.Parameter(
            "json_out",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(False, "--json", help="Machine-readable output."),
            annotation=bool,
        ),
    ]
    command.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
    command.__name__ = model
    command.__doc__ = f"{MODELS[model]['title']}. {MODELS[model]['answers']}"
    return command


for _model in MODELS:
    app.command(_model)(_make_command(_model))
