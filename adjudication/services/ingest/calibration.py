"""Calibration entered by a coordinator where the DICOM lacks it (SPEC §3)."""

from __future__ import annotations

from django.db import transaction

from adjudication.domain.errors import FieldError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import AuditAction, Pullback
from adjudication.services.audit import audit_record, snapshot
from adjudication.types import User


def pullback_set_calibration(
    *,
    pullback: Pullback,
    actor: User,
    pixel_spacing_mm: list[float] | None,
    frame_spacing_mm: float | None,
    reason: str,
) -> Pullback:
    """A coordinator enters a calibration the DICOM lacks (SPEC §3). Audited, needs a reason.

    Only before reading starts, so no read is ever measured with two calibrations.
    """
    if not reason.strip():
        raise FieldError("reason", "say why the calibration is entered by hand")
    if pixel_spacing_mm is not None:
        if len(pixel_spacing_mm) != 2 or any(
            not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < 10
            for v in pixel_spacing_mm
        ):
            raise FieldError("pixel_spacing_mm", "two numbers in mm, each in (0, 10)")
    if frame_spacing_mm is not None and not (
        isinstance(frame_spacing_mm, int | float) and 0 < frame_spacing_mm < 10
    ):
        raise FieldError("frame_spacing_mm", "a number in mm in (0, 10)")
    with transaction.atomic(durable=True):
        pullback = Pullback.objects.select_for_update().get(pk=pullback.pk)
        if pullback.status != PullbackState.READY:
            raise Refused("Calibration can only be entered before readers are assigned.")
        fields = ["pixel_spacing_row_mm", "pixel_spacing_col_mm", "frame_spacing_mm"]
        before = {**snapshot(pullback, fields), "calibration_source": pullback.calibration_source}
        pixel_source, _, frame_source = pullback.calibration_source.partition("; ")
        if pixel_spacing_mm is not None:
            pullback.pixel_spacing_row_mm, pullback.pixel_spacing_col_mm = map(
                float, pixel_spacing_mm
            )
            pixel_source = "manual"
        if frame_spacing_mm is not None:
            pullback.frame_spacing_mm = float(frame_spacing_mm)
            frame_source = "manual"
        pullback.calibration_source = f"{pixel_source}; {frame_source}"
        pullback.save(update_fields=[*fields, "calibration_source", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.PULLBACK_CALIBRATE,
            obj=pullback,
            study=pullback.study,
            before=before,
            after={**snapshot(pullback, fields), "calibration_source": pullback.calibration_source},
            reason=reason,
        )
    return pullback
