"""The project frame: compose file, settings, health endpoint, the layer contract, roles."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from backoffice.roles import ORDER_STAFF, STORE_ADMIN

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service(compose):
    assert {"web", "worker", "beat", "postgres", "redis", "mailpit", "migrate"} <= set(
        compose["services"]
    )


def test_worker_and_beat_run_the_project_celery_app_with_the_web_settings(compose):
    services = compose["services"]
    web_env = services["web"]["environment"]
    for name, verb in (("worker", "worker"), ("beat", "beat")):
        command = services[name]["command"]
        assert command.split()[:4] == ["celery", "-A", "backoffice", verb]
        assert services[name]["environment"] == web_env
        assert services[name]["image"] == services["web"]["image"]
    assert web_env["DATABASE_URL"].startswith("postgres://")
    assert web_env["DATABASE_URL"].split("@")[1].startswith("postgres:")
    assert web_env["REDIS_URL"].startswith("redis://redis:")
    assert web_env["EMAIL_URL"].startswith("smtp://mailpit:")


def test_migrations_run_once_in_a_one_shot_service_that_web_and_worker_wait_for(compose):
    """Issue 10: `--scale web=3` ran `migrate` in every web container at once."""
    services = compose["services"]
    assert "migrate" in services["migrate"]["command"]
    assert services["migrate"]["restart"] == "no"
    assert "gunicorn backoffice.wsgi" in services["web"]["command"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert "migrate" not in services[name]["command"]
        assert services[name]["restart"] == "unless-stopped"


def test_the_systemd_units_restart_the_worker_and_beat_always():
    for unit in ("backoffice-worker.service", "backoffice-beat.service"):
        text = (ROOT / "deploy" / "systemd" / unit).read_text()
        assert "Restart=always" in text and "celery -A backoffice" in text


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps({k: getattr(settings, k) for k in "
        "['DEBUG','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS','CELERY_TASK_ALWAYS_EAGER','CELERY_BROKER_URL','TIME_ZONE',"
        "'STORE_CURRENCY','ALLOWED_HOSTS']}))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "BACKOFFICE_TESTING"}
    }
    base.update(DJANGO_SETTINGS_MODULE="backoffice.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_in_subprocess({"DATABASE_URL": os.environ["DATABASE_URL"]})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "change-me-in-production-use-a-long-random-string",  # docker-compose.yml's old default
        "insecure-local-development-key-never-use-in-production",  # the DEBUG fallback
        "django-insecure-+r0m#d9kq0u4!f@x1y$v2w3z^a5b6c7d8e9f0g1h2i3j4k5l6",  # startproject's
        "too-short-a-key-1234",
        "a" * 60,  # long, but one character
    ],
)
def test_production_refuses_a_placeholder_secret_key(key):
    result = _settings_in_subprocess(
        {"DATABASE_URL": os.environ["DATABASE_URL"], "SECRET_KEY": key}
    )
    assert result.returncode != 0
    assert "SECRET_KEY is a placeholder or too weak" in result.stderr


def test_compose_requires_the_secret_key_from_the_environment(compose):
    assert compose["services"]["web"]["environment"]["SECRET_KEY"] == (
        "${SECRET_KEY:?set SECRET_KEY to a long random string (see README)}"
    )


def test_production_defaults_are_safe_and_come_from_the_environment():
    result = _settings_in_subprocess(
        {
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "SECRET_KEY": "k3Jq9-Vx_pL2mZ7wT0bN4cR8yH1sD6fG5aE9uW3iO7qK2nM0xB",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "STORE_TIMEZONE": "America/Chicago",
            "STORE_CURRENCY": "cad",
            "ALLOWED_HOSTS": "shop.example,admin.shop.example",
        }
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] > 0
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert values["TIME_ZONE"] == "America/Chicago"
    assert values["STORE_CURRENCY"] == "CAD"
    assert values["ALLOWED_HOSTS"] == ["shop.example", "admin.shop.example"]


def test_without_redis_tasks_run_in_process():
    result = _settings_in_subprocess(
        {"DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "1", "REDIS_URL": ""}
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["CELERY_TASK_ALWAYS_EAGER"] is True


def test_layer_contract_between_apps_holds():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.django_db
def test_health_reports_database_and_broker(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_health_fails_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "group", "is_staff"), [("staff", ORDER_STAFF, False), ("admin", STORE_ADMIN, True)]
)
def test_create_user_command_gives_exactly_one_role(role, group, is_staff):
    call_command("create_user", "jo", role=role, password="a-long-password")
    user = get_user_model().objects.get(username="jo")
    assert list(user.groups.values_list("name", flat=True)) == [group]
    assert user.is_staff is is_staff
    assert user.check_password("a-long-password")


@pytest.mark.django_db
def test_create_user_command_refuses_a_short_password():
    with pytest.raises(CommandError, match="at least 8"):
        call_command("create_user", "jo", role="staff", password="short")
    assert not get_user_model().objects.filter(username="jo").exists()


@pytest.mark.django_db
def test_create_user_command_switches_role_rather_than_adding_one():
    call_command("create_user", "jo", role="admin", password="a-long-password")
    call_command("create_user", "jo", role="staff", password="a-long-password")
    user = get_user_model().objects.get(username="jo")
    assert list(user.groups.values_list("name", flat=True)) == [ORDER_STAFF]
    assert user.is_staff is False


def test_manage_py_names_a_configuration_error_instead_of_a_django_internal_one():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "BACKOFFICE_TESTING"}
    }
    env.update(DJANGO_SETTINGS_MODULE="backoffice.settings")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Configuration error: SECRET_KEY must be set when DEBUG is off." in result.stderr
    assert "AppRegistryNotReady" not in result.stderr


@pytest.mark.django_db
def test_workers_health_says_whether_a_worker_and_beat_were_seen_lately(client, settings):
    from django.core.cache import cache

    from notifications import tasks

    cache.delete_many([tasks.WORKER_SEEN, tasks.BEAT_SEEN])
    response = client.get(reverse("health_workers"))
    assert response.status_code == 503
    assert response.json()["checks"] == {"worker": "error: never seen", "beat": "error: never seen"}

    tasks.sweep_when_the_worker_starts(sender=None)  # a worker started: no beat yet
    checks = client.get(reverse("health_workers")).json()["checks"]
    assert checks["worker"].startswith("ok") and checks["beat"] == "error: never seen"

    tasks.sweep()  # beat's sweep ran on the worker
    assert client.get(reverse("health_workers")).status_code == 200
    cache.set(tasks.BEAT_SEEN, 0, None)
    response = client.get(reverse("health_workers"))
    assert response.status_code == 503 and "last seen" in response.json()["checks"]["beat"]
