"""docker-compose.yml describes the production stack (no Docker engine runs here, so the file
is checked for the parts the platform relies on)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_runs_postgres_redis_web_and_worker() -> None:
    services = load()["services"]
    assert set(services) >= {"db", "redis", "web", "worker"}
    assert "healthcheck" in services["db"]
    assert any("/var/lib/postgresql/data" in v for v in services["db"]["volumes"])
    assert (
        "gunicorn" in " ".join(services["web"]["command"])
        if isinstance(services["web"]["command"], list)
        else "gunicorn" in services["web"]["command"]
    )
    assert services["worker"]["command"][:4] == ["celery", "-A", "corelab", "worker"]


def test_web_and_worker_wait_for_healthy_services_and_share_settings() -> None:
    services = load()["services"]
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        env = services[name]["environment"]
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
    # web and worker must read and write the same media volume (uploads, frames)
    assert set(services["worker"]["volumes"]) <= set(services["web"]["volumes"])


def test_every_name_the_nginx_template_uses_is_set_for_the_nginx_service() -> None:
    """The nginx image fills in only the variables its environment defines: a name left out
    stays ``${NAME}`` in the configuration and nginx refuses to start."""
    import re

    template = (ROOT / "deploy/nginx.conf.template").read_text().splitlines()
    code = "\n".join(line for line in template if not line.lstrip().startswith("#"))
    names = set(re.findall(r"\$\{([A-Z_]+)\}", code))
    assert names >= {"LISTEN", "APP_UPSTREAM", "UPLOAD_PROXY_TOKEN", "UPLOAD_DIR"}
    assert names <= set(load()["services"]["nginx"]["environment"])
