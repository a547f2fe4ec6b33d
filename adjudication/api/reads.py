"""A reader's own reads: fetch, save annotations (versioned), submit (signed)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from adjudication.models import Read, ReadMetrics
from adjudication.services import reads


def metrics_or_none(read: Read) -> dict[str, Any] | None:
    try:
        return read.metrics.values()
    except ReadMetrics.DoesNotExist:
        return None


class ReadForReaderOutput(serializers.ModelSerializer):
    """Only the reader's own data: never a field that could name or describe the other read."""

    metrics = serializers.SerializerMethodField()

    class Meta:
        model = Read
        fields = ["id", "pullback", "status", "version", "annotations", "metrics"]

    def get_metrics(self, read: Read) -> dict[str, Any] | None:
        return metrics_or_none(read)


class AnnotationsInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    annotations = serializers.JSONField()


class SubmitInput(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, required=False, allow_blank=True)


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReadForReaderOutput

    def get_queryset(self) -> Any:
        return Read.objects.visible_to(self.request.user).select_related("metrics").order_by("id")

    @extend_schema(
        request=AnnotationsInput,
        responses=inline_serializer("SaveOutput", {"version": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["put"])
    def annotations(self, request: Request, pk: Any = None) -> Response:
        read = self.get_object()
        data = AnnotationsInput(data=request.data)
        data.is_valid(raise_exception=True)
        read = reads.read_save_annotations(
            read=read,
            actor=request.user,
            version=data.validated_data["version"],
            annotations=data.validated_data["annotations"],
        )
        return Response({"version": read.version})

    @extend_schema(request=SubmitInput, responses=ReadForReaderOutput)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        read = self.get_object()
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        read = reads.read_submit(
            read=read, actor=request.user, password=data.validated_data.get("password")
        )
        return Response(ReadForReaderOutput(read).data)
