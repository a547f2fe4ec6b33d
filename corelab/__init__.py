"""Project wiring. Importing the Celery app here binds tasks to it when Django starts."""

from .celery import app as celery_app

__all__ = ["celery_app"]
