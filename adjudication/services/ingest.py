"""Pullback upload and ingest (SPEC §8): store, inspect, de-identify, calibrate, render."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from typing import IO, Any

from django.conf import settings
from django.db import DatabaseError, transaction

from adjudication import storage
from adjudication.dicom.deidentify import deidentify
from adjudication.dicom.inspect import DicomRefused, Limits, inspect_file
from adjudication.dicom.render import iter_frame_images
from adjudication.domain.calibration import resolve_calibration
from adjudication.domain.errors import FieldError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import Pseudonymisation, Pullback, Study, Subject
from adjudication.models.pullback import Timepoint

from .audit import audit_record, snapshot
from .workflow import transition

log = logging.getLogger(__name__)

SUBJECT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
PULLBACK_FIELDS = ["study", "subject", "timepoint", "lesion", "status", "original_filename"]
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


def limits_from_settings() -> Limits:
    return Limits(
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_frames=settings.PULLBACK_MAX_FRAMES,
        max_rows=settings.PULLBACK_MAX_ROWS,
        max_columns=settings.PULLBACK_MAX_COLUMNS,
    )


def _validate_upload_fields(subject_code: str, timepoint: str, lesion: str) -> None:
    if not SUBJECT_CODE_RE.match(subject_code or ""):
        raise FieldError("subject_code", "use 1-40 letters, digits, '-', '_' or '.'")
    if timepoint not in Timepoint.values:
        raise FieldError("timepoint", f"must be one of {', '.join(Timepoint.values)}")
    if len(lesion) > 60:
        raise FieldError("lesion", "at most 60 characters")


def pullback_create_from_upload(
    *,
    study: Study,
    actor: Any,
    fileobj: IO[bytes],
    filename: str,
    size_bytes: int | None,
    subject_code: str,
    timepoint: str,
    lesion: str = "",
) -> Pullback:
    """Store an uploaded file and create its pullback in ``ingesting``; schedules the ingest.

    Post-state: the pullback row exists with status ``ingesting`` and the file is on disk;
    ``pullback_ingest_task`` runs on commit. Nothing is stored when validation fails.
    """
    from adjudication.tasks import pullback_ingest as pullback_ingest_task

    _validate_upload_fields(subject_code, timepoint, lesion)
    if size_bytes is not None and size_bytes > settings.UPLOAD_MAX_BYTES:
        raise Refused(
            f"The file is {size_bytes} bytes; the limit is {settings.UPLOAD_MAX_BYTES}.",
            code="too_large",
        )
    if size_bytes == 0:
        raise FieldError("file", "the file is empty", code="empty")
    pullback: Pullback | None = None
    try:
        with transaction.atomic(durable=True):
            subject, _ = Subject.objects.get_or_create(study=study, code=subject_code)
            pullback = Pullback.objects.create(
                study=study,
                subject=subject,
                timepoint=timepoint,
                lesion=lesion,
                original_filename=os.path.basename(filename)[:255],
                created_by=actor,
            )
            target = storage.upload_path(pullback)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with open(target, "wb") as out:
                while chunk := fileobj.read(1024 * 1024):
                    written += len(chunk)
                    if written > settings.UPLOAD_MAX_BYTES:
                        raise Refused(
                            f"The file exceeds the limit of {settings.UPLOAD_MAX_BYTES} bytes.",
                            code="too_large",
                        )
                    out.write(chunk)
            if written == 0:
                raise FieldError("file", "the file is empty", code="empty")
            audit_record(
                actor=actor,
                action="pullback.create",
                obj=pullback,
                study=study,
                after={**snapshot(pullback, PULLBACK_FIELDS), "subject_code": subject_code},
            )
            pk = pullback.pk
            transaction.on_commit(lambda: pullback_ingest_task.delay(pullback_pk=pk))
    except BaseException:
        if pullback is not None:
            storage.remove_pullback_files(pullback)
        raise
    return pullback


def pullback_ingest(*, pullback_pk: int) -> None:
    """Inspect, de-identify, calibrate and render one uploaded pullback.

    Pre-state ``ingesting`` (anything else: nothing to do). Post-state ``ready`` with frames
    on disk, or ``failed`` with a readable ``error`` and no files left behind.
    """
    with transaction.atomic(durable=True):
        pullback = (
            Pullback.objects.select_for_update(nowait=True)
            .select_related("study", "subject")
            .get(pk=pullback_pk)
        )
        if pullback.status != PullbackState.INGESTING:
            log.info("pullback %s is %s: nothing to ingest", pullback_pk, pullback.status)
            return
        try:
            with transaction.atomic():
                _ingest_locked(pullback)
        except (DicomRefused, FieldError, Refused) as exc:
            message = getattr(exc, "message", None) or str(exc)
            _fail(pullback, message)
        except DatabaseError:
            raise  # lock or connection trouble: the task retries
        except Exception as exc:  # an unexpected decoder/library error must not strand the row
            log.exception("ingest of pullback %s failed unexpectedly", pullback_pk)
            _fail(pullback, f"The DICOM could not be read ({type(exc).__name__}).")


def _fail(pullback: Pullback, message: str) -> None:
    storage.remove_pullback_files(pullback)
    transition(
        pullback,
        PullbackState.FAILED,
        actor=None,
        reason="ingest refused",
        fields={"error": message},
    )


def _ingest_locked(pullback: Pullback) -> None:
    upload = storage.upload_path(pullback)
    if not upload.exists():
        raise Refused("The uploaded file is missing; upload it again.", code="missing_file")
    inspected = inspect_file(upload, limits=limits_from_settings())
    digest = hashlib.sha256(inspected.sop_instance_uid.encode()).hexdigest()
    duplicate = (
        Pullback.objects.filter(study=pullback.study, source_uid_digest=digest)
        .exclude(pk=pullback.pk)
        .first()
    )
    if duplicate is not None:
        raise Refused(
            f"Duplicate: this DICOM (same SOP Instance UID) is already pullback {duplicate.pk}.",
            code="duplicate",
        )
    study_settings = pullback.study.get_settings()
    calibration = resolve_calibration(
        inspected.calibration_tags,
        pullback_speed_mm_s=study_settings.pullback_speed_mm_s,
        default_frame_spacing_mm=study_settings.default_frame_spacing_mm,
    )
    result = deidentify(inspected.dataset, subject_code=pullback.subject.code)
    frames = storage.frames_dir(pullback)
    tmp_frames = frames.with_name("frames.tmp")
    shutil.rmtree(tmp_frames, ignore_errors=True)
    tmp_frames.mkdir(parents=True)
    content_type = ""
    count = 0
    for index, data, ctype in iter_frame_images(inspected):
        content_type = ctype
        (tmp_frames / f"{index:05d}.{EXTENSIONS[ctype]}").write_bytes(data)
        count += 1
    if count != inspected.n_frames:
        raise Refused(
            f"Only {count} of {inspected.n_frames} frames could be decoded.", code="truncated"
        )
    inspected.dataset.save_as(storage.source_path(pullback), enforce_file_format=False)
    shutil.rmtree(frames, ignore_errors=True)
    tmp_frames.rename(frames)
    upload.unlink(missing_ok=True)
    Pseudonymisation.objects.update_or_create(
        pullback=pullback, defaults={"mapping": result.mapping}
    )
    spacing = calibration.pixel_spacing_mm
    transition(
        pullback,
        PullbackState.READY,
        actor=None,
        reason="ingest finished",
        fields={
            "source_uid_digest": digest,
            "n_frames": inspected.n_frames,
            "rows": inspected.rows,
            "columns": inspected.columns,
            "pixel_spacing_row_mm": spacing[0] if spacing else None,
            "pixel_spacing_col_mm": spacing[1] if spacing else None,
            "frame_spacing_mm": calibration.frame_spacing_mm,
            "calibration_source": calibration.calibration_source,
            "frame_content_type": content_type,
            "error": "",
        },
    )


def pullback_set_calibration(
    *,
    pullback: Pullback,
    actor: Any,
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
            action="pullback.calibrate",
            obj=pullback,
            study=pullback.study,
            before=before,
            after={**snapshot(pullback, fields), "calibration_source": pullback.calibration_source},
            reason=reason,
        )
    return pullback
