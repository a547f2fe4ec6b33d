"""DICOMweb endpoints under ``/dicomweb/`` (PS3.18; SPEC §12). Thin: authenticate, restrict to
what the caller may see, call ``instances``/``storage``/the ingest services, render.

Authentication is the API's: ``Authorization: Token <key>`` (``Bearer <key>`` is accepted too,
as DICOMweb clients send it) or the session cookie (a session POST must carry the CSRF token,
as in DRF). Anything the caller may not see answers 404, and
searches return only visible instances. Errors are JSON ``{detail, code[, field]}``.

- QIDO-RS ``GET studies``, ``series``, ``instances``, ``studies/{s}/series``,
  ``studies/{s}/instances``, ``studies/{s}/series/{r}/instances``: ``application/dicom+json``;
  attribute matching (keyword or tag), ``includefield``, ``limit`` / ``offset``.
- WADO-RS ``…/instances/{i}/frames/{n1,n2,…}`` (1-based: frame n is our frame n − 1):
  multipart/related; the stored JPEG bytes as they are unless the client asks for raw pixels
  (``application/octet-stream``, decoded from ``source.dcm``). Authorised through the cached
  frame grants of ``frames_auth`` (no database query with a warm grant).
- WADO-RS ``studies/{s}``, ``…/series/{r}``, ``…/instances/{i}``: the de-identified DICOM
  instances (``application/dicom``), the header redacted for non-coordinators as in QIDO.
- WADO-RS ``…/metadata`` at study, series and instance level: DICOM JSON, bulk data not
  inlined (``PixelData`` is a ``BulkDataURI`` naming the instance).
- STOW-RS ``POST studies?study=&subject_code=&timepoint=&lesion=`` (coordinators of that
  study): the body is spooled to disk (``UPLOAD_MAX_BYTES``, else 413), each
  ``application/dicom`` part becomes a pullback through the upload service and is ingested
  before the answer, so the answer lists the de-identified UIDs stored
  (``ReferencedSOPSequence``) and the parts refused (``FailedSOPSequence``): 200 all stored,
  202 some, 409 none.
"""

from __future__ import annotations

import io
import json
import logging
import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import pydicom
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from adjudication import storage
from adjudication.api.exceptions import _domain_response
from adjudication.api.pullbacks import ChunksResponse
from adjudication.dicom.inspect import DicomRefused
from adjudication.domain.errors import DomainError
from adjudication.frames_auth import NotAuthenticated, authenticated_user, frame_grant
from adjudication.models import Membership, Pullback, Study
from adjudication.roles import Role
from adjudication.services import ingest
from adjudication.types import User

from . import instances as idx
from .multipart import (
    FileRange,
    MultipartError,
    choose_frame_type,
    encode_parts,
    new_boundary,
    part_ranges,
)

log = logging.getLogger(__name__)

DICOM_JSON = "application/dicom+json"
QIDO_MAX_LIMIT = 1000
# STOW FailureReason (PS3.4 Annex GG): processing failure; refused (not a supported image).
FAILURE_PROCESSING = 0x0110
FAILURE_REFUSED = 0xC000


def _error(status: int, detail: str, code: str, field: str | None = None) -> JsonResponse:
    body = {"detail": detail, "code": code}
    if field:
        body["field"] = field
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Token"
    return response


def _not_found() -> JsonResponse:
    return _error(404, "Not found.", "not_found")


def _dicom_json(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), content_type=DICOM_JSON, status=status)


_JSON_TYPES = ("application/dicom+json", "application/json", "application/*", "*/*")


def _wants_json(request: HttpRequest) -> bool:
    """QIDO-RS and metadata answer DICOM JSON only (no XML): any other Accept → 406."""
    accept = request.META.get("HTTP_ACCEPT", "").lower()
    return not accept.strip() or any(t in accept for t in _JSON_TYPES)


def _not_acceptable() -> JsonResponse:
    return _error(406, "This server answers application/dicom+json.", "not_acceptable")


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/dicomweb").rstrip("/")


def _user_or_401(request: HttpRequest) -> Any:
    try:
        return authenticated_user(request)
    except NotAuthenticated as exc:
        return _error(401, str(exc), "not_authenticated")


def _bearer_as_token(request: HttpRequest) -> None:
    """``Authorization: Bearer <key>`` is read as ``Token <key>``: DICOMweb clients (3D Slicer's
    ``importFromDICOMWeb``, OHIF's user-authentication service) send the Bearer scheme."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        request.META["HTTP_AUTHORIZATION"] = "Token " + header[7:]


def _get_only(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _bearer_as_token(request)
        if request.method not in ("GET", "HEAD"):
            return _error(405, f'Method "{request.method}" not allowed.', "method_not_allowed")
        return view(request, *args, **kwargs)

    return wrapped


def _scoped(user: User, study_uid: str | None, series_uid: str | None) -> list[idx.Instance]:
    everything = idx.visible_instances(user)
    return [
        i
        for i in everything
        if (study_uid is None or i.study_uid == study_uid)
        and (series_uid is None or i.series_uid == series_uid)
    ]


# --- QIDO-RS ----------------------------------------------------------------------------------

_LEVELS = {
    "studies": idx.study_results,
    "series": idx.series_results,
    "instances": idx.instance_results,
}


def _qido(
    request: HttpRequest, level: str, study_uid: str | None = None, series_uid: str | None = None
) -> HttpResponse:
    user = _user_or_401(request)
    if isinstance(user, HttpResponse):
        return user
    if not _wants_json(request):
        return _not_acceptable()
    try:
        query = idx.parse_query(dict(request.GET.lists()), max_limit=QIDO_MAX_LIMIT)
    except idx.QueryError as exc:
        return _error(400, str(exc), "invalid_query", exc.field)
    scope = _scoped(user, study_uid, series_uid)
    if (study_uid or series_uid) and not scope:
        return _not_found()  # a study or series the caller may not see does not exist
    matching = idx.filter_instances(scope, query)
    results = _LEVELS[level](matching, scope, query, _base_url(request))
    end = None if query.limit is None else query.offset + query.limit
    page = [idx.sorted_json(r) for r in results[query.offset : end]]
    return _dicom_json(page)


@csrf_exempt
def studies(request: HttpRequest) -> HttpResponse:
    """``GET`` searches studies (QIDO-RS); ``POST`` stores instances (STOW-RS)."""
    _bearer_as_token(request)
    if request.method == "POST":
        return _stow(request)
    if request.method not in ("GET", "HEAD"):
        return _error(405, f'Method "{request.method}" not allowed.', "method_not_allowed")
    return _qido(request, "studies")


@_get_only
def search_series(
    request: HttpRequest, study_uid: str | None = None, series_uid: str | None = None
) -> HttpResponse:
    return _qido(request, "series", study_uid)


@_get_only
def search_instances(
    request: HttpRequest, study_uid: str | None = None, series_uid: str | None = None
) -> HttpResponse:
    return _qido(request, "instances", study_uid, series_uid)


# --- WADO-RS metadata and instances -------------------------------------------------------


def _instance_url(request: HttpRequest, instance: idx.Instance) -> str:
    return (
        f"{_base_url(request)}/studies/{instance.study_uid}/series/{instance.series_uid}"
        f"/instances/{instance.sop_uid}"
    )


@_get_only
def metadata(
    request: HttpRequest,
    study_uid: str,
    series_uid: str | None = None,
    sop_uid: str | None = None,
) -> HttpResponse:
    user = _user_or_401(request)
    if isinstance(user, HttpResponse):
        return user
    if not _wants_json(request):
        return _not_acceptable()
    scope = [
        i for i in _scoped(user, study_uid, series_uid) if sop_uid is None or i.sop_uid == sop_uid
    ]
    if not scope:
        return _not_found()
    out = []
    for instance in scope:
        data = dict(instance.full_json() or instance.json)
        data["7FE00010"] = {"vr": "OB", "BulkDataURI": _instance_url(request, instance)}
        out.append(idx.sorted_json(data))
    return _dicom_json(out)


PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"  # (7FE0,0010), little endian


def _header_and_pixel_data_at(path: Path) -> tuple[pydicom.Dataset, int | None]:
    """The header, and where the (7FE0,0010) element starts in the file: pydicom leaves the
    file at that tag when it stops before the pixels; the tag's bytes there prove it (None
    otherwise, and the caller re-encodes the whole file)."""
    with open(path, "rb") as fh:
        header = pydicom.dcmread(fh, stop_before_pixels=True)
        at = fh.tell()
        return header, (at if fh.read(4) == PIXEL_DATA_TAG else None)


def _dicom_file_chunks(instance: idx.Instance, coordinator: bool) -> Iterator[bytes]:
    """The stored de-identified file: header (private groups dropped; redacted for
    non-coordinators, as in QIDO) as rewritten by pydicom, then the pixel data element
    copied byte for byte from disk."""
    path = Path(settings.MEDIA_ROOT) / "pullbacks" / instance.storage_key / storage.SOURCE_NAME
    header, pixel_at = _header_and_pixel_data_at(path)
    if pixel_at is None:
        header = pydicom.dcmread(path)  # the slow, always-correct way
    header.remove_private_tags()
    if not coordinator:
        for tag in list(header.keys()):
            hex_tag = f"{int(tag):08X}"
            if hex_tag in idx.REDACTED_TAGS or hex_tag.startswith(idx.CLINICAL_TRIAL_GROUP):
                del header[tag]
    out = io.BytesIO()
    header.save_as(out, enforce_file_format=True)
    yield out.getvalue()
    if pixel_at is None:
        return
    with open(path, "rb") as fh:
        fh.seek(pixel_at)
        while chunk := fh.read(1024 * 1024):
            yield chunk


@_get_only
def retrieve(
    request: HttpRequest,
    study_uid: str,
    series_uid: str | None = None,
    sop_uid: str | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The instances as ``multipart/related; type="application/dicom"`` (streamed)."""
    user = _user_or_401(request)
    if isinstance(user, HttpResponse):
        return user
    scope = [
        i for i in _scoped(user, study_uid, series_uid) if sop_uid is None or i.sop_uid == sop_uid
    ]
    if not scope:
        return _not_found()
    boundary = new_boundary()

    def body() -> Iterator[bytes]:
        for instance in scope:
            yield f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode("ascii")
            yield from _dicom_file_chunks(instance, instance.is_coordinator)
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode("ascii")

    return StreamingHttpResponse(
        body(),
        content_type=f'multipart/related; type="application/dicom"; boundary={boundary}',
    )


