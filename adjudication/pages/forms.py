"""Django forms of the coordinator console: input validation only; services do the writing.

Each form validates what a person typed and turns it into the keyword arguments of one
service. Domain refusals raised by the service come back through :func:`add_domain_error`,
which puts the message on the field it names (or on the form).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator

from adjudication.domain.errors import DomainError, FieldError, SettingsInvalid
from adjudication.domain.metric_defs import READ_METRIC_BY_NAME
from adjudication.domain.settings import (
    DEFAULT_TOLERANCES,
    GROUP_PROTOCOL_CHOICES,
    GROUP_TOLERANCES,
    SETTING_DEF_BY_NAME,
    SETTING_DEFS,
    SETTING_GROUP_ORDER,
    SettingDef,
    StudySettings,
)
from adjudication.models.pullback import Timepoint
from adjudication.roles import Role

from .readouts import unit_label

# Labels, units and help come from the one settings definition (``domain.settings``), which
# the export's data dictionary reads too. Numeric settings are grouped as the form shows them;
# the protocol choices that are not a number (SPEC §5) have their own group.
_FORM_GROUPS = [
    g for g in SETTING_GROUP_ORDER if g not in (GROUP_PROTOCOL_CHOICES, GROUP_TOLERANCES)
]
SETTING_GROUPS: list[tuple[str, list[SettingDef]]] = [
    (group, [d for d in SETTING_DEFS if d.group == group]) for group in _FORM_GROUPS
]
SETTING_NAMES = [s.name for _, group in SETTING_GROUPS for s in group]
PROTOCOL_CHOICE_NAMES = [d.name for d in SETTING_DEFS if d.group == GROUP_PROTOCOL_CHOICES]


def setting_help(name: str) -> str:
    """The form's help text of a setting: its definition, then its unit when it has one."""
    definition = SETTING_DEF_BY_NAME[name]
    unit = unit_label(definition.unit)
    return f"{definition.definition} ({unit})" if unit else definition.definition


def setting_label(name: str) -> str:
    return SETTING_DEF_BY_NAME[name].label


def devices_to_text(devices: dict[str, float]) -> str:
    """The device table as the form shows it: one ``name = µm`` per line."""
    return "\n".join(f"{name} = {value:g}" for name, value in sorted(devices.items()))


def devices_from_text(text: str) -> dict[str, float]:
    """Parse ``name = µm`` lines (blank lines ignored); ValidationError naming the bad line."""
    devices: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.rpartition("=")
        name = name.strip()
        try:
            thickness = float(value.strip())
        except ValueError:
            thickness = math.nan
        if not sep or not name or not math.isfinite(thickness) or thickness <= 0:
            raise forms.ValidationError(
                f"line {number}: write 'device name = strut plus polymer thickness in µm', "
                "e.g. 'Xience = 88.6'"
            )
        if name in devices:
            raise forms.ValidationError(f"line {number}: '{name}' is listed twice")
        devices[name] = thickness
    return devices


def tolerance_field_name(metric: str, part: str) -> str:
    return f"tol__{metric}__{part}"


