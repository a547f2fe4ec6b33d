"""Accept or refuse an uploaded pullback file (SPEC §8), before anything is stored.

Order of checks, cheapest and safest first:

1. the file itself: readable, not empty, not over ``Limits.max_bytes``;
2. the header, read with ``stop_before_pixels``: DICOM Part 10 (preamble + ``DICM``), accepted
   SOP class, transfer syntax, photometric interpretation, bit depth, no burned-in annotation,
   and the *declared* Rows × Columns × NumberOfFrames against the limits and a decoded-byte
   budget — all before a single pixel byte is read or decoded (decompression-bomb protection);
3. the full read: the file must end exactly where its last element ends (pydicom silently
   accepts truncated files, so this is checked here), pixel data must be present and its length
   (native) or its fragments / offset table (encapsulated) must match NumberOfFrames;
4. decoding: the **first and last** frames are decoded here — except JPEG baseline, whose
   frames ``pixels.clean_frames`` (run on every accepted file) rebuilds and then decodes with
   warnings as errors, the first and the last among them: decoding them here too, before the
   rebuild, cost two more decodes of 1024² frames per ingest. ``render.iter_frame_images`` then
   decodes every frame of a re-encoded source and refuses on the first one that fails; JPEG
   baseline fragments, which are served as they are, are checked structurally instead (see
   ``render`` for what that proves and what it no longer catches).

Every refusal is a :class:`DicomRefused` with a machine-readable ``code`` and a message a
coordinator can act on. Files without the 128-byte preamble and ``DICM`` marker are refused as
not DICOM (Part 10 requires them; accepting raw datasets would mean guessing the encoding).
"""

from __future__ import annotations

import mmap
import os
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pydicom
from pydicom.dataset import Dataset
from pydicom.encaps import generate_fragments, generate_frames, parse_basic_offsets
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    JPEG2000,
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
    UID_dictionary,
)

from .tags import calibration_tags


@dataclass(frozen=True)
class Limits:
    """Upload limits. ``max_decoded_bytes`` bounds rows × columns × frames × samples × bytes
    per sample, the total work of decoding a pullback (bytes)."""

    max_bytes: int = 2 * 1024**3
    max_frames: int = 2000
    max_rows: int = 2048
    max_columns: int = 2048
    max_decoded_bytes: int = 8 * 1024**3


