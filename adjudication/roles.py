"""Per-study roles and what each may do, as a literal table (SPEC §1).

The table is enforced where requests are served, not only tested: the querysets
(``models/querysets.py``: ``visible_to``, ``Study.objects.restrict(user, action)``) ask
``roles_with(action)`` which roles grant visibility, and the API's action checks
(``api/common.py: require_action``) and the member services ask ``role_may``. The
permission-matrix tests derive their expected answers from the same table.
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


def roles_with(action: Action) -> frozenset[Role]:
    """Every role whose row lists ``action``."""
    return frozenset(role for role, actions in PERMISSIONS.items() if action in actions)
