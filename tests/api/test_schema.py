"""The OpenAPI schema is served and valid."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path: Any, db: Any) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in [
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/studies/",
        "/api/v1/studies/{id}/members/",
        "/api/v1/studies/{id}/pullbacks/",
        "/api/v1/pullbacks/{id}/",
        "/api/v1/pullbacks/{id}/frames/{frame}",
        "/api/v1/pullbacks/{id}/assign/",
        "/api/v1/pullbacks/{id}/auto-annotations/",
        "/api/v1/reads/",
        "/api/v1/reads/{id}/annotations/",
        "/api/v1/reads/{id}/submit/",
        "/api/v1/adjudications/",
        "/api/v1/adjudications/{id}/resolve/",
        "/api/v1/studies/{id}/consensus/",
        "/api/v1/studies/{id}/export/",
        "/api/v1/studies/{id}/agreement/",
        "/api/v1/audit/",
    ]:
        assert path in text, path


def test_schema_endpoint_answers_signed_in_users(world: Any, api: Any) -> None:
    assert api(world.reader_a).get("/api/schema/").status_code == 200


def test_token_auth_works_for_clients(world: Any, api: Any) -> None:
    r = api(None).post(
        "/api/v1/auth/token/", {"username": "reader_a", "password": world.password}, format="json"
    )
    assert r.status_code == 200
    token = r.json()["token"]
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/me/").json()
    assert me["username"] == "reader_a"
    assert me["memberships"] == [
        {"study": world.study.pk, "study_code": "trial", "role": "analyst"}
    ]


def test_wrong_credentials_get_a_clear_error(world: Any, api: Any) -> None:
    r = api(None).post(
        "/api/v1/auth/token/", {"username": "reader_a", "password": "x"}, format="json"
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_credentials"
