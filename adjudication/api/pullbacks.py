"""Pullback detail, frames (single, batched, L-mode), pseudonym map, assignment, calibration.

Frame delivery (SPEC §9, issue 4) is built for speed and stays checked on every request:

- ``GET /api/v1/pullbacks/{id}/frames/{n}`` — one frame, the stored image as is (a JPEG
  baseline source's fragment byte for byte; other sources were encoded once at ingest).
  Strong ``ETag``, ``Cache-Control: private, max-age=FRAME_CACHE_MAX_AGE_S, immutable``,
  304 on a matching ``If-None-Match``, 404 past the last frame. Served by a plain Django code
  path (``FrameView.dispatch``) that authenticates the session or ``Authorization: Token``
  through ``adjudication.frames_auth``: with a warm grant, no database query at all.
  With ``FRAMES_VIA_PROXY`` (the production topology, ``deploy/nginx.conf.template``) the app only
  authorises: it answers ``X-Accel-Redirect`` to the frame's own file and nginx sends the
  bytes with ``sendfile``; a hidden pullback is still the app's 404.
- ``GET /api/v1/pullbacks/{id}/frames/?start=a&count=b`` — frames ``a … a+b−1`` (clipped at
  the last frame; ``count`` at most ``FRAMES_BATCH_MAX_COUNT``) in one response of type
  ``application/vnd.corelab.frames``: for each frame in order, a 4-byte big-endian frame
  index, a 4-byte big-endian byte length, then that many bytes — exactly the body
  ``frames/{n}`` answers. Headers ``X-Frame-Start``, ``X-Frame-Count`` (frames in the body)
  and ``X-Frame-Content-Type`` (the type of every frame in it). Cacheable like a frame.
- ``GET /api/v1/pullbacks/{id}/lmode/?angle_deg=θ`` — the longitudinal image through the
  centre at θ (SPEC §3 angles; rounded to a whole degree, default 0) as ``image/png``,
  ``n_frames`` wide and ``2 × min(rows, columns) // 2`` high (``dicom.lmode`` has the exact
  geometry). Computed on a user's first request, then served from that user's own disk cache
  (never shared: its timing would tell who viewed what). Cacheable like a frame.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication import storage
from adjudication.domain.workflow import PullbackState
from adjudication.frames_auth import (
    FrameGrant,
    NotAuthenticated,
    frame_grant,
    frame_grant_until,
)
from adjudication.models import Pseudonymisation, Pullback
from adjudication.roles import Role
from adjudication.services import assignment, ingest, pullback_device
from adjudication.types import User, request_user

from .common import require_coordinator, role_in

BATCH_CONTENT_TYPE = "application/vnd.corelab.frames"

# What a reader may learn of the workflow: never how far the other reader is, nor outcomes.
READER_VISIBLE_STATUS = {
    PullbackState.INGESTING.value,
    PullbackState.READY.value,
    PullbackState.FAILED.value,
}


class PullbackOutput(serializers.ModelSerializer):
    """The SPEC §9 pullback fields, safe for every role that can see the pullback."""

    pixel_spacing_mm = serializers.ListField(child=serializers.FloatField(), allow_null=True)

    class Meta:
        model = Pullback
        fields = [
            "id",
            "status",
            "error",
            "n_frames",
            "rows",
            "columns",
            "pixel_spacing_mm",
            "frame_spacing_mm",
            "calibration_source",
            "lesion",
        ]


class PullbackForReaderOutput(PullbackOutput):
    """Readers see ``reading`` for any later state: the other read's progress stays hidden."""

    def to_representation(self, instance: Pullback) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data["status"] not in READER_VISIBLE_STATUS:
            data["status"] = PullbackState.READING.value
        return data


class PullbackForCoordinatorOutput(PullbackOutput):
    subject_code = serializers.CharField(source="subject.code")
    ingest_progress_pct = serializers.SerializerMethodField(
        help_text="0-100 while ingesting, 100 once ingested, null when failed."
    )

    class Meta(PullbackOutput.Meta):
        fields = [
            *PullbackOutput.Meta.fields,
            "study",
            "subject_code",
            "timepoint",
            "original_filename",
            "created_at",
            "ingest_progress_pct",
            "device",
        ]

    def get_ingest_progress_pct(self, pullback: Pullback) -> int | None:
        return ingest.ingest_progress_pct(pullback)


