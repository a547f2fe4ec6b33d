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
