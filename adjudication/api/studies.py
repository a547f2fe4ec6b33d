"""Studies, members, uploads (coordinators)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from adjudication.models import Membership, Pullback, Study
from adjudication.models.pullback import Timepoint
from adjudication.roles import Role
from adjudication.services import ingest, studies

from .pullbacks import PullbackForCoordinatorOutput


class StudyOutput(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = ["id", "name", "code", "description", "settings", "created_at", "progress"]

    def get_progress(self, study: Study) -> dict[str, int]:
        counts = getattr(study, "progress_counts", None)
        if counts is None:
            counts = dict(
                Pullback.objects.filter(study=study)
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
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
    role = serializers.CharField()


class UploadInput(serializers.Serializer):
    file = serializers.FileField()
    subject_code = serializers.CharField(max_length=40)
    timepoint = serializers.ChoiceField(choices=Timepoint.values)
    lesion = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class UploadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class StudyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Studies the caller coordinates; others answer 404."""

    serializer_class = StudyOutput
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> Any:
        return Study.objects.coordinated_by(self.request.user).order_by("code")

    @extend_schema(request=StudyCreateInput, responses={201: StudyOutput})
    def create(self, request: Request) -> Response:
        data = StudyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        if not studies.user_may_create_study(request.user):
            raise PermissionDenied("You may not create studies.")
        study = studies.study_create(actor=request.user, **data.validated_data)
        return Response(StudyOutput(study).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StudyUpdateInput, responses=StudyOutput)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        study = self.get_object()
        data = StudyUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        study = studies.study_update(study=study, actor=request.user, **data.validated_data)
        return Response(StudyOutput(study).data)

    @extend_schema(methods=["GET"], responses=MemberOutput(many=True))
    @extend_schema(methods=["POST"], request=MemberInput, responses={201: MemberOutput})
    @action(detail=True, methods=["get", "post"])
    def members(self, request: Request, pk: Any = None) -> Response:
        study = self.get_object()
        if request.method == "GET":
            members = Membership.objects.filter(study=study).select_related("user")
            return Response(MemberOutput(members.order_by("user__username"), many=True).data)
        data = MemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = studies.study_add_member(
            study=study, actor=request.user, **data.validated_data
        )
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=PullbackForCoordinatorOutput(many=True))
    @extend_schema(methods=["POST"], request=UploadInput, responses={202: UploadOutput})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser])
    def pullbacks(self, request: Request, pk: Any = None) -> Response:
        study = self.get_object()
        if request.method == "GET":
            qs = Pullback.objects.filter(study=study).select_related("subject").order_by("id")
            page = self.paginate_queryset(qs)
            return self.get_paginated_response(PullbackForCoordinatorOutput(page, many=True).data)
        data = UploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        pullback = ingest.pullback_create_from_upload(
            study=study,
            actor=request.user,
            fileobj=upload,
            filename=upload.name or "upload.dcm",
            size_bytes=upload.size,
            subject_code=data.validated_data["subject_code"],
            timepoint=data.validated_data["timepoint"],
            lesion=data.validated_data["lesion"],
        )
        pullback.refresh_from_db(fields=["status"])
        return Response(
            UploadOutput({"id": pullback.pk, "status": pullback.status}).data,
            status=status.HTTP_202_ACCEPTED,
        )
