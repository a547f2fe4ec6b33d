"""A reader's own metrics stay as submitted (issue 11, from issue 12's review).

A settings change after reader A submitted makes the comparison recompute A's metrics once
reader B submits. If A's own read showed the recomputed values, A would learn *when* B
submitted. A sees exactly what was computed at A's submission; the recomputed values are for
adjudicators and coordinators.
"""

from __future__ import annotations

from typing import Any

from adjudication.models import ReadMetrics
from adjudication.services import assignment, metrics, studies
from tests.conftest import sample_document
from tests.factories import PullbackFactory
from tests.metrics_pipeline.pipeline import submit_read


def test_reader_a_sees_the_same_own_metrics_before_and_after_reader_b_submits(
    world: Any, api: Any
) -> None:
    pullback = PullbackFactory(study=world.study)
    read_a, read_b = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    submit_read(read_a, world.reader_a, sample_document(150), world.password)
    metrics.read_compute_metrics(read_pk=read_a.pk)
    client = api(world.reader_a)
    before = client.get(f"/api/v1/reads/{read_a.pk}/").json()
    assert before["metrics"]["underexpansion"] is False  # MSA ≈ 6.9 mm² > 5.0

    # The coordinator raises the underexpansion threshold; then reader B submits.
    studies.study_update(
        study=world.study,
        actor=world.coordinator,
        settings={"underexpansion_msa_mm2": 10.0},
        reason="protocol amendment",
    )
    submit_read(read_b, world.reader_b, sample_document(150), world.password)
    metrics.read_compute_metrics(read_pk=read_b.pk)
    metrics.pullback_compare_reads(pullback_pk=pullback.pk)

    # The comparison used A's metrics under the new settings …
    assert ReadMetrics.objects.get(read=read_a).underexpansion is True
    # … but A's own read shows nothing new: same metrics, same analysis frames, same body.
    after = client.get(f"/api/v1/reads/{read_a.pk}/").json()
    assert after == before
    listed = client.get("/api/v1/reads/").json()["results"]
    assert [r["metrics"] for r in listed if r["id"] == read_a.pk] == [before["metrics"]]
