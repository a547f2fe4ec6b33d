"""One exception handler: domain errors → HTTP, every error body ``{detail, code[, field]}``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from adjudication.dicom.inspect import DicomRefused
from adjudication.domain.errors import (
    CalibrationMissing,
    Conflict,
    DomainError,
    FieldError,
    InvalidTransition,
    PasswordRequired,
    Refused,
)

REFUSED_STATUS = {
    "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "invalid_transition": status.HTTP_409_CONFLICT,
    "calibration_missing": status.HTTP_409_CONFLICT,
    "permission_denied": status.HTTP_403_FORBIDDEN,
}


def _first_field_error(detail: Any, prefix: str = "") -> tuple[str | None, str, str]:
    """Flatten DRF's nested validation detail to (field, message, code) of the first error."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            path = f"{prefix}.{name}" if prefix and name else (name or prefix)
            return _first_field_error(value, path)
    if isinstance(detail, list) and detail:
        if len(detail) and isinstance(detail[0], dict | list):
            return _first_field_error(detail[0], f"{prefix}[0]")
        return _first_field_error(detail[0], prefix)
    code = getattr(detail, "code", "invalid")
    return (prefix or None), str(detail), str(code)


def _domain_response(exc: DomainError) -> Response:
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    body.update(getattr(exc, "extra", None) or {})  # e.g. the frames of an incomplete read
    if isinstance(exc, FieldError):
        body["field"] = exc.field
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Conflict | InvalidTransition | CalibrationMissing):
        current = getattr(exc, "current_version", None)
        if current is not None:
            body["version"] = current
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PasswordRequired):
        return Response(body, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Refused):
        return Response(body, status=REFUSED_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST))
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return _domain_response(exc)
    if isinstance(exc, DicomRefused):
        return Response(
            {"detail": getattr(exc, "message", str(exc)), "code": getattr(exc, "code", "refused")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field, message, code = _first_field_error(exc.detail)
        body: dict[str, Any] = {"detail": f"{field}: {message}" if field else message, "code": code}
        if field:
            body["field"] = field
        response.data = body
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        response.data = {
            "detail": str(detail),
            "code": getattr(detail, "code", None) or exc.default_code,
        }
    return response
