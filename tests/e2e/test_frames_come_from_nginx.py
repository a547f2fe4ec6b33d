"""In the production topology the reader's frames are sent by nginx; the app only grants.

The browser (the reader's session) opens the reading page and asks for a single frame; the
frame bytes are the stored file's, and gunicorn's access log shows the grant nginx asked for
(``auth_request``) but not one frame or batch request: no frame byte went through the app.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from adjudication import storage
from adjudication.services.assignment import pullback_assign_readers
from tests.e2e.conftest import TOPOLOGY, sign_in
from tests.e2e.reading import until
from tests.serve_topology import ServedApp
from tests.uploads import ingested_synthetic

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        TOPOLOGY != "serve", reason="nginx sends frames only with E2E_TOPOLOGY=serve"
    ),
]

FETCH = """async (url) => {
  const r = await fetch(url);
  return {status: r.status, size: (await r.arrayBuffer()).byteLength};
}"""


def app_requests(served: ServedApp, expected: str) -> str:
    """gunicorn's access log once it shows ``expected`` (it writes after answering)."""
    deadline = time.monotonic() + 10
    while True:
        text = served.access_log.read_text()
        if expected in text or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def test_the_reader_gets_frame_bytes_from_nginx_and_the_app_only_grants(
    page: Any, served: ServedApp, world: Any, tmp_path: Path
) -> None:
    pullback, _ = ingested_synthetic(
        world.study,
        world.coordinator,
        tmp_path / "p.dcm",
        frame_files=True,
        subject_code="S-0013",
        n_frames=12,
        rows=128,
        columns=128,
        seed=13,
    )
    reads = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    [read] = [r for r in reads if r.reader_id == world.reader_a.pk]
    sign_in(page, "reader_a", world.password)
    page.goto(f"/reads/{read.pk}/")
    page.wait_for_selector("#viewer-root canvas")

    # One frame asked for with the page's own session, whatever the viewer's loading order.
    got = page.evaluate(FETCH, f"/api/v1/pullbacks/{pullback.pk}/frames/3")
    [on_disk] = (Path(storage.pullback_dir(pullback)) / storage.FRAME_FILES_NAME).glob("3.*")
    assert got == {"status": 200, "size": on_disk.stat().st_size}

    # Every frame downloaded by the viewer (batches of the whole pullback) before the log is read.
    until(page, "() => Boolean(window.__viewerStats && window.__viewerStats.allCachedMs)")
    log = app_requests(served, f"/api/v1/pullbacks/{pullback.pk}/frame-grant")
    assert f"GET /api/v1/pullbacks/{pullback.pk}/frame-grant " in log
    # Neither a single frame nor a batch of them (the viewer's bulk download) reached the app.
    frame_requests = re.findall(rf"GET /api/v1/pullbacks/{pullback.pk}/frames/(?:\d+|\?\S*) ", log)
    assert frame_requests == [], frame_requests
    assert page.errors == []
