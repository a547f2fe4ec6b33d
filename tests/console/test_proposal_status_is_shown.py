"""The coordinator sees the automatic pre-annotation's status and progress (issue 10)."""

from __future__ import annotations

import re
from typing import Any

from adjudication.models import AutoAnnotation
from tests.factories import PullbackFactory


def test_pullback_list_and_page_show_each_proposal_state(world: Any, browser_as: Any) -> None:
    running = PullbackFactory(study=world.study)
    AutoAnnotation.objects.create(pullback=running, status="running", progress_pct=42)
    done = PullbackFactory(study=world.study)
    AutoAnnotation.objects.create(
        pullback=done, status="done", progress_pct=100, algorithm="lumen-v", algorithm_version="1"
    )
    failed = PullbackFactory(study=world.study)
    AutoAnnotation.objects.create(pullback=failed, status="failed", error="no frames decoded")
    none = PullbackFactory(study=world.study)
    client = browser_as(world.coordinator)

    html = client.get(f"/studies/{world.study.pk}/pullbacks/").content.decode()

    def cell(pullback: Any) -> str:
        row = re.search(rf'<tr data-pullback="{pullback.pk}">.*?</tr>', html, re.S).group(0)
        return re.search(r'<td class="proposal">(.*?)</td>', row, re.S).group(1)

    assert "running 42 %" in cell(running)
    assert 'data-proposal="done"' in cell(done) and "proposed" in cell(done)
    assert "no frames decoded" in cell(failed)
    assert "data-proposal" not in cell(none)

    page = client.get(f"/studies/{world.study.pk}/pullbacks/{running.pk}/").content.decode()
    assert 'aria-label="Pre-annotation progress"' in page and 'value="42"' in page
    page = client.get(f"/studies/{world.study.pk}/pullbacks/{done.pk}/").content.decode()
    assert "lumen-v 1" in page