class PseudonymOutput(serializers.Serializer):
    """The original-to-pseudonym map of one pullback (coordinators only, SPEC §8)."""

    pullback = serializers.IntegerField(source="pullback_id")
    mapping = serializers.DictField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class FrameBatchInput(serializers.Serializer):
    start = serializers.IntegerField(min_value=0, default=0)
    count = serializers.IntegerField(min_value=1, required=False)

    def validate_count(self, value: int) -> int:
        if value > settings.FRAMES_BATCH_MAX_COUNT:
            raise serializers.ValidationError(
                f"at most {settings.FRAMES_BATCH_MAX_COUNT} frames per request"
            )
        return value


class LModeInput(serializers.Serializer):
    angle_deg = serializers.FloatField(default=0.0)

    def validate_angle_deg(self, value: float) -> float:
        if not math.isfinite(value):
            raise serializers.ValidationError("must be a finite number of degrees")
        return value


class AssignInput(serializers.Serializer):
    readers = serializers.ListField(child=serializers.CharField(), required=False)


class AssignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    readers = serializers.ListField(child=serializers.CharField())


class CalibrationInput(serializers.Serializer):
    pixel_spacing_mm = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, required=False
    )
    frame_spacing_mm = serializers.FloatField(required=False)
    reason = serializers.CharField()


class DeviceInput(serializers.Serializer):
    device = serializers.CharField(allow_blank=True, max_length=80)
    reason = serializers.CharField()


def output_for(user: User, pullback: Pullback) -> dict[str, Any]:
    role = role_in(user, pullback.study_id)
    if role == Role.COORDINATOR.value:
        return PullbackForCoordinatorOutput(pullback).data
    if role == Role.ANALYST.value:
        return PullbackForReaderOutput(pullback).data
    return PullbackOutput(pullback).data


class PullbackViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PullbackOutput

    def get_queryset(self) -> Any:
        return Pullback.objects.visible_to(self.request.user).select_related("subject", "study")

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(output_for(request_user(request), self.get_object()))

    def _coordinator_input(
        self, request: Request, input_class: type[serializers.Serializer]
    ) -> tuple[Pullback, serializers.Serializer]:
        """The pullback of a coordinator's action (404 when hidden, 403 for a non-coordinator)
        and its validated input (400 naming the field)."""
        pullback = self.get_object()
        require_coordinator(request_user(request), pullback.study)
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        return pullback, data

    @extend_schema(request=AssignInput, responses=AssignOutput)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        pullback, data = self._coordinator_input(request, AssignInput)
        reads = assignment.pullback_assign_readers(
            pullback=pullback,
            actor=request_user(request),
            usernames=data.validated_data.get("readers"),
        )
        pullback.refresh_from_db()
        return Response(
            {
                "id": pullback.pk,
                "status": pullback.status,
                "readers": [r.reader.username for r in reads],
            }
        )

    @extend_schema(request=CalibrationInput, responses=PullbackForCoordinatorOutput)
    @action(detail=True, methods=["post"])
    def calibration(self, request: Request, pk: Any = None) -> Response:
        pullback, data = self._coordinator_input(request, CalibrationInput)
        pullback = ingest.pullback_set_calibration(
            pullback=pullback,
            actor=request_user(request),
            pixel_spacing_mm=data.validated_data.get("pixel_spacing_mm"),
            frame_spacing_mm=data.validated_data.get("frame_spacing_mm"),
            reason=data.validated_data["reason"],
        )
        return Response(PullbackForCoordinatorOutput(pullback).data)

    @extend_schema(request=DeviceInput, responses=PullbackForCoordinatorOutput)
    @action(detail=True, methods=["post"])
    def device(self, request: Request, pk: Any = None) -> Response:
        """Name the pullback's device from the study's device table (SPEC §5); audited."""
        pullback, data = self._coordinator_input(request, DeviceInput)
        pullback = pullback_device.pullback_set_device(
            pullback=pullback,
            actor=request_user(request),
            device=data.validated_data["device"],
            reason=data.validated_data["reason"],
        )
        return Response(PullbackForCoordinatorOutput(pullback).data)

    @extend_schema(responses=PseudonymOutput)
    @action(detail=True, methods=["get"])
    def pseudonyms(self, request: Request, pk: Any = None) -> Response:
        """The original-to-pseudonym map; everyone but the study's coordinators gets 404."""
        pullback = self.get_object()
        if role_in(request_user(request), pullback.study_id) != Role.COORDINATOR.value:
            raise NotFound()
        pseudonym = Pseudonymisation.objects.filter(pullback=pullback).first()
        if pseudonym is None:
            raise NotFound("This pullback has not been ingested.")
        return Response(PseudonymOutput(pseudonym).data)

    @extend_schema(
        operation_id="v1_pullbacks_frames_batch",
        parameters=[FrameBatchInput],
        responses={
            (200, BATCH_CONTENT_TYPE): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="Not modified (If-None-Match)"),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="frames",
        authentication_classes=[],
        permission_classes=[AllowAny],
    )
    def frame_batch(self, request: Request, pk: Any = None) -> HttpResponse:
        """Frames ``start … start+count−1`` in one body (format in the module doc).

        Authenticated like a single frame (``frames_auth``), not by DRF.
        """
        grant = _grant_or_error(request._request, int(pk))
        if isinstance(grant, JsonResponse):
            return grant
        data = FrameBatchInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        start = data.validated_data["start"]
        count = data.validated_data.get("count", settings.FRAMES_BATCH_MAX_COUNT)
        if start >= grant.n_frames:
            return _error(404, "No such frame.", "not_found")
        stop = min(start + count, grant.n_frames)

        def body() -> HttpResponse:
            images = storage.read_frames(grant.storage_key, start, stop, grant.content_type)
            if images is None:
                return _error(404, "No such frame.", "not_found")
            parts = storage.batch_body(list(enumerate(images, start=start)))
            response = ChunksResponse(parts, content_type=BATCH_CONTENT_TYPE)
            response["X-Frame-Start"] = str(start)
            response["X-Frame-Count"] = str(stop - start)
            response["X-Frame-Content-Type"] = grant.content_type
            return response

        return _cacheable(request._request, f'"{grant.storage_key}-{start}-{stop}"', body)

    @extend_schema(
        parameters=[LModeInput],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="Not modified (If-None-Match)"),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        authentication_classes=[],
        permission_classes=[AllowAny],
    )
    def lmode(self, request: Request, pk: Any = None) -> HttpResponse:
        """The L-mode image at ``angle_deg`` (see the module doc); authenticated by
        ``frames_auth`` like the frames it is made of."""
        grant = _grant_or_error(request._request, int(pk))
        if isinstance(grant, JsonResponse):
            return grant
        data = LModeInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        angle_deg = round(data.validated_data["angle_deg"]) % 360

        def body() -> HttpResponse:
            try:
                image = ingest.pullback_lmode_png(
                    storage_key=grant.storage_key,
                    user_pk=grant.user_pk,
                    n_frames=grant.n_frames,
                    content_type=grant.content_type,
                    rows=grant.rows,
                    columns=grant.columns,
                    angle_deg=angle_deg,
                )
            except FileNotFoundError:
                return _error(404, "The frames of this pullback are missing.", "not_found")
            response = HttpResponse(image, content_type="image/png")
            response["X-Angle-Deg"] = str(angle_deg)
            return response

        return _cacheable(request._request, f'"{grant.storage_key}-lmode-{angle_deg}"', body)


