"""Shared CLI plumbing: state (``--db``/``--history``), JSON output, consoles."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class State:
    """Global options, resolved lazily so that commands that need no history load none."""

    db: Path | None = None
    history_dir: Path | None = None
    vintage: str | None = None
    _history: Any = field(default=None, repr=False)

    def history(self):
        if self._history is None:
            from standoff.history import History

            self._history = History.load(self.history_dir, self.db, vintage=self.vintage)
        return self._history


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # commands invoked without the root callback (tests)
        obj = State()
        ctx.find_root().obj = obj
    return obj


def json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        f = float(o)
        return None if math.isnan(f) else f
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, pd.Timestamp):
        return None if pd.isna(o) else o.date().isoformat()
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if o is pd.NA or o is pd.NaT:
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
    if o is pd.NA or o is pd.NaT:
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
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").where(out[c].notna(), None)
    out = out.astype(object).where(out.notna(), None)
    return [_clean(r) for r in out.to_dict(orient="records")]
