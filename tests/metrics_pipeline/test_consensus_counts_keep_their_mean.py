"""The consensus of a count is the mean of the two reads, stored as it is (never truncated)."""

from __future__ import annotations

import copy
import math
from typing import Any

from adjudication.models import Consensus
from tests.conftest import sample_document
from tests.metrics_pipeline.pipeline import read_and_compare


def test_an_unflagged_strut_count_keeps_its_half(world: Any) -> None:
    doc_a = sample_document(150)
    doc_b = copy.deepcopy(doc_a)
    # One more strut on frame 60 for reader B, on the lumen side of the wall but apposed.
    r = 148.0
    doc_b["frames"]["60"]["struts"].append(
        [256 + r * math.cos(math.pi / 8), 256 + r * math.sin(math.pi / 8)]
    )
    pullback = read_and_compare(world, doc_a, doc_b)
    assert pullback.status == "consensus"
    consensus = Consensus.objects.get(pullback=pullback)
    a_count = sum(len(f.get("struts", [])) for f in doc_a["frames"].values())
    # 8 struts × 13 stented frames, and reader B one more: the mean is x.5, not truncated.
    assert consensus.strut_count == a_count + 0.5
    assert consensus.strut_count_source == "mean"
