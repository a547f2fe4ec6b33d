"""``/dicomweb/`` paths (PS3.18 resource URLs; UIDs are dotted digits)."""

from django.urls import path, register_converter

from . import views


class UIDConverter:
    regex = r"[0-9][0-9.]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class FrameListConverter:
    regex = r"[0-9][0-9,]*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UIDConverter, "uid")
register_converter(FrameListConverter, "frames")

S = "studies/<uid:study_uid>"
R = f"{S}/series/<uid:series_uid>"
I = f"{R}/instances/<uid:sop_uid>"  # noqa: E741 - the PS3.18 resource name

urlpatterns = [
    # Frames first: the hot path resolves without trying the other patterns.
    path(f"{I}/frames/<frames:frame_list>", views.frames, name="dicomweb-frames"),
    path("studies", views.studies, name="dicomweb-studies"),
    path("series", views.search_series, name="dicomweb-series"),
    path("instances", views.search_instances, name="dicomweb-instances"),
    path(f"{S}/series", views.search_series, name="dicomweb-study-series"),
    path(f"{S}/instances", views.search_instances, name="dicomweb-study-instances"),
    path(f"{R}/instances", views.search_instances, name="dicomweb-series-instances"),
    path(S, views.retrieve, name="dicomweb-study"),
    path(R, views.retrieve, name="dicomweb-series-retrieve"),
    path(I, views.retrieve, name="dicomweb-instance"),
    path(f"{S}/metadata", views.metadata, name="dicomweb-study-metadata"),
    path(f"{R}/metadata", views.metadata, name="dicomweb-series-metadata"),
    path(f"{I}/metadata", views.metadata, name="dicomweb-instance-metadata"),
]
