"""DICOMweb (PS3.18) over the de-identified pullbacks: QIDO-RS, WADO-RS, STOW-RS (SPEC §12).

- ``instances``: which DICOM instances a user may see (one per visible, ingested pullback),
  their de-identified headers as DICOM JSON, redacted per role, and QIDO matching.
- ``multipart``: multipart/related bodies in and out.
- ``views``: thin Django views under ``/dicomweb/`` (plain views, like the frame endpoint:
  DRF's content negotiation does not speak ``multipart/related``).
"""
