"""``standoff history ...``: summaries, timelines, charts, claims, SQL and export."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from standoff.cli._common import (
    FORMAT,
    cell,
    console,
    emit_json,
    frame_records,
    output_format,
    print_table,
    state,
    write_csv,
)
from standoff.labels import COLUMNS

app = typer.Typer(
    help="The sourced history: summaries, timelines, charts, claims, SQL, export.",
    no_args_is_help=True,
)

AS_OF = typer.Option(
    None, "--as-of", help="Cut the history at this date (YYYY-MM-DD): nothing after it exists."
)
JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")


#: history commands that only exist for the Korean case (its online sources, vintages and charts)
KOREA_ONLY = ("update", "vintages", "chart")


@app.callback()
def _case(ctx: typer.Context) -> None:
    """The sourced history of the selected case (--case; default korea)."""
    from standoff.errors import UsageError

    case = state(ctx).case
    if case != "korea" and ctx.invoked_subcommand in KOREA_ONLY:
        raise UsageError(
            f"--case {case}: `standoff history {ctx.invoked_subcommand}` exists for the korea "
            "case only (its online sources, vintages and charts)"
        )


def _history(ctx: typer.Context, as_of: str | None):
    h = state(ctx).history()
    return h.as_of(as_of) if as_of else h


@app.command()
def summary(
    ctx: typer.Context,
    by: str = typer.Option(None, "--by", help="Break down by year, leader or type."),
    as_of: str = AS_OF,
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Missile tests (CNS unit), nuclear tests, resolutions and diplomacy in numbers.

    Example: standoff history summary --by leader --as-of 2017-12-31 --json
    """
    from standoff.cli import _summary_cache

    fmt = output_format(fmt, json_out)
    st = state(ctx)
    default_store = (
        st.db is None and st.history_dir is None and st.vintage is None and st.case == "korea"
    )
    out = _summary_cache.get(by, as_of) if default_store else None
    if out is None:
        out = _history(ctx, as_of).summary(by=by)
        if default_store:
            _summary_cache.put(by, as_of, out)
    render_summary(out, by, fmt)


def render_summary(out: dict, by: str | None, fmt: str) -> None:
    """Print a summary (as returned by ``History.summary``) in the chosen format."""
    if fmt == "json":
        emit_json(out)
        return
    if by is None and isinstance(out["coverage"], list):  # a declared summary: spans
        rows = [
            {"coverage": c["coverage"], "table": c["table"], "rows": out["rows"].get(c["table"])}
            | {"start": c["start"], "end": c["end"]}
            for c in out["coverage"]
        ]
    elif by is None:
        rows = [
            {"table": name, "rows": out["rows"].get(name), **cov}
            for name, cov in out["coverage"].items()
        ]
    else:
        rows = out["rows"]
    if fmt == "csv":
        write_csv(rows)
        return
    case = f" -- {out['case']}" if "case" in out else ""
    head = f"History ({out['history']}{case})" + (f" as of {out['as_of']}" if out["as_of"] else "")
    console.print(f"[bold]{head}[/bold] -- unit: {out['unit']}")
    if "counts" in out:  # a declared summary (every case but korea)
        labels = out["labels"]
        if by is None:
            parts = [f"{labels[k]} {cell(v)}" for k, v in out["counts"].items()]
            parts += [
                f"{labels[k]} {cell(v['value'])}" + (f" ({v['month']})" if v["month"] else "")
                for k, v in out["latest"].items()
            ]
            console.print(", ".join(parts), markup=False, highlight=False)
            print_table(rows, "Coverage", labels=COLUMNS)
        else:
            print_table(rows, labels=labels)
        return
    if by is None:
        console.print(
            f"missiles {out['missiles']} (ICBM {out['icbm']}), nuclear tests {out['nuclear_tests']}, "
            f"UNSC resolutions adopted {out['resolutions_adopted']} (+{out['vetoed_drafts']} vetoed drafts), "
            f"summits {out['summits']}, agreements {out['agreements']}"
        )
        print_table(rows, "Coverage", labels=COLUMNS)
        return
    print_table(rows, labels=COLUMNS)
    console.print(f"total missiles: {out['total']}")


@app.command()
def export(
    ctx: typer.Context,
    out_dir: Path = typer.Argument(..., help="Directory to write <table>.csv files into."),
    as_of: str = AS_OF,
    json_out: bool = JSON,
) -> None:
    """Write the tables in the --history format (edit them, then: standoff --history DIR ...)."""
    h = _history(ctx, as_of)
    paths = h.export(out_dir)
    if json_out:
        emit_json({"dir": str(out_dir), "files": [p.name for p in paths]})
    else:
        console.print(f"wrote {len(paths)} tables to {out_dir}", markup=False)


