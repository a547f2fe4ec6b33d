"""Every audit action services can write is a member of the one vocabulary (AuditAction)."""

import pytest

from adjudication.domain.workflow import AdjudicationState, PullbackState, ReadState
from adjudication.models import AuditAction, AutoAnnotationStatus


@pytest.mark.parametrize(
    ("model", "states"),
    [("pullback", PullbackState), ("read", ReadState), ("adjudication", AdjudicationState)],
)
def test_every_workflow_state_has_its_transition_action(model, states):
    for state in states:
        assert AuditAction(f"{model}.{state.value}").value == f"{model}.{state.value}"


def test_every_auto_annotation_status_has_its_action():
    for status in AutoAnnotationStatus:
        assert AuditAction(f"auto_annotation.{status.value}")


def test_password_refusals_are_named_after_the_refused_action():
    for refused in (AuditAction.READ_SUBMIT, AuditAction.ADJUDICATION_RESOLVE):
        assert AuditAction(f"{refused}.refused")


def test_every_action_fits_the_audit_column():
    from adjudication.models import AuditEvent

    max_length = AuditEvent._meta.get_field("action").max_length
    assert all(len(a.value) <= max_length for a in AuditAction)
