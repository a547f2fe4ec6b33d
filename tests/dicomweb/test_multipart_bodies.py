"""multipart/related parsing and Accept negotiation for DICOMweb (pure, no services)."""

from __future__ import annotations

import io

import pytest

from adjudication.dicomweb.multipart import (
    EXPLICIT_VR_LITTLE_ENDIAN,
    JPEG_BASELINE,
    FileRange,
    MultipartError,
    choose_frame_type,
    decode_parts,
    encode_parts,
    part_ranges,
)

CT = 'multipart/related; type="application/dicom"; boundary=XyZ'


def test_it_round_trips_parts_whose_bytes_contain_line_breaks_and_dashes() -> None:
    parts = [("application/dicom", b"\r\n--Xy\r\n\r\nabc"), ("application/dicom", b"")]
    body = b"".join(encode_parts(parts, "XyZ"))
    assert decode_parts(CT, body) == parts


def test_it_refuses_a_truncated_body_a_missing_boundary_and_other_types() -> None:
    body = b"".join(encode_parts([("application/dicom", b"data")], "XyZ"))
    with pytest.raises(MultipartError):
        decode_parts(CT, body[:-10])
    with pytest.raises(MultipartError):
        decode_parts('multipart/related; type="application/dicom"', body)
    with pytest.raises(MultipartError):
        decode_parts("application/dicom", body)


def test_a_part_without_content_type_takes_the_type_parameter() -> None:
    body = b"--XyZ\r\n\r\nDICM\r\n--XyZ--\r\n"
    assert decode_parts(CT, body) == [("application/dicom", b"DICM")]


def test_file_range_reads_only_its_span() -> None:
    fh = io.BytesIO(b"0123456789")
    assert FileRange(fh, 2, 7).read() == b"23456"
    body = b"".join(encode_parts([("application/dicom", b"payload")], "XyZ"))
    [(_, start, end)] = part_ranges(CT, body)
    assert FileRange(io.BytesIO(body), start, end).read() == b"payload"


@pytest.mark.parametrize(
    ("accept", "stored_is_jpeg", "expected"),
    [
        ('multipart/related; type="image/jpeg"', True, "image/jpeg"),
        (
            f'multipart/related; type="image/jpeg"; transfer-syntax={JPEG_BASELINE}',
            True,
            "image/jpeg",
        ),
        ('multipart/related; type="application/octet-stream"', True, "application/octet-stream"),
        (
            f"multipart/related; type=application/octet-stream; transfer-syntax={EXPLICIT_VR_LITTLE_ENDIAN}",
            True,
            "application/octet-stream",
        ),
        ('multipart/related; type="*/*"', True, "image/jpeg"),
        ("*/*", True, "image/jpeg"),
        ("", True, "image/jpeg"),
        ("*/*", False, "application/octet-stream"),  # no stored JPEG: raw pixels, not a guess
        (
            'multipart/related; type="application/octet-stream"; q=0.5, '
            'multipart/related; type="image/jpeg"',
            True,
            "image/jpeg",
        ),
        ('multipart/related; type="image/jp2"', True, None),
        (
            'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.70',
            True,
            None,
        ),
    ],
)
def test_it_answers_stored_jpeg_unless_raw_pixels_are_asked_for(
    accept: str, stored_is_jpeg: bool, expected: str | None
) -> None:
    choice = choose_frame_type(accept, stored_is_jpeg=stored_is_jpeg)
    assert (choice.media_type if choice else None) == expected
