"""Shared CLI plumbing: state (``--db``/``--history``), JSON output, consoles.

**Data is never markup.** The consoles are :class:`SafeConsole`: rich's markup and emoji
codes are off, so a value printed anywhere (a SQL result, a claim's title, an actor's name, a
path) is shown as the characters it holds -- ``[/x]`` cannot crash the output and
``[link=URL]`` cannot become a terminal hyperlink. standoff's own headings keep one style:
a line printed that *starts* with ``[bold]...[/bold]`` (or ``[green]...[/]``, one of a few
styles) is shown in that style up to the first closing tag, and everything after it is plain
text. Nothing else is interpreted; table cells never are (a styled cell is a ``rich.text.Text``).

**Every value has a JSON form** (:func:`json_default`): numpy and pandas scalars and arrays,
dates and timestamps (also outside pandas' range), durations (ISO 8601), UUIDs, bytes
(DuckDB's text form, ``\\xNN`` for bytes that are not printable ASCII), decimals, sets;
anything else as its text.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from standoff.labels import MISSING  # what a person reads for a missing value

if TYPE_CHECKING:
    import pandas as pd

#: standoff's own styles at the start of a line or cell (see the module docstring)
_OWN_STYLE = re.compile(
    r"\[(bold|dim|italic|red|green|yellow|cyan|magenta|blue|bold red|bold green)\]"
    r"(.*?)\[/(?:\1)?\]",
    re.DOTALL,
)


class SafeConsole(Console):
    """A rich console that never interprets markup or emoji codes in what it prints (table
    cells and titles included), except one leading style span of standoff's own in a line
    given to :meth:`print` (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        super().__init__(**kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if kwargs.get("markup") is None and not self._markup:
            objects = tuple(self._own_style(o) if isinstance(o, str) else o for o in objects)
        super().print(*objects, **kwargs)

    def _own_style(self, text: str):
        m = _OWN_STYLE.match(text)
        if m is None:
            return text
        from rich.text import Text

        return Text.assemble(Text(m.group(2), style=m.group(1)), self.render_str(text[m.end() :]))


console = SafeConsole(soft_wrap=True)
err_console = SafeConsole(stderr=True, soft_wrap=True)


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
    """The JSON form of a value ``json`` does not know (see the module docstring)."""
    # numpy and pandas objects exist only if those libraries were imported (kept lazy: start-up)
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if np is not None:
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            f = float(o)
            return f if math.isfinite(f) else None
        if isinstance(o, np.ndarray):  # masked entries become None
            return _clean(o.tolist())
        if isinstance(o, (np.datetime64, np.timedelta64)):
            return None if np.isnat(o) else str(o)
        if isinstance(o, np.generic):
            return _clean(o.item())
    if pd is not None:
        if o is pd.NA or o is pd.NaT:
            return None
        if isinstance(o, pd.Timestamp):
            return _timestamp_text(o)
        if isinstance(o, pd.Timedelta):
            return o.isoformat()
        if isinstance(o, pd.Period):
            return str(o)
    if isinstance(o, dt.datetime):
        return o.isoformat()
    if isinstance(o, dt.date):
        return o.isoformat()
    if isinstance(o, dt.time):
        return o.isoformat()
    if isinstance(o, dt.timedelta):
        return _duration(o)
    if isinstance(o, uuid.UUID):
        return str(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        return blob_text(bytes(o))
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, decimal.Decimal):
        if not o.is_finite():
            return None
        return int(o) if o == o.to_integral_value() and abs(o) < 10**30 else float(o)
    if isinstance(o, (set, frozenset)):
        return _clean(sorted(o, key=str))
    if isinstance(o, enum.Enum):
        return _clean(o.value)
    return str(o)


def _timestamp_text(ts: Any) -> str:
    """A timestamp as ISO text: the date alone at midnight (also outside pandas' range)."""
    text = ts.isoformat()
    midnight = ts.tz is None and not (
        ts.hour or ts.minute or ts.second or ts.microsecond or ts.nanosecond
    )
    return text.split("T")[0] if midnight else text


def _duration(td: dt.timedelta) -> str:
    """ISO 8601 duration of a ``timedelta`` (``P1DT2H3M4.5S``; ``-`` before negative ones)."""
    sign = "-" if td < dt.timedelta(0) else ""
    td = abs(td)
    secs = td.seconds + td.microseconds / 1e6
    h, rem = divmod(td.seconds, 3600)
    m = rem // 60
    s = secs - h * 3600 - m * 60
    return f"{sign}P{td.days}DT{h}H{m}M{s:g}S"


def blob_text(b: bytes) -> str:
    """Bytes as DuckDB shows a BLOB: printable ASCII as is, other bytes as ``\\xNN``."""
    return "".join(
        chr(c) if 32 <= c < 127 and c != 92 else f"\\x{c:02X}" for c in b[:1_000_000]
    ) + ("..." if len(b) > 1_000_000 else "")


#: integers with more bits than this are written as text (Python cannot print them)
_MAX_INT_BITS = 13_000


def _clean(o: Any) -> Any:
    """Replace NaN/NA by None recursively so the output is strict JSON."""
    if isinstance(o, dict):
        return {_key_text(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, int) and not isinstance(o, bool) and o.bit_length() > _MAX_INT_BITS:
        return f"(an integer of about {int(o.bit_length() * 0.30103):,} digits)"
    pd = sys.modules.get("pandas")
    if pd is not None and (o is pd.NA or o is pd.NaT):
        return None
    np = sys.modules.get("numpy")
    if np is not None and isinstance(o, np.ndarray):
        return _clean(o.tolist())
    return o


def _key_text(k: Any) -> str:
    if isinstance(k, str):
        return k
    v = json_default(k) if not isinstance(k, (int, float, bool)) or isinstance(k, enum.Enum) else k
    return v if isinstance(v, str) else json.dumps(v)


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
    """A value as a person reads it: missing as "–", dates as YYYY-MM-DD, floats trimmed,
    lists and records as JSON, bytes and durations as DuckDB shows them."""
    if v is None:
        return MISSING
    if isinstance(v, float):
        if not math.isfinite(v):
            return MISSING
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.1f}" if abs(v) >= 100 else f"{v:.4g}"
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v) if v.bit_length() <= _MAX_INT_BITS else _clean(v)
    pd = sys.modules.get("pandas")
    if pd is not None:
        if v is pd.NA or v is pd.NaT:
            return MISSING
        if isinstance(v, pd.Timestamp):
            return _timestamp_text(v).replace("T", " ")
        if isinstance(v, pd.Timedelta):
            return str(v)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(v, np.generic) and not isinstance(v, np.datetime64):
        return cell(v.item())
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return blob_text(bytes(v))
    if isinstance(v, (dict, list, tuple, set, frozenset)) or (
        np is not None and isinstance(v, np.ndarray)
    ):
        return json.dumps(_clean(v), default=json_default, ensure_ascii=False, allow_nan=False)
    return str(json_default(v)) if not isinstance(v, str) else v


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
