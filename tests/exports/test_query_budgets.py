"""Exact query budgets for the coordinator read-outs: the count never grows with the study."""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.models import Consensus, FrameMetrics, ReadMetrics
from tests.factories import PullbackFactory, ReadFactory


def add_measured_pullbacks(world: Any, n: int) -> None:
    """``n`` pullbacks with a consensus row and two measured reads of three frames each."""
    for _ in range(n):
        pullback = PullbackFactory(study=world.study, status="consensus")
        Consensus.objects.create(pullback=pullback, mla_mm2=4.2, mla_mm2_source="mean")
        for slot, reader in [(1, world.reader_a), (2, world.reader_b)]:
            read = ReadFactory(pullback=pullback, reader=reader, slot=slot, status="submitted")
            ReadMetrics.objects.create(read=read, mla_mm2=4.2)
            FrameMetrics.objects.bulk_create(
                FrameMetrics(read=read, frame=f, lumen_area_mm2=5.0) for f in (10, 20, 30)
            )


# 1: the coordinated study (404 otherwise); 2: page count; 3: the page with subject joined.
CONSENSUS_LIST_QUERIES = 3


@pytest.mark.parametrize("n_pullbacks", [1, 4])
def test_consensus_list_query_budget(
    world: Any, api: Any, django_assert_num_queries: Any, n_pullbacks: int
) -> None:
    add_measured_pullbacks(world, n_pullbacks)
    client = api(world.coordinator)
    with django_assert_num_queries(CONSENSUS_LIST_QUERIES):
        r = client.get(f"/api/v1/studies/{world.study.pk}/consensus/")
    assert r.status_code == 200
    assert r.json()["count"] == n_pullbacks


# The coordinated study, then the rows: one query for pullback and reader levels; the
# frame level adds one for the reads' settings. The dictionary part needs no row at all.
EXPORT_QUERIES = {
    ("csv", "pullback", "data"): 2,
    ("csv", "reader", "data"): 2,
    ("csv", "frame", "data"): 3,
    ("csv", "pullback", "dictionary"): 1,
    ("csv", "pullback", "settings"): 2,
    ("xlsx", "pullback", "data"): 2,
    ("json", "frame", "data"): 3,
    # + the submitted reads and their frame metrics, for the DICOM SR files (issue 16)
    ("zip", "reader", "data"): 4,
}


@pytest.mark.parametrize("n_pullbacks", [1, 4])
@pytest.mark.parametrize(("fmt", "level", "part"), list(EXPORT_QUERIES))
def test_export_query_budget(
    world: Any,
    api: Any,
    django_assert_num_queries: Any,
    n_pullbacks: int,
    fmt: str,
    level: str,
    part: str,
) -> None:
    add_measured_pullbacks(world, n_pullbacks)
    client = api(world.coordinator)
    url = f"/api/v1/studies/{world.study.pk}/export/?format={fmt}&level={level}&part={part}"
    with django_assert_num_queries(EXPORT_QUERIES[(fmt, level, part)]):
        r = client.get(url)
    assert r.status_code == 200


# The coordinated study, the readers' metrics, the flags.
AGREEMENT_QUERIES = 3


@pytest.mark.parametrize("n_pullbacks", [1, 4])
def test_agreement_query_budget(
    world: Any, api: Any, django_assert_num_queries: Any, n_pullbacks: int
) -> None:
    add_measured_pullbacks(world, n_pullbacks)
    with django_assert_num_queries(AGREEMENT_QUERIES):
        r = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/agreement/")
    assert r.json()["pullbacks_compared"] == n_pullbacks
