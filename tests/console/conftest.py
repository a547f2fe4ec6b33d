"""Browser-less clients for the coordinator console pages, signed in as a persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def browser_as() -> Any:
    """``browser_as(user)`` → a Django test client with that user's session."""

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
