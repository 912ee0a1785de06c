"""Choose the combination method per binary target on the origins 2000-2012 only.

Runs the rolling-origin backtest on 2000-01 .. 2012-12 (h = 3 and 12, 500 paths, seed 0), then,
for every candidate of ``standoff.backtest.combine.CANDIDATES``, recombines the forecasts and
sums each target's Brier score over the two horizons; the lowest wins. The result is frozen in
``combine.METHOD`` (docs/backtest.md, "Honest tuning"). Takes a few minutes.

    python scripts/select_combination.py
"""

from __future__ import annotations

import numpy as np

from standoff.backtest import backtest, combine
from standoff.backtest.core import BINARY, combine_records
from standoff.history import History


def main() -> None:
    import pandas as pd

    h = History.load()
    origins = [str(p) for p in pd.period_range("2000-01", "2012-12", freq="M")]
    res = backtest(h, origins, [3, 12], paths=500, seed=0, reps=10)
    records = res["records"]
    frozen = dict(combine.METHOD)
    total: dict = {t: {} for t in BINARY}
    try:
        for name in combine.CANDIDATES:
            combine.METHOD.update({t: name for t in BINARY})
            combine_records(records, [3, 12])
            for t in BINARY:
                b = 0.0
                for hz in (3, 12):
                    rows = [r["h"][hz] for r in records if np.isfinite(r["h"][hz]["observed"][t])]
                    y = np.array([r["observed"][t] > 0 for r in rows], float)
                    p = np.array([r["combined"][t] for r in rows])
                    b += float(np.mean((p - y) ** 2))
                total[t][name] = b
    finally:
        combine.METHOD.clear()
        combine.METHOD.update(frozen)
    for t, d in total.items():
        best = min(d, key=d.get)
        cells = ", ".join(f"{k} {v:.4f}" for k, v in d.items())
        print(f"{t}: {best} (frozen: {frozen[t]}) - {cells}")


if __name__ == "__main__":
    main()
