"""Where ``standoff history update`` finds newer copies of the raw sources: one place.

Each source group names the files the build reads (the layout of ``data/`` in the
repository, see ``data/README.md``), the table it rebuilds, its public URLs for
``--online`` and its licence. ``--online`` is the only code in standoff that downloads
anything, and only when the user asks; tests never call it (they serve recorded copies).

The UN Security Council documents have no machine-readable feed that standoff trusts: the
resolutions and their measures are hand-curated CSVs (``data/curated/unsc_resolutions_dprk.csv``
and ``sanctions_measures.csv``). Give newer copies of those files with ``--from DIR``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceGroup:
    """Files that together rebuild one history table."""

    key: str
    table: str
    title: str
    subdir: str  # where the files live in a data directory laid out like ``data/``
    files: tuple[str, ...]
    required: tuple[str, ...]  # files that must all be present for the group to be used
    licence: str
    bundled_version: str  # what the bundled tables were built from (data/README.md)
    urls: dict[str, str] = field(default_factory=dict)  # file -> public URL (``--online``)


_NAGIX = "https://raw.githubusercontent.com/nagix/nk-missile-tests/HEAD/data/"
_STILES = "https://raw.githubusercontent.com/stiles/north-korea-provocations/HEAD/data/raw/"

SOURCE_GROUPS: dict[str, SourceGroup] = {
    "cns": SourceGroup(
        key="cns",
        table="launches",
        title="CNS/NTI North Korea Missile Test Database, via nagix/nk-missile-tests",
        subdir="raw/cns_missile_tests_via_nagix",
        files=("test.en.json", "missile.en.json", "facility.en.json"),
        required=("test.en.json",),
        licence="repository Apache-2.0; NTI's own terms not verified",
        bundled_version="nagix/nk-missile-tests data/*.en.json @ a0cc658 (2026-04-21)",
        urls={f: _NAGIX + f for f in ("test.en.json", "missile.en.json", "facility.en.json")},
    ),
    "csis": SourceGroup(
        key="csis",
        table="provocations",
        title="CSIS Beyond Parallel provocations database, via stiles/north-korea-provocations",
        subdir="raw/csis_provocations",
        files=("north_korea_provocations_1958_present.csv",),
        required=("north_korea_provocations_1958_present.csv",),
        licence="CC0-1.0 (scrape); CSIS's own terms not verified",
        bundled_version="stiles/north-korea-provocations file 18a1f3c (to 2026-08-20)",
        urls={
            "north_korea_provocations_1958_present.csv": _STILES
            + "north_korea_provocations_1958_present.csv"
        },
    ),
    "unsc": SourceGroup(
        key="unsc",
        table="sanctions",
        title="UN Security Council resolutions on the DPRK (curated from UN documents)",
        subdir="curated",
        files=("unsc_resolutions_dprk.csv", "sanctions_measures.csv"),
        required=("unsc_resolutions_dprk.csv", "sanctions_measures.csv"),
        licence="facts with citations (UN documents); curation by standoff",
        bundled_version="standoff curated tables (to 2026-08-20)",
    ),
    "diplomacy": SourceGroup(
        key="diplomacy",
        table="diplomacy",
        title="Negotiation record (curated)",
        subdir="curated",
        files=("diplomacy.csv",),
        required=("diplomacy.csv",),
        licence="facts with citations; curation by standoff",
        bundled_version="standoff curated tables (to 2026-08-20)",
    ),
    "events": SourceGroup(
        key="events",
        table="events",
        title="Key events since 2018 (curated)",
        subdir="curated",
        files=("key_events_2018_2026.csv",),
        required=("key_events_2018_2026.csv",),
        licence="facts with citations; curation by standoff",
        bundled_version="standoff curated tables (to 2026-08-20)",
    ),
    "nuclear": SourceGroup(
        key="nuclear",
        table="nuclear_tests",
        title="Nuclear tests (curated; Yao et al. 2018 yields)",
        subdir="curated",
        files=("nk_nuclear_tests.csv",),
        required=("nk_nuclear_tests.csv",),
        licence="facts with citations; curation by standoff",
        bundled_version="standoff curated tables (to 2026-08-20)",
    ),
}

#: Optional companions: new source ids, an explicit coverage table, the UNSC veto list.
AUX_FILES = {
    "sources.csv": "curated",
    "coverage.csv": "curated",
    "unsc_vetoes_1946_sept2022.csv": "raw/unsc_vetoes",
}


def online_sources() -> list[dict]:
    """The URLs ``--online`` fetches, with their licences (for ``--help`` and the docs)."""
    return [
        {"group": g.key, "file": f, "url": u, "licence": g.licence}
        for g in SOURCE_GROUPS.values()
        for f, u in g.urls.items()
    ]
