"""Sequences kept as bytes (``dicom.rawdata``) give what pydicom's objects give (issue 13).

De-identification rebuilds a sequence from its bytes when every element in it is kept or
dropped as it stands, and calibration reads the per-frame values from the same bytes. Here
hypothesis draws per-frame functional groups — kept, private, unlisted and UID elements,
nested sequences, defined and undefined lengths, explicit and implicit VR — and each result
is compared with the pydicom path (the sequence converted and walked item by item), which
is what ran before: the same data set written, the same report, the same calibration.
"""

from __future__ import annotations

import io
import struct

import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from adjudication.dicom import deidentify as deid
from adjudication.dicom import rawdata, tags

KEY = b"test-uid-key"


def _distance(draw: st.DrawFn, item: Dataset, *, implicit: bool) -> None:
    """An Intravascular Longitudinal Distance of one of the forms writers use, in the item
    itself or in its Intravascular Frame Content item (or none)."""
    # Implicit VR has no FL or DS here: the dictionary says FD, so they would be other bytes.
    kinds = ["FD", "none", "FD-many"] + ([] if implicit else ["FL", "DS", "DS-many"])
    values = {
        "FD": ("FD", draw(st.floats(0, 200))),
        "FD-many": ("FD", [1.5, 2.5]),
        "FL": ("FL", draw(st.floats(0, 200, width=32))),
        "DS": ("DS", f"{draw(st.floats(0, 200)):.6g}"),
        "DS-many": ("DS", ["0.2", "0.4"]),
    }
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return
    frame_content = Dataset()
    frame_content.add_new(tags.LONGITUDINAL_DISTANCE, *values[kind])
    if draw(st.booleans()):
        item.add(frame_content[tags.LONGITUDINAL_DISTANCE])
    else:
        item.IntravascularFrameContentSequence = Sequence([frame_content])


def _unlisted(draw: st.DrawFn, item: Dataset) -> None:
    """An element de-identification changes: dropped (a date, a sequence of references) or
    kept with its value replaced (a UID)."""
    kind = draw(st.sampled_from(["date", "references", "uid"]))
    if kind == "date":
        item.ContentDate = "20240101"
    elif kind == "references":
        referenced = Dataset()
        referenced.ReferencedSOPInstanceUID = "1.2.3.4.5"
        item.ReferencedImageSequence = Sequence([referenced])
    else:
        item.DimensionOrganizationUID = "1.2.3.99"  # kept, but replaced: not for rawdata


def _undefined_lengths(item: Dataset) -> None:
    item.is_undefined_length_sequence_item = True
    for elem in item:
        if elem.VR == "SQ":
            elem.is_undefined_length = True
            for nested in elem.value:
                nested.is_undefined_length_sequence_item = True


def _item(
    draw: st.DrawFn, *, implicit: bool, undefined: bool, with_private: bool, with_unlisted: bool
) -> Dataset:
    item = Dataset()
    content = Dataset()
    content.FrameAcquisitionNumber = draw(st.integers(0, 65535))
    content.DimensionIndexValues = draw(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=3))
    item.FrameContentSequence = Sequence([content])
    _distance(draw, item, implicit=implicit)
    if draw(st.booleans()):
        measures = Dataset()
        measures.PixelSpacing = draw(
            st.sampled_from([["0.01", "0.01"], ["0.012", "0.011"], "0.01"])
        )
        measures.SliceThickness = "0.1"
        item.PixelMeasuresSequence = Sequence([measures])
    if with_private:
        item.private_block(0x0009, "VENDOR PHI", create=True).add_new(0x10, "LO", "DOE^JOHN")
    if with_unlisted:
        _unlisted(draw, item)
    if undefined:
        _undefined_lengths(item)
    return item


@st.composite
def pullback_headers(draw: st.DrawFn) -> bytes:
    implicit = draw(st.booleans())
    undefined = draw(st.booleans())
    n = draw(st.integers(1, 6))
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.14.1"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.14.1"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.PatientName = "DOE^JANE"
    ds.PatientID = "PHI-1"
    ds.Rows = ds.Columns = 8
    ds.PerFrameFunctionalGroupsSequence = Sequence(
        [
            _item(
                draw,
                implicit=implicit,
                undefined=undefined,
                with_private=draw(st.booleans()),
                with_unlisted=draw(st.integers(0, 4)) == 0,
            )
            for _ in range(n)
        ]
    )
    ds["PerFrameFunctionalGroupsSequence"].is_undefined_length = draw(st.booleans())
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=implicit, little_endian=True, enforce_file_format=True)
    return buffer.getvalue()


