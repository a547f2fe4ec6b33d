"""multipart/related bodies (RFC 2387, PS3.18 §8.7.3.1) and Accept negotiation for frames."""

from __future__ import annotations

import functools
import io
import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"


class MultipartError(ValueError):
    """A request body that is not the multipart/related message it claims to be."""


def new_boundary() -> str:
    return uuid.uuid4().hex


def encode_parts(parts: list[tuple[str, bytes]], boundary: str) -> list[bytes]:
    """``[(content_type, body), …]`` → the message as chunks (never joined: frames are big)."""
    chunks: list[bytes] = []
    for content_type, body in parts:
        chunks.append(f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode("ascii"))
        chunks.append(body)
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return chunks


def _params(header_value: str) -> tuple[str, dict[str, str]]:
    media, *rest = header_value.split(";")
    params: dict[str, str] = {}
    for item in rest:
        name, _, value = item.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


def part_ranges(content_type: str, body: Any) -> list[tuple[str, int, int]]:
    """Where each part of a multipart/related body lies: ``[(content type, start, end), …]``.
    ``body`` is anything with ``find`` and slicing (bytes, or an ``mmap`` of a spooled upload:
    pullbacks are hundreds of MB, so the body is never copied whole)."""
    media, params = _params(content_type)
    if media != "multipart/related":
        raise MultipartError('Send multipart/related; type="application/dicom".')
    boundary = params.get("boundary")
    if not boundary:
        raise MultipartError("The Content-Type has no boundary.")
    default_type = params.get("type", "application/octet-stream").lower()
    delimiter = b"--" + boundary.encode("latin-1")
    at = body.find(delimiter)
    if at < 0:
        raise MultipartError("The body is not a complete multipart message.")
    parts: list[tuple[str, int, int]] = []
    while True:
        after = at + len(delimiter)
        if body[after : after + 2] == b"--":
            return parts  # the close delimiter
        head_end = body.find(b"\r\n\r\n", after)
        following = body.find(b"\r\n" + delimiter, after)
        if head_end < 0 or following < 0 or head_end > following:
            raise MultipartError("The body is not a complete multipart message.")
        part_type = default_type
        for line in bytes(body[after:head_end]).decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-type":
                part_type = _params(value)[0]
        parts.append((part_type, head_end + 4, following))
        at = following + 2


def decode_parts(content_type: str, body: bytes) -> list[tuple[str, bytes]]:
    """A multipart/related body in memory → ``[(part content type, part body), …]``."""
    return [(t, body[a:b]) for t, a, b in part_ranges(content_type, body)]


class FileRange(io.RawIOBase):
    """Bytes ``start … end`` of an open binary file, as a readable file object."""

    def __init__(self, fh: BinaryIO, start: int, end: int) -> None:
        self.fh, self.position, self.end = fh, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self.end - self.position)
        if size <= 0:
            return 0
        self.fh.seek(self.position)
        data = self.fh.read(size)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


@dataclass(frozen=True)
class FrameChoice:
    """The frame encoding to answer: ``stored`` JPEG bytes as they are, or ``raw`` pixels."""

    media_type: str  # image/jpeg | application/octet-stream
    transfer_syntax: str


@functools.lru_cache(maxsize=256)
def choose_frame_type(accept: str, *, stored_is_jpeg: bool) -> FrameChoice | None:
    """Pick the frame media type from ``Accept`` (PS3.18 §8.7.3.5): the stored JPEG bytes when
    the client accepts ``image/jpeg`` (baseline) or anything; raw little-endian pixels for
    ``application/octet-stream``; None → 406. Ranges are tried by their ``q`` (default 1).
    Cached: a viewer sends the same header with every frame."""
    ranges: list[tuple[float, int, str, str]] = []
    for position, item in enumerate((accept or "*/*").split(",")):
        if not item.strip():
            continue
        media, params = _params(item)
        if media == "multipart/related":
            media = params.get("type", "application/octet-stream").lower()
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            q = 1.0
        ranges.append((-q, position, media, params.get("transfer-syntax", "*")))
    jpeg = FrameChoice("image/jpeg", JPEG_BASELINE)
    raw = FrameChoice("application/octet-stream", EXPLICIT_VR_LITTLE_ENDIAN)
    for negative_q, _, media, syntax in sorted(ranges):
        if negative_q >= 0:
            continue
        if media in ("*/*", "image/*") and syntax in ("*", JPEG_BASELINE):
            return jpeg if stored_is_jpeg or media == "image/*" else raw
        if media == "image/jpeg" and syntax in ("*", JPEG_BASELINE):
            return jpeg
        if media == "application/octet-stream" and syntax in ("*", EXPLICIT_VR_LITTLE_ENDIAN):
            return raw
        if media == "*/*" and syntax == EXPLICIT_VR_LITTLE_ENDIAN:
            return raw
    return None
