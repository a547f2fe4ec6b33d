"""Clinical covariates and study statistics (SPEC §13): coordinators only, 404 for anyone else.

``GET /api/v1/studies/{id}/statistics/`` answers the run's state beside the ``statistics.json``
document (``outcomes``, ``settings``, ``software``, ``dictionary`` …); ``POST`` requests a run
with new options. ``…/statistics/download/?format=json|xlsx`` and
``…/statistics/figures/<name>.<svg|png>`` are the files.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication.models import StudyCovariates, StudyStatistics, SubjectCovariates
from adjudication.services import statistics as service
from adjudication.statistics.options import RULE_CHOSEN, RULE_P_LT
from adjudication.statistics.workbook import to_xlsx
from adjudication.types import request_user

from .common import coordinated_study_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def covariates_invalid_response(exc: service.CovariatesInvalid) -> Response:
    return Response(
        {"detail": exc.message, "code": exc.code, "field": "file", "errors": exc.errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


class CovariatesUploadInput(serializers.Serializer):
    file = serializers.FileField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CovariatesView(APIView):
    """The study's clinical covariates: ``GET`` the table, ``POST`` a CSV replacing it."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        study = coordinated_study_or_404(request_user(request), pk)
        table = StudyCovariates.objects.filter(study=study).first()
        if table is None:
            return Response({"columns": [], "subjects": [], "filename": "", "uploaded_at": None})
        subjects = (
            SubjectCovariates.objects.filter(subject__study=study)
            .order_by("subject__code")
            .values_list("subject__code", "values")
        )
        return Response(
            {
                "columns": table.columns,
                "filename": table.filename,
                "sha256": table.sha256,
                "uploaded_at": table.uploaded_at,
                "subjects": [{"subject_code": c, "values": v} for c, v in subjects],
            }
        )

    @extend_schema(
        request={"multipart/form-data": CovariatesUploadInput},
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, pk: int) -> Response:
        study = coordinated_study_or_404(request_user(request), pk)
        data = CovariatesUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            table = service.covariates_upload(
                study=study,
                actor=request_user(request),
                content=upload.read(),
                filename=upload.name or "",
                reason=data.validated_data["reason"],
            )
        except service.CovariatesInvalid as exc:
            return covariates_invalid_response(exc)
        return Response(
            {
                "columns": table.column_kinds,
                "n_subjects": SubjectCovariates.objects.filter(subject__study=study).count(),
            },
            status=status.HTTP_201_CREATED,
        )


class StatisticsOptionsInput(serializers.Serializer):
    predictor_rule = serializers.ChoiceField(choices=[RULE_CHOSEN, RULE_P_LT], required=False)
    predictors = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=50
    )
    entry_p = serializers.FloatField(required=False, min_value=0.001, max_value=0.5)
    timepoint = serializers.ChoiceField(choices=["pre", "post", "followup", "all"], required=False)


def statistics_document(row: StudyStatistics | None) -> dict[str, Any]:
    if row is None:
        return {"status": "not_requested", "outcomes": {}}
    document: dict[str, Any] = {
        "status": row.status,
        "generation": row.generation,
        "requested_at": row.requested_at,
        "computed_at": row.computed_at,
        "error": row.error,
        "options": row.options,
        "figures": sorted(row.figures),
    }
    document.update(row.result or {"outcomes": {}})
    return document


class StatisticsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        responses=inline_serializer(
            "StudyStatistics",
            {
                "status": serializers.CharField(),
                "outcomes": serializers.DictField(),
                "settings": serializers.DictField(required=False),
                "software": serializers.DictField(required=False),
            },
        )
    )
    def get(self, request: Request, pk: int) -> Response:
        study = coordinated_study_or_404(request_user(request), pk)
        return Response(statistics_document(StudyStatistics.objects.filter(study=study).first()))

    @extend_schema(request=StatisticsOptionsInput, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        study = coordinated_study_or_404(request_user(request), pk)
        data = StatisticsOptionsInput(data=request.data)
        data.is_valid(raise_exception=True)
        current = StudyStatistics.objects.filter(study=study).values_list("options", flat=True)
        options = {**(current.first() or {}), **data.validated_data}
        row = service.statistics_request(study=study, actor=request_user(request), options=options)
        return Response(
            {"status": row.status, "generation": row.generation}, status=status.HTTP_202_ACCEPTED
        )


def _finished(request: Request, pk: int) -> tuple[StudyStatistics, dict[str, Any]]:
    study = coordinated_study_or_404(request_user(request), pk)
    row = StudyStatistics.objects.filter(study=study).first()
    result = row.result if row is not None and row.result_json else None
    if row is None or result is None:
        raise NotFound("No statistics have been computed for this study yet.")
    return row, result


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class StatisticsDownloadView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["json", "xlsx"])],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, XLSX): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "xlsx"):
            raise ValidationError({"format": "must be one of json, xlsx"})
        row, result = _finished(request, pk)
        name = f"{row.study.code}-statistics"
        if fmt == "xlsx":
            return _attachment(to_xlsx(result), XLSX, f"{name}.xlsx")
        return _attachment(row.result_json.encode(), "application/json", "statistics.json")


class StatisticsFigureView(APIView):
    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
        }
    )
    def get(self, request: Request, pk: int, name: str, fmt: str) -> HttpResponse:
        from adjudication.statistics import figures as figure_module  # matplotlib: on demand

        row, result = _finished(request, pk)
        if fmt not in figure_module.FORMATS or name not in row.figures:
            raise NotFound("No such figure.")
        if fmt == "svg":
            body = row.figures[name].encode()
        else:
            body = figure_module.render(result, name, fmt)
        response = HttpResponse(body, content_type=figure_module.FORMATS[fmt])
        if request.query_params.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        response["Cache-Control"] = "private, no-store"
        return response


__all__ = [
    "CovariatesView",
    "StatisticsDownloadView",
    "StatisticsFigureView",
    "StatisticsView",
]
