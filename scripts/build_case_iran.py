"""Build the Iran case's history tables from data/cases/iran/curated (deterministic).

Usage: python scripts/build_case_iran.py [--check]
  --check  do not write; exit 1 if the committed tables differ from a fresh build.

Everything the build does is declared in ``src/standoff/data/cases/iran/case.yaml`` (the
table schemas, how each table is built from its curated CSV, the coverage keys and the
monthly panel) and carried out by the package (:mod:`standoff.cases.build`,
:mod:`standoff.cases.panel`); this script only names the places. The curated inputs and
their sources and licences are described in ``data/cases/iran/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from standoff.cases import build, load_case

ROOT = Path(__file__).resolve().parents[1]
CASE = load_case("iran")
DATA = ROOT / "data" / "cases" / "iran"
OUT = ROOT / "src" / "standoff" / "data" / "cases" / "iran" / CASE.spec.history
COVERAGE_KEYS = tuple(CASE.spec.coverage.keys)


def build_tables(data_dir: str | Path = DATA) -> dict[str, pd.DataFrame]:
    """Every table of the Iran case from ``<data_dir>/curated``."""
    return build.build_tables(CASE, Path(data_dir) / "curated")


def render_tables(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    return build.render_tables(CASE, tables)


def cut_as_of(tables: dict[str, pd.DataFrame], as_of) -> dict[str, pd.DataFrame]:
    """The tables as known on ``as_of`` (the rules of ``History.as_of``)."""
    return CASE.cut(tables, pd.Timestamp(as_of).normalize())


def build_monthly(tables: dict[str, pd.DataFrame], as_of=None) -> pd.DataFrame:
    """The monthly panel of the tables, or of their cut at ``as_of``."""
    return CASE.build_panel(tables if as_of is None else cut_as_of(tables, as_of))


def main(argv: list[str]) -> int:
    return build.main(CASE, DATA / "curated", OUT, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
