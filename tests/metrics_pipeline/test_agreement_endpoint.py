"""GET /api/v1/studies/{id}/agreement/ (SPEC §7) against an independent computation.

The readers' metric rows are written with known numbers (factories), so the expected
statistics are computed here by hand with the standard library, not with the domain code.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from adjudication.models import Adjudication, Flag, ReadMetrics
from tests.factories import PullbackFactory, ReadFactory, UserFactory

# MLA (mm²) of reader 1 and reader 2 on six pullbacks.
MLA_A = [4.1, 3.2, 5.6, 2.9, 6.3, 4.8]
MLA_B = [4.4, 3.0, 5.1, 3.3, 6.0, 4.9]
# sm_present: the Cohen's kappa worked example scaled to 6 pairs would not be exact, so this
# table is written out: (yes, yes) ×2, (no, no) ×2, (yes, no) ×1, (no, yes) ×1.
SM_A = [True, True, False, False, True, False]
SM_B = [True, True, False, False, False, True]
FLAGGED_MLA = {1, 2}  # pullback indexes whose comparison flagged mla_mm2


@pytest.fixture
def measured_study(world: Any) -> list[Any]:
    """Six compared pullbacks with known reader metrics, one still reading, one adjudicator read."""
    ana, ben, senior = world.reader_a, world.reader_b, world.adjudicator
    pullbacks = []
    for i, (a, b, sa, sb) in enumerate(zip(MLA_A, MLA_B, SM_A, SM_B, strict=True)):
        pullback = PullbackFactory(study=world.study, status="consensus")
        for slot, reader, mla, sm in [(1, ana, a, sa), (2, ben, b, sb)]:
            read = ReadFactory(pullback=pullback, reader=reader, slot=slot, status="submitted")
            ReadMetrics.objects.create(read=read, mla_mm2=mla, sm_present=sm)
        if i in FLAGGED_MLA:
            adjudication = Adjudication.objects.create(pullback=pullback, status="resolved")
            Flag.objects.create(
                adjudication=adjudication, metric="mla_mm2", group="lumen", a=a, b=b
            )
            own = ReadFactory(
                pullback=pullback, reader=senior, slot=3, kind="adjudicator", status="submitted"
            )
            ReadMetrics.objects.create(read=own, mla_mm2=99.0, sm_present=True)
        pullbacks.append(pullback)
    # Not compared yet: must not count.
    pending = PullbackFactory(study=world.study, status="reading")
    ReadMetrics.objects.create(
        read=ReadFactory(pullback=pending, reader=ana, slot=1, status="submitted"), mla_mm2=1.0
    )
    # Another study's reads never leak in.
    other = PullbackFactory(study=world.other, status="consensus")
    for slot in (1, 2):
        read = ReadFactory(pullback=other, reader=UserFactory(), slot=slot, status="submitted")
        ReadMetrics.objects.create(read=read, mla_mm2=50.0)
    return pullbacks


def icc_2_1_by_hand(a: list[float], b: list[float]) -> float:
    """ICC(2,1) from the two-way ANOVA sums of squares, written out (Shrout & Fleiss 1979)."""
    n, k = len(a), 2
    grand = (sum(a) + sum(b)) / (n * k)
    row_means = [(x + y) / 2 for x, y in zip(a, b, strict=True)]
    col_means = [sum(a) / n, sum(b) / n]
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_total = sum((x - grand) ** 2 for x in a + b)
    ss_error = ss_total - ss_rows - ss_cols
    msr, msc, mse = ss_rows / (n - 1), ss_cols / (k - 1), ss_error / ((n - 1) * (k - 1))
    return (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)


def test_coordinator_gets_bland_altman_and_icc_matching_a_hand_computation(
    world: Any, api: Any, measured_study: list[Any]
) -> None:
    r = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/agreement/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["pullbacks_compared"] == 6
    assert body["pullbacks_flagged"] == 2
    mla = body["metrics"]["mla_mm2"]
    diffs = [x - y for x, y in zip(MLA_A, MLA_B, strict=True)]
    bias, sd = statistics.fmean(diffs), statistics.stdev(diffs)
    assert mla["kind"] == "continuous" and mla["unit"] == "mm2" and mla["group"] == "lumen"
    assert mla["n"] == 6
    assert mla["bias"] == pytest.approx(bias, abs=1e-12)
    assert mla["sd_diff"] == pytest.approx(sd, abs=1e-12)
    # z = 1.96 exactly, as printed (issue 11).
    assert mla["loa_lower"] == pytest.approx(bias - 1.96 * sd, abs=1e-12)
    assert mla["loa_upper"] == pytest.approx(bias + 1.96 * sd, abs=1e-12)
    icc = icc_2_1_by_hand(MLA_A, MLA_B)
    assert mla["icc"] == pytest.approx(icc, abs=1e-12)
    assert mla["icc_ci_lower"] < icc < mla["icc_ci_upper"] <= 1.0
    assert mla["bland_altman"] == [
        {"pullback": p.pk, "mean": pytest.approx((x + y) / 2), "diff": pytest.approx(x - y)}
        for p, x, y in zip(measured_study, MLA_A, MLA_B, strict=True)
    ]
    assert mla["flag_count"] == 2
    assert mla["flag_rate"] == pytest.approx(2 / 6)


def test_categorical_metrics_get_percent_agreement_and_kappa(
    world: Any, api: Any, measured_study: list[Any]
) -> None:
    body = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/agreement/").json()
    sm = body["metrics"]["sm_present"]
    # 2×2 table [[2, 1], [1, 2]]: p_o = 4/6, marginals 1/2 each so p_e = 1/2,
    # kappa = (2/3 − 1/2) / (1 − 1/2) = 1/3.
    assert sm["kind"] == "boolean"
    assert sm["n"] == 6
    assert sm["percent_agreement"] == pytest.approx(100 * 4 / 6)
    assert sm["kappa"] == pytest.approx(1 / 3)
    assert -1.0 <= sm["kappa_ci_lower"] < 1 / 3 < sm["kappa_ci_upper"] <= 1.0
    assert "bland_altman" not in sm
    assert sm["flag_count"] == 0 and sm["flag_rate"] == 0.0
    # A metric nobody could measure: no pairs, statistics null, never 0.
    msa = body["metrics"]["msa_mm2"]
    assert msa["n"] == 0 and msa["bias"] is None and msa["icc"] is None
    # Metrics that are never compared have no flag rate.
    assert body["metrics"]["strut_count"]["flag_rate"] is None


def test_agreement_answers_json_null_where_a_statistic_is_undefined(world: Any, api: Any) -> None:
    # Three pairs with identical differences: SD 0, ICC 1 with no CI; nothing may be inf/NaN.
    for _ in range(3):
        pullback = PullbackFactory(study=world.study, status="consensus")
        for slot, reader in [(1, world.reader_a), (2, world.reader_b)]:
            read = ReadFactory(pullback=pullback, reader=reader, slot=slot, status="submitted")
            ReadMetrics.objects.create(read=read, mla_mm2=4.0 + pullback.pk)
    r = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/agreement/")
    assert r.status_code == 200
    mla = r.json()["metrics"]["mla_mm2"]
    assert mla["sd_diff"] == 0.0
    for key in ("icc", "icc_ci_lower", "icc_ci_upper"):
        assert mla[key] is None or math.isfinite(mla[key])


def test_two_pullbacks_give_no_statistic_at_all(world: Any, api: Any) -> None:
    # Issue 11: two pullbacks gave an ICC of −2.7 and one a kappa of 0.00; below n = 3 every
    # statistic is null (the points of the plot remain).
    for mla_a, mla_b, sm in ((5.0, 4.0, True), (5.2, 6.0, False)):
        pullback = PullbackFactory(study=world.study, status="consensus")
        for slot, reader, mla in [(1, world.reader_a, mla_a), (2, world.reader_b, mla_b)]:
            read = ReadFactory(pullback=pullback, reader=reader, slot=slot, status="submitted")
            ReadMetrics.objects.create(read=read, mla_mm2=mla, sm_present=sm if slot == 1 else True)
    body = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/agreement/").json()
    mla = body["metrics"]["mla_mm2"]
    assert mla["n"] == 2 and len(mla["bland_altman"]) == 2
    assert all(mla[k] is None for k in ("bias", "sd_diff", "loa_lower", "loa_upper", "icc"))
    sm = body["metrics"]["sm_present"]
    assert sm["n"] == 2 and sm["kappa"] is None and sm["percent_agreement"] is None
