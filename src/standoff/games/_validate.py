"""Parameter checks for the public functions of :mod:`standoff.games`.

Every check raises :class:`~standoff.errors.UsageError` with one line that names the
parameter, the expected range and the value received.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from standoff.errors import UsageError


def _fmt(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"


def check_range(
    name: str,
    value: float,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``value`` as a float if it lies in the interval, else raise ``UsageError``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"'{name}' must be a number; got {value!r}") from None
    ok = math.isfinite(v)
    if ok:
        ok = (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)
    if not ok:
        interval = ("(" if lo_open else "[") + f"{_fmt(lo)}, {_fmt(hi)}" + (")" if hi_open else "]")
        raise UsageError(f"'{name}' must be a finite number in {interval}; got {value!r}")
    return v


def check_probability(name: str, value: float) -> float:
    return check_range(name, value, 0.0, 1.0)


def check_positive(name: str, value: float) -> float:
    return check_range(name, value, 0.0, math.inf, lo_open=True)


def check_nonnegative(name: str, value: float) -> float:
    return check_range(name, value, 0.0, math.inf)


def check_int(name: str, value: int, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UsageError(f"'{name}' must be an integer in [{lo}, {hi}]; got {value!r}")
    return value


def check_distribution(name: str, probs: Sequence[float]) -> tuple[float, ...]:
    """Probabilities in [0, 1] that sum to 1 (within 1e-9)."""
    vals = tuple(check_probability(f"{name}[{i}]", p) for i, p in enumerate(probs))
    if not vals or abs(sum(vals) - 1.0) > 1e-9:
        raise UsageError(f"'{name}' must be probabilities summing to 1; got sum {sum(vals):g}")
    return vals
