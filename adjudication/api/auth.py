"""Token sign-in and sign-out, and ``/me``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from adjudication import tokens
from adjudication.models import Membership
from adjudication.security import AuthRateThrottle, clear_failures, client_address
from adjudication.types import request_user


class TokenInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class TokenView(APIView):
    """``POST {username, password}`` → ``{token}``; throttled against guessing."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [AuthRateThrottle]
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
        clear_failures(user.get_username(), client_address(request))
        return Response({"token": tokens.token_issue(user=user)})


class LogoutInput(serializers.Serializer):
    all = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also revoke every other token of the user (all scripts and devices).",
    )


class LogoutView(APIView):
    """``POST`` revokes the token the request carries (the session, when signed in through
    the browser); ``{"all": true}`` revokes every token of the user. 204."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=LogoutInput, responses={204: None})
    def post(self, request: Request) -> Response:
        data = LogoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["all"]:
            tokens.tokens_revoke_all(user=request_user(request))
        if isinstance(request.auth, str):
            tokens.token_revoke(key=request.auth)
        else:
            logout(request._request)
        return Response(status=204)


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
        memberships = Membership.objects.filter(user=request_user(request)).select_related("study")
        return Response(
            MeOutput({"username": request.user.username, "memberships": memberships}).data
        )
