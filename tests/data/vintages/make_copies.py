"""Recorded source copies for the vintage tests (run once; the outputs are committed).

``update1/test.en.json``: the bundled CNS copy (nagix a0cc658) with 20 added launches
(2026-05-07 .. 2026-10-20, invented for the test), 2 revised rows (apogee and distance of the
single launches of 2017-07-28 and 2022-11-18) and 1 deleted row (the single launch of
2023-03-15). Deleted and revised rows are single launches of their day, so no other row's
id (date + number within the day) moves. Not real data: a fixture.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "data" / "raw" / "cns_missile_tests_via_nagix" / "test.en.json"
OUT = Path(__file__).resolve().parent

ADDED = [
    ("2026-05-07", "hwasong-11d", ""),
    ("2026-05-21", "kn-25", ""),
    ("2026-06-03", "hwasong-11d", ""),
    ("2026-06-03", "hwasong-11d", ""),
    ("2026-06-17", "kn-25", ""),
    ("2026-06-30", "hwasong-11d", ""),
    ("2026-07-08", "kn-25", ""),
    ("2026-07-08", "kn-25", ""),
    ("2026-07-08", "kn-25", ""),
    ("2026-07-22", "hwasong-11d", ""),
    ("2026-08-05", "hwasong-11d", ""),
    ("2026-08-19", "kn-25", ""),
    ("2026-08-28", "hwasong-11d", ""),
    ("2026-09-09", "kn-25", ""),
    ("2026-09-09", "kn-25", ""),
    ("2026-09-23", "hwasong-11d", ""),
    ("2026-10-01", "kn-25", ""),
    ("2026-10-06", "hwasong-11d", ""),
    ("2026-10-14", "kn-25", ""),
    ("2026-10-20", "hwasong-11d", ""),
]


def single_days(bins) -> set[str]:
    n: dict[str, int] = {}
    for b in bins:
        for r in b["data"]:
            n[r["date"]] = n.get(r["date"], 0) + 1
    return {d for d, k in n.items() if k == 1}


def main() -> None:
    data = json.loads(SRC.read_text(encoding="utf-8"))
    singles = single_days(data["timeBins"])
    revise = ["2017-07-28", "2022-11-18"]
    delete = "2023-03-15"
    assert all(d in singles for d in [*revise, delete]), "fixture dates must be single launches"
    for b in data["timeBins"]:
        for r in b["data"]:
            if r["date"] in revise:
                r["apogee"], r["distance"] = "999", "1234"
        b["data"] = [r for r in b["data"] if r["date"] != delete]
    last = data["timeBins"][-1]
    template = copy.deepcopy(last["data"][-1])
    for date, missile, _ in ADDED:
        r = dict(template, date=date, missile=missile, time="unknown", series=1)
        r["description"] = "test fixture (invented launch)"
        last["data"].append(r)
    out = OUT / "update1" / "test.en.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
