"""Malformed input answers 4xx ``{detail, code}``, never 500 (issue 12, finding 5)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from adjudication import jsonsafe
from adjudication.services import metrics as metric_services
from adjudication.services.assignment import pullback_assign_readers
from adjudication.services.reads import read_save_annotations, read_submit
from tests.conftest import sample_document
from tests.factories import PullbackFactory

DEEP = '{"username": ' + "[" * 5000 + "]" * 5000 + ', "password": "x"}'
JUST_TOO_DEEP = '{"a": ' + "[" * jsonsafe.MAX_DEPTH + "]" * jsonsafe.MAX_DEPTH + "}"

# Every endpoint that takes a JSON body (SPEC §9 and the README's additions).
JSON_ENDPOINTS = [
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/logout/"),
    ("post", "/api/v1/studies/"),
    ("patch", "/api/v1/studies/{study}/"),
    ("post", "/api/v1/studies/{study}/members/"),
    ("post", "/api/v1/studies/{study}/pullbacks/"),
    ("post", "/api/v1/pullbacks/{pullback}/assign/"),
    ("post", "/api/v1/pullbacks/{pullback}/calibration/"),
    ("put", "/api/v1/reads/{read}/annotations/"),
    ("post", "/api/v1/reads/{read}/submit/"),
    ("post", "/api/v1/adjudications/{adjudication}/resolve/"),
]


@pytest.fixture
def ids(world: Any) -> dict[str, int]:
    """An open read of reader A and an open adjudication (reads of another pullback differ)."""
    open_pullback, flagged = PullbackFactory(study=world.study), PullbackFactory(study=world.study)
    a, _ = pullback_assign_readers(
        pullback=open_pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    fa, fb = pullback_assign_readers(
        pullback=flagged, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    for read, user, radius in [(fa, world.reader_a, 150), (fb, world.reader_b, 100)]:
        read_save_annotations(read=read, actor=user, version=1, annotations=sample_document(radius))
        read_submit(
            read=read,
            actor=user,
            password=world.password,
            allow_incomplete=True,
            reason="test fixture: partial document",
        )
        metric_services.read_compute_metrics(read_pk=read.pk)
    metric_services.pullback_compare_reads(pullback_pk=flagged.pk)
    flagged.refresh_from_db()
    return {
        "study": world.study.pk,
        "pullback": open_pullback.pk,
        "read": a.pk,
        "adjudication": flagged.adjudication.pk,
    }


@pytest.mark.parametrize("body", [DEEP, JUST_TOO_DEEP], ids=["5000 levels", "65 levels"])
@pytest.mark.parametrize(("method", "url"), JSON_ENDPOINTS)
def test_deeply_nested_json_answers_400_everywhere(
    world: Any, api: Any, ids: dict[str, int], method: str, url: str, body: str
) -> None:
    persona = (
        world.reader_a
        if "{read}" in url
        else world.adjudicator
        if "{adjudication}" in url
        else world.coordinator
    )
    client = api(persona) if "auth/token" not in url else api(None)
    r = getattr(client, method)(url.format(**ids), body, content_type="application/json")
    assert r.status_code == 400, r.content[:300]
    assert r.json()["code"] in ("too_deep", "parse_error")
    assert r.json()["detail"]


def test_ordinary_nesting_still_parses() -> None:
    assert jsonsafe.loads('{"a": [[1, 2], [3, {"b": "[[[[["}]]}') == {
        "a": [[1, 2], [3, {"b": "[[[[["}]]
    }
    assert jsonsafe.nesting_depth(b'{"s": "\\"[[[[[[[["}') == 1


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/pullbacks/null,null/frames/?start=0&count=1",
        "/api/v1/pullbacks/null,null/lmode/",
        "/api/v1/pullbacks/null/frames/0",
        "/api/v1/pullbacks/1/frames/-1",
        "/api/v1/pullbacks/-1/",
        "/api/v1/pullbacks/1e3/",
        "/api/v1/pullbacks/99999999999999999999999999/",
        "/api/v1/pullbacks/99999999999999999999999999/frames/?start=0&count=1",
        "/api/v1/studies/abc/",
        "/api/v1/studies/abc/members/",
        "/api/v1/studies/abc/export/?format=csv",
        "/api/v1/reads/%00/",
        "/api/v1/adjudications/1.5/",
    ],
)
def test_path_parameters_that_are_not_ids_answer_404(world: Any, url: str) -> None:
    client = Client()
    client.force_login(world.coordinator)
    r = client.get(url)
    assert r.status_code == 404, r.content[:300]


@pytest.mark.parametrize(
    "url", ["/reads/99999999999999999999999/", "/studies/99999999999999999999999/"]
)
def test_pages_with_out_of_range_ids_answer_404(world: Any, url: str) -> None:
    client = Client()
    client.force_login(world.coordinator)
    assert client.get(url).status_code == 404


def test_members_list_matches_the_schema_shape(world: Any, api: Any) -> None:
    r = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/members/")
    assert r.status_code == 200
    body = r.json()
    # A paginated list, as SPEC §9 says lists are and as the schema declares.
    assert set(body) == {"count", "next", "previous", "results"}
    assert {m["username"] for m in body["results"]} >= {"coordinator", "reader_a"}
