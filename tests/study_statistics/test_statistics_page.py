"""The coordinator's statistics page: upload, options, Table 1 / Table 2, figures, downloads."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from adjudication.models import StudyStatistics
from adjudication.tasks import study_compute_statistics

from .cohort import cohort, to_csv
from .planting import plant_consensus

pytestmark = pytest.mark.django_db


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(world: Any) -> str:
    return f"/studies/{world.study.pk}/statistics/"


def run_pending(world: Any) -> StudyStatistics:
    row = StudyStatistics.objects.get(study=world.study)
    study_compute_statistics(study_pk=world.study.pk, generation=row.generation)
    row.refresh_from_db()
    return row


@pytest.fixture
def computed(world: Any) -> StudyStatistics:
    consensus, clinical = cohort(80, seed=41)
    plant_consensus(world.study, consensus)
    page = browser(world.coordinator)
    r = page.post(
        url(world),
        {"action": "upload", "file": SimpleUploadedFile("crf.csv", to_csv(clinical).encode())},
    )
    assert r.status_code == 302
    return run_pending(world)


def test_the_page_lays_out_table_1_table_2_roc_survival_and_figures(
    world: Any, computed: StudyStatistics
) -> None:
    html = browser(world.coordinator).get(url(world)).content.decode()
    assert "Table 1. Characteristics by significant stent malapposition" in html
    assert "Table 2. Univariable and multivariable predictors" in html
    block = computed.result["outcomes"]["sm_significant"]
    diabetes = block["univariable"]["diabetes"]
    row = re.search(r'data-predictor="diabetes">(.*?)</tr>', html, re.S).group(1)
    assert f"{diabetes['or']:.2f}" in row
    assert f"{diabetes['ci_low']:.2f}–{diabetes['ci_high']:.2f}" in row
    assert "mean ± SD" in html and "median [IQR]" in html
    assert "ROC analysis" in html and "Log-rank p" in html
    assert f"/api/v1/studies/{world.study.pk}/statistics/figures/forest-sm_significant.svg" in html
    assert "statistics.json" in html and "format=xlsx" in html


def test_a_bad_covariate_file_shows_every_bad_row_and_stores_nothing(world: Any) -> None:
    plant_consensus(world.study, cohort(10, seed=1)[0])
    text = "subject_code,age\nS-0001,sixty\nS-0002,61\nS-0003,62\nS-0404,70\n"
    r = browser(world.coordinator).post(
        url(world), {"action": "upload", "file": SimpleUploadedFile("bad.csv", text.encode())}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "Nothing was stored" in html
    assert "row 2, age" in html and "row 5, subject_code" in html
    assert not StudyStatistics.objects.filter(study=world.study).exists()


def test_the_coordinator_picks_the_reference_studys_p_rule(
    world: Any, computed: StudyStatistics
) -> None:
    r = browser(world.coordinator).post(
        url(world),
        {
            "action": "run",
            "predictor_rule": "univariable_p_lt",
            "entry_p": "0.1",
            "timepoint": "post",
        },
    )
    assert r.status_code == 302
    row = run_pending(world)
    block = row.result["outcomes"]["sm_significant"]
    entered = {t.split("[")[0] for t, v in block["univariable"].items() if v and v["p"] < 0.1}
    assert set(block["multivariable_predictors"]) == entered


def test_the_coordinator_chooses_predictors(world: Any, computed: StudyStatistics) -> None:
    r = browser(world.coordinator).post(
        url(world),
        {
            "action": "run",
            "predictor_rule": "chosen",
            "predictors": ["calcium_max_arc_deg", "age"],
            "entry_p": "0.1",
            "timepoint": "post",
        },
    )
    assert r.status_code == 302
    row = run_pending(world)
    assert row.result["outcomes"]["sm_significant"]["multivariable_predictors"] == [
        "calcium_max_arc_deg",
        "age",
    ]


@pytest.mark.parametrize("persona", ["reader_a", "adjudicator", "outsider", "other_reader"])
def test_only_the_coordinator_reaches_the_page(
    world: Any, computed: StudyStatistics, persona: str
) -> None:
    page = browser(getattr(world, persona))
    assert page.get(url(world)).status_code == 404
    assert page.post(url(world), {"action": "run"}).status_code == 404


def test_the_console_navigation_links_the_page(world: Any) -> None:
    html = browser(world.coordinator).get(f"/studies/{world.study.pk}/").content.decode()
    assert f'href="{url(world)}"' in html
