"""The compose stack puts the app behind nginx and tells it so (issue 12, finding 4)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_is_reached_only_through_nginx_and_trusts_exactly_it() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    # Published web port would let a client write X-Forwarded-For that the app then trusts.
    assert "ports" not in services["web"]
    assert services["nginx"]["ports"]
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"].endswith("1}")
    conf = (ROOT / "deploy" / "nginx.conf.template").read_text()
    assert services["nginx"]["environment"]["APP_UPSTREAM"] == "web:8000"
    assert "server ${APP_UPSTREAM};" in conf and "proxy_pass http://corelab_app;" in conf
    # Frames go through nginx only after the app's check: the location is internal.
    assert services["web"]["environment"]["FRAMES_VIA_PROXY"] == "true"
    frames = conf.split("location /_frames/ {", 1)[1].split("}", 1)[0]
    assert "internal;" in frames
    # Appends the peer address: the last entry is the one nginx saw, whatever the client sent.
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in conf


def test_trusted_proxy_count_defaults_to_zero_outside_compose() -> None:
    from corelab import settings

    assert settings.TRUSTED_PROXY_COUNT == 0 or "TRUSTED_PROXY_COUNT" in __import__("os").environ
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT
