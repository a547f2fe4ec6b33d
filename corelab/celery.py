"""The Celery app and the one task decorator the project uses.

``idempotent_task`` is the only way to declare a task: acks late (a task whose worker dies is
delivered again), rejected on worker loss, no result backend. Task bodies call one service,
which locks, guards on state and is therefore harmless to re-run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from celery import (
    Celery,
    shared_task,  # noqa: TID251 - the one place allowed to wrap shared_task
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corelab.settings")

app = Celery("corelab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def idempotent_task(*args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``shared_task`` with acks_late, reject_on_worker_lost and ignore_result set."""
    options = {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "ignore_result": True,
        **kwargs,
    }
    if len(args) == 1 and callable(args[0]):
        return shared_task(**options)(args[0])
    return shared_task(*args, **options)
