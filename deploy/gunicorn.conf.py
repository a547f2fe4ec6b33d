"""gunicorn's settings in the production topology: ``bin/serve``, the Dockerfile and compose, and
the app the browser tests drive (``tests/serve_topology.py``). Start it with
``gunicorn corelab.wsgi --config deploy/gunicorn.conf.py --bind HOST:PORT``.

Environment: ``WEB_WORKERS`` [2] processes × ``WEB_THREADS`` [8] threads each (gthread).
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
# Above nginx's upstream keepalive_timeout (20 s, deploy/nginx.conf.template): nginx must never
# reuse a connection the app is closing, or a POST answers 502.
keepalive = 30
timeout = 120


def post_worker_init(worker: object) -> None:
    """The worker has loaded the app; resolving the URLconf imports every view and serializer
    it will use. Those objects live as long as the worker, yet Python's cyclic
    collector walks all of them in every full (oldest-generation) collection: 250,000 objects,
    ~130 ms with the GIL held, so every request of the process stalls while it runs (issue 13:
    bench/load.py's save p95). ``gc.freeze`` moves them to a permanent generation the
    collector skips; what requests allocate is collected as before (full collections of a
    worker measured 95–163 ms before, 5–27 ms after)."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views (lazy until the first request)
    gc.collect()
    gc.freeze()
