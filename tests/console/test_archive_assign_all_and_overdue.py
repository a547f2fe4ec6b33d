"""Failed pullbacks archived (kept, out of lists), "assign all ready" with the balanced rule,
state tiles that filter the list, and the overdue-reads view (console pages)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils import timezone

from adjudication.models import AuditEvent, Pullback, Read
from tests.factories import MembershipFactory, PullbackFactory, UserFactory


def listed(client: Any, study: Any, query: str = "") -> list[int]:
    response = client.get(f"/studies/{study.pk}/pullbacks/{query}")
    return [p.pk for p in response.context["page"]]


def test_a_failed_pullback_is_archived_with_a_reason_and_leaves_the_lists(
    world: Any, browser_as: Any
) -> None:
    client = browser_as(world.coordinator)
    failed = PullbackFactory(study=world.study, status="failed", error="not an OCT pullback")
    ready = PullbackFactory(study=world.study)
    page = client.get(f"/studies/{world.study.pk}/pullbacks/{failed.pk}/").content.decode()
    assert 'id="archive"' in page

    response = client.post(
        f"/studies/{world.study.pk}/pullbacks/{failed.pk}/archive/", {"reason": "wrong file"}
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.archived_at is not None and Pullback.objects.filter(pk=failed.pk).exists()
    event = AuditEvent.objects.get(action="pullback.archive", object_id=str(failed.pk))
    assert (event.actor, event.reason, event.before["archived_at"]) == (
        world.coordinator,
        "wrong file",
        None,
    )
    assert listed(client, world.study) == [ready.pk]
    assert listed(client, world.study, "?archived=1") == [failed.pk]
    counts = dict(client.get(f"/studies/{world.study.pk}/").context["state_counts"])
    assert counts["failed"] == 0 and counts["ready"] == 1


def test_only_failed_pullbacks_are_archived_and_a_reason_is_required(
    world: Any, browser_as: Any
) -> None:
    client = browser_as(world.coordinator)
    ready = PullbackFactory(study=world.study)
    failed = PullbackFactory(study=world.study, status="failed")
    client.post(f"/studies/{world.study.pk}/pullbacks/{ready.pk}/archive/", {"reason": "x"})
    client.post(f"/studies/{world.study.pk}/pullbacks/{failed.pk}/archive/", {"reason": " "})
    assert not Pullback.objects.filter(archived_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="pullback.archive").exists()


def test_others_cannot_archive(world: Any, browser_as: Any) -> None:
    failed = PullbackFactory(study=world.study, status="failed")
    for user in (world.reader_a, world.adjudicator, world.outsider):
        response = browser_as(user).post(
            f"/studies/{world.study.pk}/pullbacks/{failed.pk}/archive/", {"reason": "x"}
        )
        assert response.status_code == 404
    failed.refresh_from_db()
    assert failed.archived_at is None


def test_assign_all_ready_spreads_the_reads_evenly_and_skips_uncalibrated(
    world: Any, browser_as: Any
) -> None:
    MembershipFactory(study=world.study, user=UserFactory(username="carol"), role="analyst")
    ready = [PullbackFactory(study=world.study) for _ in range(3)]
    uncalibrated = PullbackFactory(
        study=world.study, pixel_spacing_row_mm=None, pixel_spacing_col_mm=None
    )
    reading = PullbackFactory(study=world.study, status="reading")
    response = browser_as(world.coordinator).post(
        f"/studies/{world.study.pk}/pullbacks/assign-ready/"
    )
    assert response.status_code == 302
    for p in ready:
        p.refresh_from_db()
        assert p.status == "reading" and Read.objects.filter(pullback=p).count() == 2
    uncalibrated.refresh_from_db()
    assert uncalibrated.status == "ready"
    assert not Read.objects.filter(pullback__in=[uncalibrated, reading]).exists()
    load = Counter(Read.objects.values_list("reader__username", flat=True))
    assert sorted(load.values()) == [2, 2, 2]  # 6 reads over 3 analysts, balanced
    assert AuditEvent.objects.filter(action="pullback.assign").count() == 3


def test_assign_all_ready_needs_two_analysts_and_changes_nothing_otherwise(
    world: Any, browser_as: Any
) -> None:
    world.study.memberships.filter(user=world.reader_b).delete()
    pullback = PullbackFactory(study=world.study)
    browser_as(world.coordinator).post(f"/studies/{world.study.pk}/pullbacks/assign-ready/")
    pullback.refresh_from_db()
    assert pullback.status == "ready" and not Read.objects.exists()


def test_dashboard_state_tiles_link_to_the_filtered_list(world: Any, browser_as: Any) -> None:
    client = browser_as(world.coordinator)
    html = client.get(f"/studies/{world.study.pk}/").content.decode()
    assert f'href="/studies/{world.study.pk}/pullbacks/?status=failed"' in html
    failed = PullbackFactory(study=world.study, status="failed")
    PullbackFactory(study=world.study)
    assert listed(client, world.study, "?status=failed") == [failed.pk]


def test_overdue_reads_are_listed_oldest_first_with_the_load_per_reader(
    world: Any, browser_as: Any
) -> None:
    now = timezone.now()
    pullback = PullbackFactory(study=world.study, status="reading")
    old = Read.objects.create(pullback=pullback, reader=world.reader_a, slot=1, annotations={})
    fresh = Read.objects.create(pullback=pullback, reader=world.reader_b, slot=2, annotations={})
    Read.objects.filter(pk=old.pk).update(created_at=now - dt.timedelta(days=10))
    Read.objects.filter(pk=fresh.pk).update(created_at=now - dt.timedelta(days=2))
    client = browser_as(world.coordinator)

    week = client.get(f"/studies/{world.study.pk}/").context
    assert [r.read_id for r in week["overdue"]] == [old.pk]
    assert week["overdue"][0].age_days == 10
    assert week["overdue_by_reader"] == [("reader_a", 1)]

    day = client.get(f"/studies/{world.study.pk}/?overdue_days=1").context
    assert [r.read_id for r in day["overdue"]] == [old.pk, fresh.pk]

    Read.objects.filter(pk=old.pk).update(status="submitted", submitted_at=now)
    assert [
        r.read_id
        for r in client.get(f"/studies/{world.study.pk}/?overdue_days=1").context["overdue"]
    ] == [fresh.pk]


def test_the_api_list_leaves_archived_pullbacks_out_unless_asked(world: Any, api: Any) -> None:
    from adjudication.services.archive import pullback_archive

    failed = PullbackFactory(study=world.study, status="failed")
    ready = PullbackFactory(study=world.study)
    pullback_archive(pullback=failed, actor=world.coordinator, reason="duplicate upload")
    client = api(world.coordinator)
    listed_ids = [
        p["id"]
        for p in client.get(f"/api/v1/studies/{world.study.pk}/pullbacks/").json()["results"]
    ]
    assert listed_ids == [ready.pk]
    archived = client.get(f"/api/v1/studies/{world.study.pk}/pullbacks/?archived=true").json()
    assert [p["id"] for p in archived["results"]] == [failed.pk]
