"""The one settings object, read from the environment in one place.

Variable names are those of the original InaSAFE Realtime deployments, so an
existing docker-compose or Rancher stack carries over; new ones start with
``REALTIME_``.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from realtime.ids import CORRECTED_ID_PATTERN, INITIAL_ID_PATTERN

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    analysis_data_dir: Path = Field(Path("var/analysis-data"), validation_alias="ANALYSIS_DATA_DIR")
    shakemaps_dir: Path = Field(Path("var/shakemaps"), validation_alias="SHAKEMAPS_DIR")
    shakemaps_corrected_dir: Path | None = Field(None, validation_alias="SHAKEMAPS_CORRECTED_DIR")
    shakemaps_extract_dir: Path = Field(Path("var/shakemaps-extracted"), validation_alias="SHAKEMAPS_EXTRACT_DIR")
    shakemaps_corrected_extract_dir: Path | None = Field(
        None, validation_alias="SHAKEMAPS_CORRECTED_EXTRACT_DIR"
    )
    floodmaps_dir: Path = Field(Path("var/floodmaps"), validation_alias="FLOODMAPS_DIR")
    hazard_drop_dir: Path = Field(Path("var/hazard-drop"), validation_alias="REALTIME_HAZARD_DROP")
    flood_extract_dir: Path = Field(Path("var/floodmaps-extracted"), validation_alias="REALTIME_FLOOD_EXTRACT_DIR")
    ashmaps_dir: Path = Field(Path("var/ashmaps"), validation_alias="ASHMAPS_DIR")  # the hazard files, as copied
    ash_extract_dir: Path | None = Field(None, validation_alias="REALTIME_ASH_EXTRACT_DIR")  # see ash_products_dir
    petabencana_url: str = Field("https://data.petabencana.id/floods", validation_alias="REALTIME_PETABENCANA_URL")
    petabencana_admin: str = Field("", validation_alias="REALTIME_PETABENCANA_ADMIN")  # e.g. ID-JK instead of city=jbd
    petabencana_timeout: float = Field(30.0, validation_alias="REALTIME_PETABENCANA_TIMEOUT")
    locale: str = Field("en,id", validation_alias="INASAFE_LOCALE")
    templates_dir: Path | None = Field(None, validation_alias="REALTIME_TEMPLATES_DIR")  # default: the checkout's

    broker_url: str = Field("redis://localhost:6379/0", validation_alias="INASAFE_REALTIME_BROKER_HOST")
    result_backend: str = Field("", validation_alias="REALTIME_RESULT_BACKEND")  # default: derived from the broker
    rest_url: str = Field("", validation_alias="INASAFE_REALTIME_REST_URL")
    rest_user: str = Field("", validation_alias="INASAFE_REALTIME_REST_USER")
    rest_password: SecretStr = Field(SecretStr(""), validation_alias="INASAFE_REALTIME_REST_PASSWORD")
    rest_timeout: float = Field(60.0, validation_alias="REALTIME_REST_TIMEOUT")

    state_dir: Path = Field(Path("var/state"), validation_alias="REALTIME_STATE_DIR")  # local disk, not NFS
    monitor_polling: bool = Field(False, validation_alias="REALTIME_MONITOR_POLLING")
    poll_interval: float = Field(2.0, validation_alias="REALTIME_MONITOR_POLL_INTERVAL")
    settle_seconds: float = Field(3.0, validation_alias="REALTIME_SETTLE_SECONDS")
    reconcile_seconds: float = Field(300.0, validation_alias="REALTIME_RECONCILE_SECONDS")
    reconcile_max_age_days: float = Field(7.0, validation_alias="REALTIME_RECONCILE_MAX_AGE_DAYS")
    initial_id_pattern: str = Field(INITIAL_ID_PATTERN + r"\Z", validation_alias="REALTIME_INITIAL_ID_PATTERN")
    corrected_id_pattern: str = Field(
        CORRECTED_ID_PATTERN + r"\Z", validation_alias="REALTIME_CORRECTED_ID_PATTERN"
    )
    max_attempts: int = Field(3, validation_alias="REALTIME_MAX_ATTEMPTS")
    retry_delay: float = Field(60.0, validation_alias="REALTIME_RETRY_DELAY")  # doubles each attempt
    task_soft_time_limit: int = Field(600, validation_alias="REALTIME_TASK_SOFT_TIME_LIMIT")
    task_time_limit: int = Field(660, validation_alias="REALTIME_TASK_TIME_LIMIT")
    visibility_timeout: int = Field(0, validation_alias="REALTIME_VISIBILITY_TIMEOUT")  # 0: twice the time limit
    push_retry_max: float = Field(600.0, validation_alias="REALTIME_PUSH_RETRY_MAX")
    push_max_age_hours: float = Field(72.0, validation_alias="REALTIME_PUSH_MAX_AGE_HOURS")  # then dead
    monitor_health_port: int = Field(8081, validation_alias="REALTIME_MONITOR_HEALTH_PORT")
    worker_health_port: int = Field(8080, validation_alias="REALTIME_WORKER_HEALTH_PORT")
    health_host: str = Field("127.0.0.1", validation_alias="REALTIME_HEALTH_HOST")  # 0.0.0.0 for Rancher checks

    fatality_model: str = Field("itb_bayesian", validation_alias="REALTIME_FATALITY_MODEL")
    places_limit: int = Field(5, validation_alias="REALTIME_PLACES_LIMIT")
    location_min_population: int = Field(10000, validation_alias="REALTIME_LOCATION_MIN_POPULATION")

    @property
    def petabencana_params(self) -> dict[str, str]:
        """The documented /floods query; the newer API takes admin=ID-JK instead of city=jbd."""
        area = {"admin": self.petabencana_admin} if self.petabencana_admin else {"city": "jbd"}
        return {**area, "geoformat": "geojson", "format": "json", "minimum_state": "1"}

    @property
    def locales(self) -> list[str]:
        """Report languages: English always, plus those in INASAFE_LOCALE (comma separated) that have a catalog.
        One without (a typo) is left out with a warning: it must not stop the English report."""
        from realtime.reporting.i18n import catalog_paths
        from realtime.reporting.report_parts import default_templates_dir

        templates = self.templates_dir or default_templates_dir()
        wanted = [part.strip() for part in self.locale.split(",") if part.strip()]
        unknown = [name for name in wanted if name != "en" and not (
            re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?", name)  # a locale code, never a path
            and any(path.exists() for path in catalog_paths(templates, name)))]
        if unknown:
            log.warning("INASAFE_LOCALE: no report catalog for %s in %s; English and the others are made",
                        ", ".join(repr(name[:20]) for name in unknown), templates / "locale")
        return list(dict.fromkeys(["en", *(name for name in wanted if name not in unknown)]))

    @property
    def push_configured(self) -> bool:
        return bool(self.rest_url and self.rest_user and self.rest_password.get_secret_value())

    def watched_dirs(self) -> list[tuple[Path, str]]:
        """(folder, source type) pairs the monitor watches."""
        dirs = [(self.shakemaps_dir, "initial")]
        if self.shakemaps_corrected_dir:
            dirs.append((self.shakemaps_corrected_dir, "corrected"))
        return dirs

    def masked(self) -> dict[str, str]:
        """Every effective setting by its environment name, secrets masked, for `realtime config`."""
        shown = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                value = f"{scheme}://********@{rest.rsplit('@', 1)[1]}"  # credentials inside a URL
            shown[field.validation_alias or name] = "" if value is None else str(value)
        return shown

    @property
    def ash_products_dir(self) -> Path:
        """Where <ash_id>/ products go: on the ashmaps volume beside the kept rasters unless set apart."""
        return self.ash_extract_dir or self.ashmaps_dir / "extracted"

    def extract_dir_for(self, source_type: str) -> Path:
        if source_type == "corrected" and self.shakemaps_corrected_extract_dir:
            return self.shakemaps_corrected_extract_dir
        return self.shakemaps_extract_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
