"""``standoff cases``: the bundled standoffs, their tables, coverage, targets and scenarios."""

from __future__ import annotations

import typer

from standoff.cli._common import FORMAT, console, emit_json, output_format, write_csv


def cases(
    json_out: bool = typer.Option(False, "--json", help="Machine-readable JSON on stdout."),
    fmt: str = FORMAT,
) -> None:
    """List the cases (select one with the global option --case NAME; default korea).

    Example: standoff cases --json
    """
    from standoff.cases import list_cases

    fmt = output_format(fmt, json_out)
    infos = [c.info() for c in list_cases()]
    if fmt == "json":
        emit_json(infos)
        return
    rows = [
        {
            "case": i["name"],
            "title": i["title"],
            "coverage": f"{i['coverage']['start']} to {i['coverage']['end']}",
            "tables": ", ".join(i["tables"]),
            "targets": ", ".join(t["name"] for t in i["targets"]),
            "scenarios": ", ".join(i["scenarios"]),
        }
        for i in infos
    ]
    if fmt == "csv":
        write_csv(rows)
        return
    for r, i in zip(rows, infos, strict=True):
        console.print(f"[bold]{r['case']}[/bold]  {r['title']}", highlight=False)
        panel = f"panel from {i['panel']['start']}, {i['panel']['columns']} columns"
        targets = "; ".join(f"{t['name']} ({t['label']})" for t in i["targets"])
        for key, text in (
            ("coverage", f"{r['coverage']} ({panel})"),
            ("tables", r["tables"]),
            ("targets", targets),
            ("scenarios", r["scenarios"]),
        ):
            console.print(f"  {key:<10} {text}", markup=False, highlight=False)
    console.print("select one with: standoff --case NAME <command>", markup=False)
