"""Study settings validation (SPEC §3, §5, §6): defaults, refusals naming the field, round-trip."""

from __future__ import annotations

import pytest

from adjudication.domain.errors import SettingsInvalid
from adjudication.domain.settings import (
    DEFAULT_TOLERANCES,
    SETTING_DEFS,
    SETTING_GROUP_ORDER,
    StudySettings,
    Tolerance,
)


def test_it_has_the_reference_study_defaults() -> None:
    settings = StudySettings.from_dict(None)
    assert settings.sampling_interval_mm == 1.0
    assert settings.reference_length_mm == 5.0
    assert settings.strut_threshold_um == 100.0
    assert settings.default_frame_spacing_mm == pytest.approx(0.1111, abs=1e-4)
    assert settings.tolerances["mla_mm2"] == Tolerance(0.5, 0.10)
    assert settings.tolerances == DEFAULT_TOLERANCES


def test_it_round_trips_through_its_dict() -> None:
    settings = StudySettings.from_dict(
        {"strut_threshold_um": 150, "tolerances": {"msa_mm2": {"abs": 0.3}}}
    )
    again = StudySettings.from_dict(settings.to_dict())
    assert again == settings
    assert again.tolerances["msa_mm2"] == Tolerance(0.3, 0.10)


def test_merged_changes_one_tolerance_part_and_keeps_the_rest() -> None:
    merged = StudySettings().merged({"tolerances": {"mla_mm2": {"rel": 0.2}}})
    assert merged.tolerances["mla_mm2"] == Tolerance(0.5, 0.2)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "settings"),
        ({"colour": "red"}, "colour"),
        ({"strut_threshold_um": 0}, "strut_threshold_um"),
        ({"strut_threshold_um": -10}, "strut_threshold_um"),
        ({"sampling_interval_mm": "1"}, "sampling_interval_mm"),
        ({"sampling_interval_mm": True}, "sampling_interval_mm"),
        ({"reference_length_mm": float("nan")}, "reference_length_mm"),
        ({"tolerances": []}, "tolerances"),
        ({"tolerances": {"underexpansion": {"abs": 1}}}, "tolerances.underexpansion"),
        ({"tolerances": {"unknown_mm": {"abs": 1}}}, "tolerances.unknown_mm"),
        ({"tolerances": {"mla_mm2": {"abs": 1, "pct": 2}}}, "tolerances.mla_mm2"),
        ({"tolerances": {"mla_mm2": {"abs": -1}}}, "tolerances.mla_mm2.abs"),
        ({"tolerances": {"mla_mm2": {"rel": "x"}}}, "tolerances.mla_mm2.rel"),
    ],
)
def test_it_refuses_invalid_settings_naming_the_field(data: object, field: str) -> None:
    with pytest.raises(SettingsInvalid) as caught:
        StudySettings.from_dict(data)
    assert caught.value.field == field


def test_every_setting_has_one_definition_with_label_and_meaning() -> None:
    # One definition per StudySettings field, in field order: the settings form and the data
    # dictionary both read it (issue 15).
    assert [d.name for d in SETTING_DEFS] == list(StudySettings().to_dict())
    for definition in SETTING_DEFS:
        assert definition.label.strip() and definition.definition.strip(), definition.name
        assert definition.group in SETTING_GROUP_ORDER, definition.name
    # Units match the unit suffix of the name (SPEC: units in names).
    for definition in SETTING_DEFS:
        for suffix, unit in (("_mm", "mm"), ("_um", "um"), ("_mm2", "mm2"), ("_deg", "deg")):
            if definition.name.endswith(suffix):
                assert definition.unit == unit, definition.name
