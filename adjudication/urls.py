from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .pages import adjudicator, coordinator, statistics

# Coordinator console pages are named ``console-*`` (``study-page`` is its dashboard): the
# API router already owns names such as ``study-members`` and ``pullback-assign``.
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reads/<int:pk>/", views.read_page, name="read-page"),
    path("adjudications/<int:pk>/", adjudicator.adjudication_page, name="adjudication-page"),
    path("studies/new/", coordinator.study_create, name="console-study-create"),
    path("studies/<int:pk>/", coordinator.study_page, name="study-page"),
    path("studies/<int:pk>/settings/", coordinator.study_settings, name="console-settings"),
    path("studies/<int:pk>/members/", coordinator.study_members, name="console-members"),
    path(
        "studies/<int:pk>/members/<str:username>/role/",
        coordinator.member_change_role,
        name="console-member-role",
    ),
    path(
        "studies/<int:pk>/members/<str:username>/remove/",
        coordinator.member_remove,
        name="console-member-remove",
    ),
    path("studies/<int:pk>/upload/", coordinator.study_upload, name="console-upload"),
    path("studies/<int:pk>/pullbacks/", coordinator.study_pullbacks, name="console-pullbacks"),
    path(
        "studies/<int:pk>/pullbacks/<int:pullback_pk>/",
        coordinator.pullback_manage,
        name="console-pullback",
    ),
    path(
        "studies/<int:pk>/pullbacks/assign-ready/",
        coordinator.study_assign_all_ready,
        name="console-assign-all",
    ),
    path(
        "studies/<int:pk>/pullbacks/<int:pullback_pk>/archive/",
        coordinator.pullback_archive,
        name="console-archive",
    ),
    path(
        "studies/<int:pk>/pullbacks/<int:pullback_pk>/assign/",
        coordinator.pullback_assign,
        name="console-assign",
    ),
    path(
        "studies/<int:pk>/pullbacks/<int:pullback_pk>/calibration/",
        coordinator.pullback_calibrate,
        name="console-calibrate",
    ),
    path(
        "studies/<int:pk>/pullbacks/<int:pullback_pk>/device/",
        coordinator.pullback_set_device,
        name="console-device",
    ),
    path(
        "studies/<int:pk>/pullbacks/<int:pullback_pk>/reads/<int:read_pk>/reassign/",
        coordinator.read_reassign,
        name="console-reassign",
    ),
    path("studies/<int:pk>/agreement/", coordinator.study_agreement, name="console-agreement"),
    path("studies/<int:pk>/exports/", coordinator.study_exports, name="console-exports"),
    path("studies/<int:pk>/audit/", coordinator.study_audit, name="console-audit"),
    path("studies/<int:pk>/statistics/", statistics.study_statistics, name="console-statistics"),
]
