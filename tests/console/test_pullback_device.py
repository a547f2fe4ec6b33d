"""The coordinator names a pullback's device on its console page (SPEC §5, issue 11)."""

from __future__ import annotations

from typing import Any

from adjudication.models import AuditEvent
from adjudication.services import studies
from tests.factories import PullbackFactory


def test_coordinator_sets_the_device_and_sees_its_threshold(world: Any, browser_as: Any) -> None:
    studies.study_update(
        study=world.study,
        actor=world.coordinator,
        settings={"devices": {"Xience": 88.6, "Orsiro": 152.6}},
        reason="device table",
    )
    pullback = PullbackFactory(study=world.study)
    client = browser_as(world.coordinator)
    page = client.get(f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/").content.decode()
    assert "Orsiro (152.6 µm)" in page and "100 µm" in page
    response = client.post(
        f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/device/",
        {"device": "Orsiro", "reason": "procedure report"},
    )
    assert response.status_code == 302
    pullback.refresh_from_db()
    assert pullback.device == "Orsiro"
    assert AuditEvent.objects.filter(action="pullback.set_device").count() == 1
    page = client.get(f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/").content.decode()
    assert "152.6 µm" in page


def test_a_device_without_a_reason_is_refused_on_the_form(world: Any, browser_as: Any) -> None:
    pullback = PullbackFactory(study=world.study)
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/pullbacks/{pullback.pk}/device/", {"device": ""}
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="pullback.set_device").exists()
