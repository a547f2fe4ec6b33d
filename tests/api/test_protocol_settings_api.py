"""Protocol settings through PATCH /api/v1/studies/{id}/ (SPEC §5, §6; issue 11): validated,
audited, and in the study's settings export."""

from __future__ import annotations

from typing import Any

from adjudication.models import AuditEvent


def test_coordinator_patches_the_protocol_choices_audited(world: Any, api: Any) -> None:
    client = api(world.coordinator)
    url = f"/api/v1/studies/{world.study.pk}/"
    changes = {
        "sm_significant_rule": "all",
        "expansion_needs_both_references": True,
        "frame_position_tol_mm": 1.5,
        "devices": {"Xience": 88.6, "Orsiro": 152.6},
    }
    r = client.patch(url, {"settings": changes, "reason": "protocol v2"}, format="json")
    assert r.status_code == 200, r.content
    settings = client.get(url).json()["settings"]
    for key, value in changes.items():
        assert settings[key] == value
    event = AuditEvent.objects.filter(action="study.update").latest("id")
    assert event.after["settings"]["sm_significant_rule"] == "all"
    exported = client.get(
        f"/api/v1/studies/{world.study.pk}/export/?format=json&level=pullback"
    ).json()["settings"]
    assert exported["current"]["settings"]["devices"] == {"Orsiro": 152.6, "Xience": 88.6}
    names = {row["name"] for row in exported["definitions"]}
    assert {"sm_significant_rule", "devices", "frame_position_tol_mm"} <= names


def test_invalid_protocol_choices_are_refused_naming_the_field(world: Any, api: Any) -> None:
    client = api(world.coordinator)
    url = f"/api/v1/studies/{world.study.pk}/"
    for settings, field in [
        ({"sm_significant_rule": "some"}, "sm_significant_rule"),
        ({"expansion_needs_both_references": "yes"}, "expansion_needs_both_references"),
        ({"devices": {"Xience": -1}}, "devices.Xience"),
        ({"devices": ["Xience"]}, "devices"),
    ]:
        r = client.patch(url, {"settings": settings, "reason": "x"}, format="json")
        assert r.status_code == 400, (settings, r.content)
        assert r.json()["field"] == field
    assert not AuditEvent.objects.filter(action="study.update").exists()
