"""Pure domain code (STYLE rule 1): stdlib and numpy only, no Django, pydicom or Pillow.

Geometry, calibration resolution, annotation validation, OCT metrics, tolerance comparison,
consensus, agreement statistics and the workflow table; each module cites the SPEC section it
implements. ``tests/domain/test_purity.py`` enforces the import rule.
"""
