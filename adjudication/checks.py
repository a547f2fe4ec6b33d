"""System checks: a missing viewer bundle is an error, so a blank viewer never ships."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def viewer_bundle_present(app_configs: Any, **kwargs: Any) -> list[Error]:
    bundle = settings.VIEWER_DIST_DIR / "read.js"
    if bundle.exists():
        return []
    return [
        Error(
            "The viewer bundle is missing.",
            hint="Build it: cd frontend && npm ci && npm run build",
            obj=str(bundle),
            id="adjudication.E001",
        )
    ]
