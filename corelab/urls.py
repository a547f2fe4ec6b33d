"""URL wiring: admin, the API under /api/v1/, the OpenAPI schema and the pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("adjudication.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("dicomweb/", include("adjudication.dicomweb.urls")),
    path("", include("adjudication.urls")),
]
