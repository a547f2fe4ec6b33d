"""Pullback detail, frames, reader assignment and manual calibration."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication import storage
from adjudication.domain.workflow import PullbackState
from adjudication.models import Pullback
from adjudication.roles import Role
from adjudication.services import assignment, ingest

from .common import require_coordinator, role_in

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}

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

    class Meta(PullbackOutput.Meta):
        fields = [
            *PullbackOutput.Meta.fields,
            "study",
            "subject_code",
            "timepoint",
            "original_filename",
            "created_at",
        ]


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


def output_for(user: Any, pullback: Pullback) -> dict[str, Any]:
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
        return Response(output_for(request.user, self.get_object()))

    @extend_schema(request=AssignInput, responses=AssignOutput)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        pullback = self.get_object()
        require_coordinator(request.user, pullback.study)
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        reads = assignment.pullback_assign_readers(
            pullback=pullback, actor=request.user, usernames=data.validated_data.get("readers")
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
        pullback = self.get_object()
        require_coordinator(request.user, pullback.study)
        data = CalibrationInput(data=request.data)
        data.is_valid(raise_exception=True)
        pullback = ingest.pullback_set_calibration(
            pullback=pullback,
            actor=request.user,
            pixel_spacing_mm=data.validated_data.get("pixel_spacing_mm"),
            frame_spacing_mm=data.validated_data.get("frame_spacing_mm"),
            reason=data.validated_data["reason"],
        )
        return Response(PullbackForCoordinatorOutput(pullback).data)


class FrameView(APIView):
    """One frame as an image; immutable once ingested, so it is cached by the browser."""

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, frame: int) -> HttpResponse:
        row = (
            Pullback.objects.visible_to(request.user)
            .filter(
                pk=pk,
                status__in=[
                    s.value
                    for s in PullbackState
                    if s not in (PullbackState.INGESTING, PullbackState.FAILED)
                ],
            )
            .values_list("storage_key", "n_frames", "frame_content_type")
            .first()
        )
        if row is None:
            raise NotFound()
        storage_key, n_frames, content_type = row
        if frame < 0 or frame >= (n_frames or 0):
            raise NotFound("No such frame.")
        etag = f'"{storage_key}-{frame}"'
        cache_control = "private, max-age=31536000, immutable"
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponseNotModified()
        else:
            path = storage.frame_path(str(storage_key), frame, EXTENSIONS[content_type])
            try:
                handle = open(path, "rb")
            except FileNotFoundError:
                raise NotFound("No such frame.") from None
            response = FileResponse(handle, content_type=content_type)
        response["ETag"] = etag
        response["Cache-Control"] = cache_control
        return response
