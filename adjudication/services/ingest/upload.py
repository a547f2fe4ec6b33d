"""Upload staging (SPEC §3, §8): uploaded files → ``ingesting`` pullbacks, all or nothing.

Every uploaded file is copied to a staging folder under a shared byte budget
(``UPLOAD_MAX_BYTES``); zips are expanded member by member through ``dicom.archives`` under
the same budget, and each member's first 132 bytes are checked for the DICOM Part 10 preamble
and ``DICM`` marker *before* the member is expanded (a zip of non-DICOM data never expands).
Every resulting file must be a non-empty DICOM Part 10 file, and only then are the pullback
rows created and the files moved into place — in one transaction, with the files removed
again if it does not commit. Anything refused raises a ``DomainError`` (→ 4xx) and leaves no
row and no file behind.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction

from adjudication import storage
from adjudication.dicom.archives import ByteBudget, is_zip, iter_upload_members
from adjudication.dicom.inspect import DicomRefused
from adjudication.domain.errors import FieldError, Refused
from adjudication.domain.manifest import ManifestRow, match_manifest
from adjudication.models import AuditAction, Pullback, Study, Subject
from adjudication.models.pullback import Timepoint
from adjudication.services.audit import audit_record, snapshot
from adjudication.types import User

SUBJECT_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
PULLBACK_FIELDS = ["study", "subject", "timepoint", "lesion", "status", "original_filename"]
CHUNK_BYTES = 1024 * 1024


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
    """One uploaded file: a DICOM or a zip of DICOMs. ``size_bytes`` as declared (or None).
    ``path``: the upload is already this file (the reverse proxy wrote it,
    ``adjudication.uploads_proxy``): moved into staging, not copied; ``fileobj`` unused."""

    name: str
    fileobj: IO[bytes] | None
    size_bytes: int | None = None
    path: Path | None = None


def _too_large(what: str) -> Refused:
    return Refused(
        f"{what} exceeds the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.",
        code="too_large",
    )


def _copy(source: IO[bytes], target: Path, budget: ByteBudget | None, what: str) -> int:
    """Copy ``source`` to ``target``; each byte counts against ``budget`` unless the source
    already counts its own reads against it (an archive member)."""
    written = 0
    with open(target, "wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            if budget is not None and not budget.take(len(chunk)):
                raise _too_large(what)
            written += len(chunk)
            out.write(chunk)
    return written


def _take(source: Path, target: Path, budget: ByteBudget, what: str) -> int:
    """Move the file ``source`` to ``target`` (copied when on another filesystem); its size
    counts against ``budget``."""
    size = source.stat().st_size
    if not budget.take(size):
        raise _too_large(what)
    try:
        os.replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copyfile(source, target)
        source.unlink(missing_ok=True)
    return size


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


def _expand_zip(path: Path, name: str, staging: Path, budget: ByteBudget) -> list[tuple[str, Path]]:
    members: list[tuple[str, Path]] = []
    try:
        for member_name, reader in iter_upload_members(
            path, budget=budget, max_members=settings.UPLOAD_MAX_ARCHIVE_MEMBERS
        ):
            target = staging / f"member-{len(members):05d}"
            _copy(reader, target, None, f"The archive {name!r}")  # the reader counts its bytes
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
    budget = ByteBudget(settings.UPLOAD_MAX_BYTES)
    staged: list[tuple[str, Path]] = []
    for index, source in enumerate(sources):
        name = os.path.basename(source.name or "") or f"upload-{index + 1}"
        raw = staging / f"upload-{index:05d}"
        if source.path is not None:
            size = _take(source.path, raw, budget, f"The upload ({name!r})")
        else:
            assert source.fileobj is not None
            size = _copy(source.fileobj, raw, budget, f"The upload ({name!r})")
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
    actor: User,
    sources: Sequence[UploadSource],
    subject_code: str = "",
    timepoint: str = "",
    lesion: str = "",
    manifest: Sequence[ManifestRow] | None = None,
    schedule_ingest: bool = True,
) -> list[Pullback]:
    """Store uploaded files (DICOMs and zips of DICOMs) as new pullbacks, one per DICOM.

    Pre-state: none. Post-state: one ``ingesting`` pullback per DICOM (zip members count one
    each, in archive order), all with the given subject, timepoint and lesion, each with its
    file at ``storage.upload_path`` and an audit event; ``pullback_ingest_task`` is scheduled
    for each on commit (unless ``schedule_ingest`` is False: the caller runs the ingest).
    Refusals (``FieldError``/``Refused``: empty, not DICOM, over ``UPLOAD_MAX_BYTES`` —
    code ``too_large`` — unsafe or empty archive) leave no row and no file.

    With a ``manifest`` (parsed by ``domain.manifest.parse_manifest``) each DICOM takes the
    subject, timepoint and lesion of its manifest row instead; every DICOM must have exactly
    one row and every row one DICOM (``FieldError`` on ``manifest`` listing each mismatch).
    """
    from adjudication.tasks import pullback_ingest as pullback_ingest_task

    if manifest is None:
        _validate_upload_fields(subject_code, timepoint, lesion)
    else:
        for row in manifest:
            _validate_upload_fields(row.subject_code, row.timepoint, row.lesion)
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
        if manifest is None:
            rows = [ManifestRow(0, name, subject_code, timepoint, lesion) for name, _path in staged]
        else:
            rows = match_manifest(manifest, [name for name, _path in staged])
        with transaction.atomic(durable=True):
            subjects: dict[str, Subject] = {}
            pullbacks = []
            for (name, path), row in zip(staged, rows, strict=True):
                if row.subject_code not in subjects:
                    subjects[row.subject_code], _ = Subject.objects.get_or_create(
                        study=study, code=row.subject_code
                    )
                pullback = Pullback.objects.create(
                    study=study,
                    subject=subjects[row.subject_code],
                    timepoint=row.timepoint,
                    lesion=row.lesion,
                    original_filename=name[-255:],
                    created_by=actor,
                )
                created_dirs.append(storage.pullback_dir(pullback))
                target = storage.upload_path(pullback)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                audit_record(
                    actor=actor,
                    action=AuditAction.PULLBACK_CREATE,
                    obj=pullback,
                    study=study,
                    after={
                        **snapshot(pullback, PULLBACK_FIELDS),
                        "subject_code": row.subject_code,
                    },
                )
                if schedule_ingest:
                    pk = pullback.pk
                    transaction.on_commit(partial(pullback_ingest_task.delay, pullback_pk=pk))
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
    actor: User,
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


def pullback_ingest_enqueue(*, pullback_pk: int) -> None:
    """Hand ``pullback_pk``'s ingest to the worker (which retries), e.g. after an inline ingest
    failed unexpectedly; views never import tasks themselves."""
    from adjudication.tasks import pullback_ingest as pullback_ingest_task

    pullback_ingest_task.delay(pullback_pk=pullback_pk)
