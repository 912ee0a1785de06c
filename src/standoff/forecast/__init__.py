"""Forecasts from the fitted standoff model: summaries, policy comparison, evidence."""

from standoff.forecast.summary import compare_policies, run_forecast, summarise

__all__ = ["compare_policies", "run_forecast", "summarise"]
