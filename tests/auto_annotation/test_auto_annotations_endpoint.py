"""``GET /api/v1/pullbacks/{id}/auto-annotations/`` (SPEC §11): who sees it, its shape, the
range, and that both readers get the very same proposal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adjudication.models import Pullback
from adjudication.services import auto_annotations
from tests.uploads import uploaded

from .conftest import N_FRAMES


def url(pullback: Pullback, query: str = "") -> str:
    return f"/api/v1/pullbacks/{pullback.pk}/auto-annotations/{query}"


def test_it_answers_pending_from_the_moment_the_pullback_exists(
    world: Any, api: Any, media: Path, phantom: Any
) -> None:
    pullback = uploaded(world.study, world.coordinator, phantom[0])  # still ingesting
    response = api(world.coordinator).get(url(pullback))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending" and body["progress_pct"] == 0
    assert body["annotations"] == {"frames": {}} and body["confidence"] == {}
    assert body["algorithm"] and body["algorithm_version"]


def test_both_readers_and_the_coordinator_get_the_same_proposal(
    world: Any, api: Any, ready_pullback: Pullback
) -> None:
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    bodies = [api(u).get(url(ready_pullback)).json() for u in (world.reader_a, world.reader_b)]
    assert bodies[0] == bodies[1] == api(world.coordinator).get(url(ready_pullback)).json()
    body = bodies[0]
    assert body["status"] == "done" and body["progress_pct"] == 100
    assert len(body["annotations"]["frames"]) == N_FRAMES == len(body["confidence"])
    assert all(0 <= c <= 1 for c in body["confidence"].values())
    frame = body["annotations"]["frames"]["0"]
    assert len(frame["lumen"]) >= 32 and len(frame["lumen_ctrl"]) >= 8


def test_a_range_returns_only_those_frames(world: Any, api: Any, ready_pullback: Pullback) -> None:
    auto_annotations.pullback_auto_annotate(pullback_pk=ready_pullback.pk)
    body = api(world.reader_a).get(url(ready_pullback, "?start=3&count=4")).json()
    assert sorted(body["annotations"]["frames"], key=int) == ["3", "4", "5", "6"]
    assert sorted(body["confidence"], key=int) == ["3", "4", "5", "6"]
    tail = api(world.reader_a).get(url(ready_pullback, f"?start={N_FRAMES - 2}")).json()
    assert sorted(tail["confidence"], key=int) == [str(N_FRAMES - 2), str(N_FRAMES - 1)]


def test_a_bad_range_is_a_400_naming_the_field(
    world: Any, api: Any, ready_pullback: Pullback
) -> None:
    for query, field in [("?start=-1", "start"), ("?count=0", "count"), ("?start=x", "start")]:
        response = api(world.reader_a).get(url(ready_pullback, query))
        assert response.status_code == 400
        assert response.json()["field"] == field and response.json()["code"]


def test_people_who_may_not_see_the_pullback_get_404(
    world: Any, api: Any, ready_pullback: Pullback
) -> None:
    # the adjudicator sees a pullback only once it is flagged; outsiders and other studies never
    for user in (world.adjudicator, world.outsider, world.other_reader):
        assert api(user).get(url(ready_pullback)).status_code == 404
    assert api(None).get(url(ready_pullback)).status_code in (401, 403)
    assert api(world.coordinator).get(url(ready_pullback, "")).status_code == 200
    assert api(world.reader_a).get("/api/v1/pullbacks/999999/auto-annotations/").status_code == 404
