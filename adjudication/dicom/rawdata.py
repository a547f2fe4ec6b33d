"""Sequences read and rebuilt from their encoded bytes, without building pydicom objects.

A pullback's Per-frame Functional Groups Sequence holds one item per frame — hundreds of items
of a few nested sequences each. Turning them into pydicom datasets, walking them and writing
them back cost more than everything else in an ingest but the pixel data. This module walks
the same bytes directly (PS3.5 7.1 data elements, 7.5 nesting of data sets):

- :func:`filter_sequence` rebuilds a sequence value keeping only the elements a caller's
  ``decide`` keeps — whole, byte for byte — and recursing into the sequences it keeps; items
  and sequences it rebuilds get explicit lengths;
- :func:`item_values` finds, in every item of a sequence, the values at a few tag paths.

Only the plain little-endian forms are taken (explicit or implicit VR). Anything else — a
value a caller would change rather than keep or drop, a VR of UN, a non-sequence of undefined
length, a length past the end — raises :class:`Unhandled` and the caller takes the pydicom
path instead, so this module never decides anything it cannot prove.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Sequence
from typing import Any

from pydicom.datadict import dictionary_has_tag, dictionary_VR

_ITEM = 0xFFFEE000
_ITEM_END = 0xFFFEE00D
_SEQUENCE_END = 0xFFFEE0DD
UNDEFINED_LENGTH = 0xFFFFFFFF
# Explicit VRs with a 2-byte reserved field and a 4-byte length (PS3.5 Table 7.1-1).
_LONG_VRS = frozenset(
    {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
)
_HEADER = struct.Struct("<HHI")  # group, element, length (items; implicit VR elements)
_EXPLICIT_SHORT = struct.Struct("<HH2sH")  # group, element, VR, length
_EXPLICIT_LONG = struct.Struct("<HH2s2xI")  # group, element, VR, reserved, length


def dictionary_vr(tag: int) -> str:
    """The data dictionary's VR of ``tag`` (for implicit VR); UN when it does not know it."""
    return str(dictionary_VR(tag)) if dictionary_has_tag(tag) else "UN"


def plain_sequence(element: Any) -> tuple[bytes, bool] | None:
    """A data set's element as pydicom read it and left it — a sequence never converted,
    little endian, of defined length — as (its items' bytes, implicit VR); None when it was
    converted already or has another form (the caller takes the pydicom path)."""
    value = getattr(element, "value", None)
    if (
        getattr(element, "is_raw", False)
        and isinstance(value, bytes)
        and element.is_little_endian
        and element.length != UNDEFINED_LENGTH
    ):
        return value, bool(element.is_implicit_VR)
    return None


class Unhandled(Exception):
    """The bytes hold something this module does not prove; use the pydicom path."""


class Action(enum.Enum):
    KEEP = "keep"  # the element stays as it is (a sequence: its items are walked)
    DROP = "drop"  # the element goes
    OTHER = "other"  # the element would be changed: not for this module (Unhandled)


# ``decide(tag, vr)``: what becomes of an element. ``tag`` is (group << 16) | element; ``vr``
# is the explicit VR, or for implicit VR what ``vr_of`` says.
Decide = Callable[[int, str], Action]
VrOf = Callable[[int], str]


