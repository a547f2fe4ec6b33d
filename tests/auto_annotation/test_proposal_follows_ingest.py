"""The proposal is computed by the worker after ingest, from the images only (SPEC §11):
ingest never waits for it, the run holds no transaction across the analysis, a re-run is
harmless, a stale run cannot overwrite a newer one, and a failure is readable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from django.db import connection
from django.utils import timezone

from adjudication import imaging, storage
from adjudication.domain.annotations import parse_document
from adjudication.domain.workflow import PullbackState
from adjudication.imaging.evaluation import dice
from adjudication.models import AuditEvent, AutoAnnotation, Pullback
from adjudication.services import auto_annotations, ingest
from tests.uploads import uploaded

from .conftest import N_FRAMES, SIZE


def test_ingest_makes_the_pullback_ready_and_sends_the_proposal_task_on_commit(
    world: Any, media: Path, phantom: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pullback = uploaded(world.study, world.coordinator, phantom[0])
    with mock.patch("adjudication.tasks.pullback_auto_annotate.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            ingest.pullback_ingest(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    assert pullback.status == PullbackState.READY  # ready without waiting for the proposal
    delay.assert_called_once_with(pullback_pk=pullback.pk)
    assert not AutoAnnotation.objects.filter(pullback=pullback).exists()


def test_the_proposal_covers_every_frame_and_matches_the_ground_truth(
    ready_pullback: Pullback, phantom: Any
) -> None:
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    row = AutoAnnotation.objects.get(pullback=ready_pullback)
    assert row.status == "done" and row.progress_pct == 100 and row.error == ""
    assert row.algorithm == imaging.ALGORITHM
    assert row.algorithm_version == imaging.ALGORITHM_VERSION
    assert sorted(row.confidence, key=int) == [str(i) for i in range(N_FRAMES)]
    assert sorted(row.annotations["frames"], key=int) == [str(i) for i in range(N_FRAMES)]
    # a valid SPEC §4 document for this pullback, contours with their control points
    parse_document(row.annotations, n_frames=N_FRAMES, rows=SIZE, columns=SIZE)
    truth = phantom[1]
    centre = tuple(truth["catheter_center"])
    dices = [
        dice(
            np.array(row.annotations["frames"][str(f)]["lumen"]),
            np.array(truth["frames"][str(f)]["lumen"]),
            centre,
        )
        for f in range(N_FRAMES)
    ]
    assert np.median(dices) >= 0.97
    assert all("lumen_ctrl" in e for e in row.annotations["frames"].values())
    stented = [f for f, e in row.annotations["frames"].items() if "struts" in e]
    assert stented and all("stent" in row.annotations["frames"][f] for f in stented)
    actions = list(
        AuditEvent.objects.filter(object_type="autoannotation", object_id=str(row.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["auto_annotation.running", "auto_annotation.done"]


def test_no_transaction_is_open_while_the_frames_are_analysed(ready_pullback: Pullback) -> None:
    """(The test itself runs inside one transaction: the analysis must add none to it.)"""
    seen: list[int] = []
    real = imaging.analyse_pullback
    outside = len(connection.atomic_blocks)

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(len(connection.atomic_blocks))
        return real(*args, **kwargs)

    with mock.patch("adjudication.imaging.analyse_pullback", spy):
        auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    assert seen == [outside]
    assert AutoAnnotation.objects.get(pullback=ready_pullback).status == "done"


def test_running_it_again_changes_nothing(ready_pullback: Pullback) -> None:
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    row = AutoAnnotation.objects.get(pullback=ready_pullback)
    events = AuditEvent.objects.count()
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    again = AutoAnnotation.objects.get(pullback=ready_pullback)
    assert AuditEvent.objects.count() == events
    assert (again.finished_at, again.attempts) == (row.finished_at, row.attempts)


def test_a_run_in_progress_is_left_to_its_worker_until_its_lease_expires(
    ready_pullback: Pullback,
) -> None:
    AutoAnnotation.objects.create(
        pullback=ready_pullback, status="running", started_at=timezone.now(), attempts=1
    )
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    assert AutoAnnotation.objects.get(pullback=ready_pullback).status == "running"
    # the worker died: after the lease the redelivered task takes over
    AutoAnnotation.objects.filter(pullback=ready_pullback).update(
        started_at=timezone.now() - auto_annotations.LEASE - dt.timedelta(seconds=1)
    )
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    row = AutoAnnotation.objects.get(pullback=ready_pullback)
    assert row.status == "done" and row.attempts == 2


def test_a_stale_run_cannot_overwrite_the_current_one(ready_pullback: Pullback) -> None:
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    row = AutoAnnotation.objects.get(pullback=ready_pullback)
    import uuid

    auto_annotations._finish(
        ready_pullback, uuid.uuid4(), status="failed", error="stale worker's result"
    )
    row.refresh_from_db()
    assert row.status == "done" and row.error == ""


def test_unreadable_frames_fail_with_a_readable_error_and_the_pullback_stays_ready(
    ready_pullback: Pullback,
) -> None:
    folder = storage.pullback_dir(ready_pullback)
    for path in folder.rglob("*"):
        if path.is_file():
            path.write_bytes(b"")
    storage.forget_frame_index(str(ready_pullback.storage_key))
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    row = AutoAnnotation.objects.get(pullback=ready_pullback)
    assert row.status == "failed"
    assert "could not be analysed" in row.error and "by hand" in row.error
    ready_pullback.refresh_from_db()
    assert ready_pullback.status == PullbackState.READING


@pytest.mark.parametrize("status", [PullbackState.INGESTING, PullbackState.FAILED])
def test_nothing_is_proposed_for_a_pullback_that_is_not_ingested(
    world: Any, media: Path, phantom: Any, status: PullbackState
) -> None:
    pullback = uploaded(world.study, world.coordinator, phantom[0])
    Pullback.objects.filter(pk=pullback.pk).update(status=status.value)
    auto_annotations.pullback_auto_annotate(pullback_pk=pullback.pk)
    assert not AutoAnnotation.objects.filter(pullback=pullback).exists()
