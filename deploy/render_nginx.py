"""Write an nginx configuration for the production topology outside Docker (bin/serve, the
tests): ``deploy/nginx.conf.template``'s ``${NAME}`` filled in, wrapped in a main context that
runs nginx unprivileged in the foreground with its own temporary and log paths.

Usage: ``python deploy/render_nginx.py OUT_DIR LISTEN APP_UPSTREAM MEDIA_ROOT STATIC_ROOT``
(LISTEN: e.g. ``127.0.0.1:8080``; APP_UPSTREAM: e.g. ``127.0.0.1:8001``; the environment's
``UPLOAD_PROXY_TOKEN``, when set, lets nginx write raw uploads to files for the app). Prints
the path of the configuration written (start it with ``nginx -c PATH -p OUT_DIR``).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NAMES = ("LISTEN", "APP_UPSTREAM", "MEDIA_ROOT", "STATIC_ROOT")
DEFAULTS = {"FRAME_CACHE_MAX_AGE_S": "3600", "UPLOAD_PROXY_TOKEN": ""}
# What the app accepts as UPLOAD_PROXY_TOKEN (corelab/settings.py): nothing nginx could misread.
TOKEN = re.compile(r"(?:[A-Za-z0-9_-]{32,})?")


def site(values: dict[str, str]) -> str:
    """The template with the known ``${NAME}``s replaced (nginx's own ``$vars`` untouched)."""
    text = TEMPLATE.read_text()
    for name, value in {**DEFAULTS, **values}.items():
        text = text.replace("${" + name + "}", value)
    return text


def render(
    out_dir: Path, values: dict[str, str], *, workers: int = 2, user: str | None = None
) -> Path:
    """The configuration file for ``values`` (``NAMES``). ``user``: whom nginx's workers run
    as when it is started by root (default ``nobody``, which must be able to read the media
    and static folders)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "logs", "grants"):
        (out_dir / sub).mkdir(exist_ok=True)
    (out_dir / "grants").chmod(0o700)  # cache keys hold credentials
    if os.geteuid() == 0:  # nginx's workers (``user``, else nobody) write the grant cache
        shutil.chown(out_dir / "grants", user=user or "nobody")
    # Raw uploads nginx writes itself (UPLOAD_PROXY_TOKEN): in MEDIA_ROOT/incoming, where the
    # app takes them from (storage.incoming_dir), on the filesystem of its staging folder.
    token = values.get("UPLOAD_PROXY_TOKEN", "")
    if not TOKEN.fullmatch(token):
        raise ValueError("UPLOAD_PROXY_TOKEN must be empty or 32+ letters, digits, - or _")
    incoming = Path(values["MEDIA_ROOT"]) / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    incoming.chmod(0o700)  # uploads hold patient details until ingest removes them
    if os.geteuid() == 0:
        shutil.chown(incoming, user=user or "nobody")
    values = {"GRANT_CACHE_DIR": str(out_dir / "grants"), "UPLOAD_DIR": str(incoming), **values}
    mime_types = Path("/etc/nginx/mime.types")
    types = f"include {mime_types};" if mime_types.exists() else "types { image/jpeg jpg; }"
    user_line = f"user {user};" if user else ""
    conf = f"""# written by deploy/render_nginx.py
{user_line}
worker_processes {workers};
daemon off;
pid {out_dir}/nginx.pid;
error_log {out_dir}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    {types}
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {out_dir}/tmp/body;
    proxy_temp_path {out_dir}/tmp/proxy;
    fastcgi_temp_path {out_dir}/tmp/fastcgi;
    uwsgi_temp_path {out_dir}/tmp/uwsgi;
    scgi_temp_path {out_dir}/tmp/scgi;
{site(values)}
}}
"""
    path = out_dir / "nginx.conf"
    path.write_text(conf)
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, *rest = argv[1:]
    values = dict(zip(NAMES, rest, strict=True))
    values["UPLOAD_PROXY_TOKEN"] = os.environ.get("UPLOAD_PROXY_TOKEN", "")
    print(render(Path(out_dir).resolve(), values))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
