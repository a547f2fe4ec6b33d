"""Audit rows cannot be changed or deleted, even by code that bypasses the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, transaction

from adjudication.models import AuditEvent
from adjudication.services.audit import audit_record


@pytest.fixture
def event(world: Any) -> AuditEvent:
    return audit_record(
        actor=world.coordinator, action="study.update", obj=world.study, study=world.study
    )


def test_an_audit_row_cannot_be_updated(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    event.refresh_from_db()
    assert event.reason == ""


def test_an_audit_row_cannot_be_deleted(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
