"""Worker ingest (SPEC §3, §8): prove, clean, de-identify, calibrate and store one pullback.

Three steps, as grand-challenge's ``execute_job``: no transaction and no row lock is open while
the file is decoded (minutes for a large pullback).

1. **Claim** (``_claim``): a short transaction locks the row (``nowait``), checks the state
   guard (``ingesting``, else nothing to do) and takes a session-level PostgreSQL advisory
   lock keyed by the pullback. The advisory lock belongs to the worker's database connection,
   not to a transaction: a second delivery of the task cannot ingest the same pullback at the
   same time (it gets ``LockNotAcquired`` and the task retries), and a worker killed mid-way
   loses its connection and with it the claim, so a redelivery runs at once.
2. **Work** (``_work``), no transaction open: ``dicom.inspect`` (the truncation check runs
   before the duplicate check, see ``inspect_file``), ``dicom.pixels.clean_frames`` (frames
   rewritten to what a decoder needs, hidden bytes refused), ``dicom.deidentify``
   (allow-list), calibration, and the frame layout on disk (``layout.store_frames``). Files
   are written under temporary names and renamed; the upload is kept until step 3 commits,
   so a re-run after a crash starts from the same input and writes the same files.
3. **Finish** (``_finish_ready`` / ``_finish_failed``): a short transaction moves the
   pullback to ``ready`` (pseudonym map stored, calibration and frame facts written) or to
   ``failed`` with a readable reason; the compare-and-set in ``transition`` is the second
   state guard. After it commits, the upload (which may hold PHI) is deleted, and on failure
   every file. **``_finish_ready`` is the one place where ingest ends**: hook follow-up work
   (e.g. image analysis) there with ``transaction.on_commit``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from adjudication import storage
from adjudication.dicom.deidentify import Deidentified, deidentify
from adjudication.dicom.inspect import DicomRefused, InspectedPullback, Limits, inspect_file
from adjudication.dicom.pixels import clean_frames
from adjudication.dicom.tags import calibration_tag_name
from adjudication.domain.calibration import Calibration, resolve_calibration
from adjudication.domain.errors import CalibrationInvalid, FieldError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import Pseudonymisation, Pullback
from adjudication.services.auto_annotations import auto_annotation_schedule
from adjudication.services.workflow import transition

from . import layout, progress

log = logging.getLogger(__name__)

# First key of the two-int advisory lock: "ingest" claims (the second key is the pullback pk).
_ADVISORY_NAMESPACE = zlib.crc32(b"corelab.ingest") & 0x7FFFFFFF


class LockNotAcquired(OperationalError):
    """Another worker holds this pullback's ingest claim; the task retries later (an
    ``OperationalError``, which the task's ``autoretry_for`` covers)."""


def limits_from_settings() -> Limits:
    return Limits(
        max_bytes=settings.UPLOAD_MAX_BYTES,
        max_frames=settings.PULLBACK_MAX_FRAMES,
        max_rows=settings.PULLBACK_MAX_ROWS,
        max_columns=settings.PULLBACK_MAX_COLUMNS,
        max_decoded_bytes=settings.PULLBACK_MAX_DECODED_BYTES,
    )


_UID_KEY_CONTEXT = b"corelab.deidentify.uid"


def uid_secret() -> bytes:
    """The key of the UID hash: ``DEIDENTIFY_UID_SECRET``, or one derived from ``SECRET_KEY``
    (an HMAC with a fixed context, so the UID key is never the signing key itself)."""
    explicit = getattr(settings, "DEIDENTIFY_UID_SECRET", "")
    if explicit:
        return str(explicit).encode()
    return hmac.new(str(settings.SECRET_KEY).encode(), _UID_KEY_CONTEXT, hashlib.sha256).digest()


def source_uid_digest(sop_instance_uid: str) -> str:
    """Keyed fingerprint of an original SOP Instance UID (the duplicate check's key): an
    HMAC, so the stored digest cannot be matched against a known UID without the key."""
    return hmac.new(uid_secret(), sop_instance_uid.strip().encode(), hashlib.sha256).hexdigest()


