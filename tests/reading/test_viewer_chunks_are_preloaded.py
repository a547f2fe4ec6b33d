"""The viewer pages modulepreload the chunks of the built viewer (issue 13): the browser then
downloads and compiles them, off the main thread, while the page starts, instead of one after
another as it finds each import. The list is read from the bundle, so a chunk the build adds is
preloaded without a template change. The reading page preloads the shared chunk only: its
Cornerstone chunks are fetched once the pullback's frames are in (frontend/src/entries/read.ts),
so on a machine of few cores they do not share it with the frames' download."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.template import Context, Template
from django.test import Client

CHUNKS = ["cs-core.js", "cs-dcmjs.js", "load.js", "viewer-core.js"]


def a_bundle(root: Path) -> Path:
    chunks = root / "chunks"
    chunks.mkdir(parents=True)
    for name in CHUNKS:
        (chunks / name).write_text("export {};\n")
        (chunks / f"{name}.map").write_text("{}")
    (root / "read.js").write_text("export {};\n")
    return root


def preloaded(html: str) -> list[str]:
    return re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)


def test_every_chunk_is_preloaded_the_shared_one_first(settings: Any, tmp_path: Path) -> None:
    settings.VIEWER_DIST_DIR = a_bundle(tmp_path / "dist")
    html = Template("{% load viewer_bundle %}{% viewer_chunk_preloads %}").render(Context())

    assert preloaded(html) == [
        "/static/viewer/chunks/viewer-core.js",
        "/static/viewer/chunks/cs-core.js",
        "/static/viewer/chunks/cs-dcmjs.js",
        "/static/viewer/chunks/load.js",
    ]


def test_no_bundle_no_preloads(settings: Any, tmp_path: Path) -> None:
    settings.VIEWER_DIST_DIR = tmp_path / "missing"

    html = Template("{% load viewer_bundle %}{% viewer_chunk_preloads %}").render(Context())

    assert preloaded(html) == []


def test_without_cornerstone_only_the_shared_chunk(settings: Any, tmp_path: Path) -> None:
    settings.VIEWER_DIST_DIR = a_bundle(tmp_path / "dist")
    html = Template("{% load viewer_bundle %}{% viewer_chunk_preloads cornerstone=False %}").render(
        Context()
    )

    assert preloaded(html) == ["/static/viewer/chunks/viewer-core.js"]


def test_the_reading_page_preloads_the_shared_chunk_only(
    world: Any, reads: Any, settings: Any, tmp_path: Path
) -> None:
    settings.VIEWER_DIST_DIR = a_bundle(tmp_path / "dist")
    read, _ = reads
    client = Client()
    client.force_login(world.reader_a)

    html = client.get(f"/reads/{read.pk}/").content.decode()

    assert [url.rsplit("/", 1)[1] for url in preloaded(html)] == ["viewer-core.js"]
