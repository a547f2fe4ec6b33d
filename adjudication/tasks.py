"""Thin Celery tasks: keyword-only primary keys, one service call, retry on lock/transient errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import OperationalError

from corelab.celery import idempotent_task

from .services import auto_annotations, ingest, metrics, statistics

log = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),  # includes "could not obtain lock" (nowait)
    "retry_backoff": 2,
    # Below the broker's visibility timeout: a retry waits out its countdown unacknowledged
    # in the worker, and must not be redelivered meanwhile (corelab/celery.py checks it).
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 8,
}


def _run(service: Callable[..., None], **pks: int) -> None:
    """Call the service; a row deleted since the task was queued means nothing to do."""
    try:
        service(**pks)
    except ObjectDoesNotExist:
        log.warning("%s(%s): the row no longer exists; nothing to do", service.__name__, pks)


# Heavy tasks go to the heavy queue (settings.CELERY_TASK_ROUTES). No task sets its own time
# limits: a sender would copy them into the message; the worker's role decides them instead.


@idempotent_task(**RETRY)
def pullback_ingest(*, pullback_pk: int) -> None:
    _run(ingest.pullback_ingest, pullback_pk=pullback_pk)


@idempotent_task(**RETRY)
def pullback_write_frame_files(*, pullback_pk: int) -> None:
    _run(ingest.pullback_write_frame_files, pullback_pk=pullback_pk)


@idempotent_task(**RETRY)
def pullback_auto_annotate(*, pullback_pk: int) -> None:
    _run(auto_annotations.pullback_auto_annotate, pullback_pk=pullback_pk)


@idempotent_task(**RETRY)
def read_compute_metrics(*, read_pk: int) -> None:
    _run(metrics.read_compute_metrics, read_pk=read_pk)


@idempotent_task(**RETRY)
def pullback_compare_reads(*, pullback_pk: int) -> None:
    _run(metrics.pullback_compare_reads, pullback_pk=pullback_pk)


@idempotent_task(**RETRY)
def pullback_write_consensus(*, pullback_pk: int) -> None:
    _run(metrics.pullback_write_consensus, pullback_pk=pullback_pk)


@idempotent_task(**RETRY)
def study_compute_statistics(*, study_pk: int, generation: int) -> None:
    _run(statistics.statistics_compute, study_pk=study_pk, generation=generation)


__all__: list[Any] = [
    "pullback_ingest",
    "pullback_auto_annotate",
    "read_compute_metrics",
    "pullback_compare_reads",
    "pullback_write_consensus",
    "study_compute_statistics",
]
