"""Adjudicators: flagged pullbacks with both reads labelled Reader 1 / Reader 2, and resolve."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from adjudication.models import Adjudication, AdjudicationDraft, Read
from adjudication.models.reading import ReadKind
from adjudication.services import adjudication_drafts, adjudications
from adjudication.types import request_user

from .reads import metrics_or_none


class FlagOutput(serializers.Serializer):
    metric = serializers.CharField()
    group = serializers.CharField()
    a = serializers.JSONField()
    b = serializers.JSONField()
    difference = serializers.FloatField(allow_null=True)
    tolerance = serializers.FloatField(allow_null=True)


class DecisionOutput(serializers.Serializer):
    group = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # the field named like Field.source
    reason = serializers.CharField()


class BlindedReadOutput(serializers.Serializer):
    """A read as the adjudicator sees it: a label, never a name or an id."""

    label = serializers.CharField()  # type: ignore[assignment]  # the field named like Field.label
    status = serializers.CharField()
    annotations = serializers.JSONField()
    metrics = serializers.SerializerMethodField()

    def get_metrics(self, read: Read) -> dict[str, Any] | None:
        return metrics_or_none(read)


class AdjudicationOutput(serializers.ModelSerializer):
    reads = serializers.SerializerMethodField()
    flags = FlagOutput(many=True)
    decisions = DecisionOutput(many=True)
    pullback_status = serializers.CharField(source="pullback.status")

    class Meta:
        model = Adjudication
        fields = ["id", "pullback", "pullback_status", "status", "reads", "flags", "decisions"]

    def get_reads(self, adjudication: Adjudication) -> list[dict[str, Any]]:
        reads = [
            r
            for r in adjudication.pullback.reads.all()
            if r.kind == ReadKind.READER or r.pk == adjudication.adjudicator_read_id
        ]
        reads.sort(key=lambda r: r.slot)
        return list(BlindedReadOutput(reads, many=True).data)


class DecisionInput(serializers.Serializer):
    """One flagged group's decision: which read's value stands, and why (schema only; see
    ``DecisionsField``)."""

    group = serializers.CharField()
    # The sources (SOURCES in services/adjudications.py) are not listed as an enum: the
    # schema is public and the blinding tests look for the demo readers' names in it.
    source = serializers.CharField()  # type: ignore[assignment]  # the field named like Field.source
    reason = serializers.CharField()


@extend_schema_field(DecisionInput(many=True))
class DecisionsField(serializers.ListField):
    """The decisions as the schema types them (``DecisionInput`` items); the service validates
    them so that every error names its item and field (``decisions[1].source``)."""


class ResolveInput(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, required=False, allow_blank=True)
    decisions = DecisionsField(child=serializers.DictField())
    annotations = serializers.JSONField(required=False)


class DraftInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=0)
    origin = serializers.CharField(allow_blank=True, max_length=8)
    annotations = serializers.JSONField(allow_null=True)


class DraftOutput(serializers.Serializer):
    version = serializers.IntegerField()
    origin = serializers.CharField()
    annotations = serializers.JSONField(allow_null=True)


class AdjudicationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = AdjudicationOutput

    def get_queryset(self) -> Any:
        return (
            Adjudication.objects.visible_to(self.request.user)
            .select_related("pullback")
            .prefetch_related("flags", "decisions", "pullback__reads__metrics")
            .order_by("id")
        )

    @extend_schema(request=ResolveInput, responses=AdjudicationOutput)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        adjudication = self.get_object()
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        adjudications.adjudication_resolve(
            adjudication=adjudication,
            actor=request_user(request),
            password=data.validated_data.get("password"),
            decisions=data.validated_data["decisions"],
            annotations=data.validated_data.get("annotations"),
        )
        return Response(AdjudicationOutput(self.get_queryset().get(pk=adjudication.pk)).data)

    @extend_schema(methods=["GET"], responses=DraftOutput)
    @extend_schema(methods=["PUT"], request=DraftInput, responses=DraftOutput)
    @action(detail=True, methods=["get", "put"], url_path="draft")
    def draft(self, request: Request, pk: Any = None) -> Response:
        """The caller's own annotation draft (version 0 and null annotations when none)."""
        adjudication = self.get_object()
        draft: AdjudicationDraft | None
        if request.method == "PUT":
            data = DraftInput(data=request.data)
            data.is_valid(raise_exception=True)
            draft = adjudication_drafts.adjudication_draft_save(
                adjudication=adjudication,
                actor=request_user(request),
                version=data.validated_data["version"],
                origin=data.validated_data["origin"],
                annotations=data.validated_data["annotations"],
            )
        else:
            draft = adjudication_drafts.adjudication_draft_of(
                adjudication=adjudication, actor=request_user(request)
            )
        if draft is None:
            return Response({"version": 0, "origin": "", "annotations": None})
        return Response(DraftOutput(draft).data)
