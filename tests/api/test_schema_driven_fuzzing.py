"""Schema-driven property-based testing of the whole API (schemathesis; issue 12, finding 5).

Every operation of the OpenAPI schema is called with generated parameters and bodies — valid
and invalid — as a study coordinator and as a reader (token authentication), each case twice:
once with the generated path ids, once with the ids of real objects of the persona's study
(so bodies and queries reach the views, not only the 404 of an unknown id). Every response
must be below 500 and, where the schema documents its status code, match the schema.

Bounded: ``MAX_EXAMPLES`` cases per operation and persona (a minute or two on two cores).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from adjudication.dicom.synthetic import make_synthetic_pullback
from adjudication.services.assignment import pullback_assign_readers
from adjudication.tokens import token_issue
from tests import uploads
from tests.conftest import sample_document
from tests.factories import PullbackFactory
from tests.metrics_pipeline.pipeline import submit_and_compare

MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def objects(world: Any, settings: Any, tmp_path: Any) -> dict[str, int]:
    """A flagged pullback (its adjudication open) and an ingested one being read."""
    settings.MEDIA_ROOT = tmp_path / "media"
    pullback = PullbackFactory(study=world.study, n_frames=200)
    submit_and_compare(world, pullback, sample_document(150), sample_document(100))
    # A really ingested pullback (frames and L-mode on disk), being read by reader A and B.
    path = tmp_path / "pullback.dcm"
    make_synthetic_pullback(path, n_frames=8, rows=64, columns=64, encoding="jpeg_baseline")
    ingested = uploads.ingested(world.study, world.coordinator, path, frame_files=False)
    open_a, _ = pullback_assign_readers(
        pullback=ingested, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    return {
        "study": world.study.pk,
        "pullback": ingested.pk,
        "read": open_a.pk,
        "adjudication": pullback.adjudication.pk,
    }


def real_ids(path: str, ids: dict[str, int]) -> dict[str, Any]:
    """The path parameters naming real objects for an operation's path template."""
    collection = path.split("/")[3]  # /api/v1/<collection>/{id}/...
    kind = {
        "studies": "study",
        "pullbacks": "pullback",
        "reads": "read",
        "adjudications": "adjudication",
    }.get(collection)
    params: dict[str, Any] = {}
    if "{id}" in path and kind:
        params["id"] = ids[kind]
    if "{frame}" in path:
        params["frame"] = 0
    return params


@pytest.fixture
def wsgi_app() -> Any:
    # As Django's test client does: the request signals must not close the test's connection
    # (it holds the test transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _strategies(operation: Any, ids: dict[str, int]) -> list[tuple[str, Any]]:
    out = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        fixed = real_ids(operation.path, ids)
        variants = [("generated ids", None), ("real ids", fixed)] if fixed else [("", None)]
        for label, path_parameters in variants:
            try:
                strategy = operation.as_strategy(mode, path_parameters=path_parameters)
            except Exception as exc:  # noqa: BLE001 - a mode that cannot generate is skipped
                out.append((f"{mode.value} {label}: cannot generate ({exc})", None))
                continue
            out.append((f"{mode.value} {label}", strategy))
    return out


@pytest.mark.parametrize("persona", ["coordinator", "reader_a"])
def test_no_operation_answers_5xx_or_off_schema(
    persona: str, world: Any, objects: dict[str, int], wsgi_app: Any
) -> None:
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = wsgi_app
    user = getattr(world, persona)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # every operation of SPEC §9 and more

    for operation in operations:
        for label, strategy in _strategies(operation, objects):
            if strategy is None:
                continue

            @given(case=strategy)
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def run(case: Any) -> None:
                # A fresh token per call: POST auth/logout/ revokes the one it is called with.
                headers = {"Authorization": f"Token {token_issue(user=user)}"}
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters or body in this mode)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - reported below
                failures.append(f"{operation.label} [{label}]: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
