"""``standoff history update`` and ``standoff history vintages``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from standoff.cli._common import console, emit_json, err_console, state
from standoff.errors import UsageError

JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")
SHOW = 12  # rows of each list shown in text output


def _root(ctx: typer.Context) -> Path:
    from standoff.history.vintages import vintages_root

    st = state(ctx)
    if st.history_dir is not None:
        raise UsageError(
            "--history: vintages belong to the user store, not to a --history directory"
        )
    return vintages_root(st.db)


def update(
    ctx: typer.Context,
    from_dir: Path = typer.Option(
        None,
        "--from",
        help="Directory with newer copies of the sources (data/ layout or flat: test.en.json, "
        "north_korea_provocations_1958_present.csv, unsc_resolutions_dprk.csv + sanctions_measures.csv, ...).",
    ),
    online: bool = typer.Option(
        False,
        "--online",
        help="Download the sources from their public URLs (see docs/vintages.md).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the diff; write nothing."),
    allow_removals: bool = typer.Option(
        False,
        "--allow-removals",
        help="Accept a copy that removes many rows (refused by default: it looks truncated).",
    ),
    json_out: bool = JSON,
) -> None:
    """Bring the record up to date: rebuild the tables from newer source copies as a new vintage.

    Example: standoff history update --from ~/Downloads/standoff-sources --dry-run
    """
    from standoff.history.vintages import update as run
    from standoff.progress import enabled

    root = _root(ctx)
    say = enabled() and not json_out  # steps on a terminal only: a failure stays one line
    res = run(
        root,
        from_dir,
        online=online,
        dry_run=dry_run,
        allow_removals=allow_removals,
        progress=(lambda m: err_console.print(f"  {m}", markup=False)) if say else None,
    )
    out = res.to_dict()
    if json_out:
        emit_json(out)
        return
    print_diff(res.diff)
    for n in res.notes:
        console.print(f"note: {n}", markup=False)
    if res.vintage is None:
        console.print(f"No change: the sources give the same tables as vintage {res.base.id}.")
    elif res.dry_run:
        console.print(
            f"Dry run: would write vintage {res.vintage.id}; nothing written.", markup=False
        )
    else:
        console.print(
            f"Wrote vintage {res.vintage.id} (now the latest; the previous one, {res.base.id}, is kept: "
            f"standoff --vintage {res.base.id} ...).",
            markup=False,
        )


def print_diff(diff: dict) -> None:
    """The diff of an update as text."""
    t = Table(title="Rows per table")
    for c in ("table", "before", "after", "added", "removed", "changed"):
        t.add_column(c, justify="right" if c != "table" else "left")
    for name, d in diff["tables"].items():
        t.add_row(
            name,
            str(d["rows_before"]),
            str(d["rows_after"]),
            str(len(d["added"])),
            str(len(d["removed"])),
            str(len(d["changed"])),
        )
    console.print(t)
    for name, d in diff["tables"].items():
        if d["removed"]:
            console.print(f"{name}: removed {', '.join(d['removed'][:SHOW])}", markup=False)
        for c in d["changed"][:SHOW]:
            fields = "; ".join(
                f"{k}: {'–' if a is None else a} -> {'–' if b is None else b}"
                for k, (a, b) in c["fields"].items()
            )
            console.print(f"{name}: {c['id']} changed ({fields})", markup=False)
        if len(d["changed"]) > SHOW:
            console.print(f"{name}: ... {len(d['changed']) - SHOW} more changed rows (--json)")
        if d["added"]:
            more = f" ... (+{len(d['added']) - SHOW})" if len(d["added"]) > SHOW else ""
            console.print(f"{name}: added {', '.join(d['added'][:SHOW])}{more}", markup=False)
    for name, c in diff["coverage"].items():
        console.print(
            f"coverage of {name}: {c['end_before'] or '–'} -> {c['end_after']}"
            + (f" ({c['days']:+d} days)" if c["days"] is not None else ""),
            markup=False,
        )
    m = diff.get("monthly") or {}
    if m:
        cells = m["cells_changed"]
        console.print(
            f"monthly panel: ends {m['panel_end_before']} -> {m['panel_end_after']}"
            f"{' (months added: ' + ', '.join(m['months_added']) + ')' if m['months_added'] else ''}; "
            f"{len(cells)} cell(s) of earlier months moved",
            markup=False,
        )
        for c in cells[:SHOW]:
            console.print(
                f"  {c['month']} {c['column']}: {c['before'] or '–'} -> {c['after'] or '–'}",
                markup=False,
            )
        if len(cells) > SHOW:
            console.print(f"  ... {len(cells) - SHOW} more (--json)")


def vintages(
    ctx: typer.Context,
    use: str = typer.Option(
        None, "--use", help="Make this vintage the latest (e.g. go back to 'bundled')."
    ),
    json_out: bool = JSON,
) -> None:
    """List the vintages of the history: date obtained, source versions, coverage, fingerprint."""
    from standoff.history.vintages import current_id, list_vintages, set_current

    root = _root(ctx)
    if use is not None:
        v = set_current(root, use)
        if not json_out:
            console.print(f"latest vintage is now {v.id}", markup=False)
    vs = list_vintages(root)
    cur = current_id(root)
    if json_out:
        emit_json(
            {
                "current": cur,
                "root": str(root),
                "vintages": [{**v.to_dict(), "current": v.id == cur} for v in vs],
            }
        )
        return
    console.print(f"[bold]Vintages of the history[/bold] ({root})", highlight=False)
    for v in vs:
        ends = ", ".join(f"{t} {c['end']}" for t, c in v.coverage.items())
        console.print(
            f"{v.id}{'  (latest)' if v.id == cur else ''}: obtained {v.obtained}"
            f"{', updated from ' + v.base if v.base else ''}; fingerprint {v.fingerprint[:16]}",
            markup=False,
        )
        console.print(f"  coverage ends: {ends}", markup=False)
        srcs = "; ".join(f"{k} {s.get('version') or s.get('origin')}" for k, s in v.sources.items())
        console.print(f"  sources: {srcs}", markup=False)