@dataclass
class _Result:
    digest: str
    inspected: InspectedPullback
    calibration: Calibration
    deidentified: Deidentified
    content_type: str


def pullback_ingest(*, pullback_pk: int) -> None:
    """Inspect, clean, de-identify, calibrate and store one uploaded pullback.

    Pre-state ``ingesting`` (anything else: nothing to do). Post-state ``ready`` with
    ``source.dcm`` (de-identified), the frames (in it or in ``frames.bin``) and ``frames.idx``
    on disk and the pseudonym map stored, or ``failed`` with a readable ``error`` and no files
    left behind. Progress is published to the cache. On ``ready`` it schedules the follow-up
    tasks (the proposal, the per-frame files: ``_finish_ready``; module doc for the claim /
    work / finish steps). Raises
    ``LockNotAcquired`` (an ``OperationalError``: the task retries) while another worker holds
    the claim.
    """
    pullback = _claim(pullback_pk)
    if pullback is None:
        return
    try:
        try:
            result = _work(pullback)
        except CalibrationInvalid as exc:
            _finish_failed(pullback, _calibration_message(exc))
            return
        except (DicomRefused, FieldError, Refused) as exc:
            _finish_failed(pullback, getattr(exc, "message", None) or str(exc))
            return
        except DatabaseError:
            layout.remove_temporaries(pullback)
            raise  # connection trouble: the task retries
        except Exception as exc:  # an unexpected decoder/library error must not strand the row
            log.exception("ingest of pullback %s failed unexpectedly", pullback_pk)
            _finish_failed(pullback, f"The DICOM could not be read ({type(exc).__name__}).")
            return
        try:
            _finish_ready(pullback, result)
        except IntegrityError:
            # Two copies of one DICOM ingested at the same time: the unique constraint on
            # (study, source_uid_digest) lets exactly one of them through.
            _finish_failed(
                pullback, "Duplicate: this DICOM (same SOP Instance UID) is already in the study."
            )
    finally:
        _release(pullback_pk)
        progress.clear_progress(pullback_pk)


def _claim(pullback_pk: int) -> Pullback | None:
    """Short transaction: row lock (nowait), state guard, advisory claim (module doc)."""
    claimed = False
    try:
        with transaction.atomic(durable=True):
            pullback = (
                # of=self: locking the joined study row too would make every ingest of one
                # study wait for the others.
                Pullback.objects.select_for_update(nowait=True, of=("self",))
                .select_related("study", "subject")
                .get(pk=pullback_pk)
            )
            if pullback.status != PullbackState.INGESTING:
                log.info("pullback %s is %s: nothing to ingest", pullback_pk, pullback.status)
                return None
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", [_ADVISORY_NAMESPACE, pullback_pk]
                )
                (claimed,) = cursor.fetchone()
            if not claimed:
                raise LockNotAcquired(f"pullback {pullback_pk} is being ingested by another worker")
    except BaseException:
        if claimed:  # the transaction failed after the claim: do not keep it
            _release(pullback_pk)
        raise
    return pullback


def _release(pullback_pk: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_ADVISORY_NAMESPACE, pullback_pk])
    except DatabaseError:  # the connection is gone, and the claim with it
        log.warning("could not release the ingest claim of pullback %s", pullback_pk)


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


