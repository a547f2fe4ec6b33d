"""A coordinator uploads covariates in the browser, the worker computes the statistics, and
the page shows Table 1, Table 2 and figures that the browser can load (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adjudication.models import StudyStatistics
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD
from tests.integration.workers import running_worker
from tests.study_statistics.cohort import cohort, to_csv
from tests.study_statistics.planting import plant_consensus

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker(transactional_db: Any, tmp_path: Path) -> Iterator[Any]:
    with running_worker(tmp_path / "worker.log") as proc:
        yield proc


def test_coordinator_uploads_covariates_and_reads_the_tables_and_figures(
    page: Any, world: Any, worker: Any, tmp_path: Path
) -> None:
    consensus, clinical = cohort(150, seed=5)
    plant_consensus(world.study, consensus)
    crf = tmp_path / "crf.csv"
    crf.write_text(to_csv(clinical, yes_no=True))
    sign_in(page, "coordinator", PASSWORD)
    page.goto(f"/studies/{world.study.pk}/")
    page.click("nav.console-nav >> text=Statistics")
    page.set_input_files("#covariates-form input[type=file]", str(crf))
    page.click("#covariates-form button[type=submit]")
    page.wait_for_selector("text=Covariates stored")
    for _ in range(120):
        if StudyStatistics.objects.filter(study=world.study, status="done").exists():
            break
        page.wait_for_timeout(500)
    page.reload()
    row = page.locator('table.table2 tr[data-predictor="diabetes"]')
    result = StudyStatistics.objects.get(study=world.study).result
    diabetes = result["outcomes"]["sm_significant"]["univariable"]["diabetes"]
    assert f"{diabetes['or']:.2f}" in row.first.inner_text()
    images = page.locator("#outcome-sm_significant .figures img")
    assert images.count() >= 3
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=images.nth(i).element_handle()
        )
    page.screenshot(path=str(tmp_path / "statistics-page.png"), full_page=True)
    assert page.errors == []
