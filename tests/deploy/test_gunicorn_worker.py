"""deploy/gunicorn.conf.py: a worker that has loaded the app moves what it holds for its whole
life out of the cyclic collector's reach (issue 13: a full collection walked ~250,000 objects,
95–163 ms with the GIL held, stalling every request of the process under bench/load.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# In a process of its own: gc.freeze would otherwise hold the test run's objects for good.
WORKER = """
import gc, json, runpy, sys
import django
django.setup()
config = runpy.run_path("deploy/gunicorn.conf.py")
before = gc.get_freeze_count()
views_before = "adjudication.api.reads" in sys.modules
config["post_worker_init"](None)
print(json.dumps({"before": before, "after": gc.get_freeze_count(), "views_before": views_before,
                  "views_after": "adjudication.api.reads" in sys.modules}))
"""


def test_a_worker_freezes_the_app_it_loaded_views_included() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["before"] == 0
    assert not result["views_before"]
    # The URLconf was resolved first, so the views are among what is frozen.
    assert result["views_after"]
    assert result["after"] > 50_000
