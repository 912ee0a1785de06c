"""``standoff scenario show|validate|list``."""

from __future__ import annotations

import typer
from rich.table import Table

from standoff.cli._common import FORMAT, console, emit_json, output_format, state, write_csv

app = typer.Typer(
    help="Validated scenario files (actors, issues, positions, saliences).", no_args_is_help=True
)


def _load(ctx: typer.Context, file: str):
    """A scenario of the selected case (--case), by name or file; its sources checked
    against the case's sources table."""
    from pathlib import Path

    from standoff.cases import list_cases
    from standoff.errors import ScenarioError
    from standoff.scenario import load_scenario

    case = state(ctx).load_case()
    if not Path(file).is_file() and file not in case.scenarios():
        other = [c.name for c in list_cases() if file in c.scenarios()]
        if other:
            raise ScenarioError(
                f"scenario: {file!r} is a scenario of the {other[0]} case (use --case {other[0]})"
            )
    if case.name == "korea":
        return load_scenario(file)
    return case.load_scenario(file)


@app.command("list")
def list_(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
    fmt: str = FORMAT,
) -> None:
    """List the bundled scenarios of the selected case (--case; default korea)."""
    fmt = output_format(fmt, json_out)
    rows = []
    for name in state(ctx).load_case().scenarios():
        s = _load(ctx, name)
        rows.append({"name": name, "as_of": s.as_of.isoformat(), "title": s.title})
    if fmt == "json":
        emit_json(rows)
        return
    if fmt == "csv":
        write_csv(rows)
        return
    for r in rows:
        console.print(f"{r['name']:<12} as of {r['as_of']}  {r['title']}", markup=False)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: str = typer.Argument(
        ...,
        help="Scenario YAML file or bundled name (korea-2018, korea-now; --case iran: iran-2018, iran-now).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Validate a scenario file: exit 0 if valid, 2 with one line naming the problem if not."""
    s = _load(ctx, file)
    values = s.sourced_values()
    n_src = sum(v.source is not None for _, v in values)
    out = {
        "file": str(file),
        "valid": True,
        "name": s.name,
        "as_of": s.as_of.isoformat(),
        "actors": len(s.actors),
        "issues": len(s.issues),
        "values": len(values),
        "sourced": n_src,
        "assumptions": len(values) - n_src,
    }
    if json_out:
        emit_json(out)
    else:
        console.print(
            f"{file}: valid ({out['actors']} actors, {out['issues']} issues, {out['values']} values: "
            f"{n_src} sourced, {out['assumptions']} analyst assumptions)",
            markup=False,
        )


@app.command("show")
def show(
    ctx: typer.Context,
    file: str = typer.Argument(
        ...,
        help="Scenario YAML file or bundled name (korea-2018, korea-now; --case iran: iran-2018, iran-now).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
    fmt: str = FORMAT,
) -> None:
    """Show a scenario: actors, issues, and every value with its source or assumption
    (``--format csv``: one row per value, with its key path and provenance)."""
    fmt = output_format(fmt, json_out)
    s = _load(ctx, file)
    if fmt == "json":
        emit_json(s.model_dump(mode="json"))
        return
    if fmt == "csv":
        write_csv(
            [
                {"key": k, "value": v.value, "source": v.source, "assumption": v.assumption}
                for k, v in s.sourced_values()
            ]
        )
        return
    console.print(f"[bold]{s.title}[/bold]  ({s.name}, as of {s.as_of})")
    if s.description:
        console.print(s.description, markup=False)
    t = Table(title="Actors")
    for c in ("id", "name", "capability", "provenance"):
        t.add_column(c)
    for a in s.actors:
        prov = a.capability.source or f"assumption: {a.capability.assumption}"
        t.add_row(a.id, a.name, f"{a.capability.value:g}", prov)
    console.print(t)
    for issue in s.issues:
        t = Table(title=f"{issue.id}: {issue.title}")
        t.caption = f"scale {issue.scale.min:g} = {issue.scale.low}; {issue.scale.max:g} = {issue.scale.high}"
        for c in ("actor", "position", "salience", "provenance (position)"):
            t.add_column(c)
        for actor, st in issue.positions.items():
            prov = st.position.source or f"assumption: {st.position.assumption}"
            t.add_row(actor, f"{st.position.value:g}", f"{st.salience.value:g}", prov)
        console.print(t)
    ranged = [
        (key, v)
        for key, v in s.sourced_values()
        if key.startswith(("parameters.", "policies.")) or v.spread is not None
    ]
    if ranged:
        t = Table(
            title="Model parameters and policy assumptions (plausible ranges for sensitivity)"
        )
        for c in ("value", "key", "range", "provenance", "rationale of the range"):
            t.add_column(c)
        for key, v in ranged:
            prov = v.source or f"assumption: {v.assumption}"
            t.add_row(f"{v.value:g}", key, v.describe_spread(), prov, v.range_note or "–")
        console.print(t)
