from __future__ import annotations

from pathlib import Path

import pytest

from standoff.bargaining.inputs import read_file

DATA = Path(__file__).parent / "data"
ORDER = [
    "Netherlands",
    "Belgium",
    "Luxembourg",
    "Germany",
    "France",
    "Italy",
    "UK",
    "Ireland",
    "Denmark",
    "Greece",
]


@pytest.fixture
def eu():
    """BDM's 1994 EU car-emissions issue (plain CSV, saliences on [0, 1])."""
    return read_file(DATA / "eu_emissions.csv")[0]


@pytest.fixture
def eu_ktab_path():
    return DATA / "eu_emissions_ktab.csv"
