"""Study settings and tolerances as plain values (SPEC §3, §5, §6).

A study stores its settings as a JSON mapping; ``StudySettings.from_dict`` validates it (each
refusal names the field) and fills defaults; ``to_dict`` is what gets frozen into every
computed result so a later change never rewrites an old one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import SettingsInvalid
from .metric_defs import READ_METRIC_BY_NAME


@dataclass(frozen=True)
class Tolerance:
    """A metric is flagged when |A − B| > max(abs_tol, rel_tol × mean(A, B)) (SPEC §6).

    For frame metrics ``abs_tol`` is in mm along the pullback.
    """

    abs_tol: float
    rel_tol: float = 0.0


DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "mla_mm2": Tolerance(0.5, 0.10),
    "msa_mm2": Tolerance(0.5, 0.10),
    "ref_proximal_lumen_area_mm2": Tolerance(0.7, 0.10),
    "ref_distal_lumen_area_mm2": Tolerance(0.7, 0.10),
    "ref_mean_lumen_area_mm2": Tolerance(0.7, 0.10),
    "stent_expansion_pct": Tolerance(10.0),
    "calcium_max_arc_deg": Tolerance(30.0),
    "calcium_max_thickness_mm": Tolerance(0.15),
    "calcium_length_mm": Tolerance(2.0),
    "max_malapposition_um": Tolerance(100.0),
    "malapposition_length_mm": Tolerance(1.0),
    "stent_distal_frame": Tolerance(1.0),
    "stent_proximal_frame": Tolerance(1.0),
}


def _default_tolerances() -> dict[str, Tolerance]:
    return dict(DEFAULT_TOLERANCES)


SM_SIGNIFICANT_RULES = ("any", "all")
# Device names are free text chosen by the coordinator; kept short and printable.
DEVICE_NAME_MAX_LENGTH = 80


@dataclass(frozen=True)
class StudySettings:
    """Protocol settings of one study; every field has the reference study's default."""

    sampling_interval_mm: float = 1.0
    reference_length_mm: float = 5.0
    strut_threshold_um: float = 100.0
    underexpansion_msa_mm2: float = 5.0
    calcium_arc_threshold_deg: float = 270.0
    calcium_thickness_threshold_mm: float = 1.0
    calcium_length_threshold_mm: float = 15.0
    sm_significant_distance_um: float = 400.0
    sm_significant_length_mm: float = 1.0
    # "any": distance > threshold OR length > threshold (the reference study); "all": AND.
    sm_significant_rule: str = "any"
    # Stent expansion needs both reference segments (else one reference alone is used).
    expansion_needs_both_references: bool = False
    # mla_frame / msa_frame further apart than this (mm along the pullback) are flagged (§6).
    frame_position_tol_mm: float = 2.0
    pullback_speed_mm_s: float = 20.0
    frame_rate_fps: float = 180.0
    # {device name: strut + polymer thickness in µm}: a pullback naming its device takes that
    # value as its malapposition threshold instead of strut_threshold_um (SPEC §5).
    devices: dict[str, float] = field(default_factory=dict)
    tolerances: dict[str, Tolerance] = field(default_factory=_default_tolerances)

    def strut_threshold_for(self, device: str | None) -> float:
        """The malapposition threshold in µm for a pullback with ``device`` (SPEC §5).

        The device table's strut + polymer thickness when the device is in it, else
        ``strut_threshold_um`` (no device, or a device removed from the table since).
        """
        if device and device in self.devices:
            return self.devices[device]
        return self.strut_threshold_um

    @property
    def default_frame_spacing_mm(self) -> float:
        """Study default frame spacing: pullback speed ÷ frame rate (SPEC §3)."""
        return self.pullback_speed_mm_s / self.frame_rate_fps

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["devices"] = dict(sorted(self.devices.items()))
        data["tolerances"] = {
            name: {"abs": tol.abs_tol, "rel": tol.rel_tol}
            for name, tol in sorted(self.tolerances.items())
        }
        return data

    @classmethod
    def from_dict(cls, data: Any) -> StudySettings:
        """Validate a (possibly partial) mapping; missing keys take defaults."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise SettingsInvalid("settings", "must be an object")
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise SettingsInvalid(key, "unknown setting")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "tolerances" or f.name not in data:
                continue
            parse = _SPECIAL_FIELDS.get(f.name, _positive_number)
            values[f.name] = parse(data[f.name], f.name)
        tolerances = _default_tolerances()
        raw_tols = data.get("tolerances", {})
        if not isinstance(raw_tols, dict):
            raise SettingsInvalid("tolerances", "must be an object")
        for name, raw in raw_tols.items():
            if name not in READ_METRIC_BY_NAME or name not in DEFAULT_TOLERANCES:
                raise SettingsInvalid(f"tolerances.{name}", "not a compared continuous metric")
            if not isinstance(raw, dict) or set(raw) - {"abs", "rel"}:
                raise SettingsInvalid(f"tolerances.{name}", "must be {abs, rel}")
            base = tolerances[name]
            abs_tol = (
                _non_negative(raw["abs"], f"tolerances.{name}.abs")
                if "abs" in raw
                else base.abs_tol
            )
            rel_tol = (
                _non_negative(raw["rel"], f"tolerances.{name}.rel")
                if "rel" in raw
                else base.rel_tol
            )
            tolerances[name] = Tolerance(abs_tol, rel_tol)
        return cls(**values, tolerances=tolerances)

    def merged(self, changes: dict[str, Any]) -> StudySettings:
        """A copy with ``changes`` applied (validated like ``from_dict``)."""
        base = self.to_dict()
        tol_changes = changes.get("tolerances", {})
        if not isinstance(tol_changes, dict):
            raise SettingsInvalid("tolerances", "must be an object")
        merged_tols = dict(base["tolerances"])
        for name, raw in tol_changes.items():
            if isinstance(raw, dict) and isinstance(merged_tols.get(name), dict):
                merged_tols[name] = {**merged_tols[name], **raw}
            else:
                merged_tols[name] = raw
        return StudySettings.from_dict({**base, **changes, "tolerances": merged_tols})


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsInvalid(name, "must be a number")
    if not math.isfinite(value):
        raise SettingsInvalid(name, "must be finite")
    return float(value)


def _positive_number(value: Any, name: str) -> float:
    number = _number(value, name)
    if number <= 0:
        raise SettingsInvalid(name, "must be greater than 0")
    return number


def _non_negative(value: Any, name: str) -> float:
    number = _number(value, name)
    if number < 0:
        raise SettingsInvalid(name, "must not be negative")
    return number


def _rule(value: Any, name: str) -> str:
    if value not in SM_SIGNIFICANT_RULES:
        raise SettingsInvalid(name, f"must be one of {', '.join(SM_SIGNIFICANT_RULES)}")
    return str(value)


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsInvalid(name, "must be true or false")
    return value


def _devices(value: Any, name: str) -> dict[str, float]:
    """The device table: {device name: strut + polymer thickness in µm (> 0)}."""
    if not isinstance(value, dict):
        raise SettingsInvalid(name, "must be an object {device: strut_plus_polymer_um}")
    out: dict[str, float] = {}
    for device, thickness in value.items():
        label = str(device).strip()
        if not label or len(label) > DEVICE_NAME_MAX_LENGTH or not label.isprintable():
            raise SettingsInvalid(
                name, f"device names must be 1-{DEVICE_NAME_MAX_LENGTH} printable characters"
            )
        if label != device:
            raise SettingsInvalid(f"{name}.{label}", "no leading or trailing spaces")
        out[label] = _positive_number(thickness, f"{name}.{label}")
    return out


_SPECIAL_FIELDS = {
    "sm_significant_rule": _rule,
    "expansion_needs_both_references": _boolean,
    "devices": _devices,
}


@dataclass(frozen=True)
class SettingDef:
    """What one study setting is, for people: its label, unit and meaning (SPEC §3, §5, §6).

    The one description read by the coordinator's settings form (label, help, unit) and by
    the data dictionary of every export (name, unit, definition), so the two cannot drift.
    ``unit`` is the machine unit (``um``, ``mm2``, ``deg``…; ``number_format.unit_label``
    shows it); ``group`` is the heading the form shows the setting under.
    """

    name: str
    label: str
    unit: str
    definition: str
    group: str


GROUP_ANALYSIS_FRAMES = "Analysis frames"
GROUP_STENT = "Stent"
GROUP_CALCIUM = "Calcium"
GROUP_COMPARISON = "Comparison"
GROUP_ACQUISITION = "Acquisition"
GROUP_PROTOCOL_CHOICES = "Protocol choices"
GROUP_TOLERANCES = "Tolerances"
# The order in which the settings form shows its groups.
SETTING_GROUP_ORDER = (
    GROUP_ANALYSIS_FRAMES,
    GROUP_STENT,
    GROUP_CALCIUM,
    GROUP_COMPARISON,
    GROUP_ACQUISITION,
    GROUP_PROTOCOL_CHOICES,
    GROUP_TOLERANCES,
)

# One entry per field of ``StudySettings``, in field order (a test keeps them in step).
SETTING_DEFS: tuple[SettingDef, ...] = (
    SettingDef(
        "sampling_interval_mm",
        "Sampling interval",
        "mm",
        "Distance between analysis frames along the pullback: "
        "k = round(interval / frame spacing) frames.",
        GROUP_ANALYSIS_FRAMES,
    ),
    SettingDef(
        "reference_length_mm",
        "Reference segment length",
        "mm",
        "Length of the proximal and distal reference segments beyond the stent edges, "
        "rounded to frames.",
        GROUP_ANALYSIS_FRAMES,
    ),
    SettingDef(
        "strut_threshold_um",
        "Strut malapposition threshold",
        "um",
        "Strut plus polymer thickness when the pullback names no device in the device "
        "table; a strut farther from the wall is malapposed.",
        GROUP_STENT,
    ),
    SettingDef(
        "underexpansion_msa_mm2",
        "Underexpansion MSA threshold",
        "mm2",
        "underexpansion when msa_mm2 is below this area.",
        GROUP_STENT,
    ),
    SettingDef(
        "calcium_arc_threshold_deg",
        "Calcium arc threshold",
        "deg",
        "calcium_arc_gt_270 when calcium_max_arc_deg exceeds this.",
        GROUP_CALCIUM,
    ),
    SettingDef(
        "calcium_thickness_threshold_mm",
        "Calcium thickness threshold",
        "mm",
        "calcium_thickness_gt_1mm when calcium_max_thickness_mm exceeds this.",
        GROUP_CALCIUM,
    ),
    SettingDef(
        "calcium_length_threshold_mm",
        "Calcium length threshold",
        "mm",
        "calcium_length_gt_15mm when calcium_length_mm exceeds this.",
        GROUP_CALCIUM,
    ),
    SettingDef(
        "sm_significant_distance_um",
        "Significant malapposition distance",
        "um",
        "sm_significant distance threshold for max_malapposition_um.",
        GROUP_STENT,
    ),
    SettingDef(
        "sm_significant_length_mm",
        "Significant malapposition length",
        "mm",
        "sm_significant length threshold for malapposition_length_mm.",
        GROUP_STENT,
    ),
    SettingDef(
        "sm_significant_rule",
        "Significant malapposition rule",
        "",
        "How sm_significant combines the distance and length thresholds: any = distance OR "
        "length above its threshold (reference study); all = both above.",
        GROUP_PROTOCOL_CHOICES,
    ),
    SettingDef(
        "expansion_needs_both_references",
        "Stent expansion needs both references",
        "",
        "When true, one reference segment alone gives no ref_mean_lumen_area_mm2 and no "
        "stent_expansion_pct (ref_count says how many were available).",
        GROUP_PROTOCOL_CHOICES,
    ),
    SettingDef(
        "frame_position_tol_mm",
        "Frame position tolerance",
        "mm",
        "mla_frame and msa_frame further apart than this along the pullback are flagged: "
        "the readers measured different places (never averaged).",
        GROUP_COMPARISON,
    ),
    SettingDef(
        "pullback_speed_mm_s",
        "Pullback speed",
        "mm/s",
        "Study default pullback speed, used for the frame spacing when the DICOM has no "
        "longitudinal distances.",
        GROUP_ACQUISITION,
    ),
    SettingDef(
        "frame_rate_fps",
        "Frame rate",
        "frames/s",
        "Study default frame rate: default frame spacing = pullback speed / frame rate.",
        GROUP_ACQUISITION,
    ),
    SettingDef(
        "devices",
        "Device table",
        "um",
        "Device table {device: strut + polymer thickness}; a pullback naming its device "
        "uses that value as its malapposition threshold.",
        GROUP_PROTOCOL_CHOICES,
    ),
    SettingDef(
        "tolerances",
        "Comparison tolerances",
        "",
        "Per metric {abs, rel}: flagged when |A - B| > max(abs, rel x mean(A, B)); "
        "frame edges in mm along the pullback.",
        GROUP_TOLERANCES,
    ),
)
SETTING_DEF_BY_NAME: dict[str, SettingDef] = {d.name: d for d in SETTING_DEFS}
