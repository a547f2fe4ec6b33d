"""The whole dual-read workflow through the API, with a real Celery worker process.

Coordinator creates a study, adds members, uploads a synthetic pullback, assigns two
readers; both save and submit different annotations; the worker compares them and opens an
adjudication; the adjudicator resolves it; the coordinator exports CSV whose row carries
the consensus and its sources.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import AuditEvent, Read
from tests.conftest import client_for, sample_document
from tests.factories import PASSWORD, UserFactory

# The fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = {"allow_incomplete": True, "reason": "test fixture: partial document"}

pytestmark = pytest.mark.integration


def _people() -> dict[str, Any]:
    people = {n: UserFactory(username=n) for n in ["coord", "ana", "ben", "senior"]}
    people["coord"].user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    return people


def test_two_reads_flow_to_adjudicated_consensus_and_csv(
    celery_worker_process: Any, wait_until: Any, tmp_path: Path
) -> None:
    people = _people()
    coord, ana, ben, senior = (client_for(people[n]) for n in ["coord", "ana", "ben", "senior"])

    r = coord.post("/api/v1/studies/", {"name": "Malapposition", "code": "malapp"}, format="json")
    assert r.status_code == 201, r.content
    study_id = r.json()["id"]
    for username, role in [("ana", "analyst"), ("ben", "analyst"), ("senior", "adjudicator")]:
        r = coord.post(
            f"/api/v1/studies/{study_id}/members/",
            {"username": username, "role": role},
            format="json",
        )
        assert r.status_code == 201, r.content

    dicom = tmp_path / "pullback.dcm"
    make_synthetic_pullback(dicom, n_frames=160, rows=512, columns=512, seed=3)
    with open(dicom, "rb") as fh:
        r = coord.post(
            f"/api/v1/studies/{study_id}/pullbacks/",
            {"file": fh, "subject_code": "S-0001", "timepoint": "post", "lesion": "LAD"},
            format="multipart",
        )
    assert r.status_code in (201, 202), r.content
    pullback_id = r.json()["id"]
    detail = wait_until(
        lambda: (
            (d := coord.get(f"/api/v1/pullbacks/{pullback_id}/").json())["status"] == "ready" and d
        ),
        what="ingest by the worker",
    )
    assert detail["n_frames"] == 160
    assert detail["pixel_spacing_mm"] is not None

    r = coord.post(
        f"/api/v1/pullbacks/{pullback_id}/assign/", {"readers": ["ana", "ben"]}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "reading"

    # Two different reads: Ben's lumen is much smaller, so lumen and expansion disagree.
    for client, doc in [(ana, sample_document(150)), (ben, sample_document(110))]:
        (read,) = client.get("/api/v1/reads/").json()["results"]
        r = client.put(
            f"/api/v1/reads/{read['id']}/annotations/",
            {"version": read["version"], "annotations": doc},
            format="json",
        )
        assert r.status_code == 200, r.content
        r = client.post(
            f"/api/v1/reads/{read['id']}/submit/", {"password": PASSWORD, **PARTIAL}, format="json"
        )
        assert r.status_code == 200, r.content
        assert r.json()["status"] == "submitted"

    adjudication = wait_until(
        lambda: senior.get("/api/v1/adjudications/").json()["results"],
        what="the worker to open an adjudication",
    )[0]
    flagged_groups = sorted({f["group"] for f in adjudication["flags"]})
    assert "lumen" in flagged_groups
    assert [r["label"] for r in adjudication["reads"]] == ["Reader 1", "Reader 2"]

    decisions = [
        {"group": g, "source": "reader_a", "reason": "Reader 1 traced the true lumen border"}
        for g in flagged_groups
    ]
    r = senior.post(
        f"/api/v1/adjudications/{adjudication['id']}/resolve/",
        {"password": PASSWORD, "decisions": decisions},
        format="json",
    )
    assert r.status_code == 200, r.content

    wait_until(
        lambda: coord.get(f"/api/v1/pullbacks/{pullback_id}/").json()["status"] == "consensus",
        what="the worker to write the consensus",
    )
    r = coord.get(f"/api/v1/studies/{study_id}/export/?format=csv&level=pullback")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["subject_code"] == "S-0001"
    assert row["mla_mm2_source"] == "reader_a"
    reader_a_metrics = Read.objects.get(pullback_id=pullback_id, slot=1).metrics
    assert float(row["mla_mm2"]) == pytest.approx(reader_a_metrics.mla_mm2)
    for group_metric, source in [("calcium_max_arc_deg_source", "calcium")]:
        if source not in flagged_groups:
            assert row[group_metric] in ("mean", "agreed")

    # The originals are untouched: both reads still hold what their readers submitted.
    assert Read.objects.get(pullback_id=pullback_id, slot=1).annotations == sample_document(150)
    assert Read.objects.get(pullback_id=pullback_id, slot=2).annotations == sample_document(110)

    # The audit trail tells the story in order (system steps have no actor).
    actions = list(
        AuditEvent.objects.filter(study_id=study_id).order_by("id").values_list("action", flat=True)
    )
    expected_in_order = [
        "study.create",
        "membership.create",
        "pullback.create",
        "pullback.ready",
        "pullback.assign",
        "pullback.reading",
        "read.save_annotations",
        "read.submitted",
        "adjudication.create",
        "pullback.flagged",
        "adjudication.decide",
        "adjudication.resolved",
        "pullback.adjudicating",
        "consensus.create",
        "pullback.consensus",
    ]
    positions = [actions.index(a) for a in expected_in_order]
    assert positions == sorted(positions), actions
    assert actions.count("read.compute_metrics") == 2
    assert actions.count("read.submitted") == 2
