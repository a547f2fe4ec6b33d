"""``auto_accepted_pct`` (SPEC §11): measured per read, exported, shown in agreement."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from django.test import Client

from adjudication.models import Read, ReadMetrics
from tests.conftest import sample_document
from tests.metrics_pipeline.pipeline import read_and_compare


def with_sources(doc: dict, auto_frames: int) -> dict:
    """``doc`` with the first ``auto_frames`` lumen contours accepted unedited, the next one
    edited, the rest drawn by hand."""
    doc = copy.deepcopy(doc)
    for i, key in enumerate(sorted(doc["frames"], key=int)):
        source = "auto" if i < auto_frames else "auto_edited" if i == auto_frames else "manual"
        doc["frames"][key]["source"] = {"lumen": source}
    return doc


def test_auto_accepted_pct_is_measured_exported_and_shown_in_agreement(
    world: Any, api: Any
) -> None:
    base = sample_document(150)
    n = len(base["frames"])  # 17 lumen contours
    # Three pullbacks read alike: agreement statistics are undefined below n = 3 (SPEC §7).
    pullbacks = [
        read_and_compare(world, with_sources(base, n), with_sources(base, 5)) for _ in range(3)
    ]
    pullback = pullbacks[0]
    values = {
        read.slot: ReadMetrics.objects.get(read=read).auto_accepted_pct
        for read in Read.objects.filter(pullback=pullback)
    }
    assert values[1] == 100.0
    assert abs(values[2] - 100 * 5 / n) < 1e-9

    agreement = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/agreement/")
    entry = agreement.json()["metrics"]["auto_accepted_pct"]
    assert entry["n"] == 3 and abs(entry["bias"] - (100 - 100 * 5 / n)) < 1e-6

    export = api(world.coordinator).get(
        f"/api/v1/studies/{world.study.pk}/export/?format=csv&level=reader"
    )
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(round(float(r["auto_accepted_pct"]), 3) for r in rows) == sorted(
        round(v, 3) for v in values.values() for _ in pullbacks
    )

    browser = Client()
    browser.force_login(world.coordinator)
    page = browser.get(f"/studies/{world.study.pk}/agreement/").content.decode()
    assert 'data-metric="auto_accepted_pct"' in page
    assert 'id="auto-accepted-note"' in page
