"""The one settings object, read from the environment in one place.

Variable names are those of the original InaSAFE Realtime deployments, so an
existing docker-compose or Rancher stack carries over; new ones start with
``REALTIME_``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    flood_extract_dir: Path = Field(Path("var/floodmaps-extracted"), validation_alias="REALTIME_FLOOD_EXTRACT_DIR")
    petabencana_url: str = Field("https://data.petabencana.id/floods", validation_alias="REALTIME_PETABENCANA_URL")
    petabencana_admin: str = Field("", validation_alias="REALTIME_PETABENCANA_ADMIN")  # e.g. ID-JK instead of city=jbd
    petabencana_timeout: float = Field(30.0, validation_alias="REALTIME_PETABENCANA_TIMEOUT")
    locale: str = Field("en,id", validation_alias="INASAFE_LOCALE")

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
        """Report languages: English always, plus those in INASAFE_LOCALE (comma separated)."""
        wanted = [part.strip() for part in self.locale.split(",") if part.strip()]
        return list(dict.fromkeys(["en", *wanted]))

    def extract_dir_for(self, source_type: str) -> Path:
        if source_type == "corrected" and self.shakemaps_corrected_extract_dir:
            return self.shakemaps_corrected_extract_dir
        return self.shakemaps_extract_dir


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
