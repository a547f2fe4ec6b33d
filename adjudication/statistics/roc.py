"""ROC analysis of one continuous predictor (SPEC §13): scikit-learn's curve and AUC, scipy's
bootstrap for the CI.

Higher values predict the outcome (an AUC below 0.5 is reported as computed, never flipped).
The 95 % CI is the BCa interval of a stratified bootstrap (lesions with and without the
outcome resampled separately, as pROC does) of the Mann-Whitney AUC, with a fixed seed so the
same data give the same interval. The cut-off maximises Youden's J = sensitivity +
specificity − 1 on scikit-learn's curve; a value at or above it predicts the outcome.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score, roc_curve

from .comparison import finite
from .options import ROC_RESAMPLES as N_RESAMPLES

CONFIDENCE = 0.95
MIN_PER_GROUP = 2


class RocFailed(Exception):
    """No ROC for this predictor; the message says why."""


def _auc(pos: np.ndarray, neg: np.ndarray, axis: int = -1) -> np.ndarray:
    u = stats.mannwhitneyu(pos, neg, axis=axis, alternative="two-sided").statistic
    return np.asarray(u / (pos.shape[axis] * neg.shape[axis]))


def roc_analysis(y: pd.Series, x: pd.Series, *, seed: int) -> dict[str, Any]:
    """``{auc, ci_low, ci_high, cutoff, sensitivity, specificity, n, curve: {fpr, tpr}}``."""
    frame = pd.DataFrame({"y": y, "x": x}).dropna()
    labels = frame["y"].astype(bool).to_numpy()
    values = frame["x"].astype(float).to_numpy()
    pos, neg = values[labels], values[~labels]
    if pos.size < MIN_PER_GROUP or neg.size < MIN_PER_GROUP:
        raise RocFailed(f"too few lesions: {pos.size} with and {neg.size} without the outcome")
    if np.ptp(values) == 0:
        raise RocFailed("the predictor has one value in the analysed rows")
    auc = float(roc_auc_score(labels, values))
    fpr, tpr, thresholds = roc_curve(labels, values, drop_intermediate=False)
    best = int(np.argmax(tpr - fpr))
    with warnings.catch_warnings():
        # A degenerate resample distribution (e.g. AUC 1.0 in every resample) warns and
        # gives NaN bounds, which are reported as null.
        warnings.simplefilter("ignore")
        ci = stats.bootstrap(
            (pos, neg),
            _auc,
            n_resamples=N_RESAMPLES,
            vectorized=True,
            confidence_level=CONFIDENCE,
            method="BCa",
            rng=np.random.default_rng(seed),
        ).confidence_interval
    return {
        "auc": finite(auc),
        "ci_low": finite(ci.low),
        "ci_high": finite(ci.high),
        "cutoff": finite(thresholds[best]),
        "sensitivity": finite(tpr[best]),
        "specificity": finite(1.0 - fpr[best]),
        "n": int(values.size),
        "events": int(pos.size),
        "curve": {
            "fpr": [float(v) for v in fpr],
            "tpr": [float(v) for v in tpr],
        },
    }
