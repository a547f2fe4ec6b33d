"""Coordinator read-outs: consensus rows, exports, agreement, audit."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication import selectors
from adjudication.exports import tabular
from adjudication.exports.dictionary import data_dictionary
from adjudication.models import AuditEvent, Consensus

from .common import coordinated_study_or_404


class ConsensusRowOutput(serializers.Serializer):
    pullback = serializers.IntegerField(source="pullback_id")
    subject_code = serializers.CharField(source="pullback.subject.code")
    timepoint = serializers.CharField(source="pullback.timepoint")
    lesion = serializers.CharField(source="pullback.lesion")
    values = serializers.SerializerMethodField()

    def get_values(self, consensus: Consensus) -> dict[str, Any]:
        return consensus.values()


class ConsensusView(generics.ListAPIView):
    serializer_class = ConsensusRowOutput

    def get_queryset(self) -> Any:
        study = coordinated_study_or_404(self.request.user, self.kwargs["pk"])
        return (
            Consensus.objects.filter(pullback__study=study)
            .select_related("pullback__subject")
            .order_by("pullback_id")
        )


class ExportView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["csv", "xlsx", "json"]),
            OpenApiParameter("level", str, enum=["pullback", "frame", "reader"]),
            OpenApiParameter("part", str, enum=["data", "dictionary"]),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        study = coordinated_study_or_404(request.user, pk)
        fmt = request.query_params.get("format", "csv")
        level = request.query_params.get("level", "pullback")
        part = request.query_params.get("part", "data")
        if fmt not in ("csv", "xlsx", "json"):
            raise ValidationError({"format": "must be csv, xlsx or json"})
        if level not in tabular.ROWS:
            raise ValidationError({"level": "must be pullback, frame or reader"})
        if part not in ("data", "dictionary"):
            raise ValidationError({"part": "must be data or dictionary"})
        name = f"{study.code}-{level}"
        if fmt == "json":
            body = tabular.to_json(tabular.export_dataset(study, level))
            response = HttpResponse(body, content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="{name}.json"'
            return response
        if fmt == "xlsx":
            body_bytes = tabular.to_xlsx(tabular.export_dataset(study, level))
            response = HttpResponse(
                body_bytes,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        if part == "dictionary":
            body = tabular.to_csv(["name", "unit", "definition"], data_dictionary(level))
            name += "-dictionary"
        else:
            dataset = tabular.export_dataset(study, level)
            body = tabular.to_csv(dataset["columns"], dataset["rows"])
        response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class AgreementView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        study = coordinated_study_or_404(request.user, pk)
        return Response(selectors.study_agreement(study))


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "study",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
            "reason",
        ]

    def get_actor(self, event: AuditEvent) -> str | None:
        return event.actor.username if event.actor else None


class AuditView(generics.ListAPIView):
    serializer_class = AuditEventOutput

    @extend_schema(parameters=[OpenApiParameter("study", int, required=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        study_id = self.request.query_params.get("study")
        if not study_id or not str(study_id).isdigit():
            raise ValidationError({"study": "give the study id"})
        coordinated_study_or_404(self.request.user, int(study_id))
        return (
            AuditEvent.objects.visible_to(self.request.user)
            .filter(study_id=int(study_id))
            .select_related("actor")
            .order_by("id")
        )


__all__ = ["AgreementView", "AuditView", "ConsensusView", "ExportView", "NotFound"]
