"""Rebuild the bundled history tables from data/raw + data/curated (deterministic).

Usage: python scripts/build_history.py [--check]
  --check  do not write; exit 1 if the committed tables differ from a fresh build.
"""

from __future__ import annotations

import sys
from pathlib import Path

from standoff.history.build import build_tables, render_tables, write_tables

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
OUT = ROOT / "src" / "standoff" / "data" / "history"


def main(argv: list[str]) -> int:
    texts = render_tables(build_tables(DATA))
    if "--check" in argv:
        stale = [
            n
            for n, t in texts.items()
            if not (OUT / f"{n}.csv").exists()
            or (OUT / f"{n}.csv").read_text(encoding="utf-8") != t
        ]
        if stale:
            print("stale tables: " + ", ".join(stale))
            return 1
        print(f"{len(texts)} tables up to date")
        return 0
    for p in write_tables(texts, OUT):
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
