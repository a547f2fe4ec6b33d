"""Adjudication end to end (SPEC §6): each flagged group takes its chosen source's values, the
adjudicator's own annotation is a third stored immutable read, and the readers' originals are
never changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from adjudication.domain.errors import FieldError, InvalidTransition
from adjudication.domain.metric_defs import READ_METRICS
from adjudication.models import Consensus, FrameMetrics, Read, ReadMetrics
from adjudication.services import metrics, reads
from tests.conftest import sample_document
from tests.metrics_pipeline.pipeline import document_with_mla, read_and_compare, resolve


def disagreeing_everywhere() -> tuple[dict, dict]:
    """Reader B: smaller lumen (lumen + expansion), malapposed struts (malapposition) and a
    longer calcium segment (calcium)."""
    doc_b = sample_document(110, strut_offset_px=30)
    doc_b["calcium_segments"] = [{"start_frame": 70, "end_frame": 110}]
    return sample_document(150), doc_b


def adjudicator_document() -> dict:
    doc = sample_document(140)
    doc["calcium_segments"] = [{"start_frame": 70, "end_frame": 100}]
    return doc


def snapshot_readers(pullback: Any) -> list[dict[str, Any]]:
    """Everything a reader's read holds, the read row and its metric rows."""
    out = []
    for read in Read.objects.filter(pullback=pullback, kind="reader").order_by("slot"):
        out.append(
            {
                "read": {
                    f: getattr(read, f)
                    for f in ["annotations", "version", "status", "submitted_at", "updated_at"]
                },
                "metrics": {
                    **read.metrics.values(),
                    "settings_used": read.metrics.settings_used,
                    "computed_at": read.metrics.computed_at,
                },
                "frames": list(FrameMetrics.objects.filter(read=read).order_by("frame").values()),
            }
        )
    return out


def test_adjudicator_resolves_one_group_from_each_source_through_the_api(
    world: Any, api: Any
) -> None:
    doc_a, doc_b = disagreeing_everywhere()
    pullback = read_and_compare(world, doc_a, doc_b)
    assert pullback.status == "flagged"
    flagged = set(pullback.adjudication.flags.values_list("group", flat=True))
    assert flagged == {"lumen", "expansion", "calcium", "malapposition"}
    originals = snapshot_readers(pullback)

    own = adjudicator_document()
    sources = {
        "lumen": "reader_a",
        "expansion": "reader_b",
        "calcium": "adjudicator",
        "malapposition": "reader_b",
    }
    r = api(world.adjudicator).post(
        f"/api/v1/adjudications/{pullback.adjudication.pk}/resolve/",
        {
            "password": world.password,
            "decisions": [
                {"group": g, "source": s, "reason": f"{s} traced {g} best"}
                for g, s in sources.items()
            ],
            "annotations": own,
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    metrics.pullback_write_consensus(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    assert pullback.status == "consensus"

    # The adjudicator's own annotation is a third read: slot 3, kind adjudicator, submitted.
    third = Read.objects.get(pullback=pullback, slot=3)
    assert (third.kind, third.status, third.reader) == (
        "adjudicator",
        "submitted",
        world.adjudicator,
    )
    assert third.annotations == own
    assert pullback.adjudication.adjudicator_read_id == third.pk

    values = {
        "reader_a": Read.objects.get(pullback=pullback, slot=1).metrics.values(),
        "reader_b": Read.objects.get(pullback=pullback, slot=2).metrics.values(),
        "adjudicator": third.metrics.values(),
    }
    consensus = Consensus.objects.get(pullback=pullback).values()
    for metric in READ_METRICS:
        source = sources[str(metric.group)]
        assert consensus[metric.name] == {
            "value": values[source][metric.name],
            "source": source,
        }, metric.name
    # The adjudicator's calcium really differs from both readers (6 mm vs 4 and 8 mm).
    assert consensus["calcium_length_mm"]["value"] == pytest.approx(6.0)

    # The readers' reads and metric rows are exactly as before the adjudication.
    assert snapshot_readers(pullback) == originals

    # The API shows the same consensus with its sources.
    (row,) = (
        api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/consensus/").json()["results"]
    )
    assert row["values"]["calcium_length_mm"] == {
        "value": pytest.approx(6.0),
        "source": "adjudicator",
    }
    assert row["values"]["mla_mm2"]["source"] == "reader_a"


def test_the_adjudicators_own_read_is_immutable(world: Any) -> None:
    doc_a, doc_b = disagreeing_everywhere()
    pullback = read_and_compare(world, doc_a, doc_b)
    groups = set(pullback.adjudication.flags.values_list("group", flat=True))
    resolve(world, pullback, {g: "adjudicator" for g in groups}, adjudicator_document())
    third = Read.objects.get(pullback=pullback, slot=3)
    with pytest.raises(InvalidTransition):
        reads.read_save_annotations(
            read=third, actor=world.adjudicator, version=third.version, annotations=doc_a
        )
    # Re-running the consensus step recomputes nothing and keeps the third read's metrics.
    computed_at = third.metrics.computed_at
    metrics.pullback_write_consensus(pullback_pk=pullback.pk)
    assert ReadMetrics.objects.get(read=third).computed_at == computed_at


def test_an_unflagged_group_keeps_the_mean_and_agreed_values(world: Any) -> None:
    # Only frame 80's lumen differs: the lumen group flags, the other groups agree.
    pullback = read_and_compare(world, sample_document(150), document_with_mla(100))
    assert set(pullback.adjudication.flags.values_list("group", flat=True)) == {"lumen"}
    resolve(world, pullback, {"lumen": "reader_b"})
    a = Read.objects.get(pullback=pullback, slot=1).metrics.values()
    b = Read.objects.get(pullback=pullback, slot=2).metrics.values()
    consensus = Consensus.objects.get(pullback=pullback).values()
    assert consensus["mla_mm2"] == {"value": b["mla_mm2"], "source": "reader_b"}
    assert consensus["msa_mm2"] == {
        "value": pytest.approx((a["msa_mm2"] + b["msa_mm2"]) / 2),
        "source": "mean",
    }
    assert consensus["sm_present"] == {"value": a["sm_present"], "source": "agreed"}
    assert consensus["fujino_calcium_score"]["source"] == "agreed"


def test_choosing_the_adjudicator_as_source_needs_their_own_annotation(world: Any) -> None:
    doc_a, doc_b = disagreeing_everywhere()
    pullback = read_and_compare(world, doc_a, doc_b)
    with pytest.raises(FieldError) as refused:
        resolve(
            world,
            pullback,
            {
                "lumen": "adjudicator",
                "expansion": "reader_a",
                "calcium": "reader_a",
                "malapposition": "reader_a",
            },
        )
    assert refused.value.field == "annotations"
    pullback.refresh_from_db()
    assert pullback.status == "flagged"
    assert not Read.objects.filter(pullback=pullback, slot=3).exists()


def test_resolving_never_touches_the_readers_documents_even_with_an_adjudicator_copy(
    world: Any,
) -> None:
    doc_a, doc_b = disagreeing_everywhere()
    pullback = read_and_compare(world, doc_a, doc_b)
    originals = snapshot_readers(pullback)
    # The adjudicator starts from Reader 1's document and edits their copy.
    own = copy.deepcopy(doc_a)
    own["frames"]["80"]["lumen"] = own["frames"]["85"]["lumen"]
    groups = set(pullback.adjudication.flags.values_list("group", flat=True))
    resolve(world, pullback, {g: "adjudicator" for g in groups}, own)
    assert snapshot_readers(pullback) == originals
    assert Read.objects.get(pullback=pullback, slot=1).annotations == doc_a
