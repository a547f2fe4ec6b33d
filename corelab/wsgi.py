"""WSGI entry point (gunicorn corelab.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corelab.settings")
application = get_wsgi_application()
