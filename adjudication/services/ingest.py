"""Pullback upload and ingest (SPEC §3, §8): store, inspect, de-identify, calibrate, render.

Upload (``pullbacks_create_from_upload``) is all or nothing: every uploaded file is copied to
a staging folder under a shared byte budget (``UPLOAD_MAX_BYTES``), zips are expanded member
by member through ``dicom.archives`` under the same budget, every resulting file must be a
non-empty DICOM Part 10 file, and only then are the pullback rows created and the files moved
into place — in one transaction, with the files removed again if it does not commit. Anything
refused raises a ``DomainError`` (→ 4xx) and leaves no row and no file behind.

Ingest (``pullback_ingest``, run by the worker) proves the file (``dicom.inspect``, then every
frame through ``dicom.render``), de-identifies it, resolves its calibration and moves the
pullback to ``ready``, or to ``failed`` with a readable reason and no files. The duplicate
check (same SOP Instance UID in the study) runs on the header, before the pixel data is read.
Frames are stored once (``storage``): a JPEG-baseline source with one fragment per frame is
written as ``source.dcm`` only and its frames indexed in place (checked structurally plus a
decoded sample, see ``dicom.render``); any other source gets its frames encoded into one
``frames.bin``. Its progress is kept in the shared cache (the row is locked for the whole
ingest, so it cannot be written there) and read back by ``ingest_progress_pct``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction

from adjudication import storage
from adjudication.dicom.archives import is_zip, iter_upload_members
from adjudication.dicom.deidentify import deidentify
from adjudication.dicom.inspect import (
    DicomRefused,
    InspectedPullback,
    Limits,
    encapsulated_fragments,
    inspect_file,
)
from adjudication.dicom.jpeg_text import strip_dataset_frames
from adjudication.dicom.lmode import lmode_array, png_bytes
from adjudication.dicom.render import (
    iter_frame_images,
    passthrough_applies,
    verify_passthrough_frames,
)
from adjudication.dicom.tags import calibration_tag_name
from adjudication.domain.calibration import resolve_calibration
from adjudication.domain.errors import CalibrationInvalid, FieldError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import Pseudonymisation, Pullback, Study, Subject
from adjudication.models.pullback import Timepoint

from .audit import audit_record, snapshot
from .auto_annotations import auto_annotation_schedule
from .workflow import transition

log = logging.getLogger(__name__)

SUBJECT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
PULLBACK_FIELDS = ["study", "subject", "timepoint", "lesion", "status", "original_filename"]
EXTENSIONS = storage.EXTENSIONS
CHUNK_BYTES = 1024 * 1024
PROGRESS_TIMEOUT_S = 24 * 3600
# Share of the progress bar spent before the frames (inspection) and after them (saving).
PROGRESS_INSPECTED_PCT = 10
PROGRESS_FRAMES_DONE_PCT = 90


def limits_from_settings() -> Limits:
    return Limits(
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_frames=settings.PULLBACK_MAX_FRAMES,
        max_rows=settings.PULLBACK_MAX_ROWS,
        max_columns=settings.PULLBACK_MAX_COLUMNS,
        max_decoded_bytes=settings.PULLBACK_MAX_DECODED_BYTES,
    )


def _validate_upload_fields(subject_code: str, timepoint: str, lesion: str) -> None:
    if not SUBJECT_CODE_RE.match(subject_code or ""):
        raise FieldError("subject_code", "use 1-40 letters, digits, '-', '_' or '.'")
    if timepoint not in Timepoint.values:
        raise FieldError("timepoint", f"must be one of {', '.join(Timepoint.values)}")
    if len(lesion) > 60:
        raise FieldError("lesion", "at most 60 characters")


# ------------------------------------------------------------------------------------------
# Upload
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadSource:
    """One uploaded file: a DICOM or a zip of DICOMs. ``size_bytes`` as declared (or None)."""

    name: str
    fileobj: IO[bytes]
    size_bytes: int | None = None


def _too_large(what: str) -> Refused:
    return Refused(
        f"{what} exceeds the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.",
        code="too_large",
    )


class _Budget:
    """Bytes written to staging so far, against ``UPLOAD_MAX_BYTES`` (raw files and expanded
    archive members alike: an archive may not expand beyond the upload limit)."""

    def __init__(self) -> None:
        self.used = 0

    def copy(self, source: IO[bytes], target: Path, what: str) -> int:
        written = 0
        with open(target, "wb") as out:
            while chunk := source.read(CHUNK_BYTES):
                written += len(chunk)
                if self.used + written > settings.UPLOAD_MAX_BYTES:
                    raise _too_large(what)
                out.write(chunk)
        self.used += written
        return written

    def release(self, size: int) -> None:
        self.used -= size


def _check_dicom_member(path: Path, name: str) -> None:
    """Cheap content check before any row exists: non-empty and a DICOM Part 10 file."""
    size = path.stat().st_size
    if size == 0:
        raise FieldError("file", f"{name!r} is empty", code="empty")
    with open(path, "rb") as fh:
        head = fh.read(132)
    if head[128:132] != b"DICM":
        raise Refused(
            f"{name!r} is not a DICOM file (no 'DICM' marker after the 128-byte preamble).",
            code="not_dicom",
        )


def _expand_zip(path: Path, name: str, staging: Path, budget: _Budget) -> list[tuple[str, Path]]:
    members: list[tuple[str, Path]] = []
    try:
        for member_name, reader in iter_upload_members(
            path,
            max_total_bytes=settings.UPLOAD_MAX_BYTES - budget.used,
            max_members=settings.UPLOAD_MAX_ARCHIVE_MEMBERS,
        ):
            target = staging / f"member-{len(members):05d}"
            budget.copy(reader, target, f"The archive {name!r}")
            members.append((f"{name}/{member_name}", target))
    except DicomRefused as exc:
        if exc.code == "archive_too_large":
            raise Refused(exc.message, code="too_large") from exc
        raise Refused(exc.message, code=exc.code) from exc
    if not members:
        raise Refused(f"The archive {name!r} holds no files.", code="empty_archive")
    return members


def _stage(sources: Sequence[UploadSource], staging: Path) -> list[tuple[str, Path]]:
    """Copy (and expand) every source into ``staging``; returns ``(name, path)`` per DICOM."""
    budget = _Budget()
    staged: list[tuple[str, Path]] = []
    for index, source in enumerate(sources):
        name = os.path.basename(source.name or "") or f"upload-{index + 1}"
        raw = staging / f"upload-{index:05d}"
        size = budget.copy(source.fileobj, raw, f"The upload ({name!r})")
        if size == 0:
            raise FieldError("file", f"{name!r} is empty", code="empty")
        if is_zip(raw):
            budget.release(size)  # the budget counts what the archive expands to
            staged.extend(_expand_zip(raw, name, staging, budget))
            raw.unlink()
        else:
            staged.append((name, raw))
    for name, path in staged:
        _check_dicom_member(path, name)
    return staged


def pullbacks_create_from_upload(
    *,
    study: Study,
    actor: Any,
    sources: Sequence[UploadSource],
    subject_code: str,
    timepoint: str,
    lesion: str = "",
    schedule_ingest: bool = True,
) -> list[Pullback]:
    """Store uploaded files (DICOMs and zips of DICOMs) as new pullbacks, one per DICOM.

    Pre-state: none. Post-state: one ``ingesting`` pullback per DICOM (zip members count one
    each, in archive order), all with the given subject, timepoint and lesion, each with its
    file at ``storage.upload_path`` and an audit event; ``pullback_ingest_task`` is scheduled
    for each on commit (unless ``schedule_ingest`` is False: the caller runs the ingest).
    Refusals (``FieldError``/``Refused``: empty, not DICOM, over ``UPLOAD_MAX_BYTES`` —
    code ``too_large`` — unsafe or empty archive) leave no row and no file.
    """
    from adjudication.tasks import pullback_ingest as pullback_ingest_task

    _validate_upload_fields(subject_code, timepoint, lesion)
    if not sources:
        raise FieldError("file", "no file was uploaded", code="required")
    declared = sum(s.size_bytes or 0 for s in sources)
    if declared > settings.UPLOAD_MAX_BYTES:
        raise Refused(
            f"The upload is {declared} bytes; the limit is {settings.UPLOAD_MAX_BYTES}.",
            code="too_large",
        )
    staging = storage.new_staging_dir()
    created_dirs: list[Path] = []
    try:
        staged = _stage(sources, staging)
        with transaction.atomic(durable=True):
            subject, _ = Subject.objects.get_or_create(study=study, code=subject_code)
            pullbacks = []
            for name, path in staged:
                pullback = Pullback.objects.create(
                    study=study,
                    subject=subject,
                    timepoint=timepoint,
                    lesion=lesion,
                    original_filename=name[-255:],
                    created_by=actor,
                )
                created_dirs.append(storage.pullback_dir(pullback))
                target = storage.upload_path(pullback)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                audit_record(
                    actor=actor,
                    action="pullback.create",
                    obj=pullback,
                    study=study,
                    after={**snapshot(pullback, PULLBACK_FIELDS), "subject_code": subject_code},
                )
                if schedule_ingest:
                    pk = pullback.pk
                    transaction.on_commit(lambda pk=pk: pullback_ingest_task.delay(pullback_pk=pk))
                pullbacks.append(pullback)
    except BaseException:
        for folder in created_dirs:
            storage.remove_tree(folder)
        raise
    finally:
        storage.remove_tree(staging)
    return pullbacks


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
    """One uploaded file → its pullback (the first one, should the file be a zip of several);
    see ``pullbacks_create_from_upload`` for the pre/post-state and refusals."""
    if size_bytes == 0:
        raise FieldError("file", "the file is empty", code="empty")
    pullbacks = pullbacks_create_from_upload(
        study=study,
        actor=actor,
        sources=[UploadSource(filename, fileobj, size_bytes)],
        subject_code=subject_code,
        timepoint=timepoint,
        lesion=lesion,
    )
    return pullbacks[0]


# ------------------------------------------------------------------------------------------
# Ingest
# ------------------------------------------------------------------------------------------


def _progress_key(pullback_pk: int) -> str:
    return f"ingest:progress:{pullback_pk}"


def _set_progress(pullback_pk: int, pct: int) -> None:
    cache.set(_progress_key(pullback_pk), int(pct), timeout=PROGRESS_TIMEOUT_S)


def ingest_progress_pct(pullback: Pullback) -> int | None:
    """How far ingest is, 0–100: the cached figure while ``ingesting`` (0 before the worker
    starts), 100 once ingested, None for a failed pullback."""
    if pullback.status == PullbackState.FAILED:
        return None
    if pullback.status != PullbackState.INGESTING:
        return 100
    return int(cache.get(_progress_key(pullback.pk)) or 0)


def pullback_ingest(*, pullback_pk: int) -> None:
    """Inspect, de-identify, calibrate and render one uploaded pullback.

    Pre-state ``ingesting`` (anything else: nothing to do). Post-state ``ready`` with
    ``source.dcm`` (de-identified), the frames (in it or in ``frames.bin``) and ``frames.idx``
    on disk and the pseudonym map stored, or
    ``failed`` with a readable ``error`` and no files left behind. Progress is published to the
    cache every ``INGEST_PROGRESS_EVERY_FRAMES`` frames. Schedules nothing.
    """
    with transaction.atomic(durable=True):
        pullback = (
            # of=self: locking the joined study row too would make every ingest of one study
            # wait for the others.
            Pullback.objects.select_for_update(nowait=True, of=("self",))
            .select_related("study", "subject")
            .get(pk=pullback_pk)
        )
        if pullback.status != PullbackState.INGESTING:
            log.info("pullback %s is %s: nothing to ingest", pullback_pk, pullback.status)
            return
        try:
            with transaction.atomic():
                _ingest_locked(pullback)
        except CalibrationInvalid as exc:
            _fail(pullback, _calibration_message(exc))
        except (DicomRefused, FieldError, Refused) as exc:
            _fail(pullback, getattr(exc, "message", None) or str(exc))
        except IntegrityError:
            # Two copies of one DICOM ingested at the same time: the unique constraint on
            # (study, source_uid_digest) lets exactly one of them through.
            _fail(
                pullback, "Duplicate: this DICOM (same SOP Instance UID) is already in the study."
            )
        except DatabaseError:
            _remove_temporaries(pullback)
            raise  # lock or connection trouble: the task retries
        except Exception as exc:  # an unexpected decoder/library error must not strand the row
            log.exception("ingest of pullback %s failed unexpectedly", pullback_pk)
            _fail(pullback, f"The DICOM could not be read ({type(exc).__name__}).")
    transaction.on_commit(lambda: cache.delete(_progress_key(pullback_pk)))


def _calibration_message(exc: CalibrationInvalid) -> str:
    return (
        f"Calibration refused: {calibration_tag_name(exc.field)} is unusable ({exc.reason}). "
        "Correct the DICOM and upload it again."
    )


def _fail(pullback: Pullback, message: str) -> None:
    storage.remove_pullback_files(pullback)
    transition(
        pullback,
        PullbackState.FAILED,
        actor=None,
        reason="ingest refused",
        fields={"error": message},
    )


def _check_not_duplicate(pullback: Pullback, digest: str) -> None:
    duplicate = (
        Pullback.objects.filter(study=pullback.study, source_uid_digest=digest)
        .exclude(pk=pullback.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if duplicate is not None:
        raise Refused(
            f"Duplicate: this DICOM (same SOP Instance UID) is already pullback {duplicate} "
            "of this study.",
            code="duplicate",
        )


_TMP_SUFFIX = ".tmp"


def _remove_temporaries(pullback: Pullback) -> None:
    folder = storage.pullback_dir(pullback)
    for name in (storage.SOURCE_NAME, storage.FRAMES_BIN_NAME, storage.INDEX_NAME):
        (folder / (name + _TMP_SUFFIX)).unlink(missing_ok=True)


class _Progress:
    """Publishes ingest progress every ``INGEST_PROGRESS_EVERY_FRAMES`` frames."""

    def __init__(self, pullback_pk: int, n_frames: int) -> None:
        self.pk = pullback_pk
        self.n_frames = max(n_frames, 1)
        self.every = max(1, settings.INGEST_PROGRESS_EVERY_FRAMES)

        self.published = -1

    def __call__(self, index: int) -> None:
        done = index + 1
        if done % self.every == 0:
            span = PROGRESS_FRAMES_DONE_PCT - PROGRESS_INSPECTED_PCT
            pct = PROGRESS_INSPECTED_PCT + span * done // self.n_frames
            if pct != self.published:  # a cache write only when the figure moves
                _set_progress(self.pk, pct)
                self.published = pct


def _single_fragment_frames(inspected: InspectedPullback) -> list[tuple[int, int]] | None:
    """Passed-through JPEG with exactly one fragment per frame: each fragment's (offset,
    length) in the Pixel Data value; otherwise None (frames go to ``frames.bin``)."""
    if not passthrough_applies(inspected):
        return None
    fragments = encapsulated_fragments(inspected.dataset.PixelData)
    return fragments if len(fragments) == inspected.n_frames else None


def _pixel_value_offset(path: Path, value_length: int) -> int | None:
    """Where the encapsulated Pixel Data value starts in the DICOM just written, found from
    the end (it is the last element: tag, VR, length, value, sequence delimiter); None when
    the file does not look like that (then the frames are copied to ``frames.bin``)."""
    size = path.stat().st_size
    start = size - 8 - value_length
    header = b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff"
    if start < len(header):
        return None
    with open(path, "rb") as fh:
        fh.seek(start - len(header))
        if fh.read(len(header)) != header:
            return None
        fh.seek(size - 8)
        if fh.read(8) != b"\xfe\xff\xdd\xe0\x00\x00\x00\x00":
            return None
    return start


def _index_in_source(
    source_tmp: Path, inspected: InspectedPullback, fragments: list[tuple[int, int]]
) -> list[tuple[int, int]] | None:
    """Each frame's (offset, length) in the written ``source.dcm``, each proven to point at
    the same bytes as the fragment it names (first and last 16 bytes, whole first and last
    frame); None when the layout is not the expected one."""
    pixel_data = memoryview(inspected.dataset.PixelData)
    start = _pixel_value_offset(source_tmp, len(pixel_data))
    if start is None:
        return None
    entries = [(start + offset, length) for offset, length in fragments]
    fd = os.open(source_tmp, os.O_RDONLY)
    try:
        for i, ((offset, length), (rel, _)) in enumerate(zip(entries, fragments, strict=True)):
            whole = i in (0, len(entries) - 1)
            probes = [(0, length)] if whole else [(0, 16), (max(length - 16, 0), 16)]
            for at, count in probes:
                count = min(count, length - at)
                if os.pread(fd, count, offset + at) != pixel_data[rel + at : rel + at + count]:
                    return None
    finally:
        os.close(fd)
    return entries


def _write_frames_bin(
    inspected: InspectedPullback, target: Path, progress: _Progress
) -> tuple[str, list[tuple[int, int]]]:
    """Every frame image into one file; returns their content type and (offset, length)s."""
    content_type = ""
    entries: list[tuple[int, int]] = []
    offset = 0
    with open(target, "wb") as out:
        for index, data, ctype in iter_frame_images(inspected):
            content_type = ctype
            out.write(data)
            entries.append((offset, len(data)))
            offset += len(data)
            progress(index)
    if len(entries) != inspected.n_frames:
        raise Refused(
            f"Only {len(entries)} of {inspected.n_frames} frames could be decoded.",
            code="truncated",
        )
    return content_type, entries


def _store(pullback: Pullback, inspected: InspectedPullback) -> str:
    """``source.dcm``, the frames and ``frames.idx`` in place (index last); returns the
    frames' content type. Written under temporary names and renamed, so nothing half-written
    is ever visible; on failure the caller removes the folder."""
    folder = storage.pullback_dir(pullback)
    source = folder / storage.SOURCE_NAME
    source_tmp = folder / (storage.SOURCE_NAME + _TMP_SUFFIX)
    bin_tmp = folder / (storage.FRAMES_BIN_NAME + _TMP_SUFFIX)
    index_tmp = folder / (storage.INDEX_NAME + _TMP_SUFFIX)
    progress = _Progress(pullback.pk, inspected.n_frames)
    entries: list[tuple[int, int]] | None = None
    fragments = _single_fragment_frames(inspected)
    if fragments is not None:
        pixel_data = memoryview(inspected.dataset.PixelData)
        verify_passthrough_frames(
            inspected, [pixel_data[o : o + n] for o, n in fragments], on_frame=progress
        )
        inspected.dataset.save_as(source_tmp, enforce_file_format=False)
        entries = _index_in_source(source_tmp, inspected, fragments)
        content_type = "image/jpeg"
    if entries is None:  # re-encoded, several fragments per frame, or an unexpected layout
        content_type, entries = _write_frames_bin(inspected, bin_tmp, progress)
        if not source_tmp.exists():
            inspected.dataset.save_as(source_tmp, enforce_file_format=False)
    index_tmp.write_bytes(storage.frame_index_bytes(entries, in_source=not bin_tmp.exists()))
    if bin_tmp.exists():
        os.replace(bin_tmp, folder / storage.FRAMES_BIN_NAME)
    os.replace(source_tmp, source)
    shutil.rmtree(storage.frames_dir(pullback), ignore_errors=True)  # an older layout
    os.replace(index_tmp, folder / storage.INDEX_NAME)
    return content_type


def _ingest_locked(pullback: Pullback) -> None:
    upload = storage.upload_path(pullback)
    if not upload.exists():
        raise Refused("The uploaded file is missing; upload it again.", code="missing_file")
    _set_progress(pullback.pk, 0)
    digest = ""

    def check_header(header: Any) -> None:
        nonlocal digest
        digest = hashlib.sha256(str(header.get("SOPInstanceUID", "")).encode()).hexdigest()
        _check_not_duplicate(pullback, digest)  # before the pixel data is read

    inspected = inspect_file(upload, limits=limits_from_settings(), on_header=check_header)
    if hashlib.sha256(inspected.sop_instance_uid.encode()).hexdigest() != digest:
        raise Refused("The file changed while it was being read.", code="truncated")
    study_settings = pullback.study.get_settings()
    calibration = resolve_calibration(
        inspected.calibration_tags,
        pullback_speed_mm_s=study_settings.pullback_speed_mm_s,
        default_frame_spacing_mm=study_settings.default_frame_spacing_mm,
    )
    result = deidentify(inspected.dataset, subject_code=pullback.subject.code)
    # Text hidden inside JPEG frames (COM/APPn segments) would reach readers byte for byte.
    stripped = strip_dataset_frames(inspected.dataset, inspected.n_frames)
    if stripped:
        result.mapping["jpeg_text_segments_removed_from_frames"] = str(stripped)
    _set_progress(pullback.pk, PROGRESS_INSPECTED_PCT)
    content_type = _store(pullback, inspected)
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
    auto_annotation_schedule(pullback_pk=pullback.pk)  # on commit; ready never waits for it
    _set_progress(pullback.pk, 100)


# ------------------------------------------------------------------------------------------
# L-mode
# ------------------------------------------------------------------------------------------


def pullback_lmode_png(
    *,
    storage_key: str,
    n_frames: int,
    content_type: str,
    rows: int,
    columns: int,
    angle_deg: int,
) -> bytes:
    """The L-mode PNG of a ready pullback at a whole-degree angle (``dicom.lmode``).

    Computed from the stored frames on first request and kept on disk
    (``storage.lmode_path``), together with its mirror image at ``angle_deg + 180``, which is
    the same line read the other way. Writes files only, never a row.
    """
    path = storage.lmode_path(storage_key, angle_deg)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass

    def frames() -> Any:
        for f in range(n_frames):
            data = storage.read_frame(storage_key, f, content_type)
            if data is None:
                raise FileNotFoundError(f"frame {f} of pullback {storage_key} is missing")
            yield data

    array = lmode_array(frames(), rows=rows, columns=columns, angle_deg=angle_deg)
    data = png_bytes(array)
    storage.write_atomically(path, data)
    mirror = storage.lmode_path(storage_key, (angle_deg + 180) % 360)
    if not mirror.exists():
        storage.write_atomically(mirror, png_bytes(array[::-1]))
    return data


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
