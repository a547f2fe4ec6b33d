"""Per-study roles and what each may do, as a literal table (SPEC §1).

The API's querysets (``models/querysets.py``) implement visibility; this table states the
actions, and the permission-matrix tests are generated from it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    ADJUDICATOR = "adjudicator"


class Action(StrEnum):
    VIEW_STUDY = "view_study"
    CONFIGURE_STUDY = "configure_study"
    MANAGE_MEMBERS = "manage_members"
    UPLOAD = "upload"
    ASSIGN = "assign"
    VIEW_PROGRESS = "view_progress"
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"
    READ = "read"  # annotate and submit own assigned reads
    ADJUDICATE = "adjudicate"  # resolve flags of pullbacks one did not read


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.COORDINATOR: frozenset(
        {
            Action.VIEW_STUDY,
            Action.CONFIGURE_STUDY,
            Action.MANAGE_MEMBERS,
            Action.UPLOAD,
            Action.ASSIGN,
            Action.VIEW_PROGRESS,
            Action.EXPORT,
            Action.VIEW_AUDIT,
        }
    ),
    Role.ANALYST: frozenset({Action.READ}),
    Role.ADJUDICATOR: frozenset({Action.ADJUDICATE}),
}


def role_may(role: Role | str, action: Action) -> bool:
    """True when the role's row in the table lists the action."""
    return action in PERMISSIONS[Role(role)]
