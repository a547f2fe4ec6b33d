"""A pullback's device sets its malapposition threshold (SPEC §5, issue 11)."""

from __future__ import annotations

from typing import Any

from adjudication.models import AuditEvent
from adjudication.services import studies
from tests.factories import PullbackFactory


def _with_devices(world: Any) -> None:
    studies.study_update(
        study=world.study,
        actor=world.coordinator,
        settings={"devices": {"Xience": 88.6, "Orsiro": 152.6}},
        reason="device table",
    )


def test_coordinator_sets_a_device_from_the_table_audited(world: Any, api: Any) -> None:
    _with_devices(world)
    pullback = PullbackFactory(study=world.study)
    r = api(world.coordinator).post(
        f"/api/v1/pullbacks/{pullback.pk}/device/",
        {"device": "Orsiro", "reason": "procedure report"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["device"] == "Orsiro"
    event = AuditEvent.objects.get(action="pullback.set_device", object_id=str(pullback.pk))
    assert event.actor == world.coordinator and event.reason == "procedure report"
    assert event.before == {"device": ""}
    assert event.after == {"device": "Orsiro", "strut_threshold_um": 152.6}


def test_a_device_outside_the_table_or_without_a_reason_is_refused(world: Any, api: Any) -> None:
    _with_devices(world)
    pullback = PullbackFactory(study=world.study)
    client = api(world.coordinator)
    url = f"/api/v1/pullbacks/{pullback.pk}/device/"
    r = client.post(url, {"device": "Unknown", "reason": "x"}, format="json")
    assert r.status_code == 400 and r.json()["field"] == "device"
    r = client.post(url, {"device": "Xience", "reason": " "}, format="json")
    assert r.status_code == 400
    pullback.refresh_from_db()
    assert pullback.device == ""
    assert not AuditEvent.objects.filter(action="pullback.set_device").exists()


def test_readers_cannot_set_a_device(world: Any, api: Any) -> None:
    _with_devices(world)
    pullback = PullbackFactory(study=world.study)
    r = api(world.reader_a).post(
        f"/api/v1/pullbacks/{pullback.pk}/device/",
        {"device": "Xience", "reason": "x"},
        format="json",
    )
    assert r.status_code in (403, 404)
