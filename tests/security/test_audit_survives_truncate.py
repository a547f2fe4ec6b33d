"""TRUNCATE bypasses row triggers; a statement-level trigger refuses it (issue 12, finding 8)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from adjudication.models import AuditEvent
from adjudication.services.audit import audit_record
from tests.factories import StudyFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_the_audit_table_cannot_be_truncated() -> None:
    # Committed first: TRUNCATE in the inserting transaction fails for another reason.
    actor, study = UserFactory(), StudyFactory()
    event = audit_record(actor=actor, action="study.update", obj=study, study=study)
    table = AuditEvent._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # As production connections are: without the test suite's allowance (conftest).
        cursor.execute("SET LOCAL adjudication.allow_audit_truncate = 'off'")
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
