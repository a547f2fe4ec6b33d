"""De-identification (PS3.15 Basic Profile) removes PHI and keeps calibration (SPEC §8)."""

from __future__ import annotations

import re

import pydicom
import pytest

from adjudication.dicom.deidentify import deidentify
from adjudication.dicom.inspect import Limits, inspect_file
from adjudication.dicom.render import iter_frame_images
from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.dicom.tags import calibration_tags

KEY = b"test uid key"
UID_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source.dcm"
    truth = make_synthetic_pullback(
        path, n_frames=4, rows=64, columns=64, spacing_location="per_frame_functional_group"
    )
    return path, truth


def _deidentified_bytes(src, dst, code="S-0042"):
    ds = pydicom.dcmread(src)
    result = deidentify(ds, subject_code=code, key=KEY)
    ds.save_as(dst, enforce_file_format=False)
    return result, dst.read_bytes()


def test_it_removes_every_phi_value_from_the_written_file(tmp_path, source):
    path, truth = source
    original = path.read_bytes()
    result, data = _deidentified_bytes(path, tmp_path / "clean.dcm")
    phi = {k: v for k, v in truth["phi"].items() if len(v) >= 4}
    assert all(v.encode() in original for v in phi.values())  # the test would prove nothing
    leaked = {k: v for k, v in phi.items() if v.encode() in data}
    assert leaked == {}
    for uid in result.originals.values():
        assert uid.encode() not in data


def test_it_replaces_identity_with_the_subject_code_and_records_the_method(tmp_path, source):
    path, _ = source
    _deidentified_bytes(path, tmp_path / "clean.dcm")
    ds = pydicom.dcmread(tmp_path / "clean.dcm")
    assert str(ds.PatientName) == "S-0042"
    assert ds.PatientID == "S-0042"
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert not any(element.tag.is_private for element in ds.iterall())
    assert ds.StudyDate == ""


def test_it_keeps_calibration_and_pixels(tmp_path, source):
    path, _ = source
    before = pydicom.dcmread(path)
    _deidentified_bytes(path, tmp_path / "clean.dcm")
    after = pydicom.dcmread(tmp_path / "clean.dcm")
    assert calibration_tags(after) == calibration_tags(before)
    assert calibration_tags(after)["per_frame_pixel_spacing"] == [0.01, 0.01]
    assert after.PixelData == before.PixelData


def test_it_returns_the_original_to_pseudonym_mapping(source):
    path, truth = source
    ds = pydicom.dcmread(path)
    originals = {k: str(ds[k].value) for k in ("StudyInstanceUID", "SOPInstanceUID")}
    result = deidentify(ds, subject_code="S-0042", key=KEY)
    assert result.mapping["DOE^JANE"] == "S-0042"
    assert result.mapping["PHI-12345"] == "S-0042"
    assert result.mapping[originals["SOPInstanceUID"]] == ds.SOPInstanceUID
    assert result.mapping[originals["StudyInstanceUID"]] == ds.StudyInstanceUID
    assert result.originals["PatientName"] == "DOE^JANE"
    assert set(result.originals) >= {"PatientID", "SeriesInstanceUID", "SOPInstanceUID"}


def test_it_remaps_uids_the_same_way_every_time(source):
    path, _ = source
    first, second = pydicom.dcmread(path), pydicom.dcmread(path)
    a = deidentify(first, subject_code="S-0001", key=KEY)
    b = deidentify(second, subject_code="S-0001", key=KEY)
    assert a.mapping == b.mapping
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        new = str(first[keyword].value)
        assert new == str(second[keyword].value)
        assert new.startswith("2.25.") and len(new) <= 64 and UID_RE.match(new)
    assert first.SOPClassUID == second.SOPClassUID  # classes are kept
    # References to other objects are not on the allow-list: nothing to link them by.
    assert "ReferencedStudySequence" not in first


def test_it_leaves_the_pullback_renderable(source):
    path, _ = source
    inspected = inspect_file(path, limits=Limits())
    deidentify(inspected.dataset, subject_code="S-0042", key=KEY)
    assert len(list(iter_frame_images(inspected))) == 4


def test_replacement_uids_are_keyed_so_an_original_uid_cannot_be_linked(source):
    """Issue 12, finding 2: unsalted uuid5 let anyone holding an original UID compute its
    replacement. The replacement is an HMAC: another key gives unrelated UIDs."""
    import uuid

    path, _ = source
    a, b = pydicom.dcmread(path), pydicom.dcmread(path)
    original = str(a.SOPInstanceUID)
    deidentify(a, subject_code="S-1", key=b"key one")
    deidentify(b, subject_code="S-1", key=b"key two")
    assert a.SOPInstanceUID != b.SOPInstanceUID
    assert str(uuid.uuid5(uuid.NAMESPACE_OID, original).int) not in str(a.SOPInstanceUID)
    assert a.file_meta.MediaStorageSOPInstanceUID == a.SOPInstanceUID


def test_the_uid_key_comes_from_settings(settings):
    from adjudication.services.ingest.worker import uid_secret

    settings.DEIDENTIFY_UID_SECRET = "from-settings"
    assert uid_secret() == b"from-settings"
    settings.DEIDENTIFY_UID_SECRET = ""  # derived from SECRET_KEY then, never the key itself
    derived = uid_secret()
    assert derived and derived != settings.SECRET_KEY.encode()
    settings.SECRET_KEY = settings.SECRET_KEY + "-other"
    assert uid_secret() != derived


def test_an_empty_key_is_refused(source):
    path, _ = source
    with pytest.raises(ValueError):
        deidentify(pydicom.dcmread(path), subject_code="S-1", key=b"")


def test_every_allowed_keyword_is_a_real_dicom_keyword():
    """A typo in the allow-list would silently drop an attribute the product needs."""
    from pydicom.datadict import keyword_dict

    from adjudication.dicom.deidentify import EMPTY, KEEP

    assert sorted(k for k in KEEP if k not in keyword_dict) == []
    assert EMPTY <= KEEP


def test_the_file_meta_is_rebuilt_and_the_preamble_zeroed(tmp_path, source):
    from adjudication.dicom.deidentify import write_dicom

    path, _ = source
    ds = pydicom.dcmread(path)
    ds.preamble = b"DOE^JANE".ljust(128, b" ")
    ds.file_meta.SourceApplicationEntityTitle = "DOEJANE"
    ds.file_meta.add_new(0x00020100, "UI", "1.2.3.4")  # PrivateInformationCreatorUID
    deidentify(ds, subject_code="S-1", key=KEY)
    write_dicom(ds, tmp_path / "out.dcm")
    data = (tmp_path / "out.dcm").read_bytes()
    assert data[:132] == bytes(128) + b"DICM"
    assert b"DOE" not in data
    meta = pydicom.dcmread(tmp_path / "out.dcm").file_meta
    assert sorted(set(meta.dir()) - {"FileMetaInformationGroupLength"}) == [
        "FileMetaInformationVersion",
        "ImplementationClassUID",
        "ImplementationVersionName",
        "MediaStorageSOPClassUID",
        "MediaStorageSOPInstanceUID",
        "TransferSyntaxUID",
    ]