# --- WADO-RS frames ---------------------------------------------------------------------------

# SOP Instance UID → the pullbacks carrying it, as (pk, storage key, study uid, series uid). A fact about
# the data (one de-identified file may be ingested into two trials), not about who may see
# it: every request is still authorised through ``frame_grant``. Filled on first use.
_SOP_PULLBACKS: dict[str, tuple[tuple[int, str, str, str], ...]] = {}
_SOP_PULLBACKS_MAX = 65536


def _parse_frame_numbers(text: str) -> list[int] | None:
    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        return None
    return numbers if numbers and all(n >= 1 for n in numbers) else None


def _grant_for(request: HttpRequest, study_uid: str, series_uid: str, sop_uid: str) -> Any:
    """The frame grant for the instance, or None (→ 404); raises ``NotAuthenticated``."""
    for pk, key, study, series in _SOP_PULLBACKS.get(sop_uid, ()):
        if (study, series) == (study_uid, series_uid):
            grant = frame_grant(request, pk)
            if grant is not None and grant.storage_key == key:  # the same pullback's files
                return grant
    # Cold (or not visible through the known pullbacks): the full check, then remember.
    user = authenticated_user(request)
    found = [i for i in idx.visible_instances(user) if i.sop_uid == sop_uid]
    if found:
        known = dict.fromkeys(_SOP_PULLBACKS.get(sop_uid, ()))
        known.update(
            dict.fromkeys((i.pullback_pk, i.storage_key, i.study_uid, i.series_uid) for i in found)
        )
        if len(_SOP_PULLBACKS) >= _SOP_PULLBACKS_MAX:
            _SOP_PULLBACKS.clear()
        _SOP_PULLBACKS[sop_uid] = tuple(known)
    for instance in found:
        if (instance.study_uid, instance.series_uid) == (study_uid, series_uid):
            return frame_grant(request, instance.pullback_pk)
    return None


