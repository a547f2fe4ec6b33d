"""Personas (healthchecks' Alice/Bob idea) and API clients for them.

``world`` is one study with a coordinator, two analysts (reader A, reader B), an adjudicator
and an outsider, plus a second study (``other``) so cross-study leakage is always in scope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from tests.factories import PASSWORD, MembershipFactory, StudyFactory, UserFactory


def _allow_audit_truncate(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Django empties the database after a transactional test with TRUNCATE, which the audit
    table refuses (migration 0003) unless the session allows it: test connections do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET adjudication.allow_audit_truncate = 'on'")


connection_created.connect(_allow_audit_truncate)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many permission-matrix cells were checked (issue: permission matrix)."""
    passed = terminalreporter.stats.get("passed", [])
    cells = sum(1 for r in passed if "test_permission_matrix[" in r.nodeid)
    if cells:
        terminalreporter.write_line(f"permission matrix: {cells} cells checked")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    """Lockout counters and permission grants never leak from one test into another."""
    from django.conf import settings
    from django.core.cache import cache

    # Delete only this run's keys (its own prefix): a FLUSHDB would also wipe the counters
    # of another test run sharing the Redis database.
    client = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    yield


@dataclass
class World:
    study: Any
    other: Any
    coordinator: Any
    reader_a: Any
    reader_b: Any
    adjudicator: Any
    outsider: Any
    other_reader: Any
    password: str = PASSWORD


@pytest.fixture
def world(db: Any) -> World:
    study, other = StudyFactory(code="trial"), StudyFactory(code="other")
    people = {
        name: UserFactory(username=name)
        for name in [
            "coordinator",
            "reader_a",
            "reader_b",
            "adjudicator",
            "outsider",
            "other_reader",
        ]
    }
    MembershipFactory(study=study, user=people["coordinator"], role="coordinator")
    MembershipFactory(study=study, user=people["reader_a"], role="analyst")
    MembershipFactory(study=study, user=people["reader_b"], role="analyst")
    MembershipFactory(study=study, user=people["adjudicator"], role="adjudicator")
    MembershipFactory(study=other, user=people["other_reader"], role="analyst")
    MembershipFactory(study=other, user=people["coordinator"], role="coordinator")
    return World(study=study, other=other, **people)


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api() -> Any:
    """``api(user)`` → an authenticated APIClient (``api(None)`` is anonymous)."""
    return client_for


def circle(cx: float, cy: float, r: float, n: int = 48) -> list[list[float]]:
    return [
        [cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]


def sample_document(lumen_radius_px: float = 150.0, strut_offset_px: float = 0.0) -> dict:
    """A small but complete SPEC §4 document on a 512×512 frame centred at (256, 256)."""
    frames = {}
    for f in range(40, 121, 5):
        struts = (
            [
                [
                    256 + (lumen_radius_px - 2 - strut_offset_px) * math.cos(a),
                    256 + (lumen_radius_px - 2 - strut_offset_px) * math.sin(a),
                ]
                for a in [i * math.pi / 4 for i in range(8)]
            ]
            if 50 <= f <= 110
            else []
        )
        entry: dict[str, Any] = {"lumen": circle(256, 256, lumen_radius_px - (f == 80) * 20)}
        if struts:
            entry["struts"] = struts
        if 70 <= f <= 90:
            entry["calcium"] = [
                {"arc": [[406, 256], [256, 406]], "thickness": [[420, 256], [470, 256]]}
            ]
        frames[str(f)] = entry
    return {
        "stent": {"distal_frame": 50, "proximal_frame": 110},
        "calcium_segments": [{"start_frame": 70, "end_frame": 90}],
        "frames": frames,
    }
