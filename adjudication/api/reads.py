"""A reader's own reads: fetch, save annotations (versioned), submit (signed)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from adjudication.domain.annotations import parse_submitted_document
from adjudication.domain.errors import DomainError
from adjudication.models import Read, ReadMetrics
from adjudication.services import reads
from adjudication.types import request_user


def metrics_or_none(read: Read) -> dict[str, Any] | None:
    """The metrics the comparison used (adjudicators): recomputed under current settings."""
    try:
        return read.metrics.values()
    except ReadMetrics.DoesNotExist:
        return None


def own_metrics_or_none(read: Read) -> dict[str, Any] | None:
    """The reader's own metrics, frozen as computed at submission (never a recomputation,
    whose timing would reveal the other reader's submission)."""
    try:
        return read.metrics.values_as_submitted()
    except ReadMetrics.DoesNotExist:
        return None


def analysis_frames_of(read: Read) -> list[int] | None:
    """The read's analysis frames from its own stent edges (SPEC §5); None when the pullback
    has no frames yet or the document cannot be parsed."""
    pullback = read.pullback
    if not pullback.n_frames:
        return None
    metrics = getattr(read, "metrics", None)
    if metrics is not None and metrics.as_submitted.get("analysis_frames") is not None:
        return list(metrics.as_submitted["analysis_frames"])  # frozen with the reader's metrics
    try:
        doc = parse_submitted_document(
            read.annotations,
            n_frames=pullback.n_frames,
            rows=pullback.rows,
            columns=pullback.columns,
        )
    except DomainError:
        return None
    return reads.read_completeness_of(read, doc).analysis_frames


class ReadForReaderOutput(serializers.ModelSerializer):
    """Only the reader's own data: never a field that could name or describe the other read.

    ``metrics`` are the reader's own, frozen as computed at submission (issue 11/12: a later
    recomputation for the comparison would reveal when the other reader submitted)."""

    metrics = serializers.SerializerMethodField()
    analysis_frames = serializers.SerializerMethodField()

    class Meta:
        model = Read
        fields = [
            "id",
            "pullback",
            "status",
            "version",
            "annotations",
            "metrics",
            "analysis_frames",
            "incomplete_reason",
            "incomplete_frames",
        ]

    def get_metrics(self, read: Read) -> dict[str, Any] | None:
        return own_metrics_or_none(read)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), allow_null=True))
    def get_analysis_frames(self, read: Read) -> list[int] | None:
        return analysis_frames_of(read)


class ParsedJSONField(serializers.JSONField):
    """DRF's JSONField without its ``json.dumps`` probe for an object the JSON parser built
    (plain JSON values by construction; a whole document re-encoded per autosave, issue 13).
    Anything else (form fields, uploads) is checked as before; the service validates the
    document itself (SPEC §4)."""

    def to_internal_value(self, data: Any) -> Any:
        if type(data) is dict:
            return data
        return super().to_internal_value(data)


class AnnotationsInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    annotations = ParsedJSONField()


class SubmitInput(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, required=False, allow_blank=True)
    allow_incomplete = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ReadForReaderOutput

    def get_queryset(self) -> Any:
        return (
            Read.objects.visible_to(self.request.user)
            .select_related("metrics", "pullback__study")
            .order_by("id")
        )

    @extend_schema(
        request=AnnotationsInput,
        responses=inline_serializer("SaveOutput", {"version": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["put"])
    def annotations(self, request: Request, pk: Any = None) -> Response:
        """The reader's autosave: the service looks the read up among the reader's own,
        locks it and checks the reader's role (``visible_only``: the rule of
        ``Read.objects.visible_to``, without compiling its subqueries on every save; issue 13)."""
        data = AnnotationsInput(data=request.data)
        if not data.is_valid():
            self.get_object()  # a hidden read answers 404 before its input is judged
            raise ValidationError(data.errors)
        try:
            read = reads.read_save_annotations(
                read=int(pk),
                actor=request_user(request),
                version=data.validated_data["version"],
                annotations=data.validated_data["annotations"],
                visible_only=True,
            )
        except Read.DoesNotExist:
            raise NotFound() from None
        return Response({"version": read.version})

    @extend_schema(request=SubmitInput, responses=ReadForReaderOutput)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        read = self.get_object()
        data = SubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        read = reads.read_submit(
            read=read,
            actor=request_user(request),
            password=data.validated_data.get("password"),
            allow_incomplete=data.validated_data["allow_incomplete"],
            reason=data.validated_data["reason"],
        )
        return Response(ReadForReaderOutput(read).data)