def _raw_frame(storage_key: str, frame: int) -> bytes:
    """Frame ``frame`` (0-based) decoded from ``source.dcm``: little-endian pixel bytes."""
    from pydicom.pixels import pixel_array

    path = Path(settings.MEDIA_ROOT) / "pullbacks" / storage_key / storage.SOURCE_NAME
    array = pixel_array(os.fspath(path), index=frame)
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def _jpeg_from_stored(data: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, format="JPEG", quality=95)
    return out.getvalue()


@_get_only
def frames(
    request: HttpRequest, study_uid: str, series_uid: str, sop_uid: str, frame_list: str
) -> HttpResponse:
    numbers = _parse_frame_numbers(frame_list)
    if numbers is None:
        return _error(400, "Frame numbers are 1-based whole numbers: 1,2,3.", "invalid", "frames")
    try:
        grant = _grant_for(request, study_uid, series_uid, sop_uid)
    except NotAuthenticated as exc:
        return _error(401, str(exc), "not_authenticated")
    if grant is None:
        return _not_found()
    if any(n > grant.n_frames for n in numbers):
        return _error(404, "No such frame.", "not_found")
    stored_is_jpeg = grant.content_type == "image/jpeg"
    choice = choose_frame_type(request.META.get("HTTP_ACCEPT", ""), stored_is_jpeg=stored_is_jpeg)
    if choice is None:
        return _error(
            406,
            'Acceptable: multipart/related; type="image/jpeg" or "application/octet-stream".',
            "not_acceptable",
        )
    parts: list[tuple[str, bytes]] = []
    part_type = f"{choice.media_type}; transfer-syntax={choice.transfer_syntax}"
    for n in numbers:
        if choice.media_type == "application/octet-stream":
            data: bytes | None = _raw_frame(grant.storage_key, n - 1)
        else:
            data = storage.read_frame(grant.storage_key, n - 1, grant.content_type)
            if data is not None and not stored_is_jpeg:
                data = _jpeg_from_stored(data)
        if data is None:
            return _error(404, "No such frame.", "not_found")
        parts.append((part_type, data))
    boundary = new_boundary()
    chunks = encode_parts(parts, boundary)
    content_type = f'multipart/related; type="{choice.media_type}"; boundary={boundary}'
    if len(numbers) == 1:
        # One write instead of four: a join copies one frame (µs), each extra write to the
        # socket costs a system call — measurable at per-frame rates (bench/dicomweb.py).
        response: HttpResponse = HttpResponse(b"".join(chunks), content_type=content_type)
    else:
        response = ChunksResponse(chunks, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={settings.FRAME_CACHE_MAX_AGE_S}"
    response["Vary"] = "Accept, Authorization, Cookie"
    return response


# --- STOW-RS ----------------------------------------------------------------------------------


def _stow_target(request: HttpRequest) -> tuple[Any, Study] | HttpResponse:
    """The caller and the study named by ``?study=``, or the error answer."""
    user = _user_or_401(request)
    if isinstance(user, HttpResponse):
        return user
    if not request.META.get("HTTP_AUTHORIZATION"):
        # Session authentication: the CSRF token is required, as for every session POST.
        rejected = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
            request, lambda r: HttpResponse(), (), {}
        )
        if rejected is not None:
            return _error(403, "CSRF token missing or incorrect.", "csrf_failed")
    try:
        study_pk = int(request.GET.get("study", ""))
    except ValueError:
        return _error(400, "Name the study by its id: ?study=<id>.", "required", "study")
    study = Study.objects.visible_to(user).filter(pk=study_pk).first()
    if study is None:
        return _not_found()
    if not Membership.objects.filter(study=study, user=user, role=Role.COORDINATOR.value).exists():
        return _error(
            403, "Only the study's coordinators may store pullbacks.", "permission_denied"
        )
    return user, study


