"""Fixtures of the reading tests."""

from __future__ import annotations

from typing import Any

import pytest

from adjudication.models import Read
from adjudication.services.assignment import pullback_assign_readers
from tests.factories import PullbackFactory


@pytest.fixture
def reads(world: Any) -> tuple[Read, Read]:
    pullback = PullbackFactory(study=world.study)
    a, b = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return a, b
