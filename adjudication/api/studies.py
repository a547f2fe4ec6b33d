"""Studies, members, uploads (coordinators)."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication import selectors
from adjudication.domain.errors import Refused
from adjudication.models import Membership, Pullback, Study
from adjudication.models.pullback import Timepoint
from adjudication.roles import Action, Role
from adjudication.services import ingest, studies
from adjudication.types import request_user
from adjudication.uploads_proxy import handed_over_file

from .common import coordinated_study_or_404, require_action
from .parsers import BoundedJSONParser
from .pullbacks import PullbackForCoordinatorOutput

# The upload's body is one DICOM file (RFC 3240), its fields in the query string.
RAW_DICOM_MEDIA_TYPE = "application/dicom"


class StudyOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = ["id", "name", "code", "description", "settings", "created_at", "progress"]

    def get_progress(self, study: Study) -> dict[str, int]:
        counts = getattr(study, "progress_counts", None)
        if counts is None:
            counts = selectors.pullback_status_counts([study])[study.pk]
        return counts


class StudyCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    code = serializers.SlugField(max_length=40)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    settings = serializers.DictField(required=False, default=dict)


class StudyUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    settings = serializers.DictField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MemberInput(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=[r.value for r in Role])


class MemberOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    role = serializers.ChoiceField(choices=[r.value for r in Role])


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=[r.value for r in Role])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class MemberRemoveInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class UploadInput(serializers.Serializer):
    """Multipart form: ``file`` once or repeated (DICOM files and/or zips of DICOMs), with
    either ``subject_code`` + ``timepoint`` (+ ``lesion``) for all of them, or a ``manifest``
    CSV (``file,subject_code,timepoint[,lesion]``) giving them per file."""

    file = serializers.ListField(child=serializers.FileField(), min_length=1)
    subject_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    timepoint = serializers.ChoiceField(choices=Timepoint.values, required=False, allow_blank=True)
    lesion = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    manifest = serializers.FileField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("manifest") is None:
            missing = {
                name: ["This field is required (or send a manifest)."]
                for name in ("subject_code", "timepoint")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class UploadOutput(serializers.Serializer):
    """One pullback created: ``{id, status}``."""

    id = serializers.IntegerField()
    status = serializers.CharField()


class UploadManyOutput(serializers.Serializer):
    """Several pullbacks created (several files, or a zip of several): in upload order."""

    pullbacks = UploadOutput(many=True)


class StudyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Studies the caller coordinates; others answer 404."""

    serializer_class = StudyOutput
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return Study.objects.coordinated_by(self.request.user).order_by("code")

    @extend_schema(request=StudyCreateInput, responses={201: StudyOutput})
    def create(self, request: Request) -> Response:
        data = StudyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not studies.user_may_create_study(request_user(request)):
            raise PermissionDenied("You may not create studies.")
        study = studies.study_create(actor=request_user(request), **data.validated_data)
        return Response(StudyOutput(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StudyUpdateInput, responses=StudyOutput)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        study = self.get_object()
        require_action(request_user(request), study, Action.CONFIGURE_STUDY)
        data = StudyUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        study = studies.study_update(
            study=study, actor=request_user(request), **data.validated_data
        )
        return Response(StudyOutput(study).data)

    @extend_schema(methods=["GET"], responses=MemberOutput(many=True))
    @extend_schema(methods=["POST"], request=MemberInput, responses={201: MemberOutput})
    @action(detail=True, methods=["get", "post"])
    def members(self, request: Request, pk: Any = None) -> Response:
        """The study's members (paginated like every list, SPEC §9); ``POST`` adds one."""
        study = self.get_object()
        require_action(request_user(request), study, Action.MANAGE_MEMBERS)
        if request.method == "GET":
            members = Membership.objects.filter(study=study).select_related("user")
            page = self.paginate_queryset(members.order_by("user__username"))
            return self.get_paginated_response(MemberOutput(page, many=True).data)
        data = MemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = studies.study_add_member(
            study=study, actor=request_user(request), **data.validated_data
        )
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses=PullbackForCoordinatorOutput(many=True),
        parameters=[
            OpenApiParameter(
                "archived",
                bool,
                description="true: only the archived (failed) pullbacks, which the list "
                "otherwise leaves out.",
            )
        ],
    )
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": UploadInput,
            RAW_DICOM_MEDIA_TYPE: OpenApiTypes.BINARY,
        },
        parameters=[
            OpenApiParameter(
                name,
                str,
                required=False,
                description="Only with an `application/dicom` body (the body is the one "
                f"DICOM file): {text}",
                enum=list(Timepoint.values) if name == "timepoint" else None,
            )
            for name, text in (
                ("subject_code", "the subject's code."),
                ("timepoint", "the timepoint."),
                ("lesion", "the lesion (optional)."),
                ("filename", "the original file name, kept on the pullback (optional)."),
            )
        ],
        responses={
            202: PolymorphicProxySerializer(
                component_name="UploadResult",
                serializers=[UploadOutput, UploadManyOutput],
                resource_type_field_name=None,
            )
        },
        description=(
            "Upload one DICOM, several (repeat `file`) or zips of DICOMs; one pullback per "
            "DICOM. One pullback created → `{id, status}`; several → `{pullbacks: [{id, "
            "status}, …]}`. With a `manifest` CSV part (`file,subject_code,timepoint[,lesion]`) "
            "each file takes its own subject, timepoint and lesion; every file must be listed "
            "once (zip members by their path inside the archive or unique base name); bad rows "
            "or mismatches answer 400 on `manifest`, one message per row. Refusals (empty, not DICOM, unsafe archive: 400; over "
            "UPLOAD_MAX_BYTES, also once expanded: 413) store nothing."
        ),
    )
    @action(
        detail=True,
        methods=["get", "post"],
        # JSON is parsed only to answer "file: required" (400) rather than 415.
        parser_classes=[MultiPartParser, FormParser, BoundedJSONParser],
    )
    def pullbacks(self, request: Request, pk: Any = None) -> Response:
        study = self.get_object()
        require_action(
            request_user(request),
            study,
            Action.VIEW_PROGRESS if request.method == "GET" else Action.UPLOAD,
        )
        if request.method == "GET":
            archived = request.query_params.get("archived", "").lower() in {"true", "1"}
            qs = (
                Pullback.objects.filter(study=study, archived_at__isnull=not archived)
                .select_related("subject")
                .order_by("id")
            )
            page = self.paginate_queryset(qs)
            return self.get_paginated_response(PullbackForCoordinatorOutput(page, many=True).data)
        if request.content_type.split(";")[0].strip().lower() == RAW_DICOM_MEDIA_TYPE:
            return self._pullbacks_create_from_raw_body(request, study)
        _refuse_oversized_request(request)
        data = UploadInput(data=_upload_data(request))
        data.is_valid(raise_exception=True)
        manifest_file = data.validated_data.get("manifest")
        pullbacks = ingest.pullbacks_create_from_upload(
            study=study,
            actor=request_user(request),
            sources=[
                ingest.UploadSource(f.name or "upload.dcm", f, f.size)
                for f in data.validated_data["file"]
            ],
            subject_code=data.validated_data.get("subject_code", ""),
            timepoint=data.validated_data.get("timepoint", ""),
            lesion=data.validated_data["lesion"],
            manifest=None if manifest_file is None else ingest.manifest_read(manifest_file),
        )
        return _upload_response(pullbacks)

    def _pullbacks_create_from_raw_body(self, request: Request, study: Study) -> Response:
        """``Content-Type: application/dicom``: the body is the file, streamed to staging as
        it is read (no multipart parsing), or behind bin/serve's nginx a file it wrote and
        the app moves (``uploads_proxy``); the form fields come as query parameters."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        query = request.query_params
        name = query.get("filename") or "upload.dcm"
        handed_over = handed_over_file(request)  # written to a file by nginx (uploads_proxy)
        if handed_over is not None:
            source = ingest.UploadSource(name, None, handed_over.stat().st_size, handed_over)
        else:
            # DRF's stream is the WSGI input itself (None for an empty body).
            stream = request.stream if request.stream is not None else io.BytesIO()
            source = ingest.UploadSource(name, stream, length)
        pullbacks = ingest.pullbacks_create_from_upload(
            study=study,
            actor=request_user(request),
            sources=[source],
            subject_code=query.get("subject_code", ""),
            timepoint=query.get("timepoint", ""),
            lesion=query.get("lesion", ""),
        )
        return _upload_response(pullbacks)


def _upload_response(pullbacks: list[Pullback]) -> Response:
    # Re-read: with eager tasks (the no-Redis dev fallback) ingest already ran on commit.
    statuses = dict(
        Pullback.objects.filter(pk__in=[p.pk for p in pullbacks]).values_list("pk", "status")
    )
    rows = [{"id": p.pk, "status": statuses.get(p.pk, p.status)} for p in pullbacks]
    if len(rows) == 1:
        return Response(UploadOutput(rows[0]).data, status=status.HTTP_202_ACCEPTED)
    return Response(UploadManyOutput({"pullbacks": rows}).data, status=status.HTTP_202_ACCEPTED)


def _upload_data(request: Request) -> dict[str, Any]:
    """The form with every ``file`` part as a list (DRF's QueryDict keeps only the last)."""
    form: Any = request.data  # a QueryDict for multipart bodies
    data: dict[str, Any] = {k: form.get(k) for k in form if k != "file"}
    files = request.FILES.getlist("file")
    if files:
        data["file"] = files
    return data


def _refuse_oversized_request(request: Request) -> None:
    """413 from the declared length alone, before the body is read and spooled to disk."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # Multipart framing and the other fields add a little: allow 1 MB for them.
    if length > settings.UPLOAD_MAX_BYTES + 1024 * 1024:
        raise Refused(
            f"The upload is {length} bytes; the limit is {settings.UPLOAD_MAX_BYTES}.",
            code="too_large",
        )


class MemberDetailView(APIView):
    """``PATCH /api/v1/studies/{id}/members/{username}/`` changes the member's role;
    ``DELETE`` removes them. Coordinators of the study only (others: 404 for the study).
    An analyst's unsubmitted reads are handed on to another analyst; the last coordinator
    stays. Both audited."""

    def _study(self, request: Request, pk: int) -> Study:
        return coordinated_study_or_404(request_user(request), pk, Action.MANAGE_MEMBERS)

    @extend_schema(request=MemberUpdateInput, responses=MemberOutput)
    def patch(self, request: Request, pk: int, username: str) -> Response:
        study = self._study(request, pk)
        data = MemberUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = studies.membership_change_role(
            study=study, actor=request_user(request), username=username, **data.validated_data
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(request=MemberRemoveInput, responses={204: None})
    def delete(self, request: Request, pk: int, username: str) -> Response:
        study = self._study(request, pk)
        data = MemberRemoveInput(data=request.data if request.data else request.query_params)
        data.is_valid(raise_exception=True)
        studies.membership_remove(
            study=study, actor=request_user(request), username=username, **data.validated_data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
