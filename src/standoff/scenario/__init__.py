"""Validated scenario files (YAML): actors, capabilities, issues, positions, saliences."""

from standoff.scenario.spec import (
    Actor,
    Issue,
    Scenario,
    Sourced,
    bundled_scenarios,
    load_scenario,
)

__all__ = ["Actor", "Issue", "Scenario", "Sourced", "bundled_scenarios", "load_scenario"]
