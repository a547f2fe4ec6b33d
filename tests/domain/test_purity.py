"""Domain code imports only the standard library and numpy (STYLE rule 1)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import adjudication.domain

BLOCKED = ("django", "rest_framework", "pydicom", "PIL", "celery")
MODULES = sorted(
    f"adjudication.domain.{m.name}" for m in pkgutil.iter_modules(adjudication.domain.__path__)
)
SCRIPT = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # any import of it now raises ImportError
import importlib
for module in {modules!r}:
    importlib.import_module(module)
leaked = sorted(n for n in {blocked!r} if sys.modules.get(n) is not None)
assert not leaked, leaked
"""


def test_every_domain_module_imports_without_django_drf_pydicom_or_pillow() -> None:
    assert "adjudication.domain.metrics" in MODULES  # the discovery found the modules
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(blocked=BLOCKED, modules=MODULES)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_image_analysis_module_imports_without_django_drf_pydicom_or_pillow() -> None:
    """The pre-annotation's image analysis is pure too: arrays in, a document out (SPEC §11)."""
    import adjudication.imaging

    modules = sorted(
        f"adjudication.imaging.{m.name}"
        for m in pkgutil.iter_modules(adjudication.imaging.__path__)
    )
    assert "adjudication.imaging.lumen" in modules
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(blocked=BLOCKED, modules=modules)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
