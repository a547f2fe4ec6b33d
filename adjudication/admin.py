"""Read-mostly admin: browse everything, change nothing (writes go through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(models.Study)
class StudyAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "created_at"]


@admin.register(models.Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["study", "user", "role"]
    list_filter = ["role"]


@admin.register(models.Pullback)
class PullbackAdmin(ReadOnlyAdmin):
    list_display = ["id", "study", "subject", "timepoint", "lesion", "status", "n_frames"]
    list_filter = ["status", "timepoint"]


@admin.register(models.Read)
class ReadAdmin(ReadOnlyAdmin):
    list_display = ["id", "pullback", "slot", "kind", "status", "version"]
    list_filter = ["status", "kind"]


@admin.register(models.Adjudication)
class AdjudicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "pullback", "status", "resolved_at"]


@admin.register(models.Consensus)
class ConsensusAdmin(ReadOnlyAdmin):
    list_display = ["pullback", "computed_at"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action"]
