"""Server-rendered pages: worklists per role and the reading page.

The coordinator console lives in ``adjudication.pages.coordinator``, the adjudicator's
workbench in ``adjudication.pages.adjudicator``.

Pages fetch through the same ``visible_to`` querysets as the API; hidden objects are 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse

from adjudication import frames_auth, selectors
from adjudication.domain.workflow import ReadState
from adjudication.models import Read
from adjudication.models.reading import ReadKind
from adjudication.services.studies import user_may_create_study
from adjudication.types import request_user


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    roles = selectors.memberships_by_role(user)
    context: dict[str, Any] = {
        "reads": selectors.worklist_for_reader(user) if roles["analyst"] else [],
        "adjudications": (
            selectors.adjudication_queue(user, request.GET.get("sort", "age"))
            if roles["adjudicator"]
            else []
        ),
        "queue_sort": request.GET.get("sort", "age"),
        "queue_sorts": [("age", "oldest first"), ("flags", "most flags"), ("study", "study")],
        "studies": selectors.studies_for_coordinator(user) if roles["coordinator"] else [],
        "roles": roles,
        "may_create_study": user_may_create_study(user),
    }
    return render(request, "adjudication/worklist.html", context)


@login_required
def read_page(request: HttpRequest, pk: int) -> HttpResponse:
    read = (
        Read.objects.visible_to(request.user)
        .filter(pk=pk, kind=ReadKind.READER)
        .select_related("pullback__study")
        .first()
    )
    if read is None:
        raise Http404
    frames_base = reverse("api-frame", args=[read.pullback_id, 0])[:-1]  # ".../frames/"
    # Only the settings the live readouts need; nothing about the other reader (SPEC §1).
    study_settings = read.pullback.study.get_settings()
    bootstrap = {
        "read_id": read.pk,
        "pullback_id": read.pullback_id,
        "api_base": "/api/v1",
        "csrf_token": get_token(request),
        "read_only": read.status == ReadState.SUBMITTED,
        "frame_url_template": frames_base + "{n}",
        # Aligned batches of FRAMES_BATCH_MAX_COUNT (the viewer asks for whole blocks): behind
        # nginx each is a file it sends after the grant, like a single frame.
        "frames_batch_url_template": frames_base + "?start={start}&count={count}",
        "frames_batch_size": settings.FRAMES_BATCH_MAX_COUNT,
        "lmode_url_template": frames_base.removesuffix("frames/") + "lmode/?angle_deg={angle}",
        # The pullback's device sets its threshold (SPEC §5); a pre pullback's grid covers it all.
        "strut_threshold_um": study_settings.strut_threshold_for(read.pullback.device or None),
        "sampling_interval_mm": study_settings.sampling_interval_mm,
        "reference_length_mm": study_settings.reference_length_mm,
        "whole_pullback": read.pullback.timepoint == "pre",
    }
    # Frame 0 as a plain <img> in the page itself: the browser fetches, decodes and paints it
    # while the viewer's scripts still load (the viewer replaces it when it mounts); only when
    # there is a frame to show, otherwise the viewer says why. The frame grant's full check
    # (frames_auth) is made here rather than by the image's own request: behind nginx that
    # request then costs the app one cache read and no query, while the page's scripts keep the
    # machine busy (bench/viewer.py: 19–42 ms instead of 25–161).
    try:
        grant = frames_auth.frame_grant(request, read.pullback_id)
    except frames_auth.NotAuthenticated:
        grant = None
    showable = grant is not None and grant.n_frames > 0
    context = {
        "read": read,
        "bootstrap": bootstrap,
        "poster_url": frames_base + "0" if showable else None,
    }
    return render(request, "adjudication/read.html", context)
