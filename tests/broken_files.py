"""Writers of broken DICOM files for the refusal tests (test code only; they used to live in
``adjudication/dicom/synthetic.py``, which keeps only what the demo and benchmarks need)."""

from __future__ import annotations

import os
from typing import Any

import pydicom
from pydicom.uid import ImplicitVRLittleEndian


def write_truncated(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], keep_bytes: int
) -> None:
    """Copy the first ``keep_bytes`` bytes of ``src`` to ``dst`` (negative: drop that many)."""
    with open(src, "rb") as fh:
        data = fh.read()
    with open(dst, "wb") as out:
        out.write(data[:keep_bytes])


def rewrite_dataset(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], **changes: Any
) -> None:
    """Copy ``src`` to ``dst`` with top-level attributes changed (``None`` deletes one)."""
    ds = pydicom.dcmread(src)
    for keyword, value in changes.items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    ds.save_as(dst, enforce_file_format=False)


def pixel_data_offset(path: str | os.PathLike[str]) -> int:
    """Byte offset of the (7FE0,0010) element's value in ``path``."""
    header = pydicom.dcmread(path, stop_before_pixels=True)
    # the raw (not yet parsed) element knows where its value sits in the file
    last: Any = header.get_item(list(header.keys())[-1])
    tag_at = int(last.value_tell) + int(last.length)
    implicit = header.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian
    return tag_at + (8 if implicit else 12)
