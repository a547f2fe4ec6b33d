"""Uploads as members: a zip archive's regular files, or a single file as itself (SPEC §8).

Everything that can be checked from the central directory is checked before the first member
is yielded: member count, names (absolute paths, drive letters, ``..``, NUL bytes, symlinks),
encryption, and the total *declared* uncompressed size. Declared sizes can lie, so every
member is also read through a counter that refuses (``archive_too_large``) as soon as more
bytes come out than the limit allows, whatever the headers said. Before a member is expanded,
only its first 132 bytes are read and must hold the DICOM Part 10 preamble and ``DICM``
marker (``not_dicom`` / ``empty`` otherwise): a zip of hundreds of MB of other data is refused
after reading a few bytes of its first member, never expanded.

Skipped silently: directories, macOS resource forks (``__MACOSX/``, ``._*``), ``.DS_Store``,
``Thumbs.db`` and ``DICOMDIR`` (a media index, not an image).
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from typing import IO, Any, cast

from .inspect import DicomRefused

DRIVE = re.compile(r"^[A-Za-z]:")
SKIPPED_NAMES = frozenset({".DS_Store", "Thumbs.db", "DICOMDIR"})


class ByteBudget:
    """The one byte budget of an upload (``UPLOAD_MAX_BYTES``): the raw files staged and what
    their archives expand to all count against it, whoever reads or writes the bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    def take(self, size: int) -> bool:
        """Count ``size`` more bytes; False (and nothing counted) if that would pass the limit."""
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def release(self, size: int) -> None:
        self.used -= size


class _CountingReader(io.RawIOBase):
    """A read-only stream that refuses once more than the shared budget was read across all
    members."""

    def __init__(self, raw: IO[bytes], budget: ByteBudget, name: str) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._raw.read(len(buffer))
        except zipfile.BadZipFile as exc:
            raise DicomRefused(
                "archive_unsafe", f"Archive member {self._name!r} is corrupt ({exc})."
            ) from exc
        if not self._budget.take(len(data)):
            raise DicomRefused(
                "archive_too_large",
                f"The archive expands beyond the upload limit of {self._budget.limit} bytes "
                f"(while reading {self._name!r}).",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


DICOM_HEAD_BYTES = 132


class _HeadThenRest(io.RawIOBase):
    """The bytes already read from a member (its head) followed by the rest of its stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _checked_head(reader: IO[bytes], name: str) -> bytes:
    """The member's first 132 bytes, refused unless they are a DICOM Part 10 preamble."""
    head = b""
    while len(head) < DICOM_HEAD_BYTES:
        chunk = reader.read(DICOM_HEAD_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    if not head:
        raise DicomRefused("empty", f"Archive member {name!r} is empty.")
    if head[128:132] != b"DICM":
        raise DicomRefused(
            "not_dicom",
            f"Archive member {name!r} is not a DICOM file (no 'DICM' marker after the "
            "128-byte preamble).",
        )
    return head


def is_zip(path: str | os.PathLike[str]) -> bool:
    """True for a zip archive; a DICOM file (``DICM`` at 128) never counts, even if its pixel
    data happens to contain a zip end-of-directory signature."""
    with open(path, "rb") as fh:
        head = fh.read(132)
    if head[128:132] == b"DICM":
        return False
    return head[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = re.split(r"[\\/]", name)
    if "\x00" in name:
        return "contains a NUL byte"
    if name.startswith(("/", "\\")):
        return "is an absolute path"
    if DRIVE.match(name):
        return "starts with a drive letter"
    if ".." in parts:
        return "escapes its folder ('..')"
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        return "is a symbolic link"
    if info.flag_bits & 0x1:
        return "is encrypted"
    return None


def _skipped(info: zipfile.ZipInfo) -> bool:
    if info.is_dir():
        return True
    parts = re.split(r"[\\/]", info.filename)
    base = parts[-1]
    return "__MACOSX" in parts or base.startswith("._") or base in SKIPPED_NAMES


def _checked_members(
    zf: zipfile.ZipFile, *, budget: ByteBudget, max_members: int
) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > max_members:
        raise DicomRefused(
            "archive_too_large",
            f"The archive has {len(infos)} entries; the limit is {max_members}.",
        )
    total = 0
    members = []
    for info in infos:
        reason = _unsafe_reason(info)
        if reason:
            raise DicomRefused("archive_unsafe", f"Archive member {info.filename!r} {reason}.")
        if _skipped(info):
            continue
        total += info.file_size
        members.append(info)
    if total > budget.remaining:
        raise DicomRefused(
            "archive_too_large",
            f"The archive expands to {total} bytes; the upload limit is {budget.limit}"
            + (f" ({budget.remaining} left)." if budget.used else "."),
        )
    return members


def iter_upload_members(
    path: str | os.PathLike[str], *, budget: ByteBudget, max_members: int = 5000
) -> Iterator[tuple[str, IO[bytes]]]:
    """Yield ``(member_name, readable_file)`` for each regular file of the upload at ``path``.

    A zip yields its members in archive order (each file object is valid until the next one is
    requested); anything else yields itself once, under its base name. Raises
    :class:`DicomRefused` with ``archive_unsafe`` / ``archive_too_large`` (see module doc).
    Every byte read counts against ``budget``.
    """
    if not is_zip(path):
        size = os.path.getsize(path)
        if size > budget.remaining:
            raise DicomRefused(
                "too_large", f"The file is {size} bytes; the upload limit is {budget.limit}."
            )
        with open(path, "rb") as fh:
            yield (
                os.path.basename(os.fspath(path)),
                cast(IO[bytes], _CountingReader(fh, budget, "upload")),
            )
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DicomRefused("archive_unsafe", f"The zip archive is damaged ({exc}).") from exc
    with zf:
        members = _checked_members(zf, budget=budget, max_members=max_members)
        for info in members:
            try:
                raw = zf.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise DicomRefused(
                    "archive_unsafe", f"Archive member {info.filename!r} cannot be read ({exc})."
                ) from exc
            with _CountingReader(raw, budget, info.filename) as reader:
                head = _checked_head(cast(IO[bytes], reader), info.filename)
                yield info.filename, cast(IO[bytes], _HeadThenRest(head, cast(IO[bytes], reader)))
