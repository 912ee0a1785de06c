"""Forecasts from the fitted standoff model: summaries, policy comparison, evidence."""

from standoff.forecast.results import Comparison, ForecastResult, compare, forecast
from standoff.forecast.summary import compare_policies, run_forecast, summarise

__all__ = [
    "Comparison",
    "ForecastResult",
    "compare",
    "compare_policies",
    "forecast",
    "run_forecast",
    "summarise",
]
