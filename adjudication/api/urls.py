"""SPEC §9 paths."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import adjudications, auth, exports, pullbacks, reads, statistics, studies

router = SimpleRouter()
router.register("studies", studies.StudyViewSet, basename="study")
router.register("pullbacks", pullbacks.PullbackViewSet, basename="pullback")
router.register("reads", reads.ReadViewSet, basename="read")
router.register("adjudications", adjudications.AdjudicationViewSet, basename="adjudication")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("me/", auth.MeView.as_view(), name="api-me"),
    path("pullbacks/<int:pk>/frames/<int:frame>", pullbacks.FrameView.as_view(), name="api-frame"),
    path("studies/<int:pk>/consensus/", exports.ConsensusView.as_view(), name="api-consensus"),
    path("studies/<int:pk>/export/", exports.ExportView.as_view(), name="api-export"),
    path("studies/<int:pk>/agreement/", exports.AgreementView.as_view(), name="api-agreement"),
    path("audit/", exports.AuditView.as_view(), name="api-audit"),
    path(
        "studies/<int:pk>/covariates/", statistics.CovariatesView.as_view(), name="api-covariates"
    ),
    path(
        "studies/<int:pk>/statistics/", statistics.StatisticsView.as_view(), name="api-statistics"
    ),
    path(
        "studies/<int:pk>/statistics/download/",
        statistics.StatisticsDownloadView.as_view(),
        name="api-statistics-download",
    ),
    path(
        "studies/<int:pk>/statistics/figures/<slug:name>.<str:fmt>",
        statistics.StatisticsFigureView.as_view(),
        name="api-statistics-figure",
    ),
    *router.urls,
]
