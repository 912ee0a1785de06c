"""War risk: a documented prior, updated by the Korean record.

War between the standoff's parties has not occurred since 1953, so its monthly hazard cannot
be fitted like the other components. We write it as

    h_war = lambda_MID x p_escalate

* ``lambda_MID``: the monthly rate of new militarised interstate disputes (MIDs) involving the
  DPRK, with a Jeffreys Gamma(1/2, 0) prior updated by the onsets in the Gibler-Miller-Little
  MID data 2.2.1 (1954 .. the last year before the as-of date, data end 2010): posterior
  Gamma(1/2 + onsets, years x 12).
* ``p_escalate``: the probability that a MID escalates to war (hostility level 5). Prior
  Beta(a, b) with mean 0.03 and weight 30 disputes: an analyst assumption for the order of
  magnitude of the share of MIDs that reach war in the COW/GML data (not taken from a specific
  publication; edit it in the scenario). Updated by the Korean record: Beta(a + wars,
  b + onsets - wars). For 1954-2010: 45 DPRK dispute onsets, none reaching war, 30 reaching
  the use of force.

Both are drawn per simulated path (parameter uncertainty). Tension and policy effects on the
hazard are assumptions stated in the simulator and the policies [project formalisation].
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

PRIOR_MEAN = 0.03
PRIOR_WEIGHT = 30.0
DPRK = 731
POST_WAR_START = 1954  # after the 1953 armistice


@dataclass(frozen=True)
class WarPrior:
    onsets: int
    wars: int
    years: float
    rate_shape: float  # Gamma posterior of the monthly MID rate
    rate_months: float
    esc_a: float  # Beta posterior of the escalation probability
    esc_b: float
    through_year: int

    @property
    def mean_monthly_hazard(self) -> float:
        return (self.rate_shape / self.rate_months) * (self.esc_a / (self.esc_a + self.esc_b))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        lam = rng.gamma(self.rate_shape, 1.0 / self.rate_months, size=n)
        p = rng.beta(self.esc_a, self.esc_b, size=n)
        return lam * p

    def as_dict(self) -> dict:
        return {
            "dispute_onsets": self.onsets,
            "wars": self.wars,
            "years": self.years,
            "data_through": self.through_year,
            "escalation_posterior_mean": self.esc_a / (self.esc_a + self.esc_b),
            "monthly_mid_rate": self.rate_shape / self.rate_months,
            "mean_monthly_hazard": self.mean_monthly_hazard,
            "mean_annual_probability": 1 - (1 - self.mean_monthly_hazard) ** 12,
        }


def mid_data() -> pd.DataFrame:
    path = Path(
        str(resources.files("standoff") / "data" / "conflict" / "gml_mid_2.2.1_dirdisp_korea.csv")
    )
    return pd.read_csv(path)


def war_prior(
    as_of_year: int, prior_mean: float = PRIOR_MEAN, prior_weight: float = PRIOR_WEIGHT
) -> WarPrior:
    """The war-hazard posterior using disputes that began before ``as_of_year``."""
    d = mid_data()
    d = d[(d["ccode1"] == DPRK) | (d["ccode2"] == DPRK)]
    last = min(int(d["year"].max()), as_of_year - 1)
    on = d[(d["midonset"] == 1) & (d["year"] >= POST_WAR_START) & (d["year"] <= last)]
    on = on.drop_duplicates("dispnum")
    wars = int((on["hostlev"] >= 5).sum())
    years = float(max(last - POST_WAR_START + 1, 1))
    a0, b0 = prior_mean * prior_weight, (1 - prior_mean) * prior_weight
    return WarPrior(
        onsets=len(on),
        wars=wars,
        years=years,
        rate_shape=0.5 + len(on),
        rate_months=years * 12.0,
        esc_a=a0 + wars,
        esc_b=b0 + len(on) - wars,
        through_year=last,
    )
