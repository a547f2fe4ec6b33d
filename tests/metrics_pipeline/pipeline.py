"""Drive one pullback through the services in-process, as the worker would (no broker).

Tests call these helpers to reach a state (consensus, flagged, adjudicated) through the real
services, so what they check is what production writes. ``on_commit`` callbacks do not run
inside pytest-django's test transaction, so no task reaches Redis from here.
"""

from __future__ import annotations

import copy
from typing import Any

from adjudication.models import Pullback, Read
from adjudication.services import adjudications, assignment, metrics, reads
from tests.conftest import circle, sample_document
from tests.factories import PullbackFactory


def document_with_mla(radius_px: float, base: dict | None = None) -> dict:
    """``sample_document(150)`` with frame 80's lumen a circle of ``radius_px``: only the MLA
    (group ``lumen``) moves; stent areas come from struts and references from other frames."""
    doc = copy.deepcopy(base or sample_document(150))
    doc["frames"]["80"]["lumen"] = circle(256, 256, radius_px)
    return doc


def submit_read(read: Read, user: Any, document: dict, password: str) -> Read:
    read = reads.read_save_annotations(
        read=read, actor=user, version=read.version, annotations=document
    )
    # Pipeline documents annotate a few frames only: submitted as incomplete (SPEC §2).
    return reads.read_submit(
        read=read,
        actor=user,
        password=password,
        allow_incomplete=True,
        reason="test fixture: partial document",
    )


def read_and_compare(
    world: Any, doc_a: dict, doc_b: dict, *, study: Any = None, **pullback_fields: Any
) -> Pullback:
    """A new pullback (``PullbackFactory``) through ``submit_and_compare``. Returns it
    (``consensus`` or ``flagged``)."""
    pullback = PullbackFactory(study=study or world.study, **pullback_fields)
    submit_and_compare(world, pullback, doc_a, doc_b)
    return pullback


def submit_and_compare(
    world: Any, pullback: Pullback, doc_a: dict, doc_b: dict
) -> tuple[Read, Read]:
    """Assign reader_a and reader_b, save + submit both documents, measure both reads and
    compare them. Returns the two submitted reads; ``pullback`` is refreshed."""
    read_a, read_b = assignment.pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    read_a = submit_read(read_a, world.reader_a, doc_a, world.password)
    read_b = submit_read(read_b, world.reader_b, doc_b, world.password)
    metrics.read_compute_metrics(read_pk=read_a.pk)
    metrics.read_compute_metrics(read_pk=read_b.pk)
    metrics.pullback_compare_reads(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    return read_a, read_b


def resolve(
    world: Any, pullback: Pullback, sources: dict[str, str], annotations: dict | None = None
) -> Pullback:
    """Sign ``{group: source}`` as the adjudicator, then write the consensus."""
    adjudications.adjudication_resolve(
        adjudication=pullback.adjudication,
        actor=world.adjudicator,
        password=world.password,
        decisions=[
            {"group": g, "source": s, "reason": f"{s} is right on {g}"}
            for g, s in sorted(sources.items())
        ],
        annotations=annotations,
    )
    metrics.pullback_write_consensus(pullback_pk=pullback.pk)
    pullback.refresh_from_db()
    return pullback
