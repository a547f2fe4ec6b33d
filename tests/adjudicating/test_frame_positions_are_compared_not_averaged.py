"""MLA/MSA frames are compared with frame_position_tol_mm and never averaged (SPEC §6)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from adjudication.models import Consensus
from tests.conftest import circle, sample_document
from tests.metrics_pipeline.pipeline import read_and_compare


def mla_at(frame: int, radius_px: float = 110.0) -> dict:
    """``sample_document(150)`` with its MLA at ``frame`` (a smaller lumen there only)."""
    doc = copy.deepcopy(sample_document(150))
    doc["frames"]["80"]["lumen"] = circle(256, 256, 150)
    doc["frames"][str(frame)]["lumen"] = circle(256, 256, radius_px)
    return doc


def test_mla_frames_further_apart_than_the_tolerance_are_flagged_with_mm(
    world: Any, api: Any
) -> None:
    # Frames 80 and 100 at 0.2 mm: 4.0 mm apart > 2.0 mm; the areas themselves agree.
    pullback = read_and_compare(world, mla_at(80), mla_at(100))
    assert pullback.status == "flagged"
    body = api(world.adjudicator).get(f"/api/v1/adjudications/{pullback.adjudication.pk}/").json()
    (flag,) = [f for f in body["flags"] if f["metric"] == "mla_frame"]
    assert flag == {
        "metric": "mla_frame",
        "group": "lumen",
        "a": 80,
        "b": 100,
        "difference": pytest.approx(4.0),
        "tolerance": 2.0,
    }
    assert not [f for f in body["flags"] if f["metric"] == "mla_mm2"]


def test_the_workbench_shows_where_each_reader_found_the_mla_on_the_l_mode(
    world: Any,
) -> None:
    pullback = read_and_compare(world, mla_at(80), mla_at(100))
    client = Client()
    client.force_login(world.adjudicator)
    html = client.get(f"/adjudications/{pullback.adjudication.pk}/").content.decode()
    assert f"/api/v1/pullbacks/{pullback.pk}/lmode/?angle_deg=0" in html
    assert 'data-metric="mla_frame" data-slot="1"' in html
    assert 'data-frame="80" data-metric="mla_frame" data-slot="1"' in html
    assert 'data-frame="100" data-metric="mla_frame" data-slot="2"' in html
    # Frames are shown counted from 1, as in the viewer (data-frame stays the 0-based index).
    assert "Reader 1 MLA · 81" in html and "Reader 2 MLA · 101" in html


def test_the_consensus_takes_the_frame_of_the_smaller_mla_never_a_mean(world: Any) -> None:
    # 80 vs 85 (1.0 mm, within tolerance); Reader 2 measured the smaller MLA at 85.
    pullback = read_and_compare(world, mla_at(80, 112), mla_at(85, 110))
    assert pullback.status == "consensus"
    consensus = Consensus.objects.get(pullback=pullback)
    assert consensus.mla_frame == 85 and consensus.mla_frame_source == "reader_b"
    assert consensus.mla_mm2_source == "mean"
