"""Global sensitivity of policy comparisons to the scenario's assumptions (SALib + sweeps)."""

from standoff.sensitivity.analysis import (
    METHODS,
    SensitivityResult,
    parse_outputs,
    run_sensitivity,
)
from standoff.sensitivity.space import Assumption, assumption_space

__all__ = [
    "METHODS",
    "Assumption",
    "SensitivityResult",
    "assumption_space",
    "parse_outputs",
    "run_sensitivity",
]
