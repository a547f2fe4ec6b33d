"""Test overrides of corelab.settings: fast hashing, isolated media, Redis DB and queue.

Celery is NOT eager here: integration tests run a real worker process. The values that a
worker subprocess (or the browser tests' app server) must share with the test process (media
folder, queue, secret key) are put into the environment, which the subprocess inherits.
"""

import os
import tempfile
import uuid

os.environ.setdefault("REDIS_URL", "redis://localhost:6379/15")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="corelab-test-media-"))
os.environ.setdefault("CELERY_QUEUE", f"corelab-test-{uuid.uuid4().hex[:10]}")
# Not the development key: the browser tests' app server runs with DEBUG off, which refuses
# it, and must sign (sessions, UID hashes) with the same key as the test process and workers.
os.environ.setdefault("SECRET_KEY", f"tests-only-{uuid.uuid4().hex}")

from corelab.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "1000/min"}}  # noqa: F405
# A Redis database of its own for the cache, cleared before every test (tests/conftest.py).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("TEST_CACHE_URL", "redis://localhost:6379/14"),
        "KEY_PREFIX": os.environ["CELERY_QUEUE"],
    }
}
