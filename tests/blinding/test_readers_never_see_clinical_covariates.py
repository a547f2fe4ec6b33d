"""Blinding (SPEC §1, §13): readers and adjudicators never see clinical covariates or the
statistics built on them — not through the API, pages, exports, error bodies or the audit."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client

from adjudication.models import StudyStatistics
from adjudication.services import statistics as statistics_service
from adjudication.tasks import study_compute_statistics
from tests.conftest import sample_document
from tests.factories import SubjectFactory
from tests.metrics_pipeline.pipeline import document_with_mla, read_and_compare

# Values only the clinical file contains.
SECRETS = ("ZEBRAFINCH", "987.654", "secretcolumn_xyz", "crf-SECRET-file")


@pytest.fixture
def clinical_world(world: Any) -> dict[str, Any]:
    """One pullback agreed, one flagged (so the adjudicator has a case), covariates uploaded
    for both subjects and the statistics computed."""
    agreed = read_and_compare(
        world,
        sample_document(150),
        sample_document(150),
        subject=SubjectFactory(study=world.study, code="S-0001"),
    )
    flagged = read_and_compare(
        world,
        sample_document(150),
        document_with_mla(100),
        subject=SubjectFactory(study=world.study, code="S-0002"),
    )
    assert flagged.status == "flagged"
    text = (
        "subject_code,secretcolumn_xyz,smoker,diabetes\n"
        "S-0001,987.654,ZEBRAFINCH,yes\n"
        "S-0002,12.5,never,no\n"
    )
    statistics_service.covariates_upload(
        study=world.study,
        actor=world.coordinator,
        content=text.encode(),
        filename="crf-SECRET-file.csv",
        reason="baseline",
    )
    row = StudyStatistics.objects.get(study=world.study)
    study_compute_statistics(study_pk=world.study.pk, generation=row.generation)
    return {"agreed": agreed, "flagged": flagged}


def _assert_clean(body: bytes, where: str) -> None:
    text = body.decode("utf-8", errors="replace")
    for secret in SECRETS:
        assert secret not in text, f"{secret} leaked through {where}"


def _reachable(world: Any, cw: dict[str, Any], persona: str) -> list[str]:
    study = world.study.pk
    flagged, agreed = cw["flagged"], cw["agreed"]
    urls = [
        "/api/v1/me/",
        "/api/v1/studies/",
        f"/api/v1/studies/{study}/",
        f"/api/v1/studies/{study}/covariates/",
        f"/api/v1/studies/{study}/statistics/",
        f"/api/v1/studies/{study}/statistics/download/?format=json",
        f"/api/v1/studies/{study}/statistics/download/?format=xlsx",
        f"/api/v1/studies/{study}/statistics/figures/forest-sm_significant.svg",
        f"/api/v1/studies/{study}/consensus/",
        f"/api/v1/studies/{study}/export/?format=json&level=pullback",
        f"/api/v1/studies/{study}/agreement/",
        f"/api/v1/audit/?study={study}",
        f"/api/v1/pullbacks/{flagged.pk}/",
        f"/api/v1/pullbacks/{agreed.pk}/",
        "/",
        f"/studies/{study}/",
        f"/studies/{study}/statistics/",
        f"/studies/{study}/audit/",
    ]
    if persona == "adjudicator":
        adj = flagged.adjudication.pk
        urls += [
            "/api/v1/adjudications/",
            f"/api/v1/adjudications/{adj}/",
            f"/adjudications/{adj}/",
        ]
    else:
        urls += ["/api/v1/reads/"]
        for read in flagged.reads.filter(reader=getattr(world, persona)):
            urls += [f"/api/v1/reads/{read.pk}/", f"/reads/{read.pk}/"]
    return urls


@pytest.mark.parametrize("persona", ["reader_a", "reader_b", "adjudicator"])
def test_no_covariate_value_reaches_readers_or_adjudicators(
    world: Any, clinical_world: dict[str, Any], persona: str
) -> None:
    user = getattr(world, persona)
    client = Client()
    client.force_login(user)
    for url in _reachable(world, clinical_world, persona):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        _assert_clean(response.content, url)
    # Writes they might try answer 404 and their error bodies name nothing.
    study = world.study.pk
    for url, data in (
        (
            f"/api/v1/studies/{study}/covariates/",
            {"file": io.BytesIO(b"subject_code,a\nS-0001,1\n")},
        ),
        (f"/api/v1/studies/{study}/statistics/", {}),
        (f"/studies/{study}/statistics/", {"action": "run"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 404, url
        _assert_clean(response.content, url)


def test_the_coordinator_does_see_them(world: Any, clinical_world: dict[str, Any]) -> None:
    # The probe above can fail: the same URLs do carry the secrets for the coordinator.
    client = Client()
    client.force_login(world.coordinator)
    body = client.get(f"/api/v1/studies/{world.study.pk}/covariates/").content.decode()
    assert "ZEBRAFINCH" in body and "987.654" in body
    stats = client.get(f"/api/v1/studies/{world.study.pk}/statistics/").content.decode()
    assert "secretcolumn_xyz" in stats
