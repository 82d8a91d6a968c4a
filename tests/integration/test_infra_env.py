"""infra/production.env.example starts the service: production mode, no GraphiQL, no
introspection, passwords that are not the defaults, and every setting it names a real one."""

from __future__ import annotations

import os

import httpx
from dotenv import dotenv_values

from district_ppm.config import PROJECT_ROOT, Settings
from tests.support.live_server import serving

ENV_FILE = PROJECT_ROOT / "infra" / "production.env.example"
PREFIX = "DISTRICT_PPM_"
INTROSPECTION = "{ __schema { queryType { name } } }"


def example_environment() -> dict[str, str]:
    values = dotenv_values(ENV_FILE)
    assert values, f"{ENV_FILE} names no variable"
    assert all(value is not None for value in values.values())
    return {key: str(value) for key, value in values.items()}


def settings_of(environment: dict[str, str]) -> Settings:
    # Init values, not the process environment: the test run's own DISTRICT_PPM_* must not mix in.
    return Settings(
        **{
            key.removeprefix(PREFIX).lower(): value
            for key, value in environment.items()
            if key.startswith(PREFIX)
        }
    )


def process_environment(**overrides: str) -> dict[str, str]:
    """This machine's environment less every DISTRICT_PPM_* of the test run, plus the example's."""
    base = {key: value for key, value in os.environ.items() if not key.startswith(PREFIX)}
    return {**base, **example_environment(), **{PREFIX + k: v for k, v in overrides.items()}}


def test_every_variable_of_the_example_is_a_setting_the_service_reads():
    names = {
        key.removeprefix(PREFIX).lower() for key in example_environment() if key.startswith(PREFIX)
    }
    others = {key for key in example_environment() if not key.startswith(PREFIX)}

    assert names - set(Settings.model_fields) == set()  # a misspelt name would be ignored
    assert others == {"FORWARDED_ALLOW_IPS"}  # read by uvicorn itself


def test_the_example_is_production_without_graphiql_or_introspection_or_default_passwords():
    settings = settings_of(example_environment())
    defaults = Settings.model_fields

    assert settings.environment == "production"
    assert (settings.graphql_ide, settings.graphql_introspection) == (False, False)
    for password in ("app_db_password", "jobs_db_password"):
        value = getattr(settings, password)
        assert value != defaults[password].default and len(value) >= 24
    # The API and worker never sign in as the owner: its password is not in their environment.
    assert settings.admin_url.password is None


def test_the_example_environment_alone_starts_the_service():
    with serving(process_environment()) as base_url:
        live = httpx.get(f"{base_url}/health/live", timeout=5)

    assert (live.status_code, live.json()) == (200, {"status": "ok"})


async def test_with_this_machines_database_and_redis_it_serves_without_graphiql(settings, factory):
    # Given the example environment, pointed at the test run's database and Redis
    _, token = await factory.district(name="Infra District")
    environment = process_environment(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        QUEUE_NAMESPACE=settings.queue_namespace,
        APP_DB_PASSWORD=settings.app_db_password,
        JOBS_DB_PASSWORD=settings.jobs_db_password,
    )
    auth = {"Authorization": f"Bearer {token}"}

    with serving(environment) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            ready = await http.get("/health/ready")
            page = await http.get("/graphql", headers={"Accept": "text/html"})
            asset = await http.get("/static/graphiql/graphiql.min.js")
            me = await http.post("/graphql", json={"query": "{ me { role } }"}, headers=auth)
            schema = await http.post("/graphql", json={"query": INTROSPECTION}, headers=auth)

    # Then it is ready, answers queries, and offers neither GraphiQL nor introspection
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "postgres": "ok", "redis": "ok"},
    )
    assert me.json() == {"data": {"me": {"role": "DISTRICT_ADMIN"}}}
    assert "graphiql" not in page.text.lower() and page.status_code != 200
    assert asset.status_code == 404
    assert schema.json().get("data") is None and schema.json()["errors"]
