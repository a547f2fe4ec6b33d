"""A corpus of pullbacks with patient details planted everywhere a writer can put bytes
(issue 12, findings 1, 2 and the "Done when").

The name and ID are distinctive strings, planted in: every JPEG segment kind (COM before and
after the scan, a non-JFIF APP0, APP1–APP15, an Adobe APP14 with text), raw bytes between
segments and after EOI, the 128-byte preamble, the patient module, unknown public elements,
private elements, elements nested in kept and in dropped sequences, descriptions and
comments, device identity and clinical-trial attributes, and the upload's file name. After
ingest none of them — as ASCII, latin-1, UTF-16 or upper/lower case — is in any response a
reader gets (frames, batched frames, L-mode, JSON, the reading page) or in ANY file under
MEDIA_ROOT. Bytes hidden inside the entropy-coded data refuse the file with a reason.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.sequence import Sequence

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.models import Read
from adjudication.services.assignment import pullback_assign_readers
from tests.uploads import ingested

NAME = "QZXPLANTNAME^JOSEPHINE"
PATIENT_ID = "QZX-MRN-4471920"
FRAMES = 6
SIZE = 64


def variants(text: str) -> list[bytes]:
    """How the text could sit in a file: as written, in either case, UTF-16 both ways."""
    out = []
    for form in {text, text.upper(), text.lower(), text.split("^")[0]}:
        out += [
            form.encode("latin-1"),
            form.encode("utf-16-le"),
            form.encode("utf-16-be"),
        ]
    return out


SECRETS = variants(NAME) + variants(PATIENT_ID)


def leaks(data: bytes) -> list[bytes]:
    return [s for s in SECRETS if s in data]


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def scan_start(data: bytes) -> int:
    pos = 2
    while data[pos + 1] != 0xDA:
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    return pos


def planted_frame(frame: bytes) -> bytes:
    """Patient details in every JPEG segment kind a decoder does not need."""
    text = f"{NAME} {PATIENT_ID}".encode()
    frame = frame[: frame.rindex(b"\xff\xd9") + 2]  # without DICOM's padding
    sos = scan_start(frame)
    head = (
        segment(0xFE, text)  # COM before the scan
        + segment(0xE0, b"JFXX\x00" + text)  # APP0 that is not JFIF
        + b"".join(segment(0xE0 + n, text) for n in range(1, 14))  # APP1..APP13
        + segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01" + text)  # APP14 with text
        + segment(0xEF, text)  # APP15
    )
    body = frame[2:sos] + text + frame[sos:]  # raw bytes between segments
    end = body.rindex(b"\xff\xd9")
    after_scan = segment(0xFE, text) + text  # a COM after the scan, raw bytes after it
    return b"\xff\xd8" + head + body[:end] + after_scan + body[end:] + text  # + after EOI


def hidden_frame(frame: bytes) -> bytes:
    """Text inside the entropy-coded data, right before EOI: invisible to a marker walk."""
    frame = frame[: frame.rindex(b"\xff\xd9") + 2]
    end = frame.rindex(b"\xff\xd9")
    return frame[:end] + f"{NAME} {PATIENT_ID}".encode() + frame[end:]


def text_item() -> Dataset:
    item = Dataset()
    item.PatientName = NAME
    item.add_new(0x00291010, "LO", PATIENT_ID)  # private, no creator: still removed
    item.add_new(0x00140ABC, "LO", NAME)  # unknown public element, nested
    return item


def plant_dataset(ds: Dataset) -> None:
    ds.preamble = (f"{NAME} {PATIENT_ID} ".encode() * 4)[:128]
    ds.PatientName = NAME
    ds.PatientID = PATIENT_ID
    ds.OtherPatientIDsSequence = Sequence([text_item()])
    ds.PatientComments = NAME
    ds.StudyDescription = f"study of {NAME}"
    ds.SeriesDescription = f"series of {PATIENT_ID}"
    ds.ImageComments = NAME
    ds.DerivationDescription = NAME
    ds.DeviceDescription = NAME
    ds.DeviceSerialNumber = PATIENT_ID
    ds.StationName = PATIENT_ID[:16]
    ds.InstitutionName = NAME
    ds.OperatorsName = NAME
    ds.ClinicalTrialSponsorName = NAME
    ds.ClinicalTrialSubjectID = PATIENT_ID
    ds.ClinicalTrialSiteName = NAME
    ds.AcquisitionContextSequence = Sequence([text_item()])
    ds.add_new(0x00140ABC, "LO", NAME)  # unknown public element
    ds.add_new(0x00410010, "LO", "ACME PRIVATE")  # private creator …
    ds.add_new(0x00411010, "LO", NAME)  # … and its element
    ds.add_new(0x00411011, "UT", PATIENT_ID)
    # Nested in sequences the allow-list keeps: the same list applies inside them.
    shared = ds.SharedFunctionalGroupsSequence[0]
    shared.add_new(0x00410010, "LO", "ACME PRIVATE")
    shared.add_new(0x00411010, "LO", NAME)
    shared.add_new(0x00140ABC, "LO", PATIENT_ID)
    shared.FrameAnatomySequence = Sequence([text_item()])
    for item in ds.PerFrameFunctionalGroupsSequence:
        item.FrameComments = NAME  # (0020,9158) is free text
        item.FrameContentSequence = Sequence([Dataset()])
        item.FrameContentSequence[0].FrameLabel = PATIENT_ID
        item.FrameContentSequence[0].FrameAcquisitionNumber = 1


def corpus_file(tmp_path: Path, *, frame: Any) -> Path:
    path = tmp_path / f"{NAME.replace('^', '_')}_{PATIENT_ID}.dcm"
    make_synthetic_pullback(
        path,
        n_frames=FRAMES,
        rows=SIZE,
        columns=SIZE,
        encoding="jpeg_baseline",
        spacing_location="per_frame_functional_group",
    )
    ds = pydicom.dcmread(path)
    plant_dataset(ds)
    frames = [frame(bytes(f)) for f in generate_frames(ds.PixelData, number_of_frames=FRAMES)]
    ds.PixelData = encapsulate(frames, has_bot=True)
    ds["PixelData"].is_undefined_length = True
    ds.save_as(path, enforce_file_format=False)
    data = path.read_bytes()
    assert leaks(data[:128]) and leaks(data[132:])  # the test would prove nothing otherwise
    return path


def ingest_file(world: Any, path: Path) -> Any:
    return ingested(world.study, world.coordinator, path, frame_files=False, subject_code="S-0042")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def planted(world: Any, media: Path, tmp_path: Path) -> Any:
    pullback = ingest_file(world, corpus_file(tmp_path, frame=planted_frame))
    assert pullback.status == "ready", pullback.error  # valid pullbacks are cleaned, not refused
    pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return pullback


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_no_planted_detail_is_in_any_file_under_media_root(planted: Any, media: Path) -> None:
    files = [p for p in media.rglob("*") if p.is_file()]
    assert any(p.name == "source.dcm" for p in files)
    found = {str(p.relative_to(media)): leaks(p.read_bytes()) for p in files}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_stored_file_has_a_zero_preamble_and_only_allowed_attributes(planted: Any) -> None:
    from adjudication import storage
    from adjudication.dicom.deidentify import KEEP

    path = storage.source_path(planted)
    assert path.read_bytes()[:132] == bytes(128) + b"DICM"
    ds = pydicom.dcmread(path)
    kept = {element.keyword for element in ds.iterall()}
    assert kept <= KEEP, kept - KEEP
    assert not any(element.tag.is_private for element in ds.iterall())
    # Calibration survived the allow-list (per-frame Pixel Measures + longitudinal distance).
    assert planted.pixel_spacing_row_mm == pytest.approx(0.01)
    assert planted.frame_spacing_mm == pytest.approx(0.2)
    assert "PerFrameFunctionalGroupsSequence" in ds


@pytest.mark.parametrize("persona", ["reader_a", "reader_b"])
def test_no_planted_detail_reaches_a_reader(
    world: Any, api: Any, planted: Any, persona: str
) -> None:
    user = getattr(world, persona)
    client = api(user)
    base = f"/api/v1/pullbacks/{planted.pk}"
    responses = [client.get(f"{base}/frames/{n}") for n in range(FRAMES)]
    responses.append(client.get(f"{base}/frames/", {"start": 0, "count": FRAMES}))
    responses += [client.get(f"{base}/lmode/", {"angle_deg": a}) for a in (0, 45, 270)]
    responses.append(client.get(f"{base}/"))
    responses.append(client.get("/api/v1/reads/"))
    read = Read.objects.get(pullback=planted, reader=user)
    responses.append(client.get(f"/api/v1/reads/{read.pk}/"))
    assert all(r.status_code == 200 for r in responses), [r.status_code for r in responses]
    for n in range(FRAMES):
        assert body(responses[n])[:2] == b"\xff\xd8"
    client.force_login(user)  # the reading page is a Django page (session)
    page = client.get(f"/reads/{read.pk}/")
    assert page.status_code == 200
    page_body = body(page)
    leaked = {i: leaks(body(r)) for i, r in enumerate(responses)}
    assert {i: v for i, v in leaked.items() if v} == {}
    assert leaks(page_body) == []


def test_bytes_hidden_inside_the_scan_refuse_the_file_with_a_reason(
    world: Any, media: Path, tmp_path: Path
) -> None:
    pullback = ingest_file(world, corpus_file(tmp_path, frame=hidden_frame))
    assert pullback.status == "failed"
    assert "skips" in pullback.error and "extraneous bytes" in pullback.error
    assert leaks(pullback.error.encode()) == []
    assert [p for p in media.rglob("*") if p.is_file()] == []  # nothing kept


def planted_codestream(encoding: str, frame: bytes) -> bytes:
    """A COM segment (and APP8 for JPEG-LS) with the patient details, plus trailing bytes."""
    text = f"{NAME} {PATIENT_ID}".encode()
    if encoding.startswith("jpegls"):
        return frame[:2] + segment(0xFE, text) + segment(0xE8, text) + frame[2:] + text
    siz_end = 4 + struct.unpack_from(">H", frame, 4)[0]  # after SOC + SIZ
    return frame[:siz_end] + segment(0x64, b"\x00\x01" + text) + frame[siz_end:]


@pytest.mark.parametrize("encoding", ["jpegls", "jpegls_near", "jpeg2000", "jpeg2000_lossless"])
def test_comments_in_other_codestreams_are_not_stored(
    world: Any, media: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "codestream.dcm"
    make_synthetic_pullback(path, n_frames=3, rows=SIZE, columns=SIZE, encoding=encoding)
    ds = pydicom.dcmread(path)
    frames = [
        planted_codestream(encoding, bytes(f))
        for f in generate_frames(ds.PixelData, number_of_frames=3)
    ]
    ds.PixelData = encapsulate(frames, has_bot=True)
    ds["PixelData"].is_undefined_length = True
    ds.save_as(path, enforce_file_format=False)
    assert leaks(path.read_bytes())
    pullback = ingest_file(world, path)
    assert pullback.status == "ready", pullback.error
    files = [p for p in media.rglob("*") if p.is_file()]
    assert {str(p): leaks(p.read_bytes()) for p in files if leaks(p.read_bytes())} == {}


def test_text_hidden_in_one_frame_outside_the_random_sample_is_still_refused(
    world: Any, media: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    from adjudication.dicom import pixels

    monkeypatch.setattr(pixels, "decode_sample", lambda n: {0, n - 1})
    calls = iter(range(FRAMES))
    pullback = ingest_file(
        world,
        corpus_file(
            tmp_path, frame=lambda f: hidden_frame(f) if next(calls) == 3 else planted_frame(f)
        ),
    )
    assert pullback.status == "failed"
    assert "Frame 3" in pullback.error and "extraneous bytes" in pullback.error
