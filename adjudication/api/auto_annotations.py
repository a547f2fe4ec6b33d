"""``GET /api/v1/pullbacks/{id}/auto-annotations/`` (SPEC §11): the worker's proposal.

Visible to whoever may see the pullback (its readers, its adjudicator, the study's
coordinators; anyone else 404). It answers 200 from the moment the pullback exists:
``pending`` until the worker starts, then ``running`` with ``progress_pct``, then ``done``
(or ``failed`` with a readable ``error``: read by hand). The proposal is the same for every
caller and is computed from the images only, so it tells a reader nothing about another
reader. ``?start=a&count=b`` returns frames ``a … a+b−1`` only.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication.models import AutoAnnotationStatus, Pullback
from adjudication.services.auto_annotations import auto_annotation_view

MAX_COUNT = 5000


class AutoAnnotationRangeInput(serializers.Serializer):
    start = serializers.IntegerField(min_value=0, required=False)
    count = serializers.IntegerField(min_value=1, max_value=MAX_COUNT, required=False)


class AutoAnnotationOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=AutoAnnotationStatus.choices)
    progress_pct = serializers.IntegerField(min_value=0, max_value=100)
    algorithm = serializers.CharField()
    algorithm_version = serializers.CharField()
    annotations = serializers.JSONField(
        help_text="A SPEC §4 document: frames with lumen (+ lumen_ctrl), struts, stent "
        "(+ stent_ctrl) in pixels; stent edges when a stent was found."
    )
    confidence = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=1),
        help_text='"<frame>" → 0..1; below low_confidence_threshold the reader should check '
        "the frame or draw it by hand.",
    )
    low_confidence_threshold = serializers.FloatField()
    error = serializers.CharField(allow_blank=True)


class AutoAnnotationView(APIView):
    @extend_schema(
        operation_id="v1_pullbacks_auto_annotations",
        parameters=[AutoAnnotationRangeInput],
        responses=AutoAnnotationOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        pullback = get_object_or_404(Pullback.objects.visible_to(request.user), pk=pk)
        data = AutoAnnotationRangeInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        body: dict[str, Any] = auto_annotation_view(
            pullback,
            start=data.validated_data.get("start"),
            count=data.validated_data.get("count"),
        )
        return Response(AutoAnnotationOutput(body).data)
