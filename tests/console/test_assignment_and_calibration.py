"""Assignment by hand or balanced, and the manual calibration entry (SPEC §3), via pages."""

from __future__ import annotations

from typing import Any

from adjudication.models import AuditEvent, Read
from tests.factories import MembershipFactory, PullbackFactory, UserFactory


def assign_url(world: Any, pullback: Any) -> str:
    return f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/assign/"


def test_coordinator_can_assign_two_analysts_by_hand(world: Any, browser_as: Any) -> None:
    pullback = PullbackFactory(study=world.study)
    response = browser_as(world.coordinator).post(
        assign_url(world, pullback),
        {"mode": "manual", "reader_1": "reader_b", "reader_2": "reader_a"},
    )
    assert response.status_code == 302
    pullback.refresh_from_db()
    assert pullback.status == "reading"
    assert list(
        Read.objects.filter(pullback=pullback)
        .order_by("slot")
        .values_list("reader__username", flat=True)
    ) == ["reader_b", "reader_a"]
    assert AuditEvent.objects.filter(action="pullback.assign", actor=world.coordinator).count() == 1


def test_coordinator_can_assign_automatically_with_balanced_workloads(
    world: Any, browser_as: Any
) -> None:
    # reader_a already has an open read elsewhere in the study; carol and reader_b have none.
    MembershipFactory(study=world.study, user=UserFactory(username="carol"), role="analyst")
    busy = PullbackFactory(study=world.study, status="reading")
    Read.objects.create(pullback=busy, reader=world.reader_a, slot=1, annotations={"frames": {}})
    pullback = PullbackFactory(study=world.study)
    response = browser_as(world.coordinator).post(
        assign_url(world, pullback),
        {"mode": "auto", "next": f"/studies/{world.study.pk}/pullbacks/"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/studies/{world.study.pk}/pullbacks/"
    readers = set(Read.objects.filter(pullback=pullback).values_list("reader__username", flat=True))
    assert readers == {"carol", "reader_b"}  # never the adjudicator, never the busiest analyst


def test_assigning_the_same_analyst_twice_is_refused_on_the_form(
    world: Any, browser_as: Any
) -> None:
    pullback = PullbackFactory(study=world.study)
    response = browser_as(world.coordinator).post(
        assign_url(world, pullback),
        {"mode": "manual", "reader_1": "reader_a", "reader_2": "reader_a"},
    )
    assert response.status_code == 400
    assert response.context["assign_form"].errors["reader_2"]
    assert not Read.objects.filter(pullback=pullback).exists()


def test_the_adjudicator_is_not_offered_as_a_reader(world: Any, browser_as: Any) -> None:
    pullback = PullbackFactory(study=world.study)
    response = browser_as(world.coordinator).get(
        f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/"
    )
    choices = [c[0] for c in response.context["assign_form"].fields["reader_1"].choices]
    assert choices == ["", "reader_a", "reader_b"]
    refused = browser_as(world.coordinator).post(
        assign_url(world, pullback),
        {"mode": "manual", "reader_1": "reader_a", "reader_2": "adjudicator"},
    )
    assert refused.status_code == 400
    assert not Read.objects.filter(pullback=pullback).exists()


def test_a_pullback_without_pixel_spacing_cannot_be_assigned_until_calibrated(
    world: Any, browser_as: Any
) -> None:
    pullback = PullbackFactory(
        study=world.study,
        pixel_spacing_row_mm=None,
        pixel_spacing_col_mm=None,
        calibration_source="none; longitudinal_distance",
    )
    client = browser_as(world.coordinator)
    refused = client.post(assign_url(world, pullback), {"mode": "auto"})
    assert refused.status_code == 400
    assert "no pixel spacing" in str(refused.context["assign_form"].non_field_errors())

    url = f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/calibration/"
    missing_reason = client.post(url, {"pixel_spacing_row_mm": 0.01, "pixel_spacing_col_mm": 0.01})
    assert missing_reason.status_code == 400
    assert "reason" in missing_reason.context["calibration_form"].errors

    saved = client.post(
        url,
        {"pixel_spacing_row_mm": 0.01, "pixel_spacing_col_mm": 0.012, "reason": "catheter sheet"},
    )
    assert saved.status_code == 302
    pullback.refresh_from_db()
    assert pullback.pixel_spacing_mm == [0.01, 0.012]
    assert pullback.calibration_source.startswith("manual")
    event = AuditEvent.objects.get(action="pullback.calibrate")
    assert (event.actor, event.reason) == (world.coordinator, "catheter sheet")
    assert event.before["pixel_spacing_row_mm"] is None
    assert client.post(assign_url(world, pullback), {"mode": "auto"}).status_code == 302


def test_calibration_needs_both_pixel_spacings(world: Any, browser_as: Any) -> None:
    pullback = PullbackFactory(study=world.study)
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/calibration/",
        {"pixel_spacing_row_mm": 0.01, "reason": "sheet"},
    )
    assert response.status_code == 400
    assert "pixel_spacing_col_mm" in response.context["calibration_form"].errors
    assert not AuditEvent.objects.filter(action="pullback.calibrate").exists()
