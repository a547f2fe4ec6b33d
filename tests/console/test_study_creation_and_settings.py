"""A coordinator creates a study and changes its thresholds and tolerances through the
validated settings form; every change goes through ``study_update`` with its reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils.html import escape

from adjudication.domain.number_format import unit_label
from adjudication.domain.settings import (
    DEFAULT_TOLERANCES,
    GROUP_TOLERANCES,
    SETTING_DEFS,
    StudySettings,
)
from adjudication.models import AuditEvent, Membership, Study
from adjudication.pages.forms import PROTOCOL_CHOICE_NAMES, SETTING_NAMES


def settings_post(study: Any = None, **overrides: Any) -> dict[str, Any]:
    """The form as the page fills it in (current values; relative tolerances in %)."""
    current = study.get_settings() if study is not None else StudySettings()
    data: dict[str, Any] = {name: getattr(current, name) for name in SETTING_NAMES}
    data["sm_significant_rule"] = current.sm_significant_rule
    data["devices"] = "\n".join(f"{k} = {v:g}" for k, v in current.devices.items())
    if current.expansion_needs_both_references:
        data["expansion_needs_both_references"] = "on"
    for metric, tol in current.tolerances.items():
        data[f"tol__{metric}__abs"] = tol.abs_tol
        data[f"tol__{metric}__rel"] = round(tol.rel_tol * 100, 6)
    if study is not None:
        data.update(name=study.name, description=study.description)
    data.update(overrides)
    return data


@pytest.fixture
def creator(world: Any) -> Any:
    world.coordinator.user_permissions.add(
        Permission.objects.get(codename="add_study", content_type__app_label="adjudication")
    )
    return world.coordinator


def test_coordinator_with_add_study_can_create_a_study_and_becomes_its_coordinator(
    creator: Any, browser_as: Any
) -> None:
    client = browser_as(creator)
    assert client.get("/studies/new/").status_code == 200
    response = client.post(
        "/studies/new/",
        settings_post(name="Malapposition", code="malapp", strut_threshold_um=80),
    )
    study = Study.objects.get(code="malapp")
    assert response.status_code == 302
    assert response["Location"] == f"/studies/{study.pk}/members/"
    assert study.get_settings().strut_threshold_um == 80
    assert Membership.objects.get(study=study, user=creator).role == "coordinator"
    assert AuditEvent.objects.filter(action="study.create", object_id=str(study.pk)).count() == 1


def test_superuser_can_open_the_study_creation_page(world: Any, browser_as: Any) -> None:
    admin = type(world.coordinator).objects.create_superuser("root", "r@x.org", "pw")
    assert browser_as(admin).get("/studies/new/").status_code == 200


def test_coordinator_sees_a_duplicate_code_on_the_code_field(
    creator: Any, world: Any, browser_as: Any
) -> None:
    response = browser_as(creator).post(
        "/studies/new/", settings_post(name="Again", code=world.study.code)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["a study with this code exists"]


def test_settings_form_shows_every_threshold_and_tolerance(world: Any, browser_as: Any) -> None:
    html = (
        browser_as(world.coordinator).get(f"/studies/{world.study.pk}/settings/").content.decode()
    )
    for name in SETTING_NAMES:
        assert f'name="{name}"' in html
        assert f'for="id_{name}"' in html  # every input has a label
    for metric in DEFAULT_TOLERANCES:
        assert f'name="tol__{metric}__abs"' in html
        assert f'for="id_tol__{metric}__rel"' in html


def test_settings_form_labels_units_and_help_come_from_the_settings_definition(
    world: Any, browser_as: Any
) -> None:
    # Issue 15: one definition per setting (domain.settings.SETTING_DEFS) feeds both this form
    # and the export's data dictionary, so what the coordinator reads is what the export says.
    html = (
        browser_as(world.coordinator).get(f"/studies/{world.study.pk}/settings/").content.decode()
    )
    shown = [d for d in SETTING_DEFS if d.group != GROUP_TOLERANCES]
    assert {d.name for d in shown} == {*SETTING_NAMES, *PROTOCOL_CHOICE_NAMES}
    for definition in shown:
        assert escape(definition.label) in html, definition.name
        assert escape(definition.definition) in html, definition.name
        assert escape(definition.group) in html, definition.name
        if definition.unit:
            assert escape(f"({unit_label(definition.unit)})") in html, definition.name


def test_coordinator_can_change_a_tolerance_with_a_reason_and_it_is_audited(
    world: Any, browser_as: Any
) -> None:
    study = world.study
    response = browser_as(world.coordinator).post(
        f"/studies/{study.pk}/settings/",
        settings_post(study, tol__mla_mm2__abs=0.4, tol__mla_mm2__rel=5, reason="protocol v2"),
    )
    assert response.status_code == 302
    study.refresh_from_db()
    tol = study.get_settings().tolerances["mla_mm2"]
    assert (tol.abs_tol, tol.rel_tol) == (0.4, 0.05)
    event = AuditEvent.objects.get(action="study.update", object_id=str(study.pk))
    assert event.actor == world.coordinator
    assert event.reason == "protocol v2"
    assert event.before["settings"]["tolerances"]["mla_mm2"] == {"abs": 0.5, "rel": 0.1}
    assert event.after["settings"]["tolerances"]["mla_mm2"] == {"abs": 0.4, "rel": 0.05}
    # Only mla changed: the percent round trip of the other relative tolerances is no change.
    before, after = event.before["settings"]["tolerances"], event.after["settings"]["tolerances"]
    assert [m for m in before if before[m] != after[m]] == ["mla_mm2"]


def test_coordinator_cannot_change_settings_without_a_reason(world: Any, browser_as: Any) -> None:
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/settings/",
        settings_post(world.study, strut_threshold_um=80, reason="  "),
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert not AuditEvent.objects.filter(action="study.update").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sampling_interval_mm", 0),
        ("strut_threshold_um", -5),
        ("tol__msa_mm2__abs", -0.1),
        ("tol__msa_mm2__rel", 150),
        ("frame_rate_fps", "fast"),
    ],
)
def test_invalid_settings_are_refused_on_their_own_field(
    world: Any, browser_as: Any, field: str, value: Any
) -> None:
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/settings/",
        settings_post(world.study, reason="typo", **{field: value}),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert 'role="alert"' in response.content.decode()
    world.study.refresh_from_db()
    assert world.study.get_settings() == StudySettings()
    assert not AuditEvent.objects.filter(action="study.update").exists()


def test_saving_unchanged_settings_writes_no_audit_row(world: Any, browser_as: Any) -> None:
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/settings/", settings_post(world.study, reason="just looking")
    )
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="study.update").exists()


def test_coordinator_sets_the_protocol_choices_and_device_table_audited(
    world: Any, browser_as: Any
) -> None:
    study = world.study
    response = browser_as(world.coordinator).post(
        f"/studies/{study.pk}/settings/",
        settings_post(
            study,
            sm_significant_rule="all",
            expansion_needs_both_references="on",
            frame_position_tol_mm=3.0,
            devices="Xience = 88.6\nUltimaster = 80",
            reason="protocol v3",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    study.refresh_from_db()
    saved = study.get_settings()
    assert saved.sm_significant_rule == "all"
    assert saved.expansion_needs_both_references is True
    assert saved.frame_position_tol_mm == 3.0
    assert saved.devices == {"Xience": 88.6, "Ultimaster": 80.0}
    event = AuditEvent.objects.filter(action="study.update").latest("id")
    assert event.reason == "protocol v3"
    assert event.after["settings"]["devices"] == {"Ultimaster": 80.0, "Xience": 88.6}
    assert event.before["settings"]["sm_significant_rule"] == "any"


def test_a_malformed_device_line_is_refused_on_its_field(world: Any, browser_as: Any) -> None:
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/settings/",
        settings_post(world.study, devices="Xience 88.6", reason="typo"),
    )
    assert response.status_code == 200  # the form again, as for every invalid setting
    assert "line 1" in str(response.context["form"].errors["devices"])
    assert not AuditEvent.objects.filter(action="study.update").exists()
