"""Cases: each standoff standoff models is data plus a small declarative description.

A case bundles its sourced history tables, its monthly panel, its targets (binary events and
counts with their definitions), its leading information, its scenarios and its model
components; ``standoff/data/cases/<name>/case.yaml`` describes them (docs/cases.md). The
Korean Peninsula is the default case ``korea``; Iran's nuclear programme is ``iran``::

    from standoff.cases import list_cases, load_case
    iran = load_case("iran")
    iran.targets                   # the forecast targets and their panel columns
    iran.panel_columns             # the monthly panel's columns
    iran.scenarios()               # {"iran-2018": Path, "iran-now": Path}
    h = History.load(case="iran")  # the same as-of machinery as for Korea
"""

from __future__ import annotations

from importlib import import_module, resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the CLI checks --case without pandas or pydantic
    from standoff.cases.case import Case, list_cases, load_case

__all__ = [
    "DEFAULT_CASE",
    "Case",
    "case_names",
    "cases_root",
    "check_case_name",
    "list_cases",
    "load_case",
]

DEFAULT_CASE = "korea"
_LAZY = {"Case", "list_cases", "load_case"}


def cases_root() -> Path:
    """``standoff/data/cases``: one directory per case, each with its ``case.yaml``."""
    return Path(str(resources.files("standoff") / "data" / "cases"))


def case_names() -> tuple[str, ...]:
    """The bundled cases (directories with a ``case.yaml``), the default first."""
    names = sorted(p.parent.name for p in cases_root().glob("*/case.yaml"))
    return tuple(sorted(names, key=lambda n: (n != DEFAULT_CASE, n)))


def check_case_name(name: str) -> str:
    """``name`` if it is a bundled case, else one :class:`~standoff.errors.UsageError` line."""
    from standoff.errors import UsageError
    from standoff.limits import clip

    names = case_names()
    if name not in names:
        raise UsageError(f"--case: unknown case {clip(name)} (expected one of {', '.join(names)})")
    return name


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module("standoff.cases.case"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'standoff.cases' has no attribute {name!r}")