def _pydicom_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The oracle: every sequence converted and walked as before rawdata existed."""

    def unhandled(*args: object, **kwargs: object) -> bytes:
        raise rawdata.Unhandled("the pydicom path")

    monkeypatch.setattr(rawdata, "filter_sequence", unhandled)
    monkeypatch.setattr(tags, "per_frame_from_bytes", lambda ds: None)


def _run(data: bytes) -> tuple[dict, deid.Deidentified, Dataset, bytes]:
    ds = pydicom.dcmread(io.BytesIO(data))
    calibration = tags.calibration_tags(ds)
    report = deid.deidentify(ds, subject_code="S-0001", key=KEY)
    out = io.BytesIO()
    deid.write_dicom(ds, out)
    return calibration, report, pydicom.dcmread(io.BytesIO(out.getvalue())), out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=pullback_headers())
def test_bytes_path_gives_what_pydicom_gives(data: bytes) -> None:
    fast = _run(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _pydicom_path(monkeypatch)
        slow = _run(data)
    assert fast[0] == slow[0]  # calibration
    assert fast[1] == slow[1]  # mapping, originals, removed keywords
    assert fast[2] == slow[2]  # the written data set, element by element, at every depth
    assert b"DOE" not in fast[3] and b"PHI-1" not in fast[3]


def _explicit_sequence(items: list[Dataset]) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.14.1"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=False, little_endian=True)
    return pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)


def _plain_item(distance_mm: float) -> Dataset:
    item, content = Dataset(), Dataset()
    content.add_new(tags.LONGITUDINAL_DISTANCE, "FD", distance_mm)
    item.IntravascularFrameContentSequence = Sequence([content])
    return item


def test_a_plain_per_frame_sequence_stays_bytes_through_deidentification() -> None:
    """The fast path is the one taken for the usual layout (else this module tests nothing)."""
    ds = _explicit_sequence([_plain_item(0.2 * i) for i in range(5)])
    assert tags.per_frame_from_bytes(ds) == (None, [0.0, 0.2, 0.4, 0.6000000000000001, 0.8])
    deid.deidentify(ds, subject_code="S-1", key=KEY)
    assert ds.get_item(tags.PER_FRAME_GROUPS).is_raw


def test_private_elements_are_dropped_from_the_bytes() -> None:
    items = [_plain_item(1.0)]
    items[0].private_block(0x0009, "VENDOR", create=True).add_new(0x10, "LO", "DOE^JOHN")
    ds = _explicit_sequence(items)
    report = deid.deidentify(ds, subject_code="S-1", key=KEY)
    raw = ds.get_item(tags.PER_FRAME_GROUPS)
    assert raw.is_raw and b"DOE" not in raw.value and b"VENDOR" not in raw.value
    assert "(0009,1010)" in report.removed_keywords


def test_an_element_that_would_be_changed_leaves_it_to_pydicom() -> None:
    item = _plain_item(1.0)
    item.DimensionOrganizationUID = "1.2.3.99"  # kept, but its value is replaced
    ds = _explicit_sequence([item])
    report = deid.deidentify(ds, subject_code="S-1", key=KEY)
    assert not ds.get_item(tags.PER_FRAME_GROUPS).is_raw
    assert "1.2.3.99" in report.mapping
    assert ds.PerFrameFunctionalGroupsSequence[0].DimensionOrganizationUID != "1.2.3.99"


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-3],  # cut inside the last element
        lambda b: b[:4] + struct.pack("<I", 10**9) + b[8:],  # an item longer than the data
        lambda b: b"\x08\x00\x20\x00" + b[4:],  # not an item where an item must be
    ],
)
def test_malformed_bytes_are_unhandled_not_guessed(damage) -> None:
    ds = _explicit_sequence([_plain_item(1.0), _plain_item(2.0)])
    value = ds.get_item(tags.PER_FRAME_GROUPS).value
    with pytest.raises(rawdata.Unhandled):
        rawdata.filter_sequence(
            damage(value),
            implicit=False,
            decide=lambda tag, vr: rawdata.Action.KEEP,
            vr_of=lambda tag: "UN",
        )


def test_elements_out_of_order_are_unhandled() -> None:
    first = struct.pack("<HH2sH", 0x0020, 0x9157, b"UL", 4) + struct.pack("<I", 1)
    second = struct.pack("<HH2sH", 0x0020, 0x9156, b"US", 2) + struct.pack("<H", 1)
    content = first + second
    value = struct.pack("<HHI", 0xFFFE, 0xE000, len(content)) + content
    with pytest.raises(rawdata.Unhandled):
        rawdata.filter_sequence(
            value, implicit=False, decide=lambda tag, vr: rawdata.Action.KEEP, vr_of=str
        )
