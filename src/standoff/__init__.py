"""standoff: model, forecast and stress-test nuclear standoffs and coercive diplomacy.

The flagship, embedded case is the Korean Peninsula. The public API starts with the
sourced, as-of-aware history::

    import standoff as so
    hist = so.History.load()                 # bundled history, stored in DuckDB
    h17 = hist.as_of("2017-12-31")           # nothing dated after the cut exists
    h17.summary(by="leader")

and the validated scenario files::

    scn = so.load_scenario("korea-2018")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from standoff.errors import (
    ClaimsError,
    DataError,
    LookAheadError,
    ScenarioError,
    StandoffError,
)

if TYPE_CHECKING:  # imported lazily (below) so that ``standoff --help`` starts fast
    from standoff.history import History
    from standoff.scenario import Scenario, load_scenario

__all__ = [
    "ClaimsError",
    "DataError",
    "History",
    "LookAheadError",
    "Scenario",
    "ScenarioError",
    "StandoffError",
    "__version__",
    "load_scenario",
]

#: public names that live in heavier modules (pandas, pydantic): imported on first use
_LAZY = {
    "History": "standoff.history",
    "Scenario": "standoff.scenario",
    "load_scenario": "standoff.scenario",
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("standoff")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":  # from the installed package's metadata, read on first use
        globals()[name] = _version()
        return globals()[name]
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'standoff' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})
