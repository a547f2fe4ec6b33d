"""A pullback's implanted device (SPEC §5): its strut + polymer thickness is the threshold."""

from __future__ import annotations

from django.db import transaction

from adjudication.domain.errors import FieldError, Refused
from adjudication.domain.workflow import PullbackState
from adjudication.models import AuditAction, Pullback
from adjudication.types import User

from .audit import audit_record

# Once the consensus is written the pullback's metrics are final.
_FROZEN = (PullbackState.CONSENSUS.value,)


def pullback_set_device(*, pullback: Pullback, actor: User, device: str, reason: str) -> Pullback:
    """A coordinator names the pullback's device, a key of the study's device table ("" clears
    it: the study's ``strut_threshold_um`` applies). Audited with the reason.

    Pre-state: any but ``consensus``. Reads already measured with another threshold are
    measured again for the comparison (``pullback_compare_reads``); what each reader sees of
    their own read stays as submitted.
    """
    device = (device or "").strip()
    if not (reason or "").strip():
        raise FieldError("reason", "say why the device is set", code="reason_required")
    with transaction.atomic(durable=True):
        pullback = (
            Pullback.objects.select_for_update(of=("self",))
            .select_related("study")
            .get(pk=pullback.pk)
        )
        if pullback.status in _FROZEN:
            raise Refused(
                "The consensus of this pullback is written; its device can no longer change.",
                code="invalid_transition",
            )
        table = pullback.study.get_settings().devices
        if device and device not in table:
            known = ", ".join(sorted(table)) or "none yet: add devices in the study settings"
            raise FieldError("device", f"not in the study's device table ({known})")
        before = {"device": pullback.device}
        pullback.device = device
        pullback.save(update_fields=["device", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.PULLBACK_SET_DEVICE,
            obj=pullback,
            study=pullback.study,
            before=before,
            after={
                "device": device,
                "strut_threshold_um": pullback.study.get_settings().strut_threshold_for(
                    device or None
                ),
            },
            reason=reason.strip(),
        )
    return pullback
