"""Ingest progress, kept in the shared cache (the work runs outside any transaction, and a
percentage is not study data worth a row write per step)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from adjudication.domain.workflow import PullbackState
from adjudication.models import Pullback

PROGRESS_TIMEOUT_S = 24 * 3600
# Share of the progress bar spent before the frames (inspection) and after them (saving).
PROGRESS_INSPECTED_PCT = 10
PROGRESS_FRAMES_DONE_PCT = 90


def _progress_key(pullback_pk: int) -> str:
    return f"ingest:progress:{pullback_pk}"


def set_progress(pullback_pk: int, pct: int) -> None:
    cache.set(_progress_key(pullback_pk), int(pct), timeout=PROGRESS_TIMEOUT_S)


def clear_progress(pullback_pk: int) -> None:
    cache.delete(_progress_key(pullback_pk))


def ingest_progress_pct(pullback: Pullback) -> int | None:
    """How far ingest is, 0–100: the cached figure while ``ingesting`` (0 before the worker
    starts), 100 once ingested, None for a failed pullback."""
    if pullback.status == PullbackState.FAILED:
        return None
    if pullback.status != PullbackState.INGESTING:
        return 100
    return int(cache.get(_progress_key(pullback.pk)) or 0)


class Progress:
    """Publishes ingest progress every ``INGEST_PROGRESS_EVERY_FRAMES`` frames, and no more
    often than every ``INGEST_PROGRESS_EVERY_MS`` milliseconds (a progress bar is read by people;
    a sub-second ingest needs no cache round trip per twentieth of its frames)."""

    def __init__(self, pullback_pk: int, n_frames: int) -> None:
        self.pk = pullback_pk
        self.n_frames = max(n_frames, 1)
        self.every = max(1, settings.INGEST_PROGRESS_EVERY_FRAMES)
        self.every_s = max(0, settings.INGEST_PROGRESS_EVERY_MS) / 1000
        self.published = -1
        self.last_s = time.monotonic()

    def __call__(self, index: int) -> None:
        done = index + 1
        if done % self.every == 0 and time.monotonic() - self.last_s >= self.every_s:
            self.last_s = time.monotonic()
            span = PROGRESS_FRAMES_DONE_PCT - PROGRESS_INSPECTED_PCT
            pct = PROGRESS_INSPECTED_PCT + span * done // self.n_frames
            if pct != self.published:  # a cache write only when the figure moves
                set_progress(self.pk, pct)  # looked up at call time (tests spy on it)
                self.published = pct
