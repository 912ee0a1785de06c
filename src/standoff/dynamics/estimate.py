"""Estimators of the model's components, each returning coefficients and their covariance.

* Counts (monthly missile launches): negative-binomial regression (NB2) at the posterior mode
  with the priors below and N(0, 2^2) on log(alpha); the covariance is the Laplace (inverse
  Hessian) approximation, every fit checked (:func:`fit_negbin`).
* Rare binary events (ICBM launch, nuclear test, new sanctions resolution, talks, summit,
  agreement signed or collapsed): logistic regression with a weakly informative Gaussian
  prior, fitted at the posterior mode, with the Laplace (inverse-Hessian) approximation of
  the posterior covariance. Prior: N(0, sd^2) on slopes and N(0, 5^2) on the intercept, in
  the spirit of Gelman, Jakulin, Pittau & Su (2008, Ann. Appl. Stat. 2(4)) who use Cauchy(0, 2.5)
  on standardised inputs; our covariates are already on unit-ish scales (logs of counts,
  indicators, tension/10, recency terms), so we do not rescale them [project formalisation].
  The slope sd of each hazard (0.5, 1.0 or 2.5; ``features.PRIOR_SD_SLOPE_BY_COMPONENT``) was
  chosen by nested validation on 2000-2012 only (:mod:`standoff.dynamics.validate`) and frozen;
  the earlier choice of 1.0 on the whole backtest period (2000-2026) is withdrawn. The prior keeps
  estimates finite when an event is rare or perfectly predicted (six nuclear tests) and widens
  their intervals honestly; statsmodels has no Gaussian-prior logit with a covariance, hence
  this small estimator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

PRIOR_SD_SLOPE = 1.0
PRIOR_SD_INTERCEPT = 5.0
#: prior of log(alpha), the NB2 dispersion: N(mean, sd^2) [analyst assumption, see fit_negbin]
NB_LOG_ALPHA_PRIOR = (0.0, 2.0)
#: checks on every NB fit (beyond them the fit falls back to a simpler model)
NB_MAX_COEF = 15.0
NB_MAX_SE = 10.0
NB_ALPHA_RANGE = (1e-4, 1e3)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fit:
    """A fitted component: coefficients, covariance, names and the data size."""

    kind: str  # "nb" | "logit"
    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    n: int
    events: float
    alpha: float | None = None  # NB2 dispersion (Var = mu + alpha mu^2)
    log_alpha_sd: float | None = None
    status: str = "map"  # "map", or which fallback was used and why

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    def table(self) -> list[dict]:
        z = 1.959963984540054
        return [
            {
                "term": n,
                "coef": float(b),
                "se": float(s),
                "lo95": float(b - z * s),
                "hi95": float(b + z * s),
            }
            for n, b, s in zip(self.names, self.coef, self.se, strict=True)
        ]

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Coefficient draws (n, k) from the normal approximation of the estimate."""
        return rng.multivariate_normal(self.coef, self.cov, size=n, method="cholesky")


def _nearest_pd(cov: np.ndarray, floor: float = 1e-10) -> np.ndarray:
    """Symmetrise and clip eigenvalues so the covariance can be sampled (Cholesky)."""
    cov = 0.5 * (cov + cov.T)
    w, v = np.linalg.eigh(cov)
    if w.min() > floor:
        return cov
    w = np.clip(w, max(floor, 1e-8 * max(w.max(), floor)), None)
    return (v * w) @ v.T


def _prior_sd(names: tuple[str, ...], slope: float | None = None) -> np.ndarray:
    from standoff.dynamics.leading import PRIOR_SD_BY_COVARIATE

    sd = PRIOR_SD_SLOPE if slope is None else float(slope)
    return np.array(
        [PRIOR_SD_INTERCEPT if n == "const" else PRIOR_SD_BY_COVARIATE.get(n, sd) for n in names]
    )


