"""The adjudicator's own annotation is a server-side draft: versioned, audited, private."""

from __future__ import annotations

from typing import Any

from adjudication.models import AuditEvent
from tests.adjudicating.test_workbench_page import flagged  # noqa: F401  (fixture)
from tests.conftest import client_for, sample_document


def _url(adjudication: Any) -> str:
    return f"/api/v1/adjudications/{adjudication.pk}/draft/"


def test_the_draft_is_saved_versioned_and_audited(world: Any, flagged: Any) -> None:  # noqa: F811
    api = client_for(world.adjudicator)
    empty = api.get(_url(flagged))
    assert empty.status_code == 200
    assert empty.json() == {"version": 0, "origin": "", "annotations": None}
    doc = sample_document(120)
    saved = api.put(
        _url(flagged), {"version": 0, "origin": "empty", "annotations": doc}, format="json"
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 1
    assert api.get(_url(flagged)).json()["annotations"] == doc
    # A stale version (another tab) is refused with 409 and stores nothing.
    stale = api.put(
        _url(flagged), {"version": 0, "origin": "reader1", "annotations": doc}, format="json"
    )
    assert stale.status_code == 409
    assert api.get(_url(flagged)).json()["origin"] == "empty"
    event = AuditEvent.objects.filter(action="adjudication.draft_save").get()
    assert event.actor == world.adjudicator
    assert event.after["version"] == 1


def test_a_bad_document_is_refused_with_its_field_and_nothing_is_stored(
    world: Any,
    flagged: Any,  # noqa: F811
) -> None:
    api = client_for(world.adjudicator)
    bad = api.put(
        _url(flagged),
        {"version": 0, "origin": "empty", "annotations": {"frames": {"0": {"lumen": [[1, 1]]}}}},
        format="json",
    )
    assert bad.status_code == 400
    assert "field" in bad.json()
    assert api.get(_url(flagged)).json()["version"] == 0


def test_readers_never_see_the_draft(world: Any, flagged: Any) -> None:  # noqa: F811
    client_for(world.adjudicator).put(
        _url(flagged),
        {"version": 0, "origin": "empty", "annotations": sample_document(120)},
        format="json",
    )
    for reader in (world.reader_a, world.reader_b, world.outsider):
        assert client_for(reader).get(_url(flagged)).status_code == 404
        put = client_for(reader).put(
            _url(flagged), {"version": 1, "origin": "", "annotations": None}, format="json"
        )
        assert put.status_code == 404
