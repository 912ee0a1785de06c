"""The backtest's result: the JSON-ready ``dict`` plus DataFrames (``.table``, ``.forecasts``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class BacktestResult(dict):
    """``backtest(...)``'s result. Still a ``dict`` (``res["scores"]["nuclear"]["12"]``);
    ``.table`` is the score table as a DataFrame, one row per target, horizon and baseline:
    n, the score used (Brier or CRPS), standoff's score, the baseline's, the skill
    ``1 - standoff/baseline`` and its stationary-bootstrap interval. ``summary()`` prints what
    ``standoff backtest`` prints."""

    @property
    def table(self) -> pd.DataFrame:
        import pandas as pd

        from standoff.labels import target as label

        rows = []
        for target, by_h in self["scores"].items():
            for h, s in by_h.items():
                if not s.get("n"):
                    rows.append(
                        {"target": target, "label": label(target), "horizon": int(h), "n": 0}
                    )
                    continue
                kind = "crps" if "crps" in s else "brier"
                for base, sk in s.get("skill", {}).items():
                    lo, hi = sk.get("skill_interval") or (None, None)
                    rows.append(
                        {
                            "target": target,
                            "label": label(target),
                            "horizon": int(h),
                            "n": s["n"],
                            "score": kind,
                            "standoff": s[kind].get("standoff"),
                            "baseline": base,
                            "baseline_score": s[kind].get(base),
                            "skill": sk.get("skill"),
                            "skill_lo": lo,
                            "skill_hi": hi,
                        }
                    )
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    @property
    def forecasts(self) -> pd.DataFrame:
        """One row per origin, horizon and target: forecast, baselines and what happened
        (needs the per-origin records: a result straight from ``backtest()``)."""
        from standoff.backtest.report import forecast_frame

        return forecast_frame(self)

    def summary(self) -> None:
        """Print what ``standoff backtest`` prints."""
        from standoff.cli.backtest import render_backtest

        render_backtest(self)

    def __repr__(self) -> str:
        return (
            f"<BacktestResult {len(self.get('origins', []))} origins, horizons "
            f"{self.get('horizons')}, {self.get('paths')} paths, seed {self.get('seed')}>"
        )


def as_result(fn):
    """Decorator: wrap the dict a backtest function returns in a :class:`BacktestResult`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return BacktestResult(fn(*args, **kwargs))

    return wrapper
