"""SPEC §9 paths.

Object ids and frame numbers in paths are at most 18 digits: anything else (``null,null``,
``-1``, ``1e3``, a 30-digit number) matches no route and answers 404 before any view runs,
so no view ever sees a path parameter it cannot turn into a database integer.
"""

from typing import Any

from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from . import (
    adjudications,
    auth,
    auto_annotations,
    exports,
    pullbacks,
    reads,
    reports,
    statistics,
    studies,
)

ID_PATTERN = "[0-9]{1,18}"


class IdConverter:
    """``<id:pk>``: a non-negative integer that fits a bigint column."""

    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


register_converter(IdConverter, "id")


class Router(SimpleRouter):
    """A SimpleRouter whose detail routes take only ids (``ID_PATTERN``)."""

    def __init__(self) -> None:
        super().__init__()
        self._default_value_pattern = ID_PATTERN


router = Router()
router.register("studies", studies.StudyViewSet, basename="study")
router.register("pullbacks", pullbacks.PullbackViewSet, basename="pullback")
router.register("reads", reads.ReadViewSet, basename="read")
router.register("adjudications", adjudications.AdjudicationViewSet, basename="adjudication")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="api-logout"),
    path("me/", auth.MeView.as_view(), name="api-me"),
    path("pullbacks/<id:pk>/frames/<id:frame>", pullbacks.FrameView.as_view(), name="api-frame"),
    # nginx's auth_request for frames (FRAMES_VIA_PROXY); reached through FrameShortPath first
    path(
        "pullbacks/<id:pk>/frame-grant",
        pullbacks.frame_grant_response,
        name="api-frame-grant",
    ),
    path(
        "studies/<id:pk>/members/<str:username>/",
        studies.MemberDetailView.as_view(),
        name="api-member",
    ),
    path(
        "pullbacks/<id:pk>/auto-annotations/",
        auto_annotations.AutoAnnotationView.as_view(),
        name="api-auto-annotations",
    ),
    path("studies/<id:pk>/consensus/", exports.ConsensusView.as_view(), name="api-consensus"),
    path("studies/<id:pk>/export/", exports.ExportView.as_view(), name="api-export"),
    path("studies/<id:pk>/agreement/", exports.AgreementView.as_view(), name="api-agreement"),
    path("audit/", exports.AuditView.as_view(), name="api-audit"),
    path("reads/<id:pk>/sr/", reports.ReadSRView.as_view(), name="api-read-sr"),
    path(
        "pullbacks/<id:pk>/consensus-sr/",
        reports.ConsensusSRView.as_view(),
        name="api-consensus-sr",
    ),
    path("studies/<id:pk>/covariates/", statistics.CovariatesView.as_view(), name="api-covariates"),
    path("studies/<id:pk>/statistics/", statistics.StatisticsView.as_view(), name="api-statistics"),
    path(
        "studies/<id:pk>/statistics/download/",
        statistics.StatisticsDownloadView.as_view(),
        name="api-statistics-download",
    ),
    path(
        "studies/<id:pk>/statistics/figures/<slug:name>.<str:fmt>",
        statistics.StatisticsFigureView.as_view(),
        name="api-statistics-figure",
    ),
    *router.urls,
]
