"""``standoff history ...``: summaries, timelines, charts, claims, SQL and export."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from standoff.cli._common import console, emit_json, frame_records, state

app = typer.Typer(
    help="The sourced history: summaries, timelines, charts, claims, SQL, export.",
    no_args_is_help=True,
)

AS_OF = typer.Option(
    None, "--as-of", help="Cut the history at this date (YYYY-MM-DD): nothing after it exists."
)
JSON = typer.Option(False, "--json", help="Machine-readable JSON on stdout.")


def _history(ctx: typer.Context, as_of: str | None):
    h = state(ctx).history()
    return h.as_of(as_of) if as_of else h


@app.command()
def summary(
    ctx: typer.Context,
    by: str = typer.Option(None, "--by", help="Break down by year, leader or type."),
    as_of: str = AS_OF,
    json_out: bool = JSON,
) -> None:
    """Missile tests (CNS unit), nuclear tests, resolutions and diplomacy in numbers.

    Example: standoff history summary --by leader --as-of 2017-12-31 --json
    """
    h = _history(ctx, as_of)
    out = h.summary(by=by)
    if json_out:
        emit_json(out)
        return
    head = f"History ({out['history']})" + (f" as of {out['as_of']}" if out["as_of"] else "")
    console.print(f"[bold]{head}[/bold] -- unit: {out['unit']}")
    if by is None:
        console.print(
            f"missiles {out['missiles']} (ICBM {out['icbm']}), nuclear tests {out['nuclear_tests']}, "
            f"UNSC resolutions adopted {out['resolutions_adopted']} (+{out['vetoed_drafts']} vetoed drafts), "
            f"summits {out['summits']}, agreements {out['agreements']}"
        )
        t = Table(title="Coverage")
        for c in ("table", "rows", "start", "end"):
            t.add_column(c)
        for name, cov in out["coverage"].items():
            t.add_row(name, str(out["rows"].get(name, "")), cov["start"], cov["end"])
        console.print(t)
        return
    t = Table()
    cols = list(out["rows"][0].keys()) if out["rows"] else []
    for c in cols:
        t.add_column(c, justify="right" if c != by else "left")
    for r in out["rows"]:
        t.add_row(*["-" if r.get(c) is None else str(r.get(c, "")) for c in cols])
    console.print(t)
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
        "launches,nuclear_tests,sanctions,diplomacy,events",
        "--kinds",
        help="Comma-separated tables: launches, nuclear_tests, sanctions, diplomacy, events, provocations.",
    ),
    as_of: str = AS_OF,
    json_out: bool = JSON,
) -> None:
    """What happened between two dates, in order (launch salvos grouped per day)."""
    h = _history(ctx, as_of)
    tl = h.timeline(from_, to, tuple(k.strip() for k in kinds.split(",") if k.strip()))
    if json_out:
        emit_json(frame_records(tl))
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
) -> None:
    """Check the claims of a debate against the data: supported / not supported / not checkable."""
    from standoff.history.claims import evaluate_claims, load_claims

    cf, path = load_claims(file)
    results = evaluate_claims(state(ctx).history(), cf, origin=str(path))
    if json_out:
        emit_json(
            {"file": str(path), "title": cf.title, "as_of": cf.as_of.isoformat(), "claims": results}
        )
        return
    console.print(f"[bold]{cf.title}[/bold] (as of {cf.as_of})")
    t = Table(show_lines=True)
    for c in ("claim", "verdict", "data says"):
        t.add_column(c, overflow="fold")
    colour = {"supported": "green", "not supported": "red", "not checkable": "yellow"}
    for r in results:
        says = "; ".join(
            f"{c['label'] or 'value'}: {c['value']} (claim: {c['expected']})" for c in r["checks"]
        ) or "; ".join(f"{c['label']}: {c['value']}" for c in r["context"])
        if r["verdict"] == "not checkable" and r["reason"]:
            says = (says + " -- " if says else "") + r["reason"]
        t.add_row(r["text"], f"[{colour[r['verdict']]}]{r['verdict']}[/]", says)
    console.print(t)


@app.command()
def query(
    ctx: typer.Context,
    sql: str = typer.Argument(
        ..., help="SQL (DuckDB dialect) over the history tables and 'monthly'."
    ),
    as_of: str = AS_OF,
    json_out: bool = JSON,
) -> None:
    """Run SQL on the history (tables: launches, nuclear_tests, sanctions, diplomacy, provocations,
    events, leading_info, new_year_addresses, monthly, sanctions_regime, sources, coverage, leaders).

    Example: standoff history query "SELECT year(date) y, count(*) n FROM launches GROUP BY y ORDER BY y"
    """
    h = _history(ctx, as_of)
    df = h.query(sql)
    if json_out:
        emit_json(frame_records(df))
        return
    t = Table()
    for c in df.columns:
        t.add_column(str(c), overflow="fold")
    for row in frame_records(df):
        t.add_row(*["" if v is None else str(v) for v in row.values()])
    console.print(t)
    console.print(f"{len(df)} row(s)")


@app.command()
def sources(
    ctx: typer.Context,
    ids: list[str] = typer.Argument(None, help="Source ids to resolve (default: all)."),
    json_out: bool = JSON,
) -> None:
    """Resolve source ids (G1, W-2397, GK, ...) to their citations."""
    from standoff.errors import UsageError

    src = state(ctx).history().sources
    if ids:
        unknown = [i for i in ids if i not in set(src["id"])]
        if unknown:
            raise UsageError(
                f"sources: unknown id(s) {', '.join(unknown)} (see `standoff history sources`)"
            )
        src = src[src["id"].isin(ids)]
    if json_out:
        emit_json(frame_records(src))
        return
    for _, r in src.iterrows():
        console.print(f"[bold]{r['id']}[/bold] ({r['kind']}): {r['citation']}", highlight=False)
