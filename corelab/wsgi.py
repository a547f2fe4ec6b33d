"""WSGI entry point (gunicorn corelab.wsgi).

What a worker's first requests would otherwise import lazily is imported here, when the
worker boots: the URL configuration (with it every view, serializer and service module) and
the Celery producer's transport and serializer modules. Measured on a 2-core machine, a
fresh worker's first request waited ~0.6 s for them, its first upload ~0.13 s more. No
connection is opened here (with ``--preload`` a connection would be shared across forks)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corelab.settings")
application = get_wsgi_application()


def _import_ahead() -> None:
    from django.urls import get_resolver

    from corelab.celery import app

    get_resolver().url_patterns  # noqa: B018 - the attribute access imports the URLconf
    connection = app.connection_for_write()  # not connected until used
    try:
        connection.transport  # noqa: B018 - imports the transport (kombu's Redis)
        app.amqp.producer_pool  # noqa: B018
    finally:
        connection.release()


_import_ahead()
