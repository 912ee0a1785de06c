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

from standoff.errors import (
    ClaimsError,
    DataError,
    LookAheadError,
    ScenarioError,
    StandoffError,
)
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
    "load_scenario",
]

__version__ = "0.1.0"
