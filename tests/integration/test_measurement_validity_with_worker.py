"""Issue 11's numbers through the API on a real Celery worker (SPEC §2, §5, §6).

Two readers annotate a post-stent pullback (0.1111 mm per frame) the way the domain review
did: 9 struts on a 3.0 mm circle, 3 malapposed struts of 540 µm on frames 137/146/155 (off
the proposed grid), two 1-mm calcium deposits at frames 100–109 and 250–259, and MLAs found
at different places. The worker measures, compares and opens the adjudication; the API shows
the corrected metrics, the frame-position flag, and the reader's own frozen metrics.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from adjudication.models import Consensus, Pullback, Read
from adjudication.services import assignment, studies
from tests.conftest import client_for
from tests.factories import PullbackFactory

pytestmark = pytest.mark.integration

SPACING_MM = 0.1111
PX_MM = 0.01
C = 256.0
PARTIAL = {"allow_incomplete": True, "reason": "issue 11 scenario: selected frames only"}


def ring(radius_px: float, n: int, phase_deg: float = 0.0) -> list[list[float]]:
    return [
        [
            C + radius_px * math.cos(math.radians(phase_deg + 360.0 * i / n)),
            C + radius_px * math.sin(math.radians(phase_deg + 360.0 * i / n)),
        ]
        for i in range(n)
    ]


def scenario(mla_frame: int, mla_radius_px: float) -> dict:
    frames: dict[str, Any] = {}
    for f in [*range(100, 110), *range(250, 260)]:  # two separate 1-mm calcium deposits
        frames[str(f)] = {
            "lumen": ring(150, 48),
            "calcium": [
                {"arc": [[C + 150, C], [C, C + 150]], "thickness": [[C + 160, C], [C + 200, C]]}
            ],
        }
    for f in (137, 146, 155):  # one strut 540 µm off the wall, 8 on it; a drawn stent contour
        frames[str(f)] = {
            "lumen": ring(150, 360),
            "struts": [[C + 96, C], *ring(150, 9)[1:]],
            "stent": ring(170, 48),
        }
    # 9 struts on a 3.0 mm-diameter circle, no stent contour: the stent area is the spline's.
    frames["170"] = {"lumen": ring(160, 64), "struts": ring(150, 9, phase_deg=20)}
    frames[str(mla_frame)] = {"lumen": ring(mla_radius_px, 64)}
    return {"stent": {"distal_frame": 100, "proximal_frame": 300}, "frames": frames}


def read_through_api(world: Any, pullback: Pullback, docs: tuple[dict, dict]) -> list[Read]:
    reads = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    for read, user, doc in zip(reads, (world.reader_a, world.reader_b), docs, strict=True):
        client = client_for(user)
        saved = client.put(
            f"/api/v1/reads/{read.pk}/annotations/",
            {"version": 1, "annotations": doc},
            format="json",
        )
        assert saved.status_code == 200, saved.content
        # Selected frames only: the 1-mm grid is not covered, so the submission is refused …
        refused = client.post(
            f"/api/v1/reads/{read.pk}/submit/", {"password": world.password}, format="json"
        )
        assert refused.status_code == 400 and refused.json()["code"] == "incomplete"
        assert refused.json()["frames"][:3] == [55, 64, 73]
        # … until the reader says why.
        submitted = client.post(
            f"/api/v1/reads/{read.pk}/submit/",
            {"password": world.password, **PARTIAL},
            format="json",
        )
        assert submitted.status_code == 200, submitted.content
    return reads


def test_issue_11_numbers_hold_through_the_api_on_a_real_worker(
    world: Any, celery_worker_process: Any, wait_until: Any
) -> None:
    pullback = PullbackFactory(study=world.study, n_frames=540, frame_spacing_mm=SPACING_MM)
    read_a, _ = read_through_api(world, pullback, (scenario(200, 120), scenario(230, 119)))
    wait_until(
        lambda: Pullback.objects.get(pk=pullback.pk).status == "flagged", what="the adjudication"
    )

    mine = client_for(world.reader_a).get(f"/api/v1/reads/{read_a.pk}/").json()
    m = mine["metrics"]
    # 1. Stent area from 9 struts on a 3.0 mm circle: 7.07 mm², not the polygon's 6.51.
    assert m["msa_frame"] == 170
    assert m["msa_mm2"] == pytest.approx(math.pi * 1.5**2, rel=0.003)
    assert m["underexpansion"] is False
    # 2. 540 µm malapposition on 137/146/155, off the grid: a length, never 0.
    assert m["malapposed_strut_count"] == 3
    assert m["max_malapposition_um"] == pytest.approx(540.0, abs=0.5)
    stented = (
        [100 + i for i in range(10)] + [137, 146, 155, 170, 200] + [250 + i for i in range(10)]
    )
    mean_spacing = (max(stented) - min(stented)) * SPACING_MM / (len(stented) - 1)
    assert m["malapposition_length_mm"] == pytest.approx(3 * mean_spacing)
    assert m["sm_present"] is True and m["sm_significant"] is True
    # 3. The grid: k = 9 from the distal edge, 45 reference frames, plus the proximal edge.
    assert mine["analysis_frames"] == sorted(set(range(55, 346, 9)) | {300})
    # 4. Two deposits are not one 17.7 mm calcium.
    assert m["calcium_length_mm"] == pytest.approx(9 * SPACING_MM)
    assert m["calcium_length_gt_15mm"] is False
    assert m["ref_count"] == 0

    # Frame positions compared, never averaged: MLAs 30 frames (3.3 mm) apart are flagged.
    adjudicator = client_for(world.adjudicator)
    (item,) = adjudicator.get("/api/v1/adjudications/").json()["results"]
    (flag,) = [f for f in item["flags"] if f["metric"] == "mla_frame"]
    assert flag == {
        "metric": "mla_frame",
        "group": "lumen",
        "a": 200,
        "b": 230,
        "difference": pytest.approx(30 * SPACING_MM),
        "tolerance": 2.0,
    }


def test_consensus_frame_and_frozen_reader_metrics_on_a_real_worker(
    world: Any, celery_worker_process: Any, wait_until: Any
) -> None:
    # Reader 2 measured the smaller MLA 12 frames (1.33 mm) away: no flag, and the consensus
    # takes Reader 2's frame (a mean would be 206, a place neither measured).
    pullback = PullbackFactory(study=world.study, n_frames=540, frame_spacing_mm=SPACING_MM)
    read_a, read_b = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    client_a, client_b = client_for(world.reader_a), client_for(world.reader_b)
    for client, read, doc in (
        (client_a, read_a, scenario(200, 120)),
        (client_b, read_b, scenario(212, 119)),
    ):
        r = client.put(
            f"/api/v1/reads/{read.pk}/annotations/",
            {"version": 1, "annotations": doc},
            format="json",
        )
        assert r.status_code == 200
    r = client_a.post(
        f"/api/v1/reads/{read_a.pk}/submit/", {"password": world.password, **PARTIAL}, format="json"
    )
    assert r.status_code == 200
    wait_until(
        lambda: client_a.get(f"/api/v1/reads/{read_a.pk}/").json()["metrics"], what="A's metrics"
    )
    before = client_a.get(f"/api/v1/reads/{read_a.pk}/").json()
    assert before["metrics"]["underexpansion"] is False

    # A settings change after A submitted: the comparison re-measures A, A never sees it.
    studies.study_update(
        study=world.study,
        actor=world.coordinator,
        settings={"underexpansion_msa_mm2": 8.0},
        reason="protocol amendment",
    )
    r = client_b.post(
        f"/api/v1/reads/{read_b.pk}/submit/", {"password": world.password, **PARTIAL}, format="json"
    )
    assert r.status_code == 200
    wait_until(lambda: Consensus.objects.filter(pullback=pullback).exists(), what="the consensus")
    consensus = Consensus.objects.get(pullback=pullback)
    assert (consensus.mla_frame, consensus.mla_frame_source) == (212, "reader_b")
    assert consensus.underexpansion is True  # compared under the current settings
    assert client_a.get(f"/api/v1/reads/{read_a.pk}/").json() == before