def _work(pullback: Pullback) -> _Result:
    """Everything slow, with no transaction open (module doc, step 2)."""
    upload = storage.upload_path(pullback)
    if not upload.exists():
        raise Refused("The uploaded file is missing; upload it again.", code="missing_file")
    progress.set_progress(pullback.pk, 0)
    layout.remove_temporaries(pullback)  # left by a killed worker
    digest = ""

    def check_header(header: Any) -> None:
        nonlocal digest
        digest = source_uid_digest(str(header.get("SOPInstanceUID", "")))
        _check_not_duplicate(pullback, digest)  # before the pixel data is read

    inspected = inspect_file(upload, limits=limits_from_settings(), on_header=check_header)
    if source_uid_digest(inspected.sop_instance_uid) != digest:
        raise Refused("The file changed while it was being read.", code="truncated")
    study_settings = pullback.study.get_settings()
    calibration = resolve_calibration(
        inspected.calibration_tags,
        pullback_speed_mm_s=study_settings.pullback_speed_mm_s,
        default_frame_spacing_mm=study_settings.default_frame_spacing_mm,
    )
    on_frame = progress.Progress(pullback.pk, inspected.n_frames)
    early = None
    try:
        deidentified = deidentify(
            inspected.dataset, subject_code=pullback.subject.code, key=uid_secret()
        )
        # source.dcm is written from the upload while its frames are checked (layout doc);
        # whatever is refused below removes it.
        early = layout.source_write_start(pullback, inspected)
        # Frames are served byte for byte: everything but what a decoder needs goes (dicom.jpeg).
        rewritten = clean_frames(inspected, on_frame=on_frame)
        if rewritten:
            deidentified.mapping["frames_rewritten_to_decoder_segments"] = str(rewritten)
        progress.set_progress(pullback.pk, progress.PROGRESS_INSPECTED_PCT)
        content_type = layout.store_frames(pullback, inspected, on_frame, early)
    finally:
        if early is not None:
            early.wait()  # before anything of it is removed or kept
        inspected.close()  # the uploaded file, mapped by inspect
    return _Result(digest, inspected, calibration, deidentified, content_type)


def _finish_ready(pullback: Pullback, result: _Result) -> None:
    """Short transaction: ``ingesting`` → ``ready``. Ingest ends here (module doc)."""
    spacing = result.calibration.pixel_spacing_mm
    with transaction.atomic(durable=True):
        Pseudonymisation.objects.update_or_create(
            pullback=pullback, defaults={"mapping": result.deidentified.mapping}
        )
        transition(
            pullback,
            PullbackState.READY,
            actor=None,
            reason="ingest finished",
            fields={
                "source_uid_digest": result.digest,
                "n_frames": result.inspected.n_frames,
                "rows": result.inspected.rows,
                "columns": result.inspected.columns,
                "pixel_spacing_row_mm": spacing[0] if spacing else None,
                "pixel_spacing_col_mm": spacing[1] if spacing else None,
                "frame_spacing_mm": result.calibration.frame_spacing_mm,
                "calibration_source": result.calibration.calibration_source,
                "frame_content_type": result.content_type,
                "error": "",
            },
        )
        auto_annotation_schedule(pullback_pk=pullback.pk)  # on commit; ready never waits for it
        frame_files_schedule(pullback_pk=pullback.pk)  # on commit, a light task (layout doc)
    storage.upload_path(pullback).unlink(missing_ok=True)
    progress.set_progress(pullback.pk, 100)


def frame_files_schedule(*, pullback_pk: int) -> None:
    """Send the frame-files task once the caller's transaction commits."""
    from adjudication.tasks import pullback_write_frame_files

    transaction.on_commit(lambda: pullback_write_frame_files.delay(pullback_pk=pullback_pk))


def pullback_write_frame_files(*, pullback_pk: int) -> None:
    """Each frame of an ingested pullback as a file of its own for the reverse proxy
    (``layout.write_frame_files``); nothing to do while ingesting, when failed, or when the
    files exist already."""
    pullback = Pullback.objects.get(pk=pullback_pk)
    if pullback.status not in (PullbackState.INGESTING, PullbackState.FAILED):
        layout.write_frame_files(pullback)


def _finish_failed(pullback: Pullback, message: str) -> None:
    """Short transaction: ``ingesting`` → ``failed`` with ``message``; then no files."""
    with transaction.atomic(durable=True):
        transition(
            pullback,
            PullbackState.FAILED,
            actor=None,
            reason="ingest refused",
            fields={"error": message},
        )
    storage.remove_pullback_files(pullback)


def _calibration_message(exc: CalibrationInvalid) -> str:
    return (
        f"Calibration refused: {calibration_tag_name(exc.field)} is unusable ({exc.reason}). "
        "Correct the DICOM and upload it again."
    )
