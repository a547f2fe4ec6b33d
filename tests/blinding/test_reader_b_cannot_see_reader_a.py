"""Blinding: reader B finds no trace of reader A anywhere B can reach."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Read
from tests.conftest import sample_document
from tests.metrics_pipeline.pipeline import submit_and_compare
from tests.uploads import ingested

MARKER_X = 311.123456789  # a coordinate only reader A's document contains


def _doc_a() -> dict:
    doc = sample_document(150)
    doc["frames"]["60"]["struts"].append([MARKER_X, 256.0])
    return doc


@pytest.fixture
def both_submitted(world: Any, tmp_path: Any) -> dict[str, Any]:
    # A real ingested DICOM carrying PHI, so the probe can look for it too.
    path = tmp_path / "JANE-DOE-pullback.dcm"  # its name is uploaded too
    truth = make_synthetic_pullback(path, n_frames=130, rows=512, columns=512, seed=11)
    pullback = ingested(
        world.study, world.coordinator, path, frame_files=False, subject_code="S-0042"
    )
    assert pullback.status == "ready", pullback.error
    a, b = submit_and_compare(world, pullback, _doc_a(), sample_document(110))
    assert pullback.status == "flagged"
    return {
        "pullback": pullback,
        "a": Read.objects.get(pk=a.pk),
        "b": Read.objects.get(pk=b.pk),
        "phi": truth["phi"],
    }


def test_reader_b_gets_404_for_every_endpoint_of_reader_a_read(
    world: Any, both_submitted: Any, api: Any
) -> None:
    a = both_submitted["a"]
    client = api(world.reader_b)
    assert client.get(f"/api/v1/reads/{a.pk}/").status_code == 404
    assert (
        client.put(
            f"/api/v1/reads/{a.pk}/annotations/", {"version": 1, "annotations": {}}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/reads/{a.pk}/submit/", {}, format="json").status_code == 404
    client.force_login(world.reader_b)
    assert client.get(f"/reads/{a.pk}/").status_code == 404


def test_reader_b_finds_no_trace_of_reader_a_in_any_response(
    world: Any, both_submitted: Any, api: Any
) -> None:
    a, b, pullback = both_submitted["a"], both_submitted["b"], both_submitted["pullback"]
    client = api(world.reader_b)
    client.force_login(world.reader_b)
    urls = [
        "/api/v1/me/",
        "/api/v1/reads/",
        f"/api/v1/reads/{b.pk}/",
        f"/api/v1/reads/{a.pk}/",
        f"/api/v1/pullbacks/{pullback.pk}/",
        "/api/v1/studies/",
        f"/api/v1/studies/{world.study.pk}/",
        f"/api/v1/studies/{world.study.pk}/consensus/",
        f"/api/v1/studies/{world.study.pk}/export/?format=csv",
        f"/api/v1/studies/{world.study.pk}/agreement/",
        f"/api/v1/audit/?study={world.study.pk}",
        "/api/v1/adjudications/",
        f"/api/v1/adjudications/{pullback.adjudication.pk}/",
        "/",
        f"/reads/{b.pk}/",
        f"/adjudications/{pullback.adjudication.pk}/",
        f"/studies/{world.study.pk}/",
        "/api/schema/",
        "/admin/",
        f"/admin/adjudication/read/{a.pk}/change/",
        f"/api/v1/pullbacks/{pullback.pk}/frames/0",
        "/api/v1/reads/999999/",
    ]
    a_metrics = a.metrics.values()
    secrets = {
        "reader A's username": "reader_a",
        "reader A's annotation marker": "311.123456",
        "reader A's read URL": f"/reads/{a.pk}/",
        "reader A's MLA": repr(a_metrics["mla_mm2"])[:8],
        "the original file name": "JANE-DOE",
    }
    # Every PHI value the original DICOM carried (names, IDs, dates, institution …).
    for keyword, value in both_submitted["phi"].items():
        if isinstance(value, str) and len(value) >= 4:
            secrets[f"PHI {keyword}"] = value
    for url in urls:
        response = client.get(url)
        body = response.content.decode("utf-8", errors="replace")
        for what, secret in secrets.items():
            if url == f"/api/v1/reads/{a.pk}/" and what == "reader A's read URL":
                continue  # the URL we asked for is not a leak
            assert secret not in body, f"{what} leaked through {url}"
        if response.headers.get("Content-Type", "").startswith("application/json"):
            data = json.loads(body)
            if isinstance(data, dict) and "results" in data:
                assert all(
                    item.get("id") != a.pk for item in data["results"] if "annotations" in item
                )


def test_reader_sees_reading_not_the_other_readers_progress_or_outcome(
    world: Any, both_submitted: Any, api: Any
) -> None:
    pullback = both_submitted["pullback"]
    body = api(world.reader_b).get(f"/api/v1/pullbacks/{pullback.pk}/").json()
    assert body["status"] == "reading"  # the real state is "flagged"
    assert "subject_code" not in body and "timepoint" not in body


def test_adjudicator_sees_both_reads_only_as_reader_1_and_reader_2(
    world: Any, both_submitted: Any, api: Any
) -> None:
    adjudication = both_submitted["pullback"].adjudication
    r = api(world.adjudicator).get(f"/api/v1/adjudications/{adjudication.pk}/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "reader_a" not in body and "reader_b" not in body
    assert [x["label"] for x in r.json()["reads"]] == ["Reader 1", "Reader 2"]


def test_a_reader_of_the_pullback_cannot_see_its_adjudication(
    world: Any, both_submitted: Any, api: Any
) -> None:
    adjudication = both_submitted["pullback"].adjudication
    assert api(world.reader_a).get(f"/api/v1/adjudications/{adjudication.pk}/").status_code == 404
    assert (
        api(world.other_reader).get(f"/api/v1/adjudications/{adjudication.pk}/").status_code == 404
    )
