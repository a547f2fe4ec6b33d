"""Read-outs of the console: progress dashboard, agreement with Bland-Altman SVGs, audit log."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from adjudication.models import Adjudication, AuditEvent, Flag, Read, ReadMetrics
from adjudication.services import studies
from tests.factories import PullbackFactory, ReadFactory

MLA = [(5.0, 5.2), (6.1, 6.0), (4.4, 4.9), (7.0, 6.6), (5.5, 5.5)]


@pytest.fixture
def compared(world: Any) -> list[Any]:
    """Five pullbacks whose two reads are submitted with metrics; msa missing on one."""
    pullbacks = []
    now = timezone.now()
    for i, (a, b) in enumerate(MLA):
        pullback = PullbackFactory(study=world.study, status="consensus")
        for slot, reader, value in [(1, world.reader_a, a), (2, world.reader_b, b)]:
            read = ReadFactory(pullback=pullback, reader=reader, slot=slot, status="submitted")
            Read.objects.filter(pk=read.pk).update(
                created_at=now - dt.timedelta(minutes=30 + 10 * i), submitted_at=now
            )
            ReadMetrics.objects.create(
                read=read,
                mla_mm2=value,
                msa_mm2=None if i == 0 else value + 1,
                sm_present=bool(i % 2),
            )
        pullbacks.append(pullback)
    adjudication = Adjudication.objects.create(pullback=pullbacks[2])
    Flag.objects.create(adjudication=adjudication, metric="mla_mm2", group="lumen", a=4.4, b=4.9)
    return pullbacks


def test_coordinator_sees_pullbacks_per_state_and_reader_workloads(
    world: Any, compared: Any, browser_as: Any
) -> None:
    PullbackFactory(study=world.study, status="ready")
    open_pullback = PullbackFactory(study=world.study, status="reading")
    ReadFactory(pullback=open_pullback, reader=world.reader_a, slot=1)
    response = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/")
    counts = dict(response.context["state_counts"])
    assert (counts["consensus"], counts["ready"], counts["reading"], counts["failed"]) == (
        5,
        1,
        1,
        0,
    )
    loads = {load.username: load for load in response.context["loads"]}
    assert (loads["reader_a"].open_reads, loads["reader_a"].finished_reads) == (1, 5)
    assert (loads["reader_b"].open_reads, loads["reader_b"].finished_reads) == (0, 5)
    # Time per read: submitted − assigned, medians of 30..70 minutes.
    assert loads["reader_a"].median_read == "50 min 00 s"
    assert response.context["median_read"] == "50 min 00 s"
    assert "adjudicator" not in loads  # never listed as a reader


def test_dashboard_shows_the_flag_rate_per_metric(
    world: Any, compared: Any, browser_as: Any
) -> None:
    response = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/")
    rates = dict(response.context["flag_rates"])
    assert rates["mla_mm2"] == "20 %"  # one flag over five compared pullbacks
    assert rates["msa_mm2"] == "0 %"
    assert rates["mla_frame"] == "0 %"  # frame positions are compared (SPEC §6)
    assert "strut_count" not in rates  # not a compared metric


def test_dashboard_shows_the_assignment_of_recent_pullbacks(world: Any, browser_as: Any) -> None:
    pullback = PullbackFactory(study=world.study, status="reading")
    ReadFactory(pullback=pullback, reader=world.reader_a, slot=1)
    ReadFactory(pullback=pullback, reader=world.reader_b, slot=2)
    html = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/").content.decode()
    row = re.search(rf'<tr data-pullback="{pullback.pk}">.*?</tr>', html, re.S).group(0)
    assert "Reader 1: reader_a" in row and "Reader 2: reader_b" in row


def test_agreement_page_has_the_per_metric_table(
    world: Any, compared: Any, browser_as: Any
) -> None:
    response = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/agreement/")
    view = response.context["agreement"]
    rows = {r.name: r for r in view.continuous}
    assert rows["mla_mm2"].n == 5
    assert rows["mla_mm2"].cells["bias"] == "−0.040"  # mean of A − B, with a real minus sign
    assert rows["mla_mm2"].flag_rate == "20 %"
    assert rows["msa_mm2"].n == 4
    assert rows["mla_mm2"].cells["icc"] != "–"
    categorical = {r.name: r for r in view.categorical}
    assert categorical["sm_present"].cells["percent_agreement"] == "100.0"


def test_agreement_page_draws_a_bland_altman_svg_per_continuous_metric(
    world: Any, compared: Any, browser_as: Any
) -> None:
    html = (
        browser_as(world.coordinator).get(f"/studies/{world.study.pk}/agreement/").content.decode()
    )
    svgs = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<svg class="bland-altman" data-metric="(\w+)".*?</svg>', html, re.S)
    }
    assert set(svgs) == {"mla_mm2", "msa_mm2"}  # the only metrics with pairs
    mla = svgs["mla_mm2"]
    assert mla.count('class="ba-point"') == 5
    assert svgs["msa_mm2"].count('class="ba-point"') == 4
    assert mla.count('class="ba-bias"') == 1 and mla.count('class="ba-loa"') == 2
    assert "Mean of Reader 1 and Reader 2 (mm²)" in mla
    assert "Reader 1 − Reader 2 (mm²)" in mla
    assert 'role="img"' in mla and "<title" in mla
    # Metrics without pairs say so instead of drawing an empty frame.
    assert "No pullback has both readers" in html


def test_bland_altman_points_sit_where_the_numbers_say(
    world: Any, compared: Any, browser_as: Any
) -> None:
    response = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/agreement/")
    plot = next(p for m, p, _ in response.context["agreement"].plots if m.name == "mla_mm2")
    xs = [x for x, _ in plot.points]
    ys = [y for _, y in plot.points]
    # Larger means lie to the right; a larger difference (A − B) lies higher (smaller y).
    means = [(a + b) / 2 for a, b in MLA]
    diffs = [a - b for a, b in MLA]
    assert sorted(range(5), key=lambda i: xs[i]) == sorted(range(5), key=lambda i: means[i])
    assert sorted(range(5), key=lambda i: -ys[i]) == sorted(range(5), key=lambda i: diffs[i])
    assert all(
        plot.left <= x <= plot.right and plot.top <= y <= plot.bottom for x, y in plot.points
    )


def test_exports_page_links_every_format_and_level(world: Any, browser_as: Any) -> None:
    html = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/exports/").content.decode()
    for fmt in ["csv", "xlsx", "json"]:
        for level in ["pullback", "frame", "reader"]:
            assert (
                f"/api/v1/studies/{world.study.pk}/export/?format={fmt}&amp;level={level}" in html
            )


@pytest.fixture
def trail(world: Any) -> None:
    studies.study_update(study=world.study, actor=world.coordinator, name="Renamed", reason="typo")
    studies.study_update(
        study=world.study,
        actor=world.coordinator,
        settings={"strut_threshold_um": 80},
        reason="device",
    )
    studies.study_add_member(
        study=world.study, actor=world.coordinator, username="outsider", role="analyst"
    )
    # An event of the other study must never show up here.
    studies.study_update(study=world.other, actor=world.coordinator, name="Other", reason="x")


def audit(browser_as: Any, world: Any, **params: Any) -> list[AuditEvent]:
    response = browser_as(world.coordinator).get(f"/studies/{world.study.pk}/audit/", params)
    assert response.status_code == 200
    return list(response.context["lines"])  # one line per event or per run of autosaves


def test_coordinator_sees_the_study_audit_newest_first(
    world: Any, trail: Any, browser_as: Any
) -> None:
    events = audit(browser_as, world)
    assert [e.action for e in events] == ["membership.create", "study.update", "study.update"]
    assert all(e.study_id == world.study.pk for e in events)
    # A settings change reads as the one value that moved, not two full snapshots.
    assert [(c.path, c.before, c.after) for c in events[1].changes] == [
        ("settings.strut_threshold_um", "100.0", "80.0")
    ]


def test_audit_filters_by_action_object_and_who(world: Any, trail: Any, browser_as: Any) -> None:
    assert [e.reason for e in audit(browser_as, world, action="study.update")] == ["device", "typo"]
    assert [e.action for e in audit(browser_as, world, object_type="membership")] == [
        "membership.create"
    ]
    by_id = audit(browser_as, world, object_type="study", object_id=str(world.study.pk))
    assert len(by_id) == 2
    assert len(audit(browser_as, world, actor="coordinator")) == 3
    assert audit(browser_as, world, object_id="999999") == []


def test_audit_filters_by_date_range(world: Any, trail: Any, browser_as: Any) -> None:
    today = timezone.now().date()
    assert (
        len(audit(browser_as, world, date_from=today.isoformat(), date_to=today.isoformat())) == 3
    )
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert audit(browser_as, world, date_from=tomorrow) == []
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    assert audit(browser_as, world, date_to=yesterday) == []


def test_audit_is_paginated(world: Any, browser_as: Any) -> None:
    for i in range(55):
        studies.study_update(study=world.study, actor=world.coordinator, name=f"N{i}", reason="r")
    first = browser_as(world.coordinator).get(
        f"/studies/{world.study.pk}/audit/?action=study.update"
    )
    assert len(first.context["page"]) == 50
    assert "action=study.update&amp;page=2" in first.content.decode()
    second = audit(browser_as, world, action="study.update", page=2)
    assert len(second) == 5
