"""docker-compose.yml stays valid YAML, its Redis requires a password (issue 13, point 8) and
every variable it requires is documented in .env.example."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_redis_in_docker_compose_requires_a_password():
    redis = _compose()["services"]["redis"]

    command = " ".join(redis["command"])
    assert "--requirepass" in command
    assert "$$REDIS_PASSWORD" in command  # from the environment, not written in the file
    assert redis["environment"]["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])  # the healthcheck logs in


def test_redis_in_docker_compose_every_app_service_connects_with_the_password():
    services = _compose()["services"]

    for name in APP_SERVICES:
        environment = services[name]["environment"]
        for variable in ("REDIS_URL", "CELERY_BROKER_URL"):
            assert re.match(
                r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/\d$", environment[variable]
            ), (
                name,
                variable,
            )


def test_every_variable_docker_compose_requires_is_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()

    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert {"REDIS_PASSWORD", "TRUSTED_PROXIES", "POSTGRES_PASSWORD"} <= required
    for variable in sorted(required):
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable
