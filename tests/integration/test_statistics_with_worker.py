"""Study statistics through a real Celery worker (SPEC §13, issue 17).

A coordinator uploads covariates over the API; the upload schedules the run on commit; a real
``celery worker`` computes it; the API then serves the result, the JSON download equals what
the statistics package computes on the same rows, and a second request supersedes the first.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from adjudication.models import AuditEvent, StudyStatistics
from adjudication.statistics import (
    StatisticsOptions,
    compute_statistics,
    parse_clinical_csv,
    to_json_text,
)
from tests.conftest import client_for
from tests.study_statistics.cohort import cohort, to_csv
from tests.study_statistics.planting import plant_consensus

pytestmark = pytest.mark.integration


def _status(study_pk: int) -> str | None:
    row = StudyStatistics.objects.filter(study_id=study_pk).first()
    return row.status if row else None


def test_the_worker_computes_the_statistics_after_a_covariate_upload(
    world: Any, celery_worker_process: Any, wait_until: Any
) -> None:
    consensus, clinical = cohort(120, seed=77)
    plant_consensus(world.study, consensus)
    client = client_for(world.coordinator)
    clinical_csv = to_csv(clinical, yes_no=True)
    r = client.post(
        f"/api/v1/studies/{world.study.pk}/covariates/",
        {"file": io.BytesIO(clinical_csv.encode())},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    wait_until(lambda: _status(world.study.pk) == "done", what="statistics done")
    body = client.get(f"/api/v1/studies/{world.study.pk}/statistics/").json()
    assert body["status"] == "done" and body["error"] == ""
    download = client.get(f"/api/v1/studies/{world.study.pk}/statistics/download/?format=json")
    expected = compute_statistics(consensus, parse_clinical_csv(clinical_csv), StatisticsOptions())
    assert download.content.decode() == to_json_text(expected)
    assert "forest-sm_significant" in body["figures"]

    # A new request with the reference study's p < 0.1 rule: the worker runs it too.
    r = client.post(
        f"/api/v1/studies/{world.study.pk}/statistics/",
        {"predictor_rule": "univariable_p_lt"},
        format="json",
    )
    assert r.status_code == 202
    generation = r.json()["generation"]
    wait_until(
        lambda: StudyStatistics.objects.filter(
            study=world.study, generation=generation, status="done"
        ).exists(),
        what="second run done",
    )
    result = json.loads(
        client.get(f"/api/v1/studies/{world.study.pk}/statistics/download/?format=json").content
    )
    assert result["settings"]["predictor_rule"] == "univariable_p_lt"
    assert AuditEvent.objects.filter(action="statistics.compute", actor=None).count() == 2
