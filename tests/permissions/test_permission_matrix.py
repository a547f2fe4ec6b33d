"""Permission matrix: every SPEC §9 endpoint × persona → status, derived from roles.py.

Expected statuses are computed, not listed: anonymous → 401; an object the persona may not
see → 404 (never 403, so existence does not leak); a visible object whose action the
persona's role lacks in ``roles.PERMISSIONS`` → 403; otherwise the endpoint's own answer
(bodies are deliberately minimal, so a write that is allowed answers its validation error
and changes nothing).

Visibility, too, is derived from the table (which action makes which object visible), and
production reads the same table (``roles_with``/``role_may`` in the querysets and API
checks): the matrix also runs against an altered table, and production must follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from adjudication.roles import PERMISSIONS, Action, Role, role_may
from tests.conftest import sample_document
from tests.factories import PullbackFactory, write_frames
from tests.metrics_pipeline.pipeline import submit_and_compare

PERSONAS = ["coordinator", "reader_a", "reader_b", "adjudicator", "other_reader", "outsider", None]


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: str  # with {study} {pullback} {read_a} {adjudication}
    scope: str  # what must be visible: study | pullback | read_a | adjudication | signed_in
    action: Action | None  # the roles.py action needed once visible (None: visibility enough)
    ok: int  # the answer when allowed
    body: dict[str, Any] | None = None
    fmt: str = "json"


ENDPOINTS = [
    Endpoint("get", "/api/v1/me/", "signed_in", None, 200),
    Endpoint("get", "/api/v1/studies/", "signed_in", None, 200),
    Endpoint("get", "/api/v1/reads/", "signed_in", None, 200),
    Endpoint("get", "/api/v1/adjudications/", "signed_in", None, 200),
    Endpoint("get", "/api/v1/studies/{study}/", "study", Action.VIEW_STUDY, 200),
    Endpoint(
        "patch", "/api/v1/studies/{study}/", "study", Action.CONFIGURE_STUDY, 400, {"name": ""}
    ),
    Endpoint("get", "/api/v1/studies/{study}/members/", "study", Action.MANAGE_MEMBERS, 200),
    Endpoint("post", "/api/v1/studies/{study}/members/", "study", Action.MANAGE_MEMBERS, 400, {}),
    Endpoint(
        "patch",
        "/api/v1/studies/{study}/members/reader_b/",
        "study",
        Action.MANAGE_MEMBERS,
        400,
        {},
    ),
    Endpoint(
        "delete", "/api/v1/studies/{study}/members/nobody/", "study", Action.MANAGE_MEMBERS, 400
    ),
    Endpoint(
        "post", "/api/v1/studies/{study}/pullbacks/", "study", Action.UPLOAD, 400, {}, "multipart"
    ),
    Endpoint("get", "/api/v1/studies/{study}/consensus/", "study", Action.EXPORT, 200),
    Endpoint("get", "/api/v1/studies/{study}/export/?format=csv", "study", Action.EXPORT, 200),
    Endpoint("get", "/api/v1/studies/{study}/agreement/", "study", Action.VIEW_PROGRESS, 200),
    Endpoint("get", "/api/v1/audit/?study={study}", "study", Action.VIEW_AUDIT, 200),
    Endpoint("get", "/api/v1/pullbacks/{pullback}/", "pullback", None, 200),
    Endpoint("get", "/api/v1/pullbacks/{pullback}/frames/0", "pullback", None, 200),
    Endpoint("post", "/api/v1/pullbacks/{pullback}/assign/", "pullback", Action.ASSIGN, 409, {}),
    Endpoint("get", "/api/v1/reads/{read_a}/", "read_a", Action.READ, 200),
    Endpoint("put", "/api/v1/reads/{read_a}/annotations/", "read_a", Action.READ, 400, {}),
    Endpoint(
        "get", "/api/v1/adjudications/{adjudication}/", "adjudication", Action.ADJUDICATE, 200
    ),
    Endpoint(
        "post",
        "/api/v1/adjudications/{adjudication}/resolve/",
        "adjudication",
        Action.ADJUDICATE,
        400,
        {},
    ),
]

ROLES = {
    "coordinator": "coordinator",
    "reader_a": "analyst",
    "reader_b": "analyst",
    "adjudicator": "adjudicator",
    "other_reader": None,  # analyst of the other study: no role here
    "outsider": None,
}


READERS_OF_THE_PULLBACK = ("reader_a", "reader_b")


def may(persona: str, action: Action) -> bool:
    role = ROLES[persona]
    return role is not None and role_may(role, action)


def visible(scope: str, persona: str) -> bool:
    """Which objects the persona may see, from the table: a study with VIEW_STUDY; the
    flagged pullback with VIEW_PROGRESS, or READ as one of its readers, or ADJUDICATE when
    not one of them; reader A's read as reader A with READ; the adjudication with
    ADJUDICATE when not a reader of its pullback."""
    reads_it = persona in READERS_OF_THE_PULLBACK
    return {
        "signed_in": True,
        "study": may(persona, Action.VIEW_STUDY),
        "pullback": may(persona, Action.VIEW_PROGRESS)
        or (reads_it and may(persona, Action.READ))
        or (not reads_it and may(persona, Action.ADJUDICATE)),
        "read_a": persona == "reader_a" and may(persona, Action.READ),
        "adjudication": not reads_it and may(persona, Action.ADJUDICATE),
    }[scope]


def expected_status(endpoint: Endpoint, persona: str | None) -> int:
    if persona is None:
        return 401
    if not visible(endpoint.scope, persona):
        return 404
    role = ROLES[persona]
    if endpoint.action is not None and (role is None or not role_may(role, endpoint.action)):
        return 403
    return endpoint.ok


CELLS = [(e, p) for e in ENDPOINTS for p in PERSONAS]


@pytest.fixture
def flagged(world: Any) -> dict[str, Any]:
    """A pullback read by reader A and B, compared and flagged (its adjudication open)."""
    pullback = PullbackFactory(study=world.study, n_frames=200)
    a, _ = submit_and_compare(world, pullback, sample_document(150), sample_document(100))
    write_frames(str(pullback.storage_key), [b"\xff\xd8\xff\xd9"])
    return {
        "study": world.study.pk,
        "pullback": pullback.pk,
        "read_a": a.pk,
        "adjudication": pullback.adjudication.pk,
    }


@pytest.mark.parametrize(
    ("endpoint", "persona"),
    CELLS,
    ids=[f"{e.method.upper()} {e.url} as {p or 'anonymous'}" for e, p in CELLS],
)
def test_permission_matrix(
    world: Any, flagged: Any, api: Any, endpoint: Endpoint, persona: str | None
) -> None:
    client = api(getattr(world, persona) if persona else None)
    url = endpoint.url.format(**flagged)
    call = getattr(client, endpoint.method)
    response = (
        call(url, endpoint.body, format=endpoint.fmt) if endpoint.body is not None else call(url)
    )
    assert response.status_code == expected_status(endpoint, persona), response.content[:300]


# An altered table: coordinators lose export, audit and assignment; analysts lose reading.
ALTERED = {
    Role.COORDINATOR: PERMISSIONS[Role.COORDINATOR]
    - {Action.EXPORT, Action.VIEW_AUDIT, Action.ASSIGN},
    Role.ANALYST: frozenset(),
    Role.ADJUDICATOR: PERMISSIONS[Role.ADJUDICATOR],
}
ALTERED_CELLS = [
    (e, p)
    for e in ENDPOINTS
    if e.action is not None or e.scope in ("pullback", "read_a")
    for p in ("coordinator", "reader_a", "adjudicator")
]


@pytest.mark.parametrize(
    ("endpoint", "persona"),
    ALTERED_CELLS,
    ids=[f"{e.method.upper()} {e.url} as {p}" for e, p in ALTERED_CELLS],
)
def test_production_follows_the_role_table(
    world: Any,
    flagged: Any,
    api: Any,
    monkeypatch: Any,
    endpoint: Endpoint,
    persona: str,
) -> None:
    for role, actions in ALTERED.items():
        monkeypatch.setitem(PERMISSIONS, role, actions)
    client = api(getattr(world, persona))
    url = endpoint.url.format(**flagged)
    call = getattr(client, endpoint.method)
    response = (
        call(url, endpoint.body, format=endpoint.fmt) if endpoint.body is not None else call(url)
    )
    assert response.status_code == expected_status(endpoint, persona), response.content[:300]