def fit_logit(
    X: np.ndarray, y: np.ndarray, names: tuple[str, ...], prior_sd_slope: float | None = None
) -> Fit:
    """Posterior mode and Laplace covariance of a logistic regression with a Gaussian prior
    (slope prior sd ``prior_sd_slope``, default PRIOR_SD_SLOPE)."""
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    prec = 1.0 / _prior_sd(names, prior_sd_slope) ** 2

    def negpost(b):
        eta = X @ b
        ll = y @ eta - np.logaddexp(0.0, eta).sum()
        return -(ll - 0.5 * (prec * b * b).sum())

    def grad(b):
        p = special.expit(X @ b)
        return -(X.T @ (y - p) - prec * b)

    def hess(b):
        p = special.expit(X @ b)
        w = p * (1 - p)
        return (X * w[:, None]).T @ X + np.diag(prec)

    b0 = np.zeros(X.shape[1])
    res = optimize.minimize(negpost, b0, jac=grad, hess=hess, method="trust-exact")
    status = "map"
    if not res.success or not np.all(np.isfinite(res.x)):
        status = f"not converged: {res.message}"
        log.warning("logistic %s: %s", names, status)
    # the prior makes the Hessian positive definite: its inverse is the Laplace covariance
    cov = _nearest_pd(np.linalg.inv(hess(res.x)))
    return Fit("logit", names, res.x, cov, int(len(y)), float(y.sum()), status=status)


def _nb_negpost(theta, X, y, prec, la_mean, la_sd):
    """Negative log posterior of NB2 (coefficients, log alpha) and its gradient."""
    k = X.shape[1]
    b, la = theta[:k], theta[k]
    eta = np.clip(X @ b, -30.0, 30.0)
    mu = np.exp(eta)
    r = np.exp(-la)  # 1 / alpha
    lrm = np.log(r + mu)
    ll = (
        special.gammaln(y + r)
        - special.gammaln(r)
        - special.gammaln(y + 1)
        + r * (-la - lrm)
        + y * (eta - lrm)
    ).sum()
    lp = -0.5 * (prec * b * b).sum() - 0.5 * ((la - la_mean) / la_sd) ** 2
    d_eta = (y - mu) * r / (r + mu)
    d_r = special.digamma(y + r) - special.digamma(r) + (-la - lrm) + (mu - y) / (r + mu)
    g_b = X.T @ d_eta - prec * b
    g_la = -r * d_r.sum() - (la - la_mean) / la_sd**2
    return -(ll + lp), -np.r_[g_b, g_la]


def _nb_map(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]):
    """Posterior mode and Laplace covariance of NB2; returns (theta, cov, problems)."""
    k = X.shape[1]
    prec = 1.0 / _prior_sd(names) ** 2
    la_mean, la_sd = NB_LOG_ALPHA_PRIOR
    m = max(float(np.mean(y)), 1e-2)
    b0 = np.zeros(k)
    if "const" in names:
        b0[names.index("const")] = np.log(m)
    theta0 = np.r_[b0, la_mean]
    f = lambda t: _nb_negpost(t, X, y, prec, la_mean, la_sd)  # noqa: E731
    res = optimize.minimize(
        f, theta0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 2000}
    )
    theta = res.x
    problems = []
    grad = f(theta)[1]
    scale = 1.0 + np.abs(f(theta)[0])
    if not np.all(np.isfinite(theta)):
        problems.append("non-finite estimate")
        return theta, None, problems
    if np.max(np.abs(grad)) > 1e-3 * scale:
        problems.append(f"not converged (|gradient| {np.max(np.abs(grad)):.2g}: {res.message})")
    # Hessian of the negative log posterior by central differences of the analytic gradient
    H = optimize.approx_fprime(theta, lambda t: f(t)[1], 1e-5)
    H = 0.5 * (H + H.T)
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        problems.append("Hessian not positive definite")
        return theta, None, problems
    Linv = np.linalg.inv(L)
    cov = Linv.T @ Linv
    if np.max(np.abs(theta[:k])) > NB_MAX_COEF:
        problems.append(f"coefficient beyond +/-{NB_MAX_COEF:g}")
    if not NB_ALPHA_RANGE[0] <= np.exp(theta[k]) <= NB_ALPHA_RANGE[1]:
        problems.append(f"dispersion {np.exp(theta[k]):.3g} outside {NB_ALPHA_RANGE}")
    if not np.all(np.isfinite(cov)) or np.max(np.sqrt(np.diag(cov))) > NB_MAX_SE:
        problems.append(f"standard error beyond {NB_MAX_SE:g}")
    return theta, cov, problems


