"""The project's Celery app with the ingest's frame rewrite slowed down (10 ms per frame), for
``test_worker_killed_mid_ingest``: a small pullback then takes seconds to ingest, so the test
can kill the worker in the middle of it every time, whatever the machine's speed.

Started as ``celery -A tests.integration.slow_ingest_worker worker``; test code only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from celery.signals import worker_process_init

from corelab.celery import app

FRAME_DELAY_S = float(os.environ.get("SLOW_INGEST_FRAME_DELAY_S", "0.01"))

__all__ = ["app"]


@worker_process_init.connect
def _slow_down_the_frame_rewrite(**_: Any) -> None:
    from adjudication.services.ingest import worker

    real = worker.clean_frames

    def slow(inspected: Any, *, on_frame: Callable[[int], None] | None = None) -> int:
        def tick(index: int) -> None:
            time.sleep(FRAME_DELAY_S)
            if on_frame is not None:
                on_frame(index)

        return real(inspected, on_frame=tick)

    worker.clean_frames = slow
