"""The demo seed gives every role something to do, and running it again adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from adjudication.models import Adjudication, Pullback


@pytest.mark.django_db
@override_settings(DEBUG=True)  # the seed refuses to run without it (known passwords)
def test_seed_demo_gives_each_role_a_case_and_is_repeatable(capsys: Any) -> None:
    call_command("seed_demo", pullbacks=3, frames=30)
    out = capsys.readouterr().out
    assert "password for all" in out
    statuses = list(Pullback.objects.order_by("id").values_list("status", flat=True))
    # untouched for the analysts, flagged for the adjudicator, agreed into consensus
    assert statuses == ["reading", "flagged", "consensus"]
    from django.contrib.auth import get_user_model

    adjudicator = get_user_model().objects.get(username="adjudicator")
    assert Adjudication.objects.visible_to(adjudicator).count() == 1
    call_command("seed_demo", pullbacks=3, frames=30)
    assert Pullback.objects.count() == 3


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
