"""Playwright (Python) driving Debian's Chromium against the app.

Where the browser goes (``app_url``), by ``E2E_TOPOLOGY``:

- ``serve`` (the default when nginx is installed; bin/test installs it): the production
  topology of ``bin/serve`` (``tests/serve_topology.py``): nginx on a loopback port serving the
  collected static files and sending frame files itself after the app's ``auth_request`` grant,
  in front of gunicorn (gthread) running ``corelab.wsgi`` with DEBUG off and
  ``FRAMES_VIA_PROXY=true``. One per test session. The app server runs the test settings
  (``tests.settings``: the same test database, MEDIA_ROOT, Redis cache and key prefix, queue and
  SECRET_KEY as this process, passed in the environment as to a Celery worker) with
  ``bin/serve``'s production switches on top. It is another process, so tests use
  ``transactional_db`` (committed data) and nothing in-process (``settings`` overrides, the mail
  outbox) reaches it.
- ``live``: Django's ``live_server`` in this process (DEBUG on, the app sends frames itself).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.serve_topology import NGINX, ServedApp, served_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop; Django refuses ORM calls from such a thread
# unless told it is fine (the tests use the ORM only between browser steps).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

TOPOLOGY = os.environ.get("E2E_TOPOLOGY") or ("serve" if NGINX else "live")
if TOPOLOGY not in ("serve", "live"):
    raise pytest.UsageError(f"E2E_TOPOLOGY must be serve or live, not {TOPOLOGY!r}")


@pytest.fixture(scope="session")
def served(django_db_setup: Any, tmp_path_factory: Any) -> Iterator[ServedApp]:
    """bin/serve's nginx + gunicorn for the test database (stopped before it is dropped)."""
    from django.conf import settings

    from tests.integration.conftest import _worker_env

    # A worker's environment (test settings, test database, Redis, queue, SECRET_KEY), with
    # the session's media folder even if the first test overrides settings.MEDIA_ROOT.
    env = {**_worker_env(), "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(settings.MEDIA_ROOT))}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # this process's need (above), not the app's
    with served_app(tmp_path_factory.mktemp("served"), env) as app:
        yield app


if TOPOLOGY == "serve":

    @pytest.fixture
    def app_url(transactional_db: Any, served: ServedApp) -> str:
        """Base URL of the app under test: nginx in front of gunicorn (E2E_TOPOLOGY=serve)."""
        return served.url

else:

    @pytest.fixture
    def app_url(live_server: Any) -> str:
        """Base URL of the app under test: Django's live server (E2E_TOPOLOGY=live)."""
        return str(live_server.url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (bin/test installs it)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=app_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
