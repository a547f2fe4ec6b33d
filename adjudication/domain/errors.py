"""Domain error hierarchy (pure Python).

The API layer maps these to HTTP answers in one place (``adjudication/api/exceptions.py``):
``AnnotationInvalid`` and ``SettingsInvalid`` → 400 with ``field``; ``InvalidTransition`` and
``Conflict`` → 409; ``PasswordRequired`` → 403; ``Refused`` → 400.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``code`` is machine-readable, ``message`` is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class FieldError(DomainError):
    """An input value is wrong; ``field`` names it with a dotted/JSON path."""

    code = "invalid"

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(f"{field}: {message}", code=code)
        self.field = field
        self.reason = message


class AnnotationInvalid(FieldError):
    """The annotation document (SPEC §4) is invalid at ``field``."""

    code = "annotation_invalid"


class SettingsInvalid(FieldError):
    """A study setting or tolerance is invalid at ``field``."""

    code = "settings_invalid"


class InvalidTransition(DomainError):
    """A workflow transition that the state table does not list."""

    code = "invalid_transition"


class Conflict(DomainError):
    """The object changed under the caller (stale version, lost compare-and-set)."""

    code = "conflict"


class PasswordRequired(DomainError):
    """A signed step was attempted with a wrong or missing password."""

    code = "password_invalid"


class Refused(DomainError):
    """A request that is well-formed but not allowed by the workflow or the input's content."""

    code = "refused"


class CalibrationMissing(DomainError):
    """mm metrics were asked for a pullback without a pixel spacing (SPEC §3)."""

    code = "calibration_missing"


class CalibrationInvalid(FieldError):
    """A calibration tag (SPEC §3) is present but unusable; ``field`` names the tag."""

    code = "calibration_invalid"


class Incomplete(Refused):
    """A read lacks what SPEC §2 requires to submit it; ``extra`` joins the error body
    (``frames``: the analysis frames lacking something, ``missing``: what each lacks)."""

    code = "incomplete"

    def __init__(self, message: str, *, extra: dict[str, object]) -> None:
        super().__init__(message)
        self.extra = extra