class _Reader:
    def __init__(self, data: bytes | memoryview, implicit: bool, vr_of: VrOf) -> None:
        self.view = memoryview(data)
        self.implicit = implicit
        self.vr_of = vr_of

    def element(self, pos: int, end: int) -> tuple[int, str, int, int]:
        """(tag, VR, value start, value length) of the element at ``pos``."""
        if pos + 8 > end:
            raise Unhandled(f"an element header runs past its data set at byte {pos}")
        if self.implicit:
            group, element, length = _HEADER.unpack_from(self.view, pos)
            tag = group << 16 | element
            return tag, self.vr_of(tag), pos + 8, length
        group, element, vr_bytes, length = _EXPLICIT_SHORT.unpack_from(self.view, pos)
        tag = group << 16 | element
        if group == 0xFFFE:  # a delimiter: no VR
            return tag, "", pos + 8, _HEADER.unpack_from(self.view, pos)[2]
        try:
            vr = vr_bytes.decode("ascii")
        except UnicodeDecodeError as exc:
            raise Unhandled(f"a VR that is not text at byte {pos}") from exc
        if vr in _LONG_VRS:
            if pos + 12 > end:
                raise Unhandled(f"an element header runs past its data set at byte {pos}")
            length = _EXPLICIT_LONG.unpack_from(self.view, pos)[3]
            return tag, vr, pos + 12, length
        return tag, vr, pos + 8, length

    def items(self, pos: int, end: int, undefined: bool) -> tuple[list[tuple[int, int, bool]], int]:
        """The items of a sequence value starting at ``pos``: (content start, content end or
        -1, undefined) each, and where the sequence ends (after its delimiter if undefined)."""
        found: list[tuple[int, int, bool]] = []
        while pos < end:
            if pos + 8 > end:
                raise Unhandled(f"an item header runs past its sequence at byte {pos}")
            group, element, length = _HEADER.unpack_from(self.view, pos)
            tag = group << 16 | element
            pos += 8
            if tag == _SEQUENCE_END:
                if not undefined or length != 0:
                    raise Unhandled(f"a misplaced sequence delimiter at byte {pos - 8}")
                return found, pos
            if tag != _ITEM:
                raise Unhandled(f"not an item at byte {pos - 8}")
            if length == UNDEFINED_LENGTH:
                after = self.dataset_end(pos, end)
                found.append((pos, after, True))
                pos = after
            else:
                if pos + length > end:
                    raise Unhandled(f"an item runs past its sequence at byte {pos - 8}")
                found.append((pos, pos + length, False))
                pos += length
        if undefined:
            raise Unhandled("a sequence of undefined length without its delimiter")
        return found, pos

    def dataset_end(self, pos: int, end: int) -> int:
        """Where an undefined-length item that starts at ``pos`` ends (after its delimiter)."""
        while pos < end:
            tag, vr, start, length = self.element(pos, end)
            if tag == _ITEM_END:
                return start
            pos = self.value_end(tag, vr, start, length, end)
        raise Unhandled("an item of undefined length without its delimiter")

    def value_end(self, tag: int, vr: str, start: int, length: int, end: int) -> int:
        if length == UNDEFINED_LENGTH:
            # Only a sequence has an undefined length here (implicit VR: whatever its VR,
            # PS3.5 7.5.1; explicit VR UN would nest implicit VR items: not taken).
            if vr != "SQ" and not self.implicit:
                raise Unhandled(f"an undefined length outside a sequence, tag {tag:08X}")
            return self.items(start, end, undefined=True)[1]
        if start + length > end:
            raise Unhandled(f"element {tag:08X} runs past its data set")
        return start + length


def _item_header(length: int) -> bytes:
    return _HEADER.pack(0xFFFE, 0xE000, length)


def filter_sequence(
    value: bytes | memoryview,
    *,
    implicit: bool,
    decide: Decide,
    vr_of: VrOf,
) -> bytes:
    """A sequence's value (its items, as read for a sequence of defined length) rebuilt with
    only the elements ``decide`` keeps, at every depth (module doc). Raises
    :class:`Unhandled` when an element would be changed (``Action.OTHER``), has a VR of UN, or
    the bytes are not a plain little-endian encoding."""
    reader = _Reader(value, implicit, vr_of)
    return _filter_items(reader, 0, len(reader.view), undefined=False, decide=decide)


def _filter_items(reader: _Reader, pos: int, end: int, *, undefined: bool, decide: Decide) -> bytes:
    items, _ = reader.items(pos, end, undefined)
    out: list[bytes] = []
    for start, stop, item_undefined in items:
        content = _filter_dataset(reader, start, stop, undefined=item_undefined, decide=decide)
        out += [_item_header(len(content)), content]
    return b"".join(out)


