"""Rolling-origin backtests with proper scores against naive baselines (issue 6)."""

from standoff.backtest.core import TARGETS, backtest, baselines, fit, simulate

__all__ = ["TARGETS", "backtest", "baselines", "fit", "simulate"]
