"""Ingest and the automatic proposal run on their own queue (``<queue>.heavy``) with their own
time limits: a heavy worker (CELERY_WORKER_ROLE=heavy) lets an ingest run past the light
tasks' 40 s hard limit, while the light queue keeps "a lost task re-runs within a minute"
(``test_lost_task_reruns_within_a_minute``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from corelab.celery import app, check_redelivery_limits
from tests.factories import study_with_coordinator
from tests.integration.workers import running_worker
from tests.uploads import uploaded

pytestmark = pytest.mark.integration

FRAMES = 8
# 8 frames × 6 s of added delay: the ingest lasts longer than the light hard limit (40 s)
FRAME_DELAY_S = 6.0


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_ingest_and_the_proposal_go_to_the_heavy_queue_and_metrics_do_not() -> None:
    heavy = settings.CELERY_HEAVY_QUEUE
    assert _queue_of("adjudication.tasks.pullback_ingest") == heavy
    assert _queue_of("adjudication.tasks.pullback_auto_annotate") == heavy
    for light in ("read_compute_metrics", "pullback_compare_reads", "pullback_write_consensus"):
        assert _queue_of(f"adjudication.tasks.{light}") == settings.CELERY_TASK_DEFAULT_QUEUE


def test_a_worker_without_q_consumes_every_queue() -> None:
    names = {q.name for q in app.amqp.queues.values()}
    assert {settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_HEAVY_QUEUE} <= names


def test_a_heavy_worker_has_its_own_visibility_and_unacked_keys(tmp_path: Path) -> None:
    # What a heavy worker's settings would be: ask a fresh interpreter started with its env.
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "from corelab.celery import app, check_redelivery_limits; "
        "app.loader.import_default_modules(); "
        "print(json.dumps([s.CELERY_BROKER_TRANSPORT_OPTIONS, app.conf.task_time_limit, "
        "check_redelivery_limits(app.conf, dict(app.tasks))]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_WORKER_ROLE": "heavy",
        },
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    options, heavy_limit, problems = json.loads(out.strip().splitlines()[-1])
    assert heavy_limit > settings.CELERY_TASK_TIME_LIMIT
    assert options["visibility_timeout"] > heavy_limit
    assert options["unacked_key"] == f"unacked:{settings.CELERY_HEAVY_QUEUE}"
    assert problems == []
    # and this (light/all) process keeps the light visibility and its own unacked keys
    mine = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert mine["unacked_key"] == f"unacked:{settings.CELERY_TASK_DEFAULT_QUEUE}"
    assert mine["visibility_timeout"] + mine["unacked_restore_interval"] <= 60
    assert check_redelivery_limits(app.conf, dict(app.tasks)) == []
    for name in ("pullback_ingest", "pullback_auto_annotate", "read_compute_metrics"):
        # the message carries no limits: the worker that runs the task decides them
        options = app.tasks[f"adjudication.tasks.{name}"]._get_exec_options()
        assert "time_limit" not in options and "soft_time_limit" not in options


def test_a_heavy_worker_runs_an_ingest_longer_than_the_light_hard_limit(
    transactional_db: Any, wait_until: Any, tmp_path: Path
) -> None:
    log_path = tmp_path / "heavy.log"
    with running_worker(
        log_path,
        queues=(settings.CELERY_HEAVY_QUEUE,),
        app="tests.integration.slow_ingest_worker",
        env={"CELERY_WORKER_ROLE": "heavy", "SLOW_INGEST_FRAME_DELAY_S": str(FRAME_DELAY_S)},
    ):
        study, coordinator = study_with_coordinator()
        path = tmp_path / "slow.dcm"
        make_synthetic_pullback(
            path, n_frames=FRAMES, rows=64, columns=64, encoding="jpeg_baseline", seed=5
        )
        pullback = uploaded(study, coordinator, path)  # the worker ingests it
        wait_until(
            lambda: Pullback.objects.get(pk=pullback.pk).status != "ingesting",
            timeout_s=240,
            what="the slow ingest to finish",
        )
        pullback.refresh_from_db()
        assert pullback.status == "ready", pullback.error
        log = log_path.read_bytes()
        assert b"TimeLimitExceeded" not in log
        assert b"succeeded" in log
