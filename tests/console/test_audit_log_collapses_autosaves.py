"""The audit page shows a run of autosaves as one line with a count and the net change."""

from __future__ import annotations

from typing import Any

from adjudication.models import AuditEvent, Read
from adjudication.pages.readouts import collapse_autosaves
from adjudication.services.reads import read_save_annotations
from tests.factories import PullbackFactory

SAVE = "read.save_annotations"


def test_runs_are_per_object_and_actor_and_broken_by_other_events_on_that_object() -> None:
    rows = [  # newest first
        (10, SAVE, 1, "read", "41"),
        (9, SAVE, 2, "read", "42"),  # another reader autosaving at the same time
        (8, SAVE, 1, "read", "41"),
        (7, "study.update", 3, "study", "1"),  # unrelated: does not break the run
        (6, SAVE, 1, "read", "41"),
        (5, "read.transition", 1, "read", "41"),  # breaks read 41's run
        (4, SAVE, 1, "read", "41"),
        (3, SAVE, 2, "read", "42"),
    ]
    assert collapse_autosaves(rows) == [[10, 8, 6], [9, 3], [7], [5], [4]]


def test_a_lone_autosave_stays_a_line_of_its_own() -> None:
    assert collapse_autosaves([(1, SAVE, 1, "read", "1")]) == [[1]]


def test_the_audit_page_collapses_twelve_autosaves_into_one_line(
    world: Any, browser_as: Any
) -> None:
    pullback = PullbackFactory(study=world.study, status="reading", n_frames=10)
    read = Read.objects.create(
        pullback=pullback, reader=world.reader_a, slot=1, annotations={"frames": {}}
    )
    for version in range(1, 13):
        read = read_save_annotations(
            read=read, actor=world.reader_a, version=version, annotations={"frames": {}}
        )
    saves = AuditEvent.objects.filter(action=SAVE).order_by("id")
    assert saves.count() == 12
    client = browser_as(world.coordinator)

    response = client.get(f"/studies/{world.study.pk}/audit/")
    runs = [line for line in response.context["lines"] if line.action == SAVE]
    assert len(runs) == 2  # the first save moved the read to in_progress: a run of 1, then 11
    newest = runs[0]
    assert newest.count == 11 and newest.pk == saves.last().pk
    html = response.content.decode()
    assert f"11 autosaves of read {read.pk} by reader_a between" in html
    # The net change of the run: version 2 → 13 (first before, last after).
    assert any(c.path == "version" and (c.before, c.after) == ("2", "13") for c in newest.changes)
    assert response.context["n_events"] == AuditEvent.objects.filter(study=world.study).count()

    every = client.get(f"/studies/{world.study.pk}/audit/?autosaves=all").context["lines"]
    assert len([e for e in every if e.action == SAVE]) == 12
