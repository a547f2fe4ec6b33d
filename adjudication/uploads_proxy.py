"""Raw uploads the reverse proxy wrote to a file itself (``UPLOAD_PROXY_TOKEN``; issue 13).

For ``POST /api/v1/studies/{id}/pullbacks/`` with ``Content-Type: application/dicom``,
bin/serve's nginx (``deploy/nginx.conf.template``) writes the body to a file in
``storage.incoming_dir()`` and passes the request on without it, naming the file in
``X-Upload-File`` and proving that it is nginx speaking with ``X-Upload-Token``. The upload
service then moves the file into staging (``UploadSource.path``) instead of the app reading
50 MB through the proxy and the app server; nginx deletes the file after the request unless
the app took it.

Trust: a file name is honoured only with the configured token (compared in constant time) and
only for a regular file directly inside the incoming folder (not a link, not another folder),
so a client that reaches the app without nginx can neither make it read a file of its choice
nor take another upload's body. A request that carries the token header but names no usable
file is refused (400, nothing stored): its body is not there to fall back on. Without the
token header, or with the setting empty, the body is read from the request as always.
"""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

from adjudication import storage
from adjudication.domain.errors import Refused

FILE_HEADER = "HTTP_X_UPLOAD_FILE"
TOKEN_HEADER = "HTTP_X_UPLOAD_TOKEN"


def handed_over_file(request: HttpRequest) -> Path | None:
    """The file nginx wrote this request's body to, or None: read the body itself."""
    expected = settings.UPLOAD_PROXY_TOKEN
    given = request.META.get(TOKEN_HEADER)
    if not expected or given is None:
        return None
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Refused("The upload was handed over by an unknown proxy.", code="upload_handoff")
    name = request.META.get(FILE_HEADER, "")
    incoming = os.path.realpath(storage.incoming_dir())
    path = os.path.join(incoming, os.path.basename(name))
    try:
        info = os.lstat(path)
    except OSError:
        info = None
    if (
        not name
        or os.path.dirname(os.path.realpath(name)) != incoming
        or info is None
        or not stat.S_ISREG(info.st_mode)
    ):
        raise Refused("The proxy handed over no upload file.", code="upload_handoff")
    return Path(path)