def _filter_dataset(
    reader: _Reader, pos: int, end: int, *, undefined: bool, decide: Decide
) -> bytes:
    out: list[bytes | memoryview] = []
    previous = -1
    while pos < end:
        tag, vr, start, length = reader.element(pos, end)
        if tag == _ITEM_END:
            if not undefined or length != 0:
                raise Unhandled(f"a misplaced item delimiter at byte {pos}")
            return b"".join(out)
        if tag >> 16 == 0xFFFE or tag <= previous:
            # pydicom keeps one of two equal tags and writes them in order: copying them as
            # they stand would not give the same data set.
            raise Unhandled(f"element {tag:08X} out of order or misplaced")
        previous = tag
        action = decide(tag, vr)
        if action is Action.OTHER or (action is Action.KEEP and vr == "UN"):
            raise Unhandled(f"element {tag:08X} (VR {vr}) would be changed")
        value_end = reader.value_end(tag, vr, start, length, end)
        if action is Action.KEEP:
            if vr == "SQ":
                value = _filter_items(
                    reader, start, value_end, undefined=length == UNDEFINED_LENGTH, decide=decide
                )
                out += [_sequence_header(tag, len(value), reader.implicit), value]
            elif length == UNDEFINED_LENGTH:
                raise Unhandled(f"element {tag:08X} of undefined length")
            else:
                out.append(reader.view[pos:value_end])
        pos = value_end
    if undefined:
        raise Unhandled("an item of undefined length without its delimiter")
    return b"".join(out)


def _sequence_header(tag: int, length: int, implicit: bool) -> bytes:
    if implicit:
        return _HEADER.pack(tag >> 16, tag & 0xFFFF, length)
    return _EXPLICIT_LONG.pack(tag >> 16, tag & 0xFFFF, b"SQ", length)


# A path to a value: tags from an item of the outer sequence down, through the first item of
# each sequence on the way (``(0x00520027, 0x00520028)``: the first Intravascular Frame
# Content item's Intravascular Longitudinal Distance).
Path = tuple[int, ...]
Found = tuple[str, memoryview]  # VR, value bytes


def item_values(
    value: bytes | memoryview, *, implicit: bool, vr_of: VrOf, paths: Sequence[Path]
) -> list[list[Found | None]]:
    """For every item of a sequence value, the (VR, bytes) at each of ``paths``, or None
    where the path leads nowhere. Raises :class:`Unhandled` as :func:`filter_sequence`."""
    reader = _Reader(value, implicit, vr_of)
    items, _ = reader.items(0, len(reader.view), undefined=False)
    return [_lookup(reader, start, stop, paths) for start, stop, _ in items]


def _lookup(reader: _Reader, pos: int, end: int, paths: Sequence[Path]) -> list[Found | None]:
    """Each of ``paths`` in the data set from ``pos`` to ``end``, walking it once."""
    found: list[Found | None] = [None] * len(paths)
    starting: dict[int, list[int]] = {}
    for index, path in enumerate(paths):
        starting.setdefault(path[0], []).append(index)
    previous = -1
    while pos < end:
        tag, vr, start, length = reader.element(pos, end)
        if tag == _ITEM_END:
            break
        if tag <= previous or vr == "UN":
            raise Unhandled(f"element {tag:08X} out of order or of VR UN")
        previous = tag
        value_end = reader.value_end(tag, vr, start, length, end)
        deeper = []
        for index in starting.get(tag, ()):
            if len(paths[index]) > 1:
                deeper.append(index)
            elif length == UNDEFINED_LENGTH:
                raise Unhandled(f"element {tag:08X} of undefined length")
            else:
                found[index] = vr, reader.view[start:value_end]
        if deeper and vr == "SQ":
            items, _ = reader.items(start, value_end, undefined=length == UNDEFINED_LENGTH)
            if items:
                first_start, first_stop, _ = items[0]
                inner = _lookup(reader, first_start, first_stop, [paths[i][1:] for i in deeper])
                for index, value in zip(deeper, inner, strict=True):
                    found[index] = value
        pos = value_end
    return found
