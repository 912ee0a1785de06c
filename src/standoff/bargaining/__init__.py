"""Multi-actor bargaining: where a negotiation settles, and how it gets there.

Models (one module each), all on the same input, a :class:`Problem` (one issue: actors with
capability, position and salience):

* :mod:`.models`: the registry, and the **default point forecast** (mean of the compromise
  model and Nash bargaining with the status quo as disagreement point; weighted majority on
  two-outcome issues);
* :mod:`.baselines`: compromise model (capability x salience weighted mean), power-weighted
  median, unweighted mean and median, status quo;
* :mod:`.nbs`: generalised Nash bargaining solution with a disagreement point;
* :mod:`.eum`: Bueno de Mesquita's expected utility model, ``clean`` (E1-E11) and ``scholz``
  (reproduces the Scholz et al. 2011 replication, golden vector G1);
* :mod:`.ensemble`: perturbation ensembles with seeded generators and quantiles;
* :mod:`.chart`, :mod:`.report`: trajectory and win-set charts, the briefing's HTML section.

Several issues at once, a :class:`~.spatial.SpatialProblem` (positions and saliences per
dimension):

* :mod:`.smp`: KTAB's Spatial Model of Politics, re-implemented and vectorised;
* :mod:`.linkage`: issue linkage, the Stokman-Van Oosten exchange model;
* :mod:`.winset`: the veto players' win-set of the status quo;
* :mod:`.deal`: a scenario's deal space: feasible packages, every model's settlement, the
  spread across models, who must move, and the phased-relief policy's content.

Inputs (:mod:`.inputs`): KTAB CSV (read and write), plain CSV or DataFrame, and the
``issues`` of scenario files. Example::

    from standoff.bargaining import example_path, forecast, read_file
    eu = read_file(example_path("eu-car-emissions"))[0]
    forecast(eu).value              # default: mean of compromise (7.39) and NBS (7.21): 7.30
    forecast(eu, "eum").details     # status, oscillation, final weighted mean
"""

from __future__ import annotations

from pathlib import Path

from standoff.bargaining.baselines import compromise, weighted_median
from standoff.bargaining.ensemble import EnsembleResult, run_ensemble
from standoff.bargaining.eum import EUMResult, run_eum
from standoff.bargaining.inputs import (
    KTABFile,
    Problem,
    from_frame,
    from_scenario,
    make_problem,
    read_file,
    read_ktab,
    write_ktab,
)
from standoff.bargaining.models import DEFAULT_MODEL, MODELS, Forecast, forecast
from standoff.bargaining.nbs import NBSResult, nash_bargaining

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "EUMResult",
    "EnsembleResult",
    "Forecast",
    "KTABFile",
    "NBSResult",
    "Problem",
    "compromise",
    "example_path",
    "forecast",
    "from_frame",
    "from_scenario",
    "make_problem",
    "nash_bargaining",
    "read_file",
    "read_ktab",
    "run_ensemble",
    "run_eum",
    "weighted_median",
    "write_ktab",
]


def example_path(name: str = "eu-car-emissions") -> Path:
    """Path of a bundled example input (KTAB CSV), e.g. BDM's 1994 EU car-emissions issue."""
    from importlib import resources

    from standoff.errors import UsageError

    root = Path(str(resources.files("standoff") / "data" / "bargaining"))
    path = root / f"{name}.csv"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in root.glob("*.csv")))
        raise UsageError(f"example: no bundled bargaining example {name!r} (bundled: {known})")
    return path
