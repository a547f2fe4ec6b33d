"""DICOM adapters around pydicom, Pillow and numpy (STYLE: no Django, no ORM).

- ``inspect``: accept or refuse an uploaded file (SPEC §8) before anything is stored.
- ``tags``: calibration tags as the plain mapping ``domain.calibration`` resolves (SPEC §3).
- ``deidentify``: PS3.15 de-identification as an allow-list, keyed UIDs, zero preamble.
- ``jpeg``: the one JPEG marker walker (structure check, rewrite to decoder segments, strict
  decode for hidden bytes); ``codestreams``: the same for JPEG-LS and JPEG 2000;
  ``pixels``: applies them to a dataset's frames at ingest.
- ``render``: frames → JPEG bytes for the viewer.
- ``lmode``: longitudinal images from the stored frames.
- ``archives``: safe iteration over uploaded zip archives.
- ``synthetic``: phantom pullbacks with ground truth for tests and the demo.
"""