def service_field_to_form_field(field: str) -> str | None:
    """``tolerances.mla_mm2.abs`` → ``tol__mla_mm2__abs``; scalars keep their name."""
    if field.startswith("tolerances."):
        parts = field.split(".")
        if len(parts) == 3:
            return tolerance_field_name(parts[1], parts[2])
        return None
    return field


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, else at the top of the form."""
    if isinstance(exc, FieldError):
        name = service_field_to_form_field(exc.field)
        if name in form.fields:
            # A manifest's refusal lists one problem per row: one message each.
            for reason in getattr(exc, "problems", None) or [exc.reason]:
                form.add_error(name, reason)
            return
    form.add_error(None, exc.message)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class ToleranceRow:
    metric: str
    unit: str
    abs_field: Any
    rel_field: Any
    default: str


class StudySettingsFields(forms.Form):
    """Every threshold and tolerance of SPEC §5–§6, prefilled from ``initial_settings``.

    Relative tolerances are shown in percent (the study stores a fraction).
    """

    def __init__(self, *args: Any, initial_settings: StudySettings | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        current = initial_settings or StudySettings()
        self.current_settings = current
        for _, group in SETTING_GROUPS:
            for s in group:
                self.fields[s.name] = forms.FloatField(
                    label=s.label,
                    help_text=setting_help(s.name),
                    initial=getattr(current, s.name),
                    min_value=0,
                    widget=forms.NumberInput(attrs={"step": "any"}),
                )
        self.fields["sm_significant_rule"] = forms.ChoiceField(
            label=setting_label("sm_significant_rule"),
            choices=[
                ("any", "any: distance OR length above its threshold (reference study)"),
                ("all", "all: distance AND length above their thresholds"),
            ],
            initial=current.sm_significant_rule,
            required=False,
            help_text=setting_help("sm_significant_rule"),
        )
        self.fields["expansion_needs_both_references"] = forms.BooleanField(
            label=setting_label("expansion_needs_both_references"),
            required=False,
            initial=current.expansion_needs_both_references,
            help_text=setting_help("expansion_needs_both_references"),
        )
        self.fields["devices"] = forms.CharField(
            label=setting_label("devices"),
            required=False,
            initial=devices_to_text(current.devices),
            widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Xience = 88.6"}),
            help_text="One device per line: 'name = strut plus polymer thickness'. "
            + setting_help("devices"),
        )
        for metric in DEFAULT_TOLERANCES:
            tol = current.tolerances[metric]
            unit = self._tolerance_unit(metric)
            self.fields[tolerance_field_name(metric, "abs")] = forms.FloatField(
                label=f"{metric}: absolute tolerance ({unit})",
                initial=tol.abs_tol,
                min_value=0,
                widget=forms.NumberInput(attrs={"step": "any"}),
            )
            self.fields[tolerance_field_name(metric, "rel")] = forms.FloatField(
                label=f"{metric}: relative tolerance (% of the mean)",
                initial=round(tol.rel_tol * 100.0, 6),
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(attrs={"step": "any"}),
            )

    @staticmethod
    def _tolerance_unit(metric: str) -> str:
        if metric.startswith("stent_") and metric.endswith("_frame"):
            return "mm along the pullback"
        return unit_label(READ_METRIC_BY_NAME[metric].unit)

    def setting_groups(self) -> list[tuple[str, list[Any]]]:
        groups = [(title, [self[s.name] for s in group]) for title, group in SETTING_GROUPS]
        groups.append((GROUP_PROTOCOL_CHOICES, [self[name] for name in PROTOCOL_CHOICE_NAMES]))
        return groups

    def clean_sm_significant_rule(self) -> str:
        # A form posted without the choice keeps the current rule.
        return (
            self.cleaned_data.get("sm_significant_rule")
            or self.current_settings.sm_significant_rule
        )

    def clean_devices(self) -> dict[str, float]:
        return devices_from_text(self.cleaned_data.get("devices") or "")

    def tolerance_rows(self) -> list[ToleranceRow]:
        rows = []
        for metric, default in DEFAULT_TOLERANCES.items():
            default_text = f"{default.abs_tol:g}"
            if default.rel_tol:
                default_text += f" or {default.rel_tol * 100:g} %"
            rows.append(
                ToleranceRow(
                    metric=metric,
                    unit=self._tolerance_unit(metric),
                    abs_field=self[tolerance_field_name(metric, "abs")],
                    rel_field=self[tolerance_field_name(metric, "rel")],
                    default=default_text,
                )
            )
        return rows

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in SETTING_NAMES:
            value = cleaned.get(name)
            if value is not None and value <= 0:
                self.add_error(name, "must be greater than 0")
        if not self.errors:
            try:
                StudySettings.from_dict(self.full_settings())
            except SettingsInvalid as exc:
                add_domain_error(self, exc)
        return cleaned

    def full_settings(self) -> dict[str, Any]:
        """The complete settings mapping as typed (relative tolerances as fractions)."""
        data = self.cleaned_data
        settings: dict[str, Any] = {name: data[name] for name in SETTING_NAMES if name in data}
        for name in PROTOCOL_CHOICE_NAMES:
            if name in data:
                settings[name] = data[name]
        settings["tolerances"] = {}
        for metric in DEFAULT_TOLERANCES:
            abs_value = data.get(tolerance_field_name(metric, "abs"))
            rel_value = data.get(tolerance_field_name(metric, "rel"))
            entry: dict[str, float] = {}
            if abs_value is not None:
                entry["abs"] = abs_value
            if rel_value is not None:
                entry["rel"] = rel_value / 100.0
            settings["tolerances"][metric] = entry
        return settings

    def settings_changes(self) -> dict[str, Any]:
        """Only what differs from the current settings (so the audit diff stays small and a
        percent round trip never counts as a change)."""
        current = self.current_settings
        changes: dict[str, Any] = {}
        data = self.cleaned_data
        for name in SETTING_NAMES:
            if not _same(data[name], getattr(current, name)):
                changes[name] = data[name]
        for name in PROTOCOL_CHOICE_NAMES:
            if data[name] != getattr(current, name):
                changes[name] = data[name]
        tolerances: dict[str, dict[str, float]] = {}
        for metric in DEFAULT_TOLERANCES:
            tol = current.tolerances[metric]
            abs_value = data[tolerance_field_name(metric, "abs")]
            rel_value = data[tolerance_field_name(metric, "rel")] / 100.0
            entry: dict[str, float] = {}
            if not _same(abs_value, tol.abs_tol):
                entry["abs"] = abs_value
            if not _same(rel_value, tol.rel_tol):
                entry["rel"] = rel_value
            if entry:
                tolerances[metric] = entry
        if tolerances:
            changes["tolerances"] = tolerances
        return changes


class StudyCreateForm(StudySettingsFields):
    name = forms.CharField(max_length=200, label="Name")
    code = forms.SlugField(
        max_length=40,
        label="Code",
        help_text="Short identifier: letters, digits, '-' or '_' (e.g. malapposition-2024).",
    )
    description = forms.CharField(
        required=False, label="Description", widget=forms.Textarea(attrs={"rows": 3})
    )

    field_order = ["name", "code", "description"]


class StudySettingsForm(StudySettingsFields):
    name = forms.CharField(max_length=200, label="Name")
    description = forms.CharField(
        required=False, label="Description", widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label="Reason for the change",
        help_text="Recorded in the audit log with the change.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = ["name", "description"]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("say why the settings change")
        return reason


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    role = forms.ChoiceField(
        label="Role",
        choices=[
            (Role.ANALYST.value, "Analyst (reader)"),
            (Role.ADJUDICATOR.value, "Adjudicator"),
            (Role.COORDINATOR.value, "Coordinator"),
        ],
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that accepts several files; ``clean`` returns a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".dcm,.zip,application/dicom,application/zip"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


subject_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$", "use 1-40 letters, digits, '-', '_' or '.'"
)


class UploadForm(forms.Form):
    """The upload form; the page's script sends each file to the API with progress, and the
    same form also works without script (posted to the page)."""

    file = MultipleFileField(
        label="DICOM files or zip archives",
        help_text=(
            "Each file becomes one pullback with the subject, timepoint and lesion below, "
            "or those of its line in the manifest."
        ),
    )
    manifest = forms.FileField(
        required=False,
        label="Manifest (CSV, optional)",
        help_text=(
            "One line per file: file,subject_code,timepoint,lesion — e.g. "
            "run-01.dcm,S-0042,baseline,LAD. Zip members by their path in the archive."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    subject_code = forms.CharField(
        max_length=40,
        required=False,
        label="Subject code",
        validators=[subject_code_validator],
        help_text="Pseudonymous, e.g. S-0042. Not needed with a manifest.",
    )
    timepoint = forms.ChoiceField(
        label="Timepoint", choices=[("", "—"), *Timepoint.choices], required=False
    )
    lesion = forms.CharField(max_length=60, required=False, label="Lesion")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("manifest"):
            for name in ("subject_code", "timepoint"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "This field is required (or choose a manifest).")
        return cleaned


class AssignForm(forms.Form):
    """By hand (two analysts) or balanced automatically (``mode=auto``)."""

    mode = forms.ChoiceField(
        choices=[("manual", "manual"), ("auto", "auto")], widget=forms.HiddenInput
    )
    reader_1 = forms.ChoiceField(label="Reader 1", required=False)
    reader_2 = forms.ChoiceField(label="Reader 2", required=False)

    def __init__(self, *args: Any, analysts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— choose an analyst —"), *[(u, u) for u in analysts]]
        cast(forms.ChoiceField, self.fields["reader_1"]).choices = choices
        cast(forms.ChoiceField, self.fields["reader_2"]).choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("mode") == "manual":
            a, b = cleaned.get("reader_1"), cleaned.get("reader_2")
            if not a:
                self.add_error("reader_1", "choose an analyst")
            if not b:
                self.add_error("reader_2", "choose an analyst")
            if a and b and a == b:
                self.add_error("reader_2", "the two readers must be different analysts")
        return cleaned

    def usernames(self) -> list[str] | None:
        if self.cleaned_data["mode"] == "auto":
            return None
        return [self.cleaned_data["reader_1"], self.cleaned_data["reader_2"]]


class ReassignForm(forms.Form):
    username = forms.ChoiceField(label="New analyst")
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 2}), help_text="Recorded in the audit."
    )

    def __init__(self, *args: Any, candidates: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["username"]).choices = [
            ("", "— choose an analyst —")
        ] + [(u, u) for u in candidates]

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("say why the read is reassigned")
        return reason


class DeviceForm(forms.Form):
    """The pullback's device, from the study's device table (SPEC §5)."""

    def __init__(self, *args: Any, devices: dict[str, float], current: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", "none: the study's strut threshold")] + [
            (name, f"{name} ({value:g} µm)") for name, value in sorted(devices.items())
        ]
        self.fields["device"] = forms.ChoiceField(
            label="Device", choices=choices, required=False, initial=current
        )
        self.fields["reason"] = forms.CharField(
            label="Reason",
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text="Where the device comes from (e.g. procedure report).",
        )


class CalibrationForm(forms.Form):
    """A calibration the DICOM lacks (SPEC §3): pixel spacing and/or frame spacing, in mm."""

    pixel_spacing_row_mm = forms.FloatField(
        required=False, label="Pixel spacing, rows (mm)", widget=forms.NumberInput({"step": "any"})
    )
    pixel_spacing_col_mm = forms.FloatField(
        required=False,
        label="Pixel spacing, columns (mm)",
        widget=forms.NumberInput({"step": "any"}),
    )
    frame_spacing_mm = forms.FloatField(
        required=False, label="Frame spacing (mm)", widget=forms.NumberInput({"step": "any"})
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where the value comes from (e.g. catheter calibration sheet).",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        row, col = cleaned.get("pixel_spacing_row_mm"), cleaned.get("pixel_spacing_col_mm")
        frame = cleaned.get("frame_spacing_mm")
        if (row is None) != (col is None):
            missing = "pixel_spacing_col_mm" if col is None else "pixel_spacing_row_mm"
            self.add_error(missing, "give both pixel spacings (rows and columns)")
        if row is None and col is None and frame is None and not self.errors:
            raise forms.ValidationError("enter a pixel spacing, a frame spacing or both")
        for name in ("pixel_spacing_row_mm", "pixel_spacing_col_mm", "frame_spacing_mm"):
            value = cleaned.get(name)
            if value is not None and not 0 < value < 10:
                self.add_error(name, "a number in mm between 0 and 10")
        return cleaned

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("say why the calibration is entered by hand")
        return reason

    def pixel_spacing_mm(self) -> list[float] | None:
        row = self.cleaned_data.get("pixel_spacing_row_mm")
        col = self.cleaned_data.get("pixel_spacing_col_mm")
        return None if row is None or col is None else [row, col]


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(label="Who", required=False)
    object_type = forms.ChoiceField(label="Object type", required=False)
    object_id = forms.CharField(label="Object id", required=False, max_length=40)
    action = forms.ChoiceField(label="Action", required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, choices: dict[str, list[str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("actor", "object_type", "action"):
            cast(forms.ChoiceField, self.fields[name]).choices = [("", "any")] + [
                (v, v) for v in choices[name]
            ]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