@app.command()
def timeline(
    ctx: typer.Context,
    from_: str = typer.Option(None, "--from", help="Start date YYYY-MM-DD."),
    to: str = typer.Option(None, "--to", help="End date YYYY-MM-DD."),
    kinds: str = typer.Option(
        None,
        "--kinds",
        help="Comma-separated tables (korea: launches, nuclear_tests, sanctions, diplomacy, "
        "events, provocations; default all but provocations; other cases: see `standoff cases`).",
    ),
    as_of: str = AS_OF,
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """What happened between two dates, in order (launch salvos grouped per day)."""
    fmt = output_format(fmt, json_out)
    h = _history(ctx, as_of)
    kind_list = None if kinds is None else tuple(k.strip() for k in kinds.split(",") if k.strip())
    tl = h.timeline(from_, to, kind_list)
    if fmt == "json":
        emit_json(frame_records(tl))
        return
    if fmt == "csv":
        write_csv(tl)
        return
    t = Table(show_lines=False)
    for c in ("date", "kind", "what", "sources"):
        t.add_column(c, overflow="fold")
    for _, r in tl.iterrows():
        what = r["what"] if len(r["what"]) < 160 else r["what"][:157] + "..."
        t.add_row(str(r["date"].date()), r["kind"], what, r["sources"])
    console.print(t)


@app.command()
def chart(
    ctx: typer.Context,
    kind: str = typer.Argument(
        ..., help="launches-by-year, launches-by-leader, launches-by-type, sanctions or diplomacy."
    ),
    out: Path = typer.Option(..., "--out", help="Output file: .png, or .html (image + sources)."),
    as_of: str = AS_OF,
) -> None:
    """Draw a chart of the history to PNG or HTML."""
    from standoff.history.charts import save_chart

    h = _history(ctx, as_of)
    path = save_chart(h, kind, out)
    console.print(f"wrote {path}", markup=False)


@app.command()
def claims(
    ctx: typer.Context,
    file: str = typer.Argument(None, help="Claims YAML file (default: the bundled korea-2018)."),
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Check the claims of a debate against the data: supported / not supported / not checkable."""
    from standoff.history.claims import evaluate_claims, load_claims

    fmt = output_format(fmt, json_out)
    case = state(ctx).case
    if file is None and case != "korea":
        from standoff.errors import UsageError

        raise UsageError(f"claims: no bundled claims file for the {case} case; give a file")
    cf, path = load_claims(file)
    results = evaluate_claims(state(ctx).history(), cf, origin=str(path))
    if fmt == "json":
        emit_json(
            {"file": str(path), "title": cf.title, "as_of": cf.as_of.isoformat(), "claims": results}
        )
        return
    rows = []
    for r in results:
        says = "; ".join(
            f"{c['label'] or 'value'}: {cell(c['value'])} (claim: {cell(c['expected'])})"
            for c in r["checks"]
        ) or "; ".join(f"{c['label']}: {cell(c['value'])}" for c in r["context"])
        if r["verdict"] == "not checkable" and r["reason"]:
            says = (says + " -- " if says else "") + r["reason"]
        rows.append({"claim": r["text"], "verdict": r["verdict"], "data says": says})
    if fmt == "csv":
        write_csv(rows)
        return
    console.print(f"[bold]{cf.title}[/bold] (as of {cf.as_of})")
    t = Table(show_lines=True)
    for c in ("claim", "verdict", "data says"):
        t.add_column(c, overflow="fold")
    colour = {"supported": "green", "not supported": "red", "not checkable": "yellow"}
    for r in rows:
        t.add_row(r["claim"], Text(r["verdict"], style=colour[r["verdict"]]), r["data says"])
    console.print(t)


@app.command()
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(
        ..., help="SQL (DuckDB dialect) over the history tables and 'monthly'."
    ),
    as_of: str = AS_OF,
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Run SQL on the history (korea: launches, nuclear_tests, sanctions, diplomacy, provocations,
    events, leading_info, new_year_addresses, monthly, sanctions_regime, sources, coverage, leaders;
    every case: its tables (`standoff cases`), monthly and meta).

    Example: standoff history query "SELECT year(date) y, count(*) n FROM launches GROUP BY y ORDER BY y"
    """
    fmt = output_format(fmt, json_out)
    h = _history(ctx, as_of)
    df = h.query(sql)
    if fmt == "json":
        emit_json(frame_records(df))
        return
    if fmt == "csv":
        write_csv(df)
        return
    print_table(df)
    console.print(f"{len(df)} row(s)")


@app.command()
def sources(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(None, help="Source ids to resolve (default: all)."),
    json_out: bool = JSON,
    fmt: str = FORMAT,
) -> None:
    """Resolve source ids (G1, W-2397, GK, ...) to their citations."""
    from standoff.errors import UsageError

    fmt = output_format(fmt, json_out)
    src = state(ctx).history().sources
    if ids:
        unknown = [i for i in ids if i not in set(src["id"])]
        if unknown:
            raise UsageError(
                f"sources: unknown id(s) {', '.join(unknown)} (see `standoff history sources`)"
            )
        src = src[src["id"].isin(ids)]
    if fmt == "json":
        emit_json(frame_records(src))
        return
    if fmt == "csv":
        write_csv(src)
        return
    for _, r in src.iterrows():
        console.print(f"[bold]{r['id']}[/bold] ({r['kind']}): {r['citation']}", highlight=False)