class ChunksResponse(HttpResponse):
    """A response whose body is a list of byte strings sent one after another, never joined
    (a batch is megabytes: joining would copy every byte once more). ``content`` still
    returns the whole body; ``Content-Length`` is set up front."""

    def __init__(self, chunks: list[bytes], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._container = chunks
        self["Content-Length"] = str(sum(len(c) for c in chunks))


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _etag_matches(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match (weak comparison): ``*`` or a listed tag equal to ``etag``."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


def _cacheable(request: HttpRequest, etag: str, body: Any) -> HttpResponse:
    """304 when the client holds ``etag``; else ``body()`` (a response). Immutable caching."""
    if _etag_matches(request.META.get("HTTP_IF_NONE_MATCH"), etag):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = body()
    if response.status_code in (200, 304):
        response["ETag"] = etag
        response["Cache-Control"] = f"private, max-age={settings.FRAME_CACHE_MAX_AGE_S}, immutable"
    return response


def _grant_or_error(request: HttpRequest, pk: int) -> FrameGrant | JsonResponse:
    try:
        grant = frame_grant(request, pk)
    except NotAuthenticated as exc:
        response = _error(401, str(exc), "not_authenticated")
        response["WWW-Authenticate"] = "Token"  # as DRF answers with TokenAuthentication first
        return response
    if grant is None:
        return _error(404, "Not found.", "not_found")
    return grant


def frame_response(request: HttpRequest, pk: int, frame: int) -> HttpResponse:
    """One frame (see the module doc); plain Django, no DRF on the way."""
    grant = _grant_or_error(request, pk)
    if isinstance(grant, JsonResponse):
        return grant
    if not 0 <= frame < grant.n_frames:
        return _error(404, "No such frame.", "not_found")

    def body() -> HttpResponse:
        if settings.FRAMES_VIA_PROXY:
            path = storage.frame_proxy_path(grant.storage_key, frame, grant.content_type)
            if path is not None:
                # The proxy sends the file itself (sendfile); its internal location answers
                # 404 for a missing file, as the app would.
                response = HttpResponse(content_type=grant.content_type)
                response["X-Accel-Redirect"] = settings.FRAMES_PROXY_LOCATION + path
                return response
        data = storage.read_frame(grant.storage_key, frame, grant.content_type)
        if data is None:
            return _error(404, "No such frame.", "not_found")
        return HttpResponse(data, content_type=grant.content_type)

    return _cacheable(request, f'"{grant.storage_key}-{frame}"', body)


def grant_renew_within_s() -> float:
    """How close to its expiry a grant is renewed for nginx: 5 s, or a third of a shorter
    ``FRAME_GRANT_TTL_S`` (nginx then caches each grant for most of its life)."""
    return min(5.0, settings.FRAME_GRANT_TTL_S / 3)


def frame_grant_response(request: HttpRequest, pk: int) -> HttpResponse:
    """``GET /api/v1/pullbacks/{id}/frame-grant``: nginx's ``auth_request`` for a frame
    (``deploy/nginx.conf.template``). 204 with ``X-Frame-Key`` (storage key), ``X-Frame-Ext``
    (file extension) and ``X-Accel-Expires`` (how long nginx may cache this answer for this
    credential: the grant's remaining life, ``frames_auth.frame_grant_until``); 401 without a
    valid credential; 403 (the only refusal ``auth_request`` passes on; nginx then asks the
    app's frame view, which answers the usual 404) when the pullback is hidden or has no
    per-frame files."""
    try:
        grant, until = frame_grant_until(request, pk, renew_within_s=grant_renew_within_s())
    except NotAuthenticated as exc:
        response = _error(401, str(exc), "not_authenticated")
        response["WWW-Authenticate"] = "Token"
        return response
    if grant is None or storage.frame_proxy_path(grant.storage_key, 0, grant.content_type) is None:
        return _error(403, "Not found.", "not_found")
    granted = HttpResponse(status=204)
    granted["X-Frame-Key"] = grant.storage_key
    granted["X-Frame-Ext"] = storage.EXTENSIONS.get(grant.content_type, "bin")
    granted["X-Accel-Expires"] = str(max(0, int(until - time.time())))
    return granted


class FrameView(APIView):
    """One frame as an image; immutable once ingested, so it is cached by the browser.

    An ``APIView`` only so the OpenAPI schema lists it: ``dispatch`` skips DRF's request
    wrapping, authentication and content negotiation (a third of a millisecond per frame) and
    authenticates through ``adjudication.frames_auth`` instead (session or token, cached
    grants). Errors keep the API's ``{detail, code}`` body.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return _error(405, f'Method "{request.method}" not allowed.', "method_not_allowed")
        return self.get(request, int(kwargs["pk"]), int(kwargs["frame"]))

    @extend_schema(
        operation_id="v1_pullbacks_frame",
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="Not modified (If-None-Match)"),
            404: OpenApiResponse(description="Not visible, or past the last frame"),
        },
    )
    def get(self, request: Any, pk: int, frame: int) -> HttpResponse:
        return frame_response(request, pk, frame)
