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
    Task,
    shared_task,  # noqa: TID251 - the one place allowed to wrap shared_task
)
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corelab.settings")

app = Celery("corelab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def check_redelivery_limits(conf: Any, tasks: dict[str, Any]) -> list[str]:
    """Problems with the time limits against Redis' visibility timeout (empty when fine).

    A lost task (its worker killed) is redelivered once it is older than the visibility
    timeout; a task that may still be running, or a retry waiting out its countdown in a
    live worker, must never reach that age, or a second worker would run it at the same time.
    """
    visibility_s = (conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    problems = []
    hard_s = conf.task_time_limit
    if hard_s is None or hard_s >= visibility_s:
        problems.append(f"task_time_limit ({hard_s}) must be below visibility_timeout")
    for name, task in tasks.items():
        limit = getattr(task, "time_limit", None) or hard_s
        if name.startswith("adjudication.") and limit is not None and limit >= visibility_s:
            problems.append(f"{name}: time_limit {limit} s ≥ visibility_timeout {visibility_s} s")
        backoff = getattr(task, "retry_backoff_max", None)
        if name.startswith("adjudication.") and getattr(task, "autoretry_for", None) and backoff:
            if backoff >= visibility_s:
                problems.append(
                    f"{name}: retry_backoff_max {backoff} s ≥ visibility_timeout {visibility_s} s"
                )
    return problems


@worker_init.connect
def _refuse_unsafe_limits(sender: Any = None, **kwargs: Any) -> None:
    app.loader.import_default_modules()
    problems = check_redelivery_limits(app.conf, dict(app.tasks))
    if problems:
        raise RuntimeError("unsafe Celery limits: " + "; ".join(problems))


class WorkerLimitsTask(Task):
    """A task whose messages carry no time limits, so the worker that runs it applies its own
    (``CELERY_WORKER_ROLE`` in settings: a heavy worker's limits are minutes, a light one's
    40 s). Celery would otherwise copy the sending process's limits into every message."""

    def _get_exec_options(self) -> dict[str, Any]:
        options = dict(super()._get_exec_options())  # type: ignore[misc]  # not in the stubs
        options.pop("time_limit", None)
        options.pop("soft_time_limit", None)
        return options


def idempotent_task(*args: Any, **kwargs: Any) -> Callable[..., Any]:
    """``shared_task`` with acks_late, reject_on_worker_lost and ignore_result set, on
    ``WorkerLimitsTask``."""
    options = {
        "base": WorkerLimitsTask,
        "acks_late": True,
        "reject_on_worker_lost": True,
        "ignore_result": True,
        **kwargs,
    }
    if len(args) == 1 and callable(args[0]):
        return shared_task(**options)(args[0])
    return shared_task(*args, **options)
