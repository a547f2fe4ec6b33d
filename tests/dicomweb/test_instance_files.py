"""WADO-RS instance bodies: the stored header rewritten, the pixel data copied as stored —
also when the last header element is an undefined-length sequence."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.dicomweb.instances import Instance
from adjudication.dicomweb.views import _dicom_file_chunks


@pytest.mark.parametrize("undefined_length", [False, True])
@pytest.mark.parametrize("coordinator", [False, True])
def test_instance_body_is_a_readable_copy_of_the_stored_file(
    settings: Any, tmp_path: Path, undefined_length: bool, coordinator: bool
) -> None:
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "pullbacks" / "key"
    folder.mkdir(parents=True)
    make_synthetic_pullback(
        tmp_path / "raw.dcm", n_frames=3, rows=32, columns=32, encoding="jpeg_baseline", seed=3
    )
    ds = pydicom.dcmread(tmp_path / "raw.dcm")
    ds.PatientID = "S-0001"
    if undefined_length:
        ds["PerFrameFunctionalGroupsSequence"].is_undefined_length = True
    ds.save_as(folder / "source.dcm", enforce_file_format=True)
    instance = Instance(1, "key", 3, "image/jpeg", {}, coordinator)

    copy = pydicom.dcmread(io.BytesIO(b"".join(_dicom_file_chunks(instance, coordinator))))

    assert np.array_equal(copy.pixel_array, ds.pixel_array)
    assert copy.SOPInstanceUID == ds.SOPInstanceUID
    assert ("PatientID" in copy) is coordinator  # readers never get the subject code
