"""Reading an uploaded manifest CSV (the rules are ``domain.manifest``)."""

from __future__ import annotations

from typing import IO

from adjudication.domain.errors import FieldError
from adjudication.domain.manifest import ManifestRow, parse_manifest
from adjudication.models.pullback import Timepoint

MAX_MANIFEST_BYTES = 1024 * 1024


def manifest_read(fileobj: IO[bytes] | IO[str]) -> list[ManifestRow]:
    """The rows of an uploaded manifest (UTF-8, with or without byte-order mark; at most
    1 MB); ``FieldError`` on ``manifest`` for an unreadable file or any bad row."""
    raw = fileobj.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise FieldError("manifest", "the manifest is larger than 1 MB", code="too_large")
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FieldError(
                "manifest", "save the manifest as UTF-8 CSV", code="manifest_invalid"
            ) from exc
    else:
        text = raw
    return parse_manifest(text, timepoints=Timepoint.values)
