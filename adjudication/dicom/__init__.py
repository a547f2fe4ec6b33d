"""DICOM adapters around pydicom, Pillow and numpy (STYLE: no Django, no ORM).

- ``inspect``: accept or refuse an uploaded file (SPEC §8) before anything is stored.
- ``tags``: calibration tags as the plain mapping ``domain.calibration`` resolves (SPEC §3).
- ``deidentify``: PS3.15 Basic Application Level Confidentiality Profile, in place.
- ``render``: frames → JPEG bytes for the viewer.
- ``archives``: safe iteration over uploaded zip archives.
- ``synthetic``: phantom pullbacks with ground truth for tests and the demo.
"""
