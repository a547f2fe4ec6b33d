"""De-identification as an **allow-list** (PS3.15 Annex E), applied in place before storing.

Only the attributes the product needs survive (``KEEP``; the same list applies inside every
sequence, recursively): SOP common, study / series / frame-of-reference structure, the image
pixel module, multi-frame timing, geometry and calibration (Pixel Measures, Intravascular
Frame Content, Frame Time, Cine Rate, Imager Pixel Spacing, US regions), the IVOCT
acquisition and image attributes (group 0052), and the functional group sequences that carry
them. Everything else is dropped, whatever it is: unknown public elements, every private
element, overlays and curves, descriptions and comments, device identity (serial number,
DeviceDescription, station), ClinicalTrial* attributes, dates and times, and any sequence not
listed — so what a vendor invents tomorrow is removed today.

Options of PS3.15 Table E.1-1 used: **Basic Profile**, **Clean Descriptors** (no free-text
description or comment is kept: series/study descriptions, comments, labels, explanations);
**not** used: Retain Device Identity, Retain Patient Characteristics, Retain Longitudinal
Temporal Information (dates and times are emptied where the IOD requires the attribute,
removed elsewhere), Retain Safe Private, Retain UIDs. Manufacturer and model name are kept
(they identify a product line, not a device or a patient; useful for calibration questions).

- ``PatientName`` and ``PatientID`` become the pseudonymous subject code; ``PatientBirthDate``,
  ``PatientSex``, ``StudyDate``, ``StudyTime``, ``ReferringPhysicianName``, ``StudyID``,
  ``AccessionNumber`` stay as empty values (type 2); ``PatientIdentityRemoved`` = ``YES``,
  ``DeidentificationMethod`` and the DCM 113100/113105 codes are set.
- **UIDs** (study, series, SOP instance, frame of reference, dimension organisation,
  references inside sequences, the file meta's Media Storage SOP Instance UID) are replaced by
  ``2.25.<int>`` where the int is the first 128 bits of HMAC-SHA256(key, original). The key is
  passed in (ingest uses ``settings.DEIDENTIFY_UID_SECRET``, derived from ``SECRET_KEY``
  when unset: ``services.ingest.worker.uid_secret``): the same file
  always maps to the same UIDs, references stay consistent, and without the key nobody can
  tell which replacement belongs to an original UID they hold. Well-known UIDs (SOP classes,
  transfer syntaxes) are kept.
- The file meta information is rebuilt from scratch (version, SOP class, new instance UID,
  transfer syntax, our implementation UID) and the 128-byte **preamble is zeroed**
  (``write_dicom``).
- Files with burned-in annotation are refused earlier by ``inspect``; text inside JPEG frames
  is removed by ``pixels.clean_frames``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.datadict import dictionary_has_tag, dictionary_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, UID_dictionary

from . import rawdata

# Attributes kept (at any depth). Everything not listed is removed.
KEEP: frozenset[str] = frozenset(
    {
        # SOP common, patient / study / series / frame of reference structure
        "SpecificCharacterSet",
        "SOPClassUID",
        "SOPInstanceUID",
        "InstanceNumber",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "PatientIdentityRemoved",
        "DeidentificationMethod",
        "DeidentificationMethodCodeSequence",
        "LongitudinalTemporalInformationModified",
        "StudyInstanceUID",
        "StudyDate",
        "StudyTime",
        "ReferringPhysicianName",
        "StudyID",
        "AccessionNumber",
        "Modality",
        "SeriesInstanceUID",
        "SeriesNumber",
        "FrameOfReferenceUID",
        "PositionReferenceIndicator",
        "Manufacturer",
        "ManufacturerModelName",
        # code items (the de-identification method codes)
        "CodeValue",
        "CodingSchemeDesignator",
        "CodingSchemeVersion",
        "CodeMeaning",
        # general / IVOCT image
        "ImageType",
        "PresentationIntentType",
        "BurnedInAnnotation",
        "RecognizableVisualFeatures",
        "LossyImageCompression",
        "LossyImageCompressionRatio",
        "LossyImageCompressionMethod",
        "PresentationLUTShape",
        "ContentQualification",
        # image pixel
        "SamplesPerPixel",
        "PhotometricInterpretation",
        "Rows",
        "Columns",
        "BitsAllocated",
        "BitsStored",
        "HighBit",
        "PixelRepresentation",
        "PlanarConfiguration",
        "PixelAspectRatio",
        "SmallestImagePixelValue",
        "LargestImagePixelValue",
        "PixelData",
        "ExtendedOffsetTable",
        "ExtendedOffsetTableLengths",
        # multi-frame and cine timing (frame spacing calibration)
        "NumberOfFrames",
        "FrameIncrementPointer",
        "FrameTime",
        "FrameTimeVector",
        "CineRate",
        "RecommendedDisplayFrameRate",
        "ActualFrameDuration",
        "FrameDelay",
        # display
        "WindowCenter",
        "WindowWidth",
        "VOILUTFunction",
        "RescaleIntercept",
        "RescaleSlope",
        # geometry and pixel calibration
        "PixelSpacing",
        "ImagerPixelSpacing",
        "NominalScannedPixelSpacing",
        "PixelSpacingCalibrationType",
        "SliceThickness",
        "SpacingBetweenSlices",
        "ImagePositionPatient",
        "ImageOrientationPatient",
        "SequenceOfUltrasoundRegions",
        "RegionSpatialFormat",
        "RegionDataType",
        "RegionFlags",
        "RegionLocationMinX0",
        "RegionLocationMinY0",
        "RegionLocationMaxX1",
        "RegionLocationMaxY1",
        "ReferencePixelX0",
        "ReferencePixelY0",
        "PhysicalUnitsXDirection",
        "PhysicalUnitsYDirection",
        "ReferencePixelPhysicalValueX",
        "ReferencePixelPhysicalValueY",
        "PhysicalDeltaX",
        "PhysicalDeltaY",
        # IVOCT acquisition and calibration (PS3.3 C.8.30.2-3; IVUS pullback rate alike)
        "OCTFocalDistance",
        "EffectiveRefractiveIndex",
        "OCTAcquisitionDomain",
        "OCTOpticalCenterWavelength",
        "RangingDepth",
        "CatheterRotationalRate",
        "OCTZOffsetApplied",
        "OCTZOffsetCorrection",
        "CatheterDirectionOfRotation",
        "RefractiveIndexApplied",
        "SeamLineLocation",
        "SeamLineIndex",
        "IVUSPullbackRate",
        "IVUSPullbackStartFrameNumber",
        "IVUSPullbackStopFrameNumber",
        "IntravascularLongitudinalDistance",
        # multi-frame functional groups and the macros the product reads
        "SharedFunctionalGroupsSequence",
        "PerFrameFunctionalGroupsSequence",
        "PixelMeasuresSequence",
        "FrameContentSequence",
        "FrameAcquisitionNumber",
        "DimensionIndexValues",
        "TemporalPositionIndex",
        "StackID",
        "InStackPositionNumber",
        "IntravascularFrameContentSequence",
        "IntravascularOCTFrameContentSequence",
        "IntravascularOCTFrameTypeSequence",
        "PlanePositionSequence",
        "PlaneOrientationSequence",
        "FrameVOILUTSequence",
        "PixelValueTransformationSequence",
        "DimensionOrganizationSequence",
        "DimensionOrganizationUID",
        "DimensionOrganizationType",
        "DimensionIndexSequence",
        "DimensionIndexPointer",
        "FunctionalGroupPointer",
    }
)
# Kept but emptied: type 2 attributes of the accepted IODs.
EMPTY: frozenset[str] = frozenset(
    {
        "PatientBirthDate",
        "PatientSex",
        "StudyDate",
        "StudyTime",
        "ReferringPhysicianName",
        "StudyID",
        "AccessionNumber",
        "PositionReferenceIndicator",
    }
)
UID_VR = "UI"
KEEP_UID_KEYWORDS: frozenset[str] = frozenset({"SOPClassUID", "TransferSyntaxUID"})
PROFILE_CODES = (
    ("113100", "DCM", "Basic Application Confidentiality Profile"),
    ("113105", "DCM", "Clean Descriptors Option"),
)
METHOD = "PS3.15 Basic Profile, Clean Descriptors; allow-list; keyed UIDs"


@dataclass
class Deidentified:
    """What de-identification replaced, for coordinator-only storage (SPEC §8).

    ``mapping``: original value → replacement (patient name and ID → subject code; each
    original UID → its new UID). ``originals``: keyword → original value for PatientName,
    PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID, FrameOfReferenceUID.
    ``removed_keywords``: what the allow-list dropped (keywords, or tags for private/unknown).
    """

    mapping: dict[str, str]
    originals: dict[str, str] = field(default_factory=dict)
    removed_keywords: list[str] = field(default_factory=list)


def remap_uid(original: str, *, key: bytes, uid_root: str = "2.25.") -> str:
    """Keyed replacement UID: ``uid_root`` + the first 128 bits of HMAC-SHA256(key, original)
    as a decimal integer (at most 39 digits, so within DICOM's 64 characters)."""
    digest = hmac.new(key, original.strip().encode(), hashlib.sha256).digest()
    return uid_root + str(int.from_bytes(digest[:16], "big"))


class _Walker:
    def __init__(self, *, subject_code: str, key: bytes, uid_root: str) -> None:
        self.subject_code = subject_code
        self.key = key
        self.uid_root = uid_root
        self.uid_map: dict[str, str] = {}
        self.removed: set[str] = set()
        self.raw_actions: dict[tuple[int, str], rawdata.Action] = {}

    def uid(self, original: str) -> str:
        if original not in self.uid_map:
            self.uid_map[original] = remap_uid(original, key=self.key, uid_root=self.uid_root)
        return self.uid_map[original]

    def dataset(self, ds: Dataset) -> None:
        # Decided from each element's tag and VR alone: a kept element that is neither a UID
        # nor a sequence stays as read (pydicom writes a never-converted element's bytes back
        # as they are), so only what changes is ever decoded — per-frame functional groups
        # of hundreds of items cost a fraction of a full conversion.
        for tag in list(ds.keys()):
            self.element(ds, BaseTag(tag))

    def verdict(self, tag: BaseTag, vr: Callable[[], str]) -> tuple[str, str]:
        """What becomes of an element, and its keyword: ``drop`` (recorded as removed),
        ``subject``, ``empty``, ``uid`` (replaced), ``sequence`` (walked) or ``keep``. ``vr``
        is asked only when the answer depends on it."""
        keyword = dictionary_keyword(tag) if dictionary_has_tag(tag) else ""
        if tag.is_private or keyword not in KEEP:
            self.removed.add(keyword or str(tag))
            return "drop", keyword
        if keyword in ("PatientName", "PatientID"):
            return "subject", keyword
        if keyword in EMPTY:
            return "empty", keyword
        stored_vr = vr()
        if stored_vr == UID_VR:
            if keyword in KEEP_UID_KEYWORDS or keyword.endswith("ClassUID"):
                return "keep", keyword
            return "uid", keyword
        return ("sequence" if stored_vr == "SQ" else "keep"), keyword

    def element(self, ds: Dataset, tag: BaseTag) -> None:
        def stored_vr() -> str:
            vr = getattr(ds.get_item(tag), "VR", None)
            # implicit VR, or unknown to the writer: the dictionary's
            return rawdata.dictionary_vr(tag) if vr in (None, "UN") else str(vr)

        action, keyword = self.verdict(tag, stored_vr)
        if action == "drop":
            del ds[tag]
        elif action == "subject":
            ds[tag].value = self.subject_code
        elif action == "empty":
            ds[tag].value = None
        elif action == "uid":
            self.uid_element(keyword, ds[tag])
        elif action == "sequence" and not self.raw_sequence(ds, tag):
            for item in ds[tag].value or []:
                self.dataset(item)

    def raw_sequence(self, ds: Dataset, tag: BaseTag) -> bool:
        """A sequence still as read, whose elements are all kept or dropped as they stand
        (the per-frame functional groups, as a rule), rebuilt from its bytes
        (``rawdata.filter_sequence``) and left unconverted — pydicom writes it back as it
        is. False, with nothing changed, when anything in it would be changed or its
        encoding is not the plain one: the caller then walks the converted items."""
        raw = ds.get_item(tag)
        plain = rawdata.plain_sequence(raw)
        if plain is None or not isinstance(raw, RawDataElement):
            return False
        data, implicit = plain
        try:
            value = rawdata.filter_sequence(
                data, implicit=implicit, decide=self.raw_action, vr_of=rawdata.dictionary_vr
            )
        except rawdata.Unhandled:
            return False
        ds[tag] = raw._replace(value=value, length=len(value))
        return True

    def raw_action(self, tag: int, vr: str) -> rawdata.Action:
        # Every frame's item holds the same elements: each (tag, VR) is decided once.
        known = self.raw_actions.get((tag, vr))
        if known is not None:
            return known
        action, _ = self.verdict(
            BaseTag(tag), lambda: rawdata.dictionary_vr(tag) if vr == "UN" else vr
        )
        if action == "drop":
            decided = rawdata.Action.DROP
        elif action in ("keep", "sequence"):
            decided = rawdata.Action.KEEP
        else:
            decided = rawdata.Action.OTHER
        self.raw_actions[(tag, vr)] = decided
        return decided

    def uid_element(self, keyword: str, element: DataElement) -> None:
        if keyword in KEEP_UID_KEYWORDS or keyword.endswith("ClassUID"):
            return
        values = element.value if element.VM > 1 else [element.value]
        new = []
        for value in values:
            text = str(value or "").strip()
            new.append(text if not text or text in UID_dictionary else self.uid(text))
        element.value = new if element.VM > 1 else new[0]


def _code_items() -> Sequence:
    items = []
    for value, scheme, meaning in PROFILE_CODES:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
        items.append(item)
    return Sequence(items)


def _new_file_meta(ds: Dataset, walker: _Walker) -> FileMetaDataset:
    old = getattr(ds, "file_meta", None) or FileMetaDataset()
    meta = FileMetaDataset()
    meta.FileMetaInformationVersion = b"\x00\x01"
    meta.MediaStorageSOPClassUID = UID(str(ds.get("SOPClassUID") or old.MediaStorageSOPClassUID))
    meta.MediaStorageSOPInstanceUID = UID(str(ds.SOPInstanceUID))
    meta.TransferSyntaxUID = old.TransferSyntaxUID
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "CORELAB_DEID_1"
    return meta


def deidentify(
    ds: Dataset, *, subject_code: str, key: bytes, uid_root: str = "2.25."
) -> Deidentified:
    """Apply the allow-list to ``ds`` in place (module doc); return what was replaced.

    ``key`` is the secret of the UID hash (``services.ingest.worker.uid_secret`` reads it
    from the settings); it must not be empty."""
    if not key:
        raise ValueError("de-identification needs a non-empty UID key")
    keywords = (
        "PatientName",
        "PatientID",
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPInstanceUID",
        "FrameOfReferenceUID",
    )
    originals = {k: str(ds.get(k, "") or "") for k in keywords}
    walker = _Walker(subject_code=subject_code, key=key, uid_root=uid_root)
    walker.dataset(ds)
    meta = getattr(ds, "file_meta", None)
    if "SOPInstanceUID" not in ds and meta is not None and meta.get("MediaStorageSOPInstanceUID"):
        ds.SOPInstanceUID = walker.uid(str(meta.MediaStorageSOPInstanceUID))
    ds.file_meta = _new_file_meta(ds, walker)
    ds.preamble = bytes(128)
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = METHOD
    ds.DeidentificationMethodCodeSequence = _code_items()
    ds.LongitudinalTemporalInformationModified = "REMOVED"
    mapping: dict[str, str] = {}
    for keyword in ("PatientName", "PatientID"):
        if originals[keyword]:
            mapping[originals[keyword]] = subject_code
    mapping.update(walker.uid_map)
    return Deidentified(
        mapping=mapping,
        originals={k: v for k, v in originals.items() if v},
        removed_keywords=sorted(walker.removed),
    )


def write_dicom(ds: Dataset, path: str | Path | io.BytesIO) -> None:
    """Write a de-identified dataset as DICOM Part 10 with an all-zero 128-byte preamble
    (a preamble is free space any writer may fill — with a TIFF header or with text)."""
    ds.preamble = bytes(128)
    ds.save_as(path, enforce_file_format=False)


_PIXEL_DATA = 0x7FE00010
_PIXEL_DATA_HEADER = b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff"  # OB, undefined length
_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def write_dicom_pixels_last(ds: Dataset, path: str | Path) -> int | None:
    """:func:`write_dicom` for a data set whose last element is encapsulated Pixel Data
    (explicit VR little endian, as every compressed transfer syntax is): the header through
    pydicom, then the Pixel Data written straight from its bytes — pydicom would first copy
    them into a buffer of its own. The same bytes as :func:`write_dicom` (tested). Returns
    where the Pixel Data value starts in the file, or None, having written nothing, when the
    data set is not of that form (the caller writes it with :func:`write_dicom`)."""
    if _PIXEL_DATA not in ds:
        return None
    element = ds[_PIXEL_DATA]
    if not (
        element.is_undefined_length and element.VR == "OB" and isinstance(element.value, bytes)
    ):
        return None
    del ds[_PIXEL_DATA]
    try:
        head = header_before_pixels(ds)
    finally:
        ds[_PIXEL_DATA] = element
    return None if head is None else write_header_and_pixels(path, head, element.value)


def header_before_pixels(ds: Dataset) -> bytes | None:
    """The file :func:`write_dicom` writes for ``ds``, which holds no Pixel Data element, up
    to where its encapsulated Pixel Data would start; None when the transfer syntax is not a
    compressed explicit VR little endian one, or an element would follow the Pixel Data."""
    meta = getattr(ds, "file_meta", None)
    syntax = UID(str(meta.get("TransferSyntaxUID", ""))) if meta is not None else UID("")
    if not (syntax.is_compressed and syntax.is_little_endian and not syntax.is_implicit_VR):
        return None
    if _PIXEL_DATA in ds or (len(ds) and max(ds.keys()) > _PIXEL_DATA):
        return None
    header = io.BytesIO()
    write_dicom(ds, header)
    return header.getvalue() + _PIXEL_DATA_HEADER


def write_header_and_pixels(path: str | Path, head: bytes, value: bytes | memoryview) -> int:
    """``head`` (:func:`header_before_pixels`), the Pixel Data ``value`` and its sequence
    delimiter as the file ``path``; returns where the value starts."""
    with open(path, "wb") as out:
        out.write(head)
        out.write(value)
        out.write(_SEQUENCE_DELIMITER)
    return len(head)