def _spool(request: HttpRequest, folder: Path) -> Path | None:
    """The request body copied to ``folder`` (never held in memory whole), or None when it
    exceeds ``UPLOAD_MAX_BYTES``."""
    path = folder / "stow-body"
    total = 0
    with open(path, "wb") as out:
        while chunk := request.read(1024 * 1024):
            total += len(chunk)
            if total > settings.UPLOAD_MAX_BYTES:
                return None
            out.write(chunk)
    return path


def _stow(request: HttpRequest) -> HttpResponse:
    target = _stow_target(request)
    if isinstance(target, HttpResponse):
        return target
    user, study = target
    folder = storage.new_staging_dir()
    try:
        body = _spool(request, folder)
        if body is None:
            return _error(
                413, f"The upload exceeds {settings.UPLOAD_MAX_BYTES} bytes.", "too_large"
            )
        with open(body, "rb") as fh:
            return _stow_parts(request, user, study, fh)
    finally:
        storage.remove_tree(folder)


def _stow_parts(request: HttpRequest, user: User, study: Study, fh: Any) -> HttpResponse:
    content_type = request.META.get("CONTENT_TYPE", "")
    try:
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            parts = part_ranges(content_type, view)
    except (MultipartError, ValueError) as exc:  # ValueError: an empty body cannot be mapped
        return _error(415, str(exc) or "The body is empty.", "unsupported_media_type")
    if not parts:
        return _error(400, "The message has no part.", "required", "file")
    if any(part_type != "application/dicom" for part_type, _, _ in parts):
        return _error(415, "Every part must be application/dicom.", "unsupported_media_type")
    sources = [
        ingest.UploadSource(
            f"stow-part-{n}.dcm", cast(IO[bytes], FileRange(fh, start, end)), end - start
        )
        for n, (_, start, end) in enumerate(parts, start=1)
    ]
    try:
        pullbacks = ingest.pullbacks_create_from_upload(
            study=study,
            actor=user,
            sources=sources,
            subject_code=request.GET.get("subject_code", ""),
            timepoint=request.GET.get("timepoint", ""),
            lesion=request.GET.get("lesion", ""),
            schedule_ingest=False,
        )
    except DomainError as exc:
        response = _domain_response(exc)
        return JsonResponse(response.data, status=response.status_code)
    except DicomRefused as exc:
        return _error(400, getattr(exc, "message", str(exc)), getattr(exc, "code", "refused"))
    for pullback in pullbacks:
        try:
            ingest.pullback_ingest(pullback_pk=pullback.pk)
        except Exception:
            # Unexpected (expected refusals become ``failed`` inside the service): leave it
            # to the worker, which retries, rather than to a pullback stuck ``ingesting``.
            log.exception(
                "STOW-RS: ingest of pullback %s failed; queued for the worker", pullback.pk
            )
            ingest.pullback_ingest_enqueue(pullback_pk=pullback.pk)
    return _stow_answer(request, user, [p.pk for p in pullbacks])


def _stow_answer(request: HttpRequest, user: User, pks: list[int]) -> HttpResponse:
    stored = {i.pullback_pk: i for i in idx.visible_instances(user, pullback_pks=pks)}
    referenced, failed = [], []
    for pk in pks:
        instance = stored.get(pk)
        if instance is None:
            error = Pullback.objects.filter(pk=pk).values_list("error", flat=True).first() or ""
            reason = FAILURE_PROCESSING if "duplicate" in error.lower() else FAILURE_REFUSED
            failed.append({"00081197": {"vr": "US", "Value": [reason]}})
            continue
        referenced.append(
            {
                "00081150": {"vr": "UI", "Value": [instance.value("SOPClassUID")]},
                "00081155": {"vr": "UI", "Value": [instance.sop_uid]},
                "00081190": {"vr": "UR", "Value": [_instance_url(request, instance)]},
            }
        )
    body: dict[str, Any] = {}
    if failed:
        body["00081198"] = {"vr": "SQ", "Value": failed}
    if referenced:
        body["00081199"] = {"vr": "SQ", "Value": referenced}
    status = 200 if not failed else (202 if referenced else 409)
    return _dicom_json(body, status=status)
