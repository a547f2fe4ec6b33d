"""``manage.py study_statistics`` on the app's exported files gives the app's statistics.json."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from adjudication.models import StudyStatistics
from adjudication.tasks import study_compute_statistics

from .cohort import cohort, to_csv
from .planting import plant_consensus

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lesions", [1, 2])
def test_the_command_on_exported_files_writes_the_apps_statistics_json(
    world: Any, api: Any, tmp_path: Path, lesions: int
) -> None:
    consensus, clinical = cohort(70, seed=23, lesions_per_subject=lesions)
    # A pre-procedure pullback per few subjects: both sides must filter it out the same way.
    consensus += [dict(r, timepoint="pre") for r in consensus[:5]]
    plant_consensus(world.study, consensus)
    client = api(world.coordinator)
    clinical_csv = to_csv(clinical, yes_no=True)
    r = client.post(
        f"/api/v1/studies/{world.study.pk}/covariates/",
        {"file": io.BytesIO(clinical_csv.encode())},
        format="multipart",
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/studies/{world.study.pk}/statistics/",
        {"predictor_rule": "univariable_p_lt"},
        format="json",
    )
    row = StudyStatistics.objects.get(study=world.study)
    study_compute_statistics(study_pk=world.study.pk, generation=row.generation)
    app_json = client.get(f"/api/v1/studies/{world.study.pk}/statistics/download/?format=json")
    assert app_json.status_code == 200

    export = client.get(f"/api/v1/studies/{world.study.pk}/export/?format=csv&level=pullback")
    (tmp_path / "consensus.csv").write_bytes(export.content)
    (tmp_path / "clinical.csv").write_text(clinical_csv)
    settings = json.loads(app_json.content)["settings"]
    call_command(
        "study_statistics",
        "--consensus",
        str(tmp_path / "consensus.csv"),
        "--clinical",
        str(tmp_path / "clinical.csv"),
        "--out",
        str(tmp_path / "out"),
        "--options",
        json.dumps(settings),
        stdout=io.StringIO(),
    )
    written = (tmp_path / "out" / "statistics.json").read_bytes()
    assert written == app_json.content
    document = json.loads(written)
    expected_model = "gee_exchangeable" if lesions == 2 else "logit"
    assert document["outcomes"]["sm_significant"]["model"] == expected_model
    assert document["n_pullbacks"] == 70 * lesions
    assert (tmp_path / "out" / "statistics.xlsx").stat().st_size > 0
    assert (tmp_path / "out" / "figures" / "forest-sm_significant.svg").exists()
    assert (tmp_path / "out" / "figures" / "km-sm_significant-mace.png").exists()


def test_the_command_names_bad_rows(tmp_path: Path) -> None:
    (tmp_path / "consensus.csv").write_text("subject_code,sm_significant\nS-1,maybe\n")
    with pytest.raises(CommandError, match="row 2, sm_significant"):
        call_command(
            "study_statistics",
            "--consensus",
            str(tmp_path / "consensus.csv"),
            "--out",
            str(tmp_path / "out"),
        )
