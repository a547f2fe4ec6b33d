"""DICOM SR downloads (SPEC §12): a submitted read's report and a pullback's consensus report.

- ``GET /api/v1/reads/{id}/sr/`` — the read's own reader, the study's coordinators, and the
  adjudicator of that pullback's adjudication (who already sees both reads as Reader 1 and
  Reader 2). Anyone else — above all the other reader — gets 404. The reader's copy carries
  no patient attributes (readers never see the subject code).
- ``GET /api/v1/pullbacks/{id}/consensus-sr/`` — the study's coordinators; 404 for everyone
  else (a reader must not learn that a consensus exists).

Both answer ``application/dicom`` as an attachment; 409 before the read is submitted and
measured, or before the consensus exists.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from adjudication import reports
from adjudication.models import Adjudication, Membership, Pullback, Read
from adjudication.roles import Role
from adjudication.types import User, request_user

DICOM = "application/dicom"


class DicomFileRenderer(BaseRenderer):
    """Lets ``Accept: application/dicom`` through content negotiation; errors stay JSON."""

    media_type = DICOM
    format = "dcm"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


def _coordinator_of(user: User, study_id: int) -> bool:
    return Membership.objects.filter(
        user=user, study_id=study_id, role=Role.COORDINATOR.value
    ).exists()


def _attachment(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=DICOM)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ReadSRView(APIView):
    renderer_classes = [JSONRenderer, DicomFileRenderer]

    @extend_schema(
        operation_id="v1_reads_sr",
        responses={
            (200, DICOM): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not the caller's read (nor coordinated)"),
            409: OpenApiResponse(description="Not submitted and measured yet"),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        user = request_user(request)
        adjudicates = Exists(
            Adjudication.objects.visible_to(user).filter(pullback=OuterRef("pullback"))
        )
        coordinates = Exists(
            Membership.objects.filter(
                user=user, study=OuterRef("pullback__study"), role=Role.COORDINATOR.value
            )
        )
        read = (
            Read.objects.filter(Q(reader=user) | coordinates | adjudicates)
            .select_related("pullback", "metrics")
            .filter(pk=pk)
            .first()
        )
        if read is None:
            raise NotFound()
        coordinator = read.reader_id != user.pk and _coordinator_of(user, read.pullback.study_id)
        body = reports.read_sr_bytes(read, coordinator=coordinator)
        label = read.label.lower().replace(" ", "-")
        return _attachment(body, f"pullback-{read.pullback_id}-{label}-sr.dcm")


class ConsensusSRView(APIView):
    renderer_classes = [JSONRenderer, DicomFileRenderer]

    @extend_schema(
        operation_id="v1_pullbacks_consensus_sr",
        responses={
            (200, DICOM): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="Not a coordinator of the pullback's study"),
            409: OpenApiResponse(description="No consensus yet"),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        pullback = Pullback.objects.visible_to(request.user).filter(pk=pk).first()
        if pullback is None or not _coordinator_of(request_user(request), pullback.study_id):
            raise NotFound()
        body = reports.consensus_sr_bytes(pullback)
        return _attachment(body, f"pullback-{pullback.pk}-consensus-sr.dcm")
