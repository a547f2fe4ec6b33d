"""Server-rendered pages: worklists per role, the reading page, adjudication and study pages.

Pages fetch through the same ``visible_to`` querysets as the API; hidden objects are 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse

from adjudication import selectors
from adjudication.domain.workflow import ReadState
from adjudication.models import Adjudication, Pullback, Read, Study
from adjudication.models.reading import ReadKind


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = selectors.memberships_by_role(user)
    context: dict[str, Any] = {
        "reads": selectors.worklist_for_reader(user) if roles["analyst"] else [],
        "adjudications": selectors.adjudication_queue(user) if roles["adjudicator"] else [],
        "studies": selectors.studies_for_coordinator(user) if roles["coordinator"] else [],
        "roles": roles,
    }
    return render(request, "adjudication/worklist.html", context)


@login_required
def read_page(request: HttpRequest, pk: int) -> HttpResponse:
    read = (
        Read.objects.visible_to(request.user)
        .filter(pk=pk, kind=ReadKind.READER)
        .select_related("pullback")
        .first()
    )
    if read is None:
        raise Http404
    bootstrap = {
        "read_id": read.pk,
        "pullback_id": read.pullback_id,
        "api_base": "/api/v1",
        "csrf_token": get_token(request),
        "read_only": read.status == ReadState.SUBMITTED,
        "frame_url_template": reverse("api-frame", args=[read.pullback_id, 0])[:-1] + "{n}",
    }
    return render(request, "adjudication/read.html", {"read": read, "bootstrap": bootstrap})


@login_required
def adjudication_page(request: HttpRequest, pk: int) -> HttpResponse:
    adjudication = (
        Adjudication.objects.visible_to(request.user)
        .filter(pk=pk)
        .select_related("pullback")
        .prefetch_related("flags", "decisions")
        .first()
    )
    if adjudication is None:
        raise Http404
    return render(request, "adjudication/adjudicate.html", {"adjudication": adjudication})


@login_required
def study_page(request: HttpRequest, pk: int) -> HttpResponse:
    study = Study.objects.coordinated_by(request.user).filter(pk=pk).first()
    if study is None:
        raise Http404
    pullbacks = (
        Pullback.objects.filter(study=study)
        .select_related("subject")
        .prefetch_related("reads__reader")
        .order_by("id")
    )
    return render(request, "adjudication/study.html", {"study": study, "pullbacks": pullbacks})
