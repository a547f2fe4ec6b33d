"""Token sign-in and ``/me``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from adjudication.models import Membership


class TokenInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class TokenView(APIView):
    """``POST {username, password}`` → ``{token}``; throttled against guessing."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        request=TokenInput,
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField()}),
    )
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            return Response(
                {
                    "detail": "Unable to sign in with these credentials.",
                    "code": "invalid_credentials",
                },
                status=400,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MembershipOutput(serializers.Serializer):
    study = serializers.IntegerField(source="study_id")
    study_code = serializers.CharField(source="study.code")
    role = serializers.CharField()


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    memberships = MembershipOutput(many=True)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        memberships = Membership.objects.filter(user=request.user).select_related("study")
        return Response(
            MeOutput({"username": request.user.username, "memberships": memberships}).data
        )
