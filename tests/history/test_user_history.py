"""Users' own tables (--history DIR): round trip through export, and clear errors."""

from __future__ import annotations

import pytest

from standoff.errors import DataError
from standoff.history import History


@pytest.fixture
def exported(tmp_path, hist):
    d = tmp_path / "hist"
    hist.export(d)
    return d


def test_export_then_load_gives_the_same_history(exported, hist):
    user = History.load(exported)
    assert user.summary(by="leader")["missiles"] == hist.summary(by="leader")["missiles"]
    assert (
        user.as_of("2017-12-31").summary(by="year")["missiles"]
        == hist.as_of("2017-12-31").summary(by="year")["missiles"]
    )
    for name in hist.tables:
        assert user.tables[name].equals(hist.tables[name]), name


def test_user_edits_flow_into_the_panel(exported):
    p = exported / "launches.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[:-5]) + "\n")  # drop the last five launches
    user = History.load(exported)
    assert len(user.launches) == 334


def _corrupt(d, table, old, new):
    p = d / f"{table}.csv"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        (
            "launches",
            ",SRBM,",
            ",SCUD,",
            r"launches\.csv: line \d+, column 'type': expected one of SRBM",
        ),
        (
            "launches",
            "2017-11-28,day",
            "2017-11-31,day",
            r"launches\.csv: line \d+, column 'date': expected a date",
        ),
        (
            "nuclear_tests",
            ",6.3,",
            ",big,",
            r"nuclear_tests\.csv: line 7, column 'usgs_mb': expected a number",
        ),
        (
            "sanctions",
            ",true,sanctions,",
            ",yes,sanctions,",
            r"sanctions\.csv: line \d+, column 'adopted': expected true or false",
        ),
        ("diplomacy", "af-1994,", "af-1994-x,", None),
        (
            "diplomacy",
            ",W-JS2005\n",
            ",W-NOWHERE\n",
            r"diplomacy\.csv: line \d+, column 'sources': expected ids listed in sources\.csv, got unknown 'W-NOWHERE'",
        ),
    ],
)
def test_malformed_tables_name_file_line_and_column(exported, table, old, new, message):
    _corrupt(exported, table, old, new)
    if message is None:  # a harmless edit loads fine
        History.load(exported)
        return
    with pytest.raises(DataError, match=message) as ei:
        History.load(exported)
    assert "\n" not in str(ei.value)


def test_missing_file(exported):
    (exported / "events.csv").unlink()
    with pytest.raises(DataError, match=r"events\.csv: file not found"):
        History.load(exported)


def test_missing_column(exported):
    _corrupt(exported, "provocations", "id,date,type", "ident,date,type")
    with pytest.raises(DataError, match=r"provocations\.csv: missing column\(s\) 'id'"):
        History.load(exported)


def test_duplicate_id(exported):
    p = exported / "launches.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(
        DataError, match=r"launches\.csv: line 341, column 'id': expected a unique id"
    ):
        History.load(exported)


def test_not_a_directory(tmp_path):
    f = tmp_path / "file.csv"
    f.write_text("x")
    with pytest.raises(DataError, match="expected a directory of history tables"):
        History.load(f)


def test_known_from_before_date_is_rejected(exported):
    _corrupt(
        exported, "nuclear_tests", "collapse event,2017-09-03,G9", "collapse event,2017-09-01,G9"
    )
    with pytest.raises(
        DataError,
        match=r"nuclear_tests\.csv: line 7, column 'known_from': expected a date on or after date",
    ):
        History.load(exported)


def test_not_utf8(exported):
    (exported / "sources.csv").write_bytes(b"id,kind,citation\nG1,github,caf\xe9\n")
    with pytest.raises(DataError, match=r"sources\.csv: expected UTF-8 text"):
        History.load(exported)