class DicomRefused(Exception):
    """A file is refused; ``code`` is machine-readable, ``message`` is for a coordinator."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


ACCEPTED_SOP_CLASSES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.14.1": "IVOCT Image Storage - For Presentation",
    "1.2.840.10008.5.1.4.1.1.14.2": "IVOCT Image Storage - For Processing",
    "1.2.840.10008.5.1.4.1.1.7.2": "Multi-frame Grayscale Byte Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.3": "Multi-frame Grayscale Word Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.7.4": "Multi-frame True Color Secondary Capture",
    "1.2.840.10008.5.1.4.1.1.3.1": "Ultrasound Multi-frame Image Storage",
}
ACCEPTED_TRANSFER_SYNTAXES: frozenset[str] = frozenset(
    {
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        JPEGBaseline8Bit,
        JPEGLSLossless,
        JPEGLSNearLossless,
        JPEG2000Lossless,
        JPEG2000,
        RLELossless,
    }
)
ACCEPTED_PHOTOMETRICS: dict[str, int] = {  # photometric → samples per pixel
    "MONOCHROME2": 1,
    "RGB": 3,
    "YBR_FULL": 3,
    "YBR_FULL_422": 3,
}
# JPEG 2000 colour is stored with its own component transforms (PS3.5 8.2.4); they decode to
# RGB like the others, so refusing them would refuse every colour JPEG 2000 pullback.
J2K_PHOTOMETRICS: dict[str, int] = {"YBR_RCT": 3, "YBR_ICT": 3}
J2K_SYNTAXES = frozenset({JPEG2000Lossless, JPEG2000})
REQUIRED_IMAGE_KEYWORDS = ("Rows", "Columns", "PhotometricInterpretation", "BitsAllocated")


@dataclass
class InspectedPullback:
    """An accepted file, fully read (pixel data included) and NOT yet de-identified."""

    dataset: pydicom.Dataset
    sop_class_uid: str
    sop_instance_uid: str
    n_frames: int
    rows: int
    columns: int
    photometric: str
    transfer_syntax_uid: str
    calibration_tags: dict[str, Any]
    samples_per_pixel: int = 1
    bits_allocated: int = 8
    bits_stored: int = 8
    is_encapsulated: bool = False
    file_size_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    # JPEG baseline in the usual layout: the Pixel Data value where it lies in the file,
    # mapped, not read (``MappedPixels``); the dataset then has no Pixel Data element until
    # ``load_pixel_data`` (or a rewrite of the frames) puts one there.
    mapped: MappedPixels | None = None

    def pixel_data_at(self) -> tuple[bytes | mmap.mmap, int]:
        """The buffer holding the Pixel Data value (the mapped file, or the dataset's bytes)
        and where in it the value starts."""
        if self.mapped is not None:
            return self.mapped.buffer, self.mapped.start
        return self.dataset.PixelData, 0

    def pixel_view(self) -> memoryview:
        """The Pixel Data value."""
        if self.mapped is not None:
            return self.mapped.view()
        return memoryview(self.dataset.PixelData)

    def load_pixel_data(self) -> None:
        """The mapped Pixel Data read into the dataset (what pydicom's decoders and writer
        need), the mapping closed; nothing when it is in the dataset already."""
        if self.mapped is None:
            return
        mapped, self.mapped = self.mapped, None
        self.dataset.add_new(_PIXEL_DATA_TAG, "OB", mapped.read())
        self.dataset["PixelData"].is_undefined_length = True
        mapped.close()

    def close(self) -> None:
        """Let go of the mapped file (after the frames were written)."""
        if self.mapped is not None:
            self.mapped.close()
            self.mapped = None


class MappedPixels:
    """An encapsulated Pixel Data value of ``length`` bytes at ``start`` in a read-only
    mapping of the uploaded file: scanned where it lies in the page cache instead of read
    into 50 MB of fresh memory first (about 30 ms of page faults and copying per pullback)."""

    def __init__(self, path: str, start: int, length: int) -> None:
        with open(path, "rb") as fh:
            self.buffer = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        self.start = start
        self.length = length

    def view(self) -> memoryview:
        return memoryview(self.buffer)[self.start : self.start + self.length]

    def read(self) -> bytes:
        return self.buffer[self.start : self.start + self.length]

    def close(self) -> None:
        try:
            self.buffer.close()
        except BufferError:  # a view of it is still alive: unmapped when that goes
            pass


@dataclass(frozen=True)
class _Geometry:
    rows: int
    columns: int
    n_frames: int
    samples: int
    bits_allocated: int
    bits_stored: int
    photometric: str

    @property
    def native_frame_bytes(self) -> int:
        if self.photometric == "YBR_FULL_422":
            return self.rows * self.columns * 2 * (self.bits_allocated // 8)
        return self.rows * self.columns * self.samples * (self.bits_allocated // 8)

    @property
    def decoded_bytes(self) -> int:
        per_sample = self.bits_allocated // 8
        return self.rows * self.columns * self.n_frames * self.samples * per_sample


# ------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------


def _read(path: str, *, header_only: bool) -> tuple[Dataset, list[str]]:
    """dcmread with pydicom's errors and warnings turned into refusals / notes."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path, stop_before_pixels=header_only, force=False)
    except InvalidDicomError as exc:
        raise DicomRefused(
            "not_dicom",
            "This is not a DICOM file (no 'DICM' marker after the 128-byte preamble).",
        ) from exc
    except (EOFError, OSError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
        raise DicomRefused(
            "truncated", f"The DICOM header could not be read ({type(exc).__name__}: {exc})."
        ) from exc
    return ds, [str(w.message) for w in caught]


def _element_end(ds: Dataset) -> int | None:
    """File offset where the last top-level element ends; ``None`` for undefined lengths."""
    tags = list(ds.keys())
    if not tags:
        return None
    raw = ds.get_item(tags[-1])
    tell = getattr(raw, "value_tell", None)
    length = getattr(raw, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return None
    return int(tell) + int(length)


def _check_not_truncated(ds: Dataset, warnings_seen: list[str], size: int) -> None:
    if any("End of file reached" in w for w in warnings_seen):
        raise DicomRefused(
            "truncated",
            "The file ends inside the pixel data: it is truncated (incomplete upload?).",
        )
    end = _element_end(ds)
    if end is not None and end != size:
        raise DicomRefused(
            "truncated",
            f"The file is truncated: its last element ends at byte {end} but the file has "
            f"{size} bytes.",
        )


def _check_header_complete(header: Dataset, warnings_seen: list[str], size: int) -> None:
    """A header read stops at the pixel data tag; if instead the file ran out, it was cut."""
    if any("End of file reached" in w for w in warnings_seen):
        raise DicomRefused("truncated", "The file ends inside its header: it is truncated.")
    if len(header) == 0:
        raise DicomRefused(
            "truncated", "The file ends right after its file meta header: it is truncated."
        )
    end = _element_end(header)
    if end is None:
        return
    if end != size and end + 8 > size:
        raise DicomRefused("truncated", "The file ends inside its header: it is truncated.")
    missing = [k for k in REQUIRED_IMAGE_KEYWORDS if k not in header]
    if end == size and missing and "SOPClassUID" in header:
        sop_class = str(header.SOPClassUID)
        if sop_class in ACCEPTED_SOP_CLASSES:
            raise DicomRefused(
                "truncated",
                f"The file ends after an incomplete header (no {', '.join(missing)}): "
                "it is truncated.",
            )


_PIXEL_DATA_TAG = (0x7FE0, 0x0010)
_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_LONG_LENGTH_VRS = frozenset({b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UT"})


def _check_pixel_data_reaches_the_end(
    path: str, header: Dataset, size: int
) -> tuple[int, int] | None:
    """Cheap truncation check from the header alone (before any caller's ``on_header``, so a
    truncated copy of a known file is reported as truncated, not as a duplicate): the Pixel
    Data element that follows the header must fit in the file — its declared length, or for
    encapsulated data the sequence delimiter near the end of the file. Returns where the
    value starts and its declared length (``_UNDEFINED`` when encapsulated), or None when no
    Pixel Data element follows the header."""
    start = _element_end(header)
    if start is None or start + 12 > size:
        return None
    with open(path, "rb") as fh:
        fh.seek(start)
        head = fh.read(12)
        group, element = struct.unpack_from("<HH", head)
        if (group, element) != _PIXEL_DATA_TAG:
            return None
        implicit = header.file_meta.get("TransferSyntaxUID") == ImplicitVRLittleEndian
        if implicit:
            (length,), value_start = struct.unpack_from("<I", head, 4), start + 8
        elif head[4:6] in _LONG_LENGTH_VRS:
            (length,), value_start = struct.unpack_from("<I", head, 8), start + 12
        else:
            (length,), value_start = struct.unpack_from("<H", head, 6), start + 8
        if length != 0xFFFFFFFF:
            if value_start + length > size:
                raise DicomRefused(
                    "truncated",
                    f"The file is truncated: its pixel data needs {value_start + length} bytes "
                    f"but the file has {size}.",
                )
            return value_start, length
        fh.seek(max(size - 65536, value_start))
        if _DELIMITER not in fh.read():
            raise DicomRefused(
                "truncated",
                "The file ends inside its compressed pixel data: it is truncated.",
            )
        return value_start, length


_UNDEFINED = 0xFFFFFFFF


def _mapped_jpeg_pixels(
    path: str, header: Dataset, pixel_value: tuple[int, int] | None, size: int, n_frames: int
) -> MappedPixels | None:
    """The usual JPEG baseline file's Pixel Data, mapped (``MappedPixels``): its item
    sequence fills the rest of the file exactly up to the sequence delimiter that ends the
    file (every item checked, so nothing is skipped), one fragment per frame, and a Basic
    Offset Table that is empty or names every frame in increasing order. None for any other
    file: pydicom then reads the whole file, as it does for every other transfer syntax."""
    if pixel_value is None or pixel_value[1] != _UNDEFINED or "ExtendedOffsetTable" in header:
        return None
    start = pixel_value[0]
    mapped = MappedPixels(path, start, size - start - len(_DELIMITER))
    try:
        buffer = mapped.buffer
        if (
            mapped.length < 8
            or len(buffer) != size
            or buffer[size - len(_DELIMITER) :] != _DELIMITER
            or not _one_fragment_per_frame(mapped.view(), n_frames)
        ):
            mapped.close()
            return None
    except BaseException:
        mapped.close()
        raise
    return mapped


def _one_fragment_per_frame(value: memoryview, n_frames: int) -> bool:
    """``value`` is a Basic Offset Table item (empty, or ``n_frames`` increasing offsets)
    followed by exactly ``n_frames`` fragment items that end exactly where it ends."""
    try:
        fragments = encapsulated_fragments(value)
    except DicomRefused:
        return False
    if not fragments or len(fragments) != n_frames or sum(fragments[-1]) != len(value):
        return False  # (a sequence delimiter inside ends the walk early: not at the end)
    table_length = fragments[0][0] - 16  # the offset table item's value, before the first
    if table_length % 4:
        return False
    table = struct.unpack_from(f"<{table_length // 4}I", value, 8)
    increasing = all(b > a for a, b in zip(table, table[1:], strict=False))
    return not table or (len(table) == n_frames and increasing)


# ------------------------------------------------------------------------------------------
# Header checks
# ------------------------------------------------------------------------------------------


def _int_attr(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_sop_class(ds: Dataset) -> str:
    sop_class = str(ds.get("SOPClassUID") or ds.file_meta.get("MediaStorageSOPClassUID") or "")
    if not sop_class:
        raise DicomRefused(
            "truncated", "The DICOM header has no SOP Class UID: the file is truncated or broken."
        )
    if sop_class in ACCEPTED_SOP_CLASSES:
        return sop_class
    name = UID_dictionary.get(sop_class, (None,))[0]
    accepted = "; ".join(ACCEPTED_SOP_CLASSES.values())
    if name:
        modality = ds.get("Modality", "?")
        raise DicomRefused(
            "wrong_modality",
            f"This is a {name} object (modality {modality}), not an intravascular pullback. "
            f"Accepted: {accepted}.",
        )
    raise DicomRefused(
        "unsupported_sop_class", f"Unknown SOP class {sop_class}. Accepted: {accepted}."
    )


def _check_transfer_syntax(ds: Dataset) -> UID:
    ts = ds.file_meta.get("TransferSyntaxUID")
    if not ts:
        raise DicomRefused("truncated", "The file meta information has no Transfer Syntax UID.")
    ts = UID(str(ts))
    if ts not in ACCEPTED_TRANSFER_SYNTAXES:
        raise DicomRefused(
            "unsupported_transfer_syntax",
            f"Transfer syntax {ts.name or ts} is not supported. Use uncompressed little endian, "
            "JPEG baseline, JPEG-LS, JPEG 2000 or RLE.",
        )
    return ts


def _check_photometric(ds: Dataset, ts: UID) -> tuple[str, int]:
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    allowed = dict(ACCEPTED_PHOTOMETRICS)
    if ts in J2K_SYNTAXES:
        allowed.update(J2K_PHOTOMETRICS)
    if photometric not in allowed:
        raise DicomRefused(
            "unsupported_photometric",
            f"Photometric interpretation {photometric or '(missing)'} is not supported; "
            "use MONOCHROME2, RGB, YBR_FULL or YBR_FULL_422.",
        )
    samples = _int_attr(ds, "SamplesPerPixel") or 1
    if samples != allowed[photometric]:
        raise DicomRefused(
            "unsupported_photometric",
            f"{photometric} needs {allowed[photometric]} samples per pixel, the file says "
            f"{samples}.",
        )
    return photometric, samples


def _check_bits(ds: Dataset, ts: UID) -> tuple[int, int]:
    allocated = _int_attr(ds, "BitsAllocated")
    stored = _int_attr(ds, "BitsStored") or allocated
    if allocated not in (8, 16) or stored is None or not 1 <= stored <= allocated:
        raise DicomRefused(
            "unsupported_bit_depth",
            f"Bits allocated {allocated} / stored {stored} is not supported; "
            "8 or 16 bits allocated (at most 16 stored) are.",
        )
    if ts == JPEGBaseline8Bit and allocated != 8:
        raise DicomRefused(
            "unsupported_bit_depth", "JPEG baseline pixel data must be 8 bits allocated."
        )
    return allocated, stored


def _check_dimensions(ds: Dataset, limits: Limits, file_size: int) -> tuple[int, int, int]:
    rows, columns = _int_attr(ds, "Rows"), _int_attr(ds, "Columns")
    if not rows or not columns:
        raise DicomRefused(
            "truncated",
            "The header has no image size (Rows/Columns): the file is truncated or not an image.",
        )
    frames_value = ds.get("NumberOfFrames")
    n_frames = _int_attr(ds, "NumberOfFrames")
    if frames_value in (None, "") or n_frames is None or n_frames < 1:
        raise DicomRefused(
            "frame_count_mismatch",
            f"Number of Frames is {frames_value!r}; a pullback needs at least one frame.",
        )
    if rows > limits.max_rows or columns > limits.max_columns:
        raise DicomRefused(
            "too_large",
            f"Frames are {columns}×{rows} pixels; the limit is "
            f"{limits.max_columns}×{limits.max_rows}.",
        )
    if n_frames > limits.max_frames:
        raise DicomRefused(
            "too_large", f"The pullback has {n_frames} frames; the limit is {limits.max_frames}."
        )
    return rows, columns, n_frames


def _check_header(ds: Dataset, limits: Limits, file_size: int) -> tuple[str, UID, _Geometry]:
    sop_class = _check_sop_class(ds)
    ts = _check_transfer_syntax(ds)
    if str(ds.get("BurnedInAnnotation", "")).strip().upper() == "YES":
        raise DicomRefused(
            "burned_in_annotation",
            "The images carry burned-in annotation (which may show patient details); "
            "export the pullback without on-image text.",
        )
    photometric, samples = _check_photometric(ds, ts)
    allocated, stored = _check_bits(ds, ts)
    rows, columns, n_frames = _check_dimensions(ds, limits, file_size)
    geometry = _Geometry(rows, columns, n_frames, samples, allocated, stored, photometric)
    if geometry.decoded_bytes > limits.max_decoded_bytes:
        raise DicomRefused(
            "too_large",
            f"Decoded, the pullback would be {geometry.decoded_bytes} bytes; the limit is "
            f"{limits.max_decoded_bytes}.",
        )
    return sop_class, ts, geometry


# ------------------------------------------------------------------------------------------
# Pixel data checks
# ------------------------------------------------------------------------------------------


def _check_native(data: bytes, geometry: _Geometry) -> None:
    frame_bytes = geometry.native_frame_bytes
    expected = frame_bytes * geometry.n_frames
    length = len(data)
    if length < expected:
        held = length // frame_bytes
        raise DicomRefused(
            "frame_count_mismatch",
            f"Number of Frames says {geometry.n_frames} but the pixel data holds {held} "
            f"complete frame(s) ({length} of {expected} bytes).",
        )
    # Trailing padding shorter than a frame is tolerated (even-length padding, sloppy writers);
    # a whole extra frame means the header and the data disagree.
    if length - expected >= frame_bytes:
        raise DicomRefused(
            "frame_count_mismatch",
            f"Number of Frames says {geometry.n_frames} but the pixel data holds "
            f"{length // frame_bytes} frames.",
        )


def _encapsulated_frame_count(ds: Dataset, data: bytes, n_frames: int) -> int:
    if "ExtendedOffsetTable" in ds:
        return len(ds.ExtendedOffsetTable) // 8
    offsets = parse_basic_offsets(data)
    if offsets:
        if any(b <= a for a, b in zip(offsets, offsets[1:], strict=False)):
            raise DicomRefused(
                "truncated", "The pixel data's offset table is not increasing: it is corrupt."
            )
        return len(offsets)
    fragments = sum(1 for _ in generate_fragments(data))
    if fragments <= n_frames or n_frames == 1:
        return fragments if n_frames > 1 else 1
    # More fragments than frames and no offset table: let pydicom find frame boundaries.
    return sum(1 for _ in generate_frames(data, number_of_frames=n_frames))


def _check_encapsulated(ds: Dataset, data: bytes, geometry: _Geometry) -> None:
    try:
        count = _encapsulated_frame_count(ds, data, geometry.n_frames)
    except DicomRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises ValueError/KeyError/struct.error
        raise DicomRefused(
            "truncated", f"The compressed pixel data is malformed ({type(exc).__name__}: {exc})."
        ) from exc
    if count != geometry.n_frames:
        raise DicomRefused(
            "frame_count_mismatch",
            f"Number of Frames says {geometry.n_frames} but the compressed pixel data holds "
            f"{count} frame(s).",
        )


def _check_decodable(ds: Dataset, ts: UID, geometry: _Geometry) -> None:
    from pydicom.pixels import get_decoder

    decoder = get_decoder(ts)
    if not decoder.is_available:
        raise DicomRefused(
            "unsupported_transfer_syntax",
            f"No decoder for {ts.name} is installed on this server.",
        )
    if ts == JPEGBaseline8Bit:
        return  # decoded after the rebuild, by ``pixels.clean_frames`` (module doc, step 4)
    expected = (geometry.rows, geometry.columns)
    for index in sorted({0, geometry.n_frames - 1}):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                array, _ = decoder.as_array(ds, index=index)
        except Exception as exc:  # noqa: BLE001 - every decoder failure means the same thing
            raise DicomRefused(
                "truncated",
                f"Frame {index} could not be decoded ({type(exc).__name__}): the pixel data is "
                "truncated or corrupt.",
            ) from exc
        if tuple(array.shape[:2]) != expected:
            raise DicomRefused(
                "truncated",
                f"Frame {index} decoded to {array.shape}, not the declared {expected}.",
            )


def _check_other_pixel_data(ds: Dataset) -> None:
    for other in ("FloatPixelData", "DoubleFloatPixelData"):
        if other in ds:
            raise DicomRefused(
                "unsupported_bit_depth", "Floating-point pixel data is not supported."
            )


def _check_pixel_data(ds: Dataset, ts: UID, geometry: _Geometry) -> None:
    _check_other_pixel_data(ds)
    if "PixelData" not in ds:
        raise DicomRefused("no_pixel_data", "The file has no pixel data (no images).")
    data = ds.PixelData
    if not data:
        raise DicomRefused("no_pixel_data", "The file's pixel data is empty.")
    if ts.is_compressed:
        _check_encapsulated(ds, data, geometry)
    else:
        _check_native(data, geometry)
    _check_decodable(ds, ts, geometry)


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise DicomRefused("not_dicom", f"The file cannot be read ({exc.strerror}).") from exc


def inspect_file(
    path: str | os.PathLike[str],
    *,
    limits: Limits,
    on_header: Callable[[Dataset], None] | None = None,
) -> InspectedPullback:
    """Accept ``path`` as a pullback or raise :class:`DicomRefused` (see the module doc).

    ``on_header``, if given, is called with the accepted header (no pixel data read yet, but
    the pixel data checked to reach the end of the file, so truncation wins), so a
    caller can refuse early — e.g. a duplicate SOP Instance UID — before the pixel data of a
    large file is read; whatever it raises propagates.
    """
    path = os.fspath(path)
    size = _file_size(path)
    if size == 0:
        raise DicomRefused("not_dicom", "The file is empty.")
    if size > limits.max_bytes:
        raise DicomRefused(
            "too_large", f"The file is {size} bytes; the limit is {limits.max_bytes}."
        )
    header, seen = _read(path, header_only=True)
    _check_header_complete(header, seen, size)
    sop_class, ts, geometry = _check_header(header, limits, size)
    pixel_value = _check_pixel_data_reaches_the_end(path, header, size)
    if on_header is not None:
        on_header(header)
    mapped = None
    if ts == JPEGBaseline8Bit and "PixelData" not in header:
        mapped = _mapped_jpeg_pixels(path, header, pixel_value, size, geometry.n_frames)
    if mapped is not None:
        ds = header  # its Pixel Data stays in the file, mapped and checked above
        _check_other_pixel_data(ds)
    else:
        del header
        ds, seen = _read(path, header_only=False)
        _check_not_truncated(ds, seen, size)
        _check_header(ds, limits, size)  # the same file, but never trust a second read blindly
        _check_pixel_data(ds, ts, geometry)
    return InspectedPullback(
        dataset=ds,
        sop_class_uid=sop_class,
        sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
        n_frames=geometry.n_frames,
        rows=geometry.rows,
        columns=geometry.columns,
        photometric=geometry.photometric,
        transfer_syntax_uid=str(ts),
        calibration_tags=calibration_tags(ds),
        samples_per_pixel=geometry.samples,
        bits_allocated=geometry.bits_allocated,
        bits_stored=geometry.bits_stored,
        is_encapsulated=ts.is_compressed,
        file_size_bytes=size,
        mapped=mapped,
    )


# ------------------------------------------------------------------------------------------
# Encapsulated pixel data layout
# ------------------------------------------------------------------------------------------

_ITEM = 0xE000FFFE  # (FFFE,E000) read as a little-endian u32
_SEQUENCE_DELIMITER = 0xE0DDFFFE  # (FFFE,E0DD)


def encapsulated_fragments(data: bytes | memoryview) -> list[tuple[int, int]]:
    """``(offset, length)`` of every fragment's bytes within an encapsulated Pixel Data value
    (PS3.5 A.4), the Basic Offset Table item excluded; offsets are relative to the value's
    first byte. Raises :class:`DicomRefused` (``truncated``) on a malformed item sequence."""
    view = memoryview(data)
    size = len(view)
    fragments: list[tuple[int, int]] = []
    offset = 0
    first = True
    while offset + 8 <= size:
        tag, length = struct.unpack_from("<II", view, offset)
        if tag == _SEQUENCE_DELIMITER:
            break
        if tag != _ITEM or length == 0xFFFFFFFF or offset + 8 + length > size:
            raise DicomRefused(
                "truncated",
                f"The compressed pixel data is malformed (bad item at byte {offset} of the "
                "pixel data).",
            )
        if not first:
            fragments.append((offset + 8, length))
        first = False
        offset += 8 + length
    else:
        if offset != size:
            raise DicomRefused("truncated", "The compressed pixel data ends inside an item.")
    if first:
        raise DicomRefused("no_pixel_data", "The compressed pixel data holds no items.")
    return fragments
