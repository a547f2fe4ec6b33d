"""Concurrent saves of one read with the same version: exactly one wins, the rest get 409."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from adjudication.models import AuditEvent, Read
from adjudication.services.assignment import pullback_assign_readers
from tests.conftest import sample_document
from tests.factories import MembershipFactory, PullbackFactory, StudyFactory, UserFactory

N_THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_same_version_saved_by_many_clients_at_once_has_exactly_one_winner() -> None:
    study = StudyFactory()
    coordinator = UserFactory(username="c")
    MembershipFactory(study=study, user=coordinator, role="coordinator")
    reader = UserFactory(username="r1")
    MembershipFactory(study=study, user=reader, role="analyst")
    MembershipFactory(study=study, user=UserFactory(username="r2"), role="analyst")
    pullback = PullbackFactory(study=study)
    read, _ = pullback_assign_readers(pullback=pullback, actor=coordinator, usernames=["r1", "r2"])

    barrier = threading.Barrier(N_THREADS)
    results: dict[int, tuple[int, Any]] = {}

    def save(i: int) -> None:
        client = APIClient()
        client.force_authenticate(reader)
        doc = sample_document(100 + i)  # each client's edit is different
        barrier.wait()
        try:
            r = client.put(
                f"/api/v1/reads/{read.pk}/annotations/",
                {"version": 1, "annotations": doc},
                format="json",
            )
            results[i] = (r.status_code, r.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(code for code, _ in results.values())
    assert statuses == [200] + [409] * (N_THREADS - 1)
    (winner,) = [i for i, (code, _) in results.items() if code == 200]
    read = Read.objects.get(pk=read.pk)
    # No lost update: the stored document is the winner's, at version 2.
    assert read.version == 2
    assert read.annotations == sample_document(100 + winner)
    assert all(body["version"] == 2 for code, body in results.values() if code == 409)
    assert AuditEvent.objects.filter(action="read.save_annotations").count() == 1