def fit_negbin(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Fit:
    """NB2 regression at the posterior mode, with the Laplace covariance.

    Priors: the logistic components' N(0, PRIOR_SD_SLOPE^2) on slopes and N(0, 5^2) on the
    intercept, and N(0, 2^2) on log(alpha) (NB_LOG_ALPHA_PRIOR: alpha between 0.02 and 50 at
    95%, i.e. from nearly Poisson to very overdispersed) [analyst assumption]. The Laplace
    approximation (Gelman et al. 2013, *Bayesian Data Analysis*, 3rd ed., eq. 4.2) takes the
    inverse Hessian of the negative log posterior at its mode as the covariance of
    (coefficients, log alpha). A covariate that does not vary keeps its prior (mean 0, prior
    variance), with no special case.

    Every fit is checked: converged (gradient ~ 0), Hessian positive definite, coefficients
    within +/-NB_MAX_COEF, alpha within NB_ALPHA_RANGE, standard errors below NB_MAX_SE. A fit
    that fails a check is logged and replaced by the intercept-only MAP NB (slopes fixed at 0
    with a negligible variance), then, if that fails too, by the moment estimate of
    :func:`_negbin_fallback`. No placeholder covariance is ever used. ``Fit.status`` says which.
    """
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    k = X.shape[1]
    theta, cov, problems = _nb_map(X, y, names)
    if not problems:
        return _nb_fit(names, theta, cov, len(y), y.sum(), "map")
    log.warning(
        "negative binomial: %s; falling back to the intercept-only model", "; ".join(problems)
    )
    if "const" in names:
        j = names.index("const")
        th1, cov1, prob1 = _nb_map(X[:, [j]], y, ("const",))
        if not prob1:
            theta = np.zeros(k + 1)
            theta[j], theta[k] = th1[0], th1[1]
            full = np.diag(np.full(k + 1, 1e-10))
            idx = [j, k]
            full[np.ix_(idx, idx)] = cov1
            return _nb_fit(
                names, theta, full, len(y), y.sum(), "intercept-only: " + "; ".join(problems)
            )
        log.warning("negative binomial, intercept only: %s; moment estimate", "; ".join(prob1))
    return _negbin_fallback(X, y, names)


def _nb_fit(names, theta, cov, n, events, status) -> Fit:
    k = len(names)
    return Fit(
        "nb",
        names,
        theta[:k].copy(),
        _nearest_pd(cov[:k, :k]),
        int(n),
        float(events),
        float(np.exp(theta[k])),
        float(np.sqrt(cov[k, k])),
        status,
    )


def _negbin_fallback(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Fit:
    """Intercept-only NB2 by moments when maximum likelihood fails (few events, separation:
    e.g. windows ending before 2005, with launches in a handful of months) [project
    formalisation]: slopes fixed at 0 (no covariate effect is identified; drawing them from the
    wide prior would make the launch rate explode), alpha = (var - mean) / mean^2."""
    k = X.shape[1]
    m = max(float(np.mean(y)), 1e-3)
    v = float(np.var(y, ddof=1)) if len(y) > 1 else m
    alpha = float(np.clip((v - m) / m**2, 1e-3, 50.0))
    coef = np.zeros(k)
    cov = np.diag(np.full(k, 1e-10))
    if "const" in names:
        j = names.index("const")
        coef[j] = np.log(m)
        cov[j, j] = (1.0 / m + alpha) / len(y)  # delta method on log(mean)
    return Fit("nb", names, coef, cov, int(len(y)), float(np.sum(y)), alpha, 0.5, "moment estimate")
