"""Shared CLI plumbing: state (``--db``/``--history``), JSON output, consoles."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from standoff.labels import MISSING  # what a person reads for a missing value

if TYPE_CHECKING:
    import pandas as pd

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class State:
    """Global options, resolved lazily so that commands that need no history load none."""

    db: Path | None = None
    history_dir: Path | None = None
    vintage: str | None = None
    case: str = "korea"  # --case: the standoff every case-aware command works on
    _history: Any = field(default=None, repr=False)

    def history(self):
        if self._history is None:
            from standoff.history import History

            self._history = History.load(
                self.history_dir, self.db, vintage=self.vintage, case=self.case
            )
        return self._history

    def load_case(self):
        from standoff.cases import load_case

        return load_case(self.case)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # commands invoked without the root callback (tests)
        obj = State()
        ctx.find_root().obj = obj
    return obj


def json_default(o: Any) -> Any:
    # numpy and pandas objects exist only if those libraries were imported (kept lazy: start-up)
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is not None and isinstance(o, (np.integer,)):
        return int(o)
    if np is not None and isinstance(o, (np.floating,)):
        f = float(o)
        return None if math.isnan(f) else f
    if np is not None and isinstance(o, (np.bool_,)):
        return bool(o)
    if np is not None and isinstance(o, np.ndarray):
        return o.tolist()
    if pd is not None and isinstance(o, pd.Timestamp):
        return None if pd.isna(o) else o.date().isoformat()
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if pd is not None and (o is pd.NA or o is pd.NaT):
        return None
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, decimal.Decimal):
        f = float(o)
        return f if math.isfinite(f) else None
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    """Replace NaN/NA by None recursively so the output is strict JSON."""
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return None
    pd = sys.modules.get("pandas")
    if pd is not None and (o is pd.NA or o is pd.NaT):
        return None
    return o


def emit_json(obj: Any, *, lines: bool = False) -> None:
    """Print ``obj`` as JSON on stdout (one compact line with ``lines=True``)."""
    text = json.dumps(
        _clean(obj),
        default=json_default,
        ensure_ascii=False,
        allow_nan=False,
        indent=None if lines else 2,
    )
    sys.stdout.write(text + "\n")


def frame_records(df: pd.DataFrame) -> list[dict]:
    """DataFrame -> JSON-ready records (dates as ISO strings, missing as null)."""
    import pandas as pd

    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").where(out[c].notna(), None)
    out = out.astype(object).where(out.notna(), None)
    return [_clean(r) for r in out.to_dict(orient="records")]


# ---------------------------------------------------------------- output formats
FORMATS = ("table", "csv", "json")
FORMAT = typer.Option(
    None,
    "--format",
    help="Output format: table (default, for people), csv or json (--json is an alias).",
)
#: a table's columns are at most this wide in the terminal; longer values end in "…"
MAX_CELL = 28


def output_format(fmt: str | None, json_out: bool = False) -> str:
    """Resolve ``--format`` and its alias ``--json`` into one of :data:`FORMATS`."""
    from standoff.errors import UsageError

    if fmt is None:
        return "json" if json_out else "table"
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if json_out and fmt != "json":
        raise UsageError(f"--json: conflicts with --format {fmt} (--json means --format json)")
    return fmt


def cell(v: Any) -> str:
    """A value as a person reads it: missing as "–", dates as YYYY-MM-DD, floats trimmed."""
    if v is None:
        return MISSING
    if isinstance(v, float):
        if not math.isfinite(v):
            return MISSING
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.1f}" if abs(v) >= 100 else f"{v:.4g}"
    pd = sys.modules.get("pandas")
    if pd is not None:
        if v is pd.NA or v is pd.NaT:
            return MISSING
        if isinstance(v, pd.Timestamp):
            return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    np = sys.modules.get("numpy")
    if np is not None and isinstance(v, np.generic):
        return cell(v.item())
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _rows_of(data: Any) -> tuple[list[str], list[list[Any]]]:
    if hasattr(data, "columns") and hasattr(data, "itertuples"):  # a DataFrame
        return [str(c) for c in data.columns], [list(r) for r in data.itertuples(index=False)]
    rows = list(data)
    cols = list(rows[0].keys()) if rows else []
    for r in rows[1:]:
        cols += [k for k in r if k not in cols]
    return [str(c) for c in cols], [[r.get(c) for c in cols] for r in rows]


def write_csv(data: Any) -> None:
    """A DataFrame or a list of dicts as CSV on stdout (missing values empty)."""
    import csv

    cols, rows = _rows_of(data)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_csv(v) for v in r])


def _csv(v: Any) -> Any:
    """CSV cells: full precision, missing as empty, dates as ISO."""
    if isinstance(v, str):
        return v
    text = cell(v)
    if text == MISSING:
        return ""
    if isinstance(v, float) or type(v).__name__.startswith("float"):
        return repr(float(v))
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "true" if v else "false"
    return text


def print_table(
    data: Any,
    title: str | None = None,
    *,
    labels: dict[str, str] | None = None,
    fit: bool = True,
) -> None:
    """Print a table for people: missing as "–", long values cut with "…", and as many
    columns as fit the terminal (the rest are named in a note, with how to see them)."""
    from rich.table import Table

    cols, rows = _rows_of(data)
    texts = [[cell(v) for v in r] for r in rows]
    heads = [(labels or {}).get(c, c) for c in cols]
    shown = len(cols)
    if fit and cols:
        width, used = max(console.width, 40), 1
        for i, h in enumerate(heads):
            w = min(max([len(h)] + [len(t[i]) for t in texts]), MAX_CELL) + 3
            if used + w > width and i > 0:
                shown = i
                break
            used += w
    t = Table(title=title)
    for i in range(shown):
        num = all(_numeric(r[i]) for r in rows if r[i] is not None)
        t.add_column(
            heads[i],
            justify="right" if num else "left",
            no_wrap=fit,
            overflow="ellipsis",
            max_width=MAX_CELL if fit else None,
        )
    for r in texts:
        t.add_row(*r[:shown])
    console.print(t)
    if shown < len(cols):
        rest = ", ".join(cols[shown:])
        if len(rest) > 200:
            rest = rest[:197] + "..."
        console.print(
            f"note: {len(cols) - shown} more column(s) not shown ({rest}); "
            "select fewer columns, or use --format csv or --format json for everything",
            markup=False,
            highlight=False,
        )


def _numeric(v: Any) -> bool:
    """Numbers (Python or numpy; not booleans) are right-aligned."""
    import numbers

    return isinstance(v, numbers.Number) and not isinstance(v, bool) and type(v).__name__ != "bool_"
