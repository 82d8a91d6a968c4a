"""Settings from the environment, every name prefixed with ``DISTRICT_PPM_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISTRICT_PPM_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # A user allowed to create the database, its roles and run migrations (the owner).
    database_url: str = "postgresql://postgres@127.0.0.1:5432/district_ppm"
    # The restricted role the API and workers use: no superuser, no owner, no BYPASSRLS.
    app_db_role: str = "district_ppm_app"
    app_db_password: str = "district_ppm_app"
    # The outbox relay and nightly scheduler's own role: it alone may claim and mark every
    # district's jobs, list the districts and purge job history; it reads no tenant table.
    jobs_db_role: str = "district_ppm_jobs"
    jobs_db_password: str = "district_ppm_jobs"
    db_pool_size: int = 10
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Dramatiq keys live under this namespace; tests use their own so parallel runs never mix.
    queue_namespace: str = "district-ppm"
    graphql_ide: bool = True
    graphql_introspection: bool = True
    max_query_depth: int = 10
    max_query_aliases: int = 20
    max_query_tokens: int = 5000
    max_query_cost: int = 50_000
    # Request budgets, enforced in Redis with GCRA (api/rate_limit.py): a sustained rate per
    # minute and a burst admitted at once. Each token has one budget for GraphQL and a tighter
    # one for CSV imports (each can hold hundreds of thousands of rows); requests without a
    # valid token share one budget per client IP.
    rate_limit_per_minute: int = Field(default=1200, ge=1)
    rate_limit_burst: int = Field(default=200, ge=1)
    import_rate_limit_per_minute: int = Field(default=30, ge=1)
    import_rate_limit_burst: int = Field(default=10, ge=1)
    anonymous_rate_limit_per_minute: int = Field(default=120, ge=1)
    anonymous_rate_limit_burst: int = Field(default=30, ge=1)
    # Answers to repeated GraphQL reads, kept in Redis under each district's data version
    # (api/response_cache.py): a committed write makes every earlier answer unreachable; the
    # time to live only bounds the memory. Off: every request is executed.
    response_cache: bool = True
    response_cache_ttl_seconds: int = Field(default=300, ge=1)
    # Largest GraphQL request body: a full 10,000-value recordMeasurements batch is ~1.2 MB.
    graphql_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    log_level: str = "INFO"
    token_ttl_days: int = 365
    # Where `make run` keeps a PostgreSQL or Redis it had to start itself.
    local_data_dir: Path = Field(default=PROJECT_ROOT / ".local")
    outbox_poll_seconds: float = 0.5
    worker_threads: int = 4
    # A dead worker's unacknowledged messages return to the queue after this long.
    worker_heartbeat_ms: int = 60_000
    # Hour (UTC) of the nightly full recompute of every district.
    nightly_recompute_hour_utc: int = 7
    # Dispatched outbox rows and job runs older than this are purged nightly.
    job_history_days: int = 30

    @property
    def admin_url(self) -> URL:
        return make_url(self.database_url)

    @property
    def app_url(self) -> URL:
        return self.admin_url.set(username=self.app_db_role, password=self.app_db_password)

    @property
    def jobs_url(self) -> URL:
        return self.admin_url.set(username=self.jobs_db_role, password=self.jobs_db_password)

    @property
    def database_name(self) -> str:
        name = self.admin_url.database
        if not name:
            raise ValueError("DISTRICT_PPM_DATABASE_URL must name a database")
        return name


@lru_cache
def get_settings() -> Settings:
    return Settings()


def asyncpg_url(url: URL) -> str:
    """The SQLAlchemy URL for the asyncpg driver, whatever scheme the user wrote."""
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
