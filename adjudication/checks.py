"""System checks: a missing viewer bundle is an error, so a blank viewer never ships."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def viewer_bundle_present(app_configs: Any, **kwargs: Any) -> list[Error]:
    missing = [
        name
        for name in ("read.js", "adjudicate.js", "chunks/viewer-core.js")
        if not (settings.VIEWER_DIST_DIR / name).exists()
    ]
    return [
        Error(
            f"The viewer bundle is missing {name}.",
            hint="Build it: cd frontend && npm ci && npm run build",
            obj=str(settings.VIEWER_DIST_DIR / name),
            id="adjudication.E001",
        )
        for name in missing
    ]
