"""Logistic regression with statsmodels: odds ratios with Wald 95 % CIs (SPEC §13).

One lesion per subject: maximum-likelihood ``Logit``. Several lesions for a subject: a GEE
(binomial family, logit link, exchangeable working correlation, robust "sandwich" standard
errors) with the subject as the cluster, so lesions of one patient are not counted as
independent evidence. A model that cannot be estimated (perfect or quasi-complete separation,
no convergence, a constant or collinear predictor, too few events) raises
:class:`ModelFailed` with a readable reason; the analysis reports ``null`` with it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from .comparison import finite

MAX_ITER = 200
# |log OR| per SD of the predictor beyond this, or its SE beyond MAX_SE, means the likelihood
# has no finite maximum (quasi-complete separation) even when the optimiser stops quietly.
MAX_ABS_COEF = 15.0
MAX_SE = 100.0
MIN_EVENTS = 2


class ModelFailed(Exception):
    """The model gives no usable estimate; the message says why."""


@dataclass(frozen=True)
class Fit:
    """Per-term OR, CI and p; ``n`` observations, ``n_clusters`` subjects, ``method``."""

    terms: dict[str, dict[str, float | None]]
    n: int
    n_clusters: int
    method: str


def _check_design(y: pd.Series, X: pd.DataFrame) -> None:
    events = int(y.sum())
    if events < MIN_EVENTS or len(y) - events < MIN_EVENTS:
        raise ModelFailed(
            f"too few events: {events} with and {len(y) - events} without the outcome"
        )
    for name in X.columns:
        if name != "const" and X[name].nunique() < 2:
            raise ModelFailed(f"{name} has one value in the analysed rows")
    if np.linalg.matrix_rank(X.to_numpy(dtype=float)) < X.shape[1]:
        raise ModelFailed("the predictors are collinear (the design matrix is singular)")


def _logit(y: pd.Series, X: pd.DataFrame) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sm.Logit(y, X).fit(disp=0, maxiter=MAX_ITER)
        except PerfectSeparationError:
            raise ModelFailed("perfect separation: a predictor predicts the outcome") from None
        except np.linalg.LinAlgError:
            raise ModelFailed("the information matrix is singular") from None
    kinds = {w.category for w in caught}
    if PerfectSeparationWarning in kinds:
        raise ModelFailed("perfect separation: a predictor predicts the outcome")
    if ConvergenceWarning in kinds or not result.mle_retvals.get("converged", False):
        raise ModelFailed("the maximum-likelihood fit did not converge")
    _check_finite(result, X)
    return result


def _check_finite(result: Any, X: pd.DataFrame) -> None:
    """No finite maximum: non-finite estimates, or a slope / SE that is absurd per SD of its
    predictor (so the check does not depend on the predictor's unit; the intercept is free)."""
    params = np.asarray(result.params, dtype=float)
    bse = np.asarray(result.bse, dtype=float)
    if not (np.isfinite(params).all() and np.isfinite(bse).all()):
        raise ModelFailed("the estimates are not finite")
    scale = X.std(ddof=0).to_numpy(dtype=float)
    slopes = np.asarray([name != "const" for name in X.columns])
    if (np.abs(params * scale)[slopes] > MAX_ABS_COEF).any() or (
        (bse * scale)[slopes] > MAX_SE
    ).any():
        raise ModelFailed("quasi-complete separation: the odds ratio has no finite estimate")


def _gee(y: pd.Series, X: pd.DataFrame, groups: pd.Series) -> Any:
    # A separated data set has no finite GEE estimate either; the ML fit detects it reliably.
    _logit(y, X)
    model = sm.GEE(
        y,
        X,
        groups=groups,
        family=sm.families.Binomial(),
        cov_struct=sm.cov_struct.Exchangeable(),
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = model.fit(maxiter=MAX_ITER)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise ModelFailed(f"the GEE fit failed: {exc}") from None
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        raise ModelFailed("the GEE fit did not converge")
    _check_finite(result, X)
    return result


def fit_logistic(y: pd.Series, X: pd.DataFrame, groups: pd.Series | None = None) -> Fit:
    """OR = exp(β), Wald 95 % CI = exp(β ± 1.96·SE), two-sided Wald p, per non-constant term.

    ``X`` has no constant; one is added. ``groups`` (subject codes) selects the GEE.
    """
    design = sm.add_constant(X.astype(float), has_constant="add")
    y = y.astype(float)
    _check_design(y, design)
    if groups is not None:
        result = _gee(y, design, groups)
        method = "gee_exchangeable"
        n_clusters = int(groups.nunique())
    else:
        result = _logit(y, design)
        method = "logit"
        n_clusters = len(y)
    ci = np.asarray(result.conf_int(alpha=0.05), dtype=float)
    params = np.asarray(result.params, dtype=float)
    pvalues = np.asarray(result.pvalues, dtype=float)
    terms = {}
    for i, name in enumerate(design.columns):
        if name == "const":
            continue
        terms[str(name)] = {
            "or": finite(np.exp(params[i])),
            "ci_low": finite(np.exp(ci[i, 0])),
            "ci_high": finite(np.exp(ci[i, 1])),
            "p": finite(pvalues[i]),
        }
    return Fit(terms=terms, n=len(y), n_clusters=n_clusters, method=method)
