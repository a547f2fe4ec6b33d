"""The whole study loop past the readers, in the browser: adjudicate, sign, consensus, export.

Set-up through the services (the coordinator's console pages for study creation, members,
upload and assignment are driven in the browser by ``test_coordinator_console.py``): a study,
two analysts and an adjudicator; a synthetic pullback ingested by a real Celery worker; two
reads that disagree on lumen, calcium and malapposition, saved and signed through the API
(``PUT annotations``, ``POST submit`` with the password). The worker compares them and opens the
adjudication. Then Debian's Chromium: the adjudicator compares the reads in the viewer, resolves
lumen with their own annotation (drawn on the phantom's ground truth), calcium with Reader 1 and
malapposition with Reader 2, and signs; the worker writes the consensus, which the page shows with
its sources. The coordinator downloads the pullback CSV from the console and finds the chosen
reads' values and sources in it, and sees the Bland-Altman plots.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.domain.geometry import polygon_area
from adjudication.models import Adjudication, AdjudicationDraft, Pullback, Read, ReadMetrics
from adjudication.models.reading import ReadKind
from adjudication.services import assignment, studies
from tests.e2e.conftest import sign_in
from tests.e2e.reading import open_in_viewer, painted, until
from tests.factories import PASSWORD, UserFactory
from tests.integration.workers import running_worker
from tests.uploads import uploaded

pytestmark = pytest.mark.e2e

N_FRAMES = 60
SIZE = 384
PIXEL_SPACING_MM = 0.02
# Reader 2 traces every lumen 15 % closer to the catheter centre: 28 % less area (the lumen
# group flags at 10 %), and the struts then lie behind the wall (no malapposition: the
# malapposition group flags); Reader 2's calcium arcs run the other way round (the calcium
# group flags on the arc).
READER_2_SCALE = 0.6
# The adjudicator clicks every 4th of the phantom's 64 lumen points (within ~0.5 CSS px, see
# test_reader_completes_a_read); the spline through 16 clicks is within 2 % of the true area.
OWN_LUMEN_STEP = 4
OWN_AREA_REL_TOL = 0.02
_NO_DRAFT = AdjudicationDraft(annotations=None)


@pytest.fixture
def worker(transactional_db: Any, tmp_path: Path) -> Iterator[Any]:
    with running_worker(tmp_path / "worker.log") as proc:
        yield proc


def _wait_db(check: Any, what: str, timeout_s: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)
    return value


def _scaled(points: list[list[float]], centre: list[float], k: float) -> list[list[float]]:
    return [[centre[0] + k * (x - centre[0]), centre[1] + k * (y - centre[1])] for x, y in points]


def _half_arc(calcium: dict[str, Any]) -> dict[str, Any]:
    """The same calcium with its arc ending halfway: seen from the same centre, same radius."""
    (x1, y1), (x2, y2) = calcium["arc"]
    cx, cy = calcium["center"]
    start = math.atan2(y1 - cy, x1 - cx)
    span = (math.atan2(y2 - cy, x2 - cx) - start) % (2 * math.pi)
    radius = math.hypot(x1 - cx, y1 - cy)
    end = start + span / 2
    halfway = [cx + radius * math.cos(end), cy + radius * math.sin(end)]
    return {**calcium, "arc": [calcium["arc"][0], halfway]}


def _documents(truth: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """Reader 1 annotates the truth on every 5th stented frame and on the malapposed ones;
    Reader 2 the same frames, traced differently: every lumen closer to the catheter centre
    (READER_2_SCALE: less area, and the struts then lie behind the wall, so no malapposition),
    every calcium arc only half as wide."""
    stent = truth["stent"]
    inside = range(stent["distal_frame"] + 1, stent["proximal_frame"])
    malapposed = [f for f in inside if truth["frames"][str(f)].get("malapposed_strut_count")]
    frames = sorted({*inside[1::5], *malapposed[::2]})
    centre = truth["catheter_center"]
    doc_a: dict[str, Any] = {
        "stent": stent,
        "calcium_segments": truth["calcium_segments"],
        "frames": {},
    }
    doc_b: dict[str, Any] = {
        "stent": stent,
        "calcium_segments": truth["calcium_segments"],
        "frames": {},
    }
    for f in frames:
        t = truth["frames"][str(f)]
        a: dict[str, Any] = {"lumen": t["lumen"]}
        b: dict[str, Any] = {"lumen": _scaled(t["lumen"], centre, READER_2_SCALE)}
        if t.get("struts"):
            a["struts"] = b["struts"] = t["struts"]
        if t.get("calcium"):
            a["calcium"] = t["calcium"]
            b["calcium"] = [_half_arc(c) for c in t["calcium"]]
        doc_a["frames"][str(f)] = a
        doc_b["frames"][str(f)] = b
    return doc_a, doc_b, frames


@pytest.fixture
def flagged(worker: Any, tmp_path: Path) -> dict[str, Any]:
    """A study whose one pullback the worker has ingested, compared and sent to adjudication."""
    coord, ana, ben, senior = (
        UserFactory(username=name) for name in ["coord", "ana", "ben", "senior"]
    )
    coord.user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    study = studies.study_create(actor=coord, name="Adjudication e2e", code="adj-e2e")
    for username, role in [("ana", "analyst"), ("ben", "analyst"), ("senior", "adjudicator")]:
        studies.study_add_member(study=study, actor=coord, username=username, role=role)
    path = tmp_path / "pullback.dcm"
    truth = make_synthetic_pullback(
        path, n_frames=N_FRAMES, rows=SIZE, columns=SIZE, seed=5, pixel_spacing_mm=PIXEL_SPACING_MM
    )
    # The worker ingests it (on commit of the upload).
    pullback = uploaded(study, coord, path, subject_code="S-0042", lesion="LAD")
    _wait_db(lambda: Pullback.objects.filter(pk=pullback.pk, status="ready").exists(), "the ingest")
    pullback.refresh_from_db()
    read_a, read_b = assignment.pullback_assign_readers(
        pullback=pullback, actor=coord, usernames=["ana", "ben"]
    )
    doc_a, doc_b, frames = _documents(truth)
    # Each reader saves and signs through the API, as any client would.
    for read, user, doc in [(read_a, ana, doc_a), (read_b, ben, doc_b)]:
        client = APIClient()
        client.force_authenticate(user)
        saved = client.put(
            f"/api/v1/reads/{read.pk}/annotations/",
            {"version": 1, "annotations": doc},
            format="json",
        )
        assert saved.status_code == 200, saved.content
        submitted = client.post(
            f"/api/v1/reads/{read.pk}/submit/",
            {"password": PASSWORD, "allow_incomplete": True, "reason": "partial test read"},
            format="json",
        )
        assert submitted.status_code == 200, submitted.content
    # Both submitted: the worker computes both reads' metrics, compares, opens the adjudication.
    adjudication = _wait_db(
        lambda: Adjudication.objects.filter(pullback=pullback).first(), "the adjudication"
    )
    groups = set(adjudication.flags.values_list("group", flat=True))
    assert {"lumen", "calcium", "malapposition"} <= groups, groups
    return {
        "study": study,
        "pullback": pullback,
        "adjudication": adjudication,
        "truth": truth,
        "groups": groups,
        "reads": (read_a, read_b),
        "originals": (doc_a, doc_b),
        "frames": frames,
    }


def _click_image(page: Any, point: list[float], pane: int = 0) -> None:
    x, y = page.evaluate(
        "([x, y, pane]) => window.__adjudicationViewer.imageToPage(x, y, pane)", [*point, pane]
    )
    page.mouse.click(x, y)


def _fill_decisions(page: Any, sources: dict[str, str]) -> None:
    for group, source in sources.items():
        page.check(f"input[name='source-{group}'][value='{source}']")
        page.fill(f"#reason-{group}", f"{group}: {source} matches the image")
    page.fill("#id_password", PASSWORD)


def test_adjudicator_resolves_by_reader_1_reader_2_and_own_annotation_and_the_coordinator_exports_it(  # noqa: C901
    page: Any, flagged: dict[str, Any], tmp_path: Path
) -> None:
    adjudication = flagged["adjudication"]
    truth = flagged["truth"]
    read_a, read_b = flagged["reads"]
    url = f"/adjudications/{adjudication.pk}/"
    open_in_viewer(page, "senior", url)
    assert page.evaluate("() => window.__viewerStats.viewport").startswith("cornerstone")
    html = page.content()
    assert "ana" not in page.locator("#adjudication-viewer").inner_text()  # blinded labels only
    assert "Reader 1" in html and "Reader 2" in html

    # Both reads on the same frame, in their colours, with a legend; then side by side.
    assert page.evaluate("() => window.__adjudicationViewer.panes()") == [["reader1", "reader2"]]
    assert page.locator(".ad-legend li[data-layer=reader1]").inner_text().startswith("Reader 1")
    assert page.locator(".ad-legend li[data-layer=reader2]").inner_text().startswith("Reader 2")
    page.get_by_role("button", name="Side by side").click()
    until(page, "() => window.__adjudicationViewer.panes().length === 2")
    assert page.evaluate("() => window.__adjudicationViewer.panes()") == [["reader1"], ["reader2"]]
    assert page.locator(".ad-pane:not([hidden]) .vw-overlay").count() == 2

    # A frame link of the lumen flags jumps the viewer to that frame and brings it into view.
    mla_frame = ReadMetrics.objects.get(read=read_a).mla_frame
    page.mouse.wheel(0, 3000)  # the form, below the viewer
    page.locator(f"#flags .frame-link[data-group=lumen][data-frame='{mla_frame}']").first.click()
    until(page, f"() => window.__adjudicationViewer.frame() === {mla_frame}")
    box = page.locator("#adjudication-viewer").bounding_box()
    assert box is not None and box["y"] < 100  # scrolled into view
    # The per-frame comparison shows the readers' lumen areas differ on this frame.
    assert page.locator(".ad-compare-table tr[data-row=lumen_area].is-different").count() == 1
    page.screenshot(path=str(tmp_path / "adjudication-side-by-side.png"))
    page.get_by_role("button", name="Overlay").click()
    until(page, "() => window.__adjudicationViewer.panes().length === 1")

    # Choosing "my own annotation" before drawing one says so at once, and holds the form back.
    sources = {g: "reader_a" for g in flagged["groups"]}
    sources.update({"lumen": "adjudicator", "calcium": "reader_a", "malapposition": "reader_b"})
    _fill_decisions(page, sources)
    assert page.locator(".wb-own-missing[data-group=lumen]").is_visible()
    page.get_by_role("button", name="Sign the decisions").click()
    assert page.locator("#own-missing-summary").is_visible()
    assert Adjudication.objects.get(pk=adjudication.pk).status == "open"

    # My own annotation: start empty, draw the true lumen of the MLA frame (every 4th point).
    page.locator(".ad-start button[data-start=empty]").click()
    assert page.locator(".vw-tool[data-tool=lumen]").get_attribute("aria-pressed") == "true"
    page.evaluate(f"() => window.__adjudicationViewer.goTo({mla_frame})")
    until(page, f"() => window.__adjudicationViewer.frame() === {mla_frame}")
    own_points = truth["frames"][str(mla_frame)]["lumen"][::OWN_LUMEN_STEP]
    for point in own_points:
        _click_image(page, point)
    page.keyboard.press("Enter")
    own = page.evaluate("() => window.__adjudicationViewer.ownDocument()")
    assert len(own["frames"][str(mla_frame)]["lumen_ctrl"]) == len(own_points)
    # Saved on the server as the adjudicator's draft (versioned, audited, never shown to readers).
    _wait_db(
        lambda: (
            str(mla_frame)
            in (
                (
                    AdjudicationDraft.objects.filter(adjudication=adjudication).first() or _NO_DRAFT
                ).annotations
                or {}
            ).get("frames", {})
        ),
        "the server-side draft",
    )
    assert page.locator(".wb-own-missing[data-group=lumen]").count() == 0  # message gone
    assert page.evaluate("() => window.__adjudicationViewer.panes()") == [
        ["reader1", "reader2", "own"]
    ]
    page.screenshot(path=str(tmp_path / "adjudication-own-annotation.png"))

    # A reload keeps it (sessionStorage, keyed by the adjudication).
    page.reload()
    painted(page)
    assert page.evaluate("() => window.__adjudicationViewer.ownDocument()") == own

    # Sign: lumen from my annotation, calcium from Reader 1, malapposition from Reader 2.
    _fill_decisions(page, sources)
    page.get_by_role("button", name="Sign the decisions").click()
    page.wait_for_selector(".message-success")
    # The worker writes the consensus; the page notices and reloads on its own.
    page.wait_for_selector("#consensus", timeout=60_000)
    own_read = Read.objects.get(pullback=flagged["pullback"], kind=ReadKind.ADJUDICATOR)
    assert own_read.annotations == own
    metrics_a = ReadMetrics.objects.get(read=read_a)
    metrics_b = ReadMetrics.objects.get(read=read_b)
    metrics_own = ReadMetrics.objects.get(read=own_read)
    # The own lumen is the spline through every 4th truth point (issue 10): it measures the
    # true lumen, where the straight polygon through the same clicks would read ~2.5 % low.
    truth_lumen = truth["frames"][str(mla_frame)]["lumen"]
    truth_area_mm2 = polygon_area([tuple(p) for p in truth_lumen]) * PIXEL_SPACING_MM**2
    assert metrics_own.mla_mm2 == pytest.approx(truth_area_mm2, rel=OWN_AREA_REL_TOL)
    row = page.locator("#consensus tr[data-metric=mla_mm2]")
    assert row.locator(".wb-source").inner_text() == "Adjudicator"
    assert page.locator(
        "#consensus tr[data-metric=calcium_max_arc_deg] .wb-source"
    ).inner_text() == ("Reader 1")
    assert page.locator(
        "#consensus tr[data-metric=max_malapposition_um] .wb-source"
    ).inner_text() == ("Reader 2")
    # Resolved: read-only, the adjudicator's stored document is the third layer.
    painted(page)
    assert page.locator(".ad-legend li[data-layer=own]").inner_text().startswith("Adjudicator")
    assert page.evaluate("() => window.__adjudicationViewer.panes()") == [
        ["reader1", "reader2", "own"]
    ]
    assert page.locator(".vw-tool").count() == 0
    # Readers' originals never change.
    read_a.refresh_from_db()
    read_b.refresh_from_db()
    assert (read_a.annotations, read_b.annotations) == flagged["originals"]
    page.screenshot(path=str(tmp_path / "adjudication-consensus.png"), full_page=True)
    assert page.errors == []

    # The coordinator downloads the pullback-level CSV from the console's exports page.
    page.context.clear_cookies()
    sign_in(page, "coord", PASSWORD)
    study = flagged["study"]
    page.goto(f"/studies/{study.pk}/exports/")
    with page.expect_download() as info:
        page.locator("#exports tr[data-level=pullback] a.download", has_text="CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r.get("mla_mm2_source")]
    assert len(rows) == 1, text[:500]
    exported = rows[0]
    expected = {
        "mla_mm2": ("adjudicator", metrics_own.mla_mm2),
        "mla_frame": ("adjudicator", metrics_own.mla_frame),
        "calcium_max_arc_deg": ("reader_a", metrics_a.calcium_max_arc_deg),
        "calcium_max_thickness_mm": ("reader_a", metrics_a.calcium_max_thickness_mm),
        "max_malapposition_um": ("reader_b", metrics_b.max_malapposition_um),
        "malapposed_strut_count": ("reader_b", metrics_b.malapposed_strut_count),
    }
    for metric, (source, value) in expected.items():
        assert exported[f"{metric}_source"] == source, metric
        assert value is not None, metric
        assert float(exported[metric]) == pytest.approx(float(value), rel=1e-3, abs=1e-3), metric
    # The chosen sources really differ from the alternatives (the test would notice a mix-up).
    assert not math.isclose(metrics_a.mla_mm2, metrics_b.mla_mm2, rel_tol=0.05)
    assert metrics_a.max_malapposition_um != metrics_b.max_malapposition_um

    # The agreement page draws a Bland-Altman plot (server-rendered SVG) with the pair.
    page.goto(f"/studies/{study.pk}/agreement/")
    plot = page.locator("svg.bland-altman[data-metric=mla_mm2]")
    assert plot.count() == 1
    assert plot.locator("circle.ba-point").count() == 1
    page.screenshot(path=str(tmp_path / "agreement.png"), full_page=True)
    assert page.errors == []
