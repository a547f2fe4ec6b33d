"""De-identification on ingest and the pseudonym map's audience (SPEC §8).

No PHI value survives in the stored ``source.dcm``; the original-to-pseudonym map is shown to
the study's coordinators only — readers and adjudicators get 404 and never see a PHI value in
any pullback answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adjudication import storage
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Pullback
from adjudication.services.assignment import pullback_assign_readers
from tests import uploads


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def ingested(world: Any, media: Path, tmp_path: Path) -> tuple[Any, dict]:
    path = tmp_path / "DOE_JANE.dcm"
    truth = make_synthetic_pullback(
        path,
        n_frames=4,
        rows=64,
        columns=64,
        encoding="jpeg_baseline",
        patient_name="DOE^JANE^Q",
        patient_id="MRN-99887766",
    )
    pullback = uploads.ingested(
        world.study, world.coordinator, path, frame_files=False, subject_code="S-0042"
    )
    assert pullback.status == "ready", pullback.error
    return pullback, truth


def phi_values(truth: dict) -> list[str]:
    values = [v for v in truth["phi"].values() if len(v) >= 4]  # "F" is in any file
    values += ["DOE", "JANE", truth["sop_instance_uid"]]
    return values


def test_no_phi_value_survives_in_the_stored_dicom(ingested: Any) -> None:
    pullback, truth = ingested
    data = storage.source_path(pullback).read_bytes()
    for value in phi_values(truth):
        assert value.encode() not in data, value
    assert not storage.upload_path(pullback).exists()  # the original is gone


def test_coordinator_sees_the_pseudonym_map(world: Any, api: Any, ingested: Any) -> None:
    pullback, truth = ingested
    r = api(world.coordinator).get(f"/api/v1/pullbacks/{pullback.pk}/pseudonyms/")
    assert r.status_code == 200
    mapping = r.json()["mapping"]
    assert mapping["DOE^JANE^Q"] == "S-0042" and mapping["MRN-99887766"] == "S-0042"
    assert truth["sop_instance_uid"] in mapping  # original UID → its replacement


@pytest.mark.parametrize("persona", ["reader_a", "reader_b", "adjudicator", "other_reader"])
def test_readers_and_adjudicators_never_see_the_pseudonym_map_or_phi(
    world: Any, api: Any, ingested: Any, persona: str
) -> None:
    pullback, truth = ingested
    pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    if persona == "adjudicator":  # an adjudicator sees the pullback once it is flagged
        Pullback.objects.filter(pk=pullback.pk).update(status="flagged")
    client = api(getattr(world, persona))
    assert client.get(f"/api/v1/pullbacks/{pullback.pk}/pseudonyms/").status_code == 404
    detail = client.get(f"/api/v1/pullbacks/{pullback.pk}/")
    assert detail.status_code == (404 if persona == "other_reader" else 200)
    for value in [*phi_values(truth), "DOE_JANE.dcm"]:
        assert value not in detail.content.decode(), value
