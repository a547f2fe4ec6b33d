"""The proposal follows ingest through a real worker (SPEC §11): the pullback becomes ready
first, the proposal then runs as its own task, reports progress and lands as ``done``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.imaging.evaluation import dice
from tests.conftest import client_for
from tests.factories import MembershipFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.integration

N_FRAMES = 40


def test_the_worker_proposes_after_ingest_and_every_viewer_gets_it(
    celery_worker_process: Any, wait_until: Any, tmp_path: Path
) -> None:
    study = StudyFactory(code="auto-worker")
    coordinator = UserFactory(username="coord")
    MembershipFactory(study=study, user=coordinator, role="coordinator")
    coord = client_for(coordinator)
    dicom = tmp_path / "pullback.dcm"
    truth = make_synthetic_pullback(
        dicom, n_frames=N_FRAMES, rows=512, columns=512, seed=13, artefacts=True
    )
    with open(dicom, "rb") as fh:
        r = coord.post(
            f"/api/v1/studies/{study.pk}/pullbacks/",
            {"file": fh, "subject_code": "S-0001", "timepoint": "post"},
            format="multipart",
        )
    assert r.status_code in (201, 202), r.content
    pullback_id = r.json()["id"]
    url = f"/api/v1/pullbacks/{pullback_id}/auto-annotations/"
    assert coord.get(url).json()["status"] in ("pending", "running", "done")
    wait_until(
        lambda: coord.get(f"/api/v1/pullbacks/{pullback_id}/").json()["status"] == "ready",
        what="ingest by the worker",
    )
    body = wait_until(
        lambda: (b := coord.get(url).json())["status"] in ("done", "failed") and b,
        timeout_s=120,
        what="the proposal",
    )
    assert body["status"] == "done", body["error"]
    assert body["progress_pct"] == 100
    assert len(body["confidence"]) == N_FRAMES
    centre = tuple(truth["catheter_center"])
    dices = [
        dice(
            np.array(body["annotations"]["frames"][str(f)]["lumen"]),
            np.array(truth["frames"][str(f)]["lumen"]),
            centre,
        )
        for f in range(N_FRAMES)
    ]
    assert np.median(dices) >= 0.97
    assert body["annotations"]["stent"]["distal_frame"] >= truth["stent"]["distal_frame"] - 1
