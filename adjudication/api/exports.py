"""Coordinator read-outs: consensus rows, exports, agreement, audit."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication import reports, selectors
from adjudication.exports import tabular
from adjudication.exports.dictionary import LEVELS
from adjudication.models import AuditEvent, Consensus
from adjudication.roles import Action
from adjudication.types import request_user

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
        study = coordinated_study_or_404(
            request_user(self.request), self.kwargs["pk"], Action.EXPORT
        )
        return (
            Consensus.objects.filter(pullback__study=study)
            .select_related("pullback__subject")
            .order_by("pullback_id")
        )


FORMATS = ("csv", "xlsx", "json", "zip")
CSV_PARTS = ("data", "dictionary", "settings")


class ExportView(APIView):
    """The study's dataset at one level, with its data dictionary and settings (SPEC §10).

    ``format=csv`` answers the data CSV (one header row); ``part=dictionary`` or
    ``part=settings`` answer the other two parts as CSV; ``format=zip`` bundles ``data.csv``,
    ``dictionary.csv``, ``settings.csv`` and ``settings.json``; ``xlsx`` holds the three parts
    as sheets and ``json`` as keys.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(FORMATS)),
            OpenApiParameter("level", str, enum=list(LEVELS)),
            OpenApiParameter("part", str, enum=list(CSV_PARTS), description="format=csv only"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, tabular.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/zip"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        study = coordinated_study_or_404(request_user(request), pk, Action.EXPORT)
        fmt = request.query_params.get("format", "csv")
        level = request.query_params.get("level", "pullback")
        part = request.query_params.get("part", "data")
        if fmt not in FORMATS:
            raise ValidationError({"format": f"must be one of {', '.join(FORMATS)}"})
        if level not in LEVELS:
            raise ValidationError({"level": f"must be one of {', '.join(LEVELS)}"})
        if part not in CSV_PARTS:
            raise ValidationError({"part": f"must be one of {', '.join(CSV_PARTS)}"})
        if part != "data" and fmt != "csv":
            raise ValidationError({"part": "only format=csv is split into parts"})
        name = f"{study.code}-{level}"
        if fmt == "csv" and part == "dictionary":
            return _attachment(
                tabular.dictionary_csv(level).encode(), CSV, f"{name}-dictionary.csv"
            )
        dataset = tabular.export_dataset(study, level)
        if fmt == "json":
            return _attachment(tabular.to_json(dataset).encode(), JSON, f"{name}.json")
        if fmt == "xlsx":
            return _attachment(tabular.to_xlsx(dataset), tabular.XLSX_CONTENT_TYPE, f"{name}.xlsx")
        if fmt == "zip":
            sr_files = reports.study_sr_files(study, level)
            return _attachment(tabular.to_zip(dataset, sr_files), "application/zip", f"{name}.zip")
        if part == "settings":
            return _attachment(tabular.settings_csv(dataset).encode(), CSV, f"{name}-settings.csv")
        body = tabular.to_csv(dataset.columns, dataset.rows).encode()
        return _attachment(body, CSV, f"{name}.csv")


CSV = "text/csv; charset=utf-8"
JSON = "application/json; charset=utf-8"


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class AgreementView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        study = coordinated_study_or_404(request_user(request), pk, Action.VIEW_PROGRESS)
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
        # ASCII digits only: "²".isdigit() is true, and int("²") fails.
        if not study_id or not re.fullmatch(r"[0-9]{1,18}", study_id):
            raise ValidationError({"study": "give the study id"})
        coordinated_study_or_404(request_user(self.request), int(study_id), Action.VIEW_AUDIT)
        return (
            AuditEvent.objects.visible_to(self.request.user)
            .filter(study_id=int(study_id))
            .select_related("actor")
            .order_by("id")
        )


__all__ = ["AgreementView", "AuditView", "ConsensusView", "ExportView", "NotFound"]
