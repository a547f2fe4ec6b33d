"""The adjudicator's workbench: flags, the frames behind them, signed decisions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from adjudication.models import AuditEvent, Read
from adjudication.services import metrics as metric_services
from adjudication.services.assignment import pullback_assign_readers
from adjudication.services.reads import read_save_annotations, read_submit
from tests.conftest import sample_document
from tests.factories import PullbackFactory

# Fixture documents annotate a few frames only: submitted as incomplete (SPEC §2).
PARTIAL = "test fixture: partial document"


@pytest.fixture
def flagged(world: Any) -> Any:
    pullback = PullbackFactory(study=world.study)
    a, b = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    read_save_annotations(read=a, actor=world.reader_a, version=1, annotations=sample_document(150))
    read_save_annotations(read=b, actor=world.reader_b, version=1, annotations=sample_document(100))
    for read, user in [(a, world.reader_a), (b, world.reader_b)]:
        read_submit(
            read=read, actor=user, password=world.password, allow_incomplete=True, reason=PARTIAL
        )
        metric_services.read_compute_metrics(read_pk=read.pk)
    metric_services.pullback_compare_reads(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    return pullback.adjudication


def page_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_adjudicator_sees_flags_labelled_reader_1_and_2_and_the_frames_to_check(
    world: Any, flagged: Any
) -> None:
    response = page_client(world.adjudicator).get(f"/adjudications/{flagged.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reader 1" in html and "Reader 2" in html
    # The readers' usernames happen to equal the SPEC's source tokens (the radio values
    # "reader_a"/"reader_b"); outside those tokens no username may appear.
    visible = html.replace('value="reader_a"', "").replace('value="reader_b"', "")
    assert world.reader_a.username not in visible and world.reader_b.username not in visible
    for flag in flagged.flags.all():
        assert flag.metric in html
    # The lumen group links the MLA frame of each reader.
    a_mla = Read.objects.get(pullback=flagged.pullback, slot=1).metrics.mla_frame
    assert f'data-frame="{a_mla}"' in html


@pytest.mark.parametrize(
    "persona", ["reader_a", "reader_b", "coordinator", "outsider", "other_reader"]
)
def test_nobody_but_an_adjudicator_who_did_not_read_it_can_open_it(
    world: Any, flagged: Any, persona: str
) -> None:
    response = page_client(getattr(world, persona)).get(f"/adjudications/{flagged.pk}/")
    assert response.status_code == 404


def _post(world: Any, adjudication: Any, password: str, source: str = "reader_a") -> Any:
    groups = sorted(set(adjudication.flags.values_list("group", flat=True)))
    data = {"password": password}
    for group in groups:
        data[f"source-{group}"] = source
        data[f"reason-{group}"] = "Reader 1 followed the border"
    return page_client(world.adjudicator).post(f"/adjudications/{adjudication.pk}/", data)


def test_a_wrong_password_shows_an_error_and_decides_nothing(world: Any, flagged: Any) -> None:
    response = _post(world, flagged, "wrong")
    assert response.status_code == 200
    html = response.content.decode()
    assert "password is not correct" in html
    # Next to the password field (issue 14), not at the top of the page.
    field = html.index('id="id_password"')
    message = html.index('id="error-password"')
    assert field < message < html.index("Sign the decisions")
    assert 'aria-describedby="error-password"' in html
    flagged.refresh_from_db()
    assert flagged.status == "open"
    assert not flagged.decisions.exists()


def test_signing_resolves_every_group_and_the_consensus_follows(world: Any, flagged: Any) -> None:
    before = {r.pk: r.annotations for r in Read.objects.filter(pullback=flagged.pullback)}
    response = _post(world, flagged, world.password)
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == "resolved"
    assert AuditEvent.objects.filter(action="adjudication.decide", actor=world.adjudicator).exists()
    metric_services.pullback_write_consensus(pullback_pk=flagged.pullback_id)
    html = page_client(world.adjudicator).get(f"/adjudications/{flagged.pk}/").content.decode()
    assert 'id="consensus"' in html and 'data-source="reader_a"' in html  # the source column
    assert ">Reader 1</span>" in html  # decisions and sources as people say them, not reader_a
    after = {r.pk: r.annotations for r in Read.objects.filter(pullback=flagged.pullback)}
    assert after == before  # readers' originals untouched


def test_choosing_own_annotation_without_drawing_one_is_refused_clearly(
    world: Any, flagged: Any
) -> None:
    response = _post(world, flagged, world.password, source="adjudicator")
    assert response.status_code == 200
    assert "annotations" in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.status == "open"


def test_the_queue_shows_flag_count_groups_and_age_and_sorts(world: Any, flagged: Any) -> None:
    html = page_client(world.adjudicator).get("/").content.decode()
    row = html[html.index(f'data-adjudication="{flagged.pk}"') :]
    row = row[: row.index("</tr>")]
    count = flagged.flags.count()
    assert f'data-flags="{count}"' in row
    for group in {f.group for f in flagged.flags.all()}:
        assert group in row
    assert "minute" in row  # waiting since it was opened
    for sort in ("age", "flags", "study", "nonsense"):
        assert page_client(world.adjudicator).get(f"/?sort={sort}").status_code == 200
