"""Covariate upload and the statistics API (SPEC §13): coordinators only, audited, worker-run."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from adjudication.models import AuditEvent, StudyStatistics, SubjectCovariates
from adjudication.statistics import StatisticsOptions, compute_statistics, parse_clinical_csv
from adjudication.tasks import study_compute_statistics

from .cohort import cohort, to_csv
from .planting import plant_consensus

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(world: Any) -> dict[str, Any]:
    consensus, clinical = cohort(90, seed=31)
    plant_consensus(world.study, consensus)
    return {"consensus": consensus, "clinical": clinical, "csv": to_csv(clinical, yes_no=True)}


def upload(api: Any, world: Any, text: str, user: Any = None) -> Any:
    return api(user or world.coordinator).post(
        f"/api/v1/studies/{world.study.pk}/covariates/",
        {"file": io.BytesIO(text.encode()), "reason": "baseline CRF"},
        format="multipart",
    )


def run_worker(django_capture_on_commit_callbacks: Any, api: Any, world: Any, text: str) -> Any:
    """Upload, then run the task the upload scheduled on commit, in-process (as the worker)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(api, world, text)
    assert response.status_code == 201, response.content
    assert len(callbacks) == 1  # one statistics run scheduled
    row = StudyStatistics.objects.get(study=world.study)
    study_compute_statistics(study_pk=world.study.pk, generation=row.generation)
    return response


def test_coordinator_uploads_covariates_and_the_worker_computes_the_statistics(
    api: Any, world: Any, planted: dict, django_capture_on_commit_callbacks: Any
) -> None:
    response = run_worker(django_capture_on_commit_callbacks, api, world, planted["csv"])
    assert response.json()["n_subjects"] == 90
    assert response.json()["columns"]["diabetes"] == "yes_no"
    body = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/statistics/").json()
    assert body["status"] == "done"
    expected = compute_statistics(
        planted["consensus"], parse_clinical_csv(planted["csv"]), StatisticsOptions()
    )
    block = body["outcomes"]["sm_significant"]
    assert block["n"] == 90
    assert block["univariable"]["diabetes"] == pytest.approx(
        expected["outcomes"]["sm_significant"]["univariable"]["diabetes"]
    )
    assert "forest-sm_significant" in body["figures"]
    upload_event = AuditEvent.objects.get(action="covariates.upload")
    assert upload_event.actor == world.coordinator and upload_event.reason == "baseline CRF"
    assert upload_event.after["values"]["S-0001"]["diabetes"] in (True, False)
    assert AuditEvent.objects.filter(action="statistics.compute", actor=None).count() == 1


def test_the_task_is_idempotent(
    api: Any, world: Any, planted: dict, django_capture_on_commit_callbacks: Any
) -> None:
    run_worker(django_capture_on_commit_callbacks, api, world, planted["csv"])
    row = StudyStatistics.objects.get(study=world.study)
    before = (row.result, row.computed_at)
    study_compute_statistics(study_pk=world.study.pk, generation=row.generation)
    row.refresh_from_db()
    assert (row.result, row.computed_at) == before
    assert AuditEvent.objects.filter(action="statistics.compute").count() == 1


def test_a_superseded_run_never_overwrites_a_newer_request(
    api: Any, world: Any, planted: dict
) -> None:
    upload(api, world, planted["csv"])  # on-commit task not run: generation 1 pending
    r = api(world.coordinator).post(
        f"/api/v1/studies/{world.study.pk}/statistics/",
        {"predictor_rule": "univariable_p_lt"},
        format="json",
    )
    assert r.status_code == 202 and r.json()["generation"] == 2
    study_compute_statistics(study_pk=world.study.pk, generation=1)
    assert StudyStatistics.objects.get(study=world.study).status == "pending"
    study_compute_statistics(study_pk=world.study.pk, generation=2)
    row = StudyStatistics.objects.get(study=world.study)
    assert row.status == "done"
    assert row.result["settings"]["predictor_rule"] == "univariable_p_lt"


def test_a_bad_file_lists_every_bad_row_and_stores_nothing(
    api: Any, world: Any, planted: dict
) -> None:
    good = upload(api, world, planted["csv"])
    assert good.status_code == 201
    bad = "subject_code,age,diabetes\nS-0001,6o,yes\nS-9999,70,no\nS-0002,71,perhaps\n"
    response = upload(api, world, bad)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "covariates_invalid" and "nothing stored" in body["detail"]
    assert {(e["row"], e["column"]) for e in body["errors"]} == {
        (2, "age"),
        (3, "subject_code"),
        (4, "diabetes"),
    }
    # The earlier table is intact.
    assert SubjectCovariates.objects.filter(subject__study=world.study).count() == 90
    assert AuditEvent.objects.filter(action="covariates.upload").count() == 1


def test_bad_options_answer_400_with_the_field(api: Any, world: Any) -> None:
    r = api(world.coordinator).post(
        f"/api/v1/studies/{world.study.pk}/statistics/", {"entry_p": 3}, format="json"
    )
    assert r.status_code == 400 and r.json()["field"] == "entry_p"


def test_json_xlsx_and_figure_downloads(
    api: Any, world: Any, planted: dict, django_capture_on_commit_callbacks: Any
) -> None:
    run_worker(django_capture_on_commit_callbacks, api, world, planted["csv"])
    client = api(world.coordinator)
    base = f"/api/v1/studies/{world.study.pk}/statistics"
    document = json.loads(client.get(f"{base}/download/?format=json").content)
    stored = StudyStatistics.objects.get(study=world.study).result
    assert document == stored
    book = load_workbook(io.BytesIO(client.get(f"{base}/download/?format=xlsx").content))
    assert "Table2 sm_significant" in book.sheetnames
    svg = client.get(f"{base}/figures/roc-sm_significant.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    png = client.get(f"{base}/figures/km-sm_significant-mace.png?download=1")
    assert png.content[:4] == b"\x89PNG" and "attachment" in png["Content-Disposition"]
    assert client.get(f"{base}/figures/nothing.svg").status_code == 404


@pytest.mark.parametrize("persona", ["reader_a", "adjudicator", "outsider", "other_reader"])
def test_no_one_but_the_coordinator_reaches_covariates_or_statistics(
    api: Any, world: Any, planted: dict, persona: str, django_capture_on_commit_callbacks: Any
) -> None:
    run_worker(django_capture_on_commit_callbacks, api, world, planted["csv"])
    client = api(getattr(world, persona))
    base = f"/api/v1/studies/{world.study.pk}"
    for url in (
        f"{base}/covariates/",
        f"{base}/statistics/",
        f"{base}/statistics/download/?format=json",
        f"{base}/statistics/download/?format=xlsx",
        f"{base}/statistics/figures/forest-sm_significant.svg",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/statistics/", {}, format="json").status_code == 404
    assert upload(api, world, planted["csv"], user=getattr(world, persona)).status_code == 404


def test_the_endpoints_are_in_the_openapi_schema(tmp_path: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/v1/studies/{id}/statistics/:",
        "/api/v1/studies/{id}/covariates/:",
        "/api/v1/studies/{id}/statistics/download/:",
        "/api/v1/studies/{id}/statistics/figures/{name}.{fmt}:",
    ):
        assert path in text, path
