"""``{% load viewer_bundle %}{% viewer_chunk_preloads %}``: a ``modulepreload`` link per chunk of
the built viewer (``frontend/dist/chunks``, named by ``frontend/vite.config.ts``), so every chunk
downloads and compiles, off the main thread, while the page starts, instead of one after another
as the browser finds each import. The names are fixed (no hashes): the page's entry script imports
them by these relative URLs, so each downloads once. Read from the bundle itself, so a new chunk
needs no template change. ``cornerstone=False``: the shared chunk only (the reading page, whose
script fetches the Cornerstone3D chunks once the pullback's frames are in)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.templatetags.static import PrefixNode
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()

# Both pages need these first; the on-demand Cornerstone3D chunks come after.
FIRST = ("viewer-core.js",)


@register.simple_tag
def viewer_chunk_preloads(cornerstone: bool = True) -> SafeString:
    chunks = settings.VIEWER_DIST_DIR / "chunks"
    names = sorted(p.name for p in chunks.glob("*.js")) if chunks.is_dir() else []
    if not cornerstone:
        names = [name for name in names if name in FIRST]
    names.sort(key=lambda name: name not in FIRST)
    prefix = f"{PrefixNode.handle_simple('STATIC_URL')}viewer/chunks/"
    return format_html_join(
        "\n", '<link rel="modulepreload" href="{}">', ((prefix + name,) for name in names)
    )
