"""The decode runs with no transaction and no row lock open (issue 12; STYLE "Lessons from
the first review": grand-challenge's ``execute_job``).

A short transaction claims the pullback (state guard + an advisory lock tied to the worker's
connection), the work runs outside any transaction, a short transaction moves it to ready or
failed. These tests commit for real (``transaction=True``) and look from a second database
connection, as another request or worker would.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from adjudication.services import ingest
from adjudication.services.ingest import worker
from tests import uploads

pytestmark = pytest.mark.django_db(transaction=True)


def other_connection() -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


@pytest.fixture
def uploaded(world: Any, settings: Any, tmp_path: Path) -> Pullback:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "p.dcm"
    make_synthetic_pullback(path, n_frames=4, rows=64, columns=64, encoding="jpeg_baseline")
    return uploads.uploaded(world.study, world.coordinator, path, schedule_ingest=False)


def test_the_decode_runs_with_no_transaction_and_the_row_unlocked(
    uploaded: Pullback, monkeypatch: Any
) -> None:
    seen: dict[str, Any] = {}
    real = worker.clean_frames

    def spy(inspected: Any, **kwargs: Any) -> int:
        seen["in_atomic_block"] = connection.in_atomic_block
        with other_connection() as other:
            # Another request may update the row meanwhile: nothing holds its lock.
            other.execute(
                "SELECT id FROM adjudication_pullback WHERE id = %s FOR UPDATE NOWAIT",
                [uploaded.pk],
            )
            (claimed,) = other.execute(
                "SELECT pg_try_advisory_lock(%s, %s)",
                [worker._ADVISORY_NAMESPACE, uploaded.pk],
            ).fetchone()
            seen["claimed_by_someone_else"] = not claimed
        return real(inspected, **kwargs)

    monkeypatch.setattr(worker, "clean_frames", spy)
    ingest.pullback_ingest(pullback_pk=uploaded.pk)
    uploaded.refresh_from_db()
    assert uploaded.status == "ready", uploaded.error
    assert seen == {"in_atomic_block": False, "claimed_by_someone_else": True}


def test_a_second_delivery_while_one_runs_retries_instead_of_ingesting_twice(
    uploaded: Pullback,
) -> None:
    with other_connection() as other:  # a first worker holds the claim
        other.execute("SELECT pg_advisory_lock(%s, %s)", [worker._ADVISORY_NAMESPACE, uploaded.pk])
        with pytest.raises(worker.LockNotAcquired):
            ingest.pullback_ingest(pullback_pk=uploaded.pk)
        uploaded.refresh_from_db()
        assert uploaded.status == "ingesting"
    # The first worker's connection is gone (killed worker): its claim goes with it as soon as
    # the server has ended that session — the task's retry covers the moment in between.
    for _ in range(100):
        try:
            ingest.pullback_ingest(pullback_pk=uploaded.pk)
            break
        except worker.LockNotAcquired:
            time.sleep(0.05)
    uploaded.refresh_from_db()
    assert uploaded.status == "ready", uploaded.error


def test_the_claim_is_released_after_ingest(uploaded: Pullback) -> None:
    ingest.pullback_ingest(pullback_pk=uploaded.pk)
    with other_connection() as other:
        (free,) = other.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [worker._ADVISORY_NAMESPACE, uploaded.pk]
        ).fetchone()
    assert free


def test_a_run_interrupted_after_writing_files_is_rerun_to_the_same_result(
    uploaded: Pullback, monkeypatch: Any
) -> None:
    """A worker that dies between writing the files and committing ``ready`` leaves the
    pullback ``ingesting`` with its upload; the next delivery writes the same files."""
    from adjudication import storage

    def die(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # not an Exception: like a kill, nothing is recorded

    monkeypatch.setattr(worker, "_finish_ready", die)
    with pytest.raises(KeyboardInterrupt):
        ingest.pullback_ingest(pullback_pk=uploaded.pk)
    uploaded.refresh_from_db()
    assert uploaded.status == "ingesting"
    assert storage.upload_path(uploaded).exists()
    first = storage.source_path(uploaded).read_bytes()
    monkeypatch.undo()
    ingest.pullback_ingest(pullback_pk=uploaded.pk)
    uploaded.refresh_from_db()
    assert uploaded.status == "ready", uploaded.error
    assert storage.source_path(uploaded).read_bytes() == first  # same UIDs, same bytes
    assert not storage.upload_path(uploaded).exists()
