"""The analysis-data folder: the population and places every analysis reads.

One documented layout, shared by the earthquake and flood sides, so a
sysadmin can swap in a real raster (WorldPop) without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

POPULATION = Path("exposure/population.tif")
FLOOD_POPULATION = Path("exposure/flood_population.gpkg")
PLACES = Path("context/places.geojson")
BASEMAP = Path("context/basemap.tif")
LAND = Path("context/land.geojson")
KELURAHAN = Path("context/kelurahan.geojson")
AIRPORTS = Path("context/airports.geojson")
LANDCOVER = Path("context/landcover")  # any suffix GDAL reads: .shp, .gpkg, .geojson
LANDCOVER_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb")
POPULATION_SOURCE_TAG = "SOURCE"


class AnalysisDataError(FileNotFoundError):
    """The analysis-data folder is missing something; the message says what and how to fix it."""


@dataclass(frozen=True)
class AnalysisData:
    root: Path

    @property
    def population(self) -> Path:
        return self.root / POPULATION

    @property
    def places(self) -> Path:
        return self.root / PLACES

    def _optional(self, relative: Path) -> Path | None:
        path = self.root / relative
        return path if path.exists() else None

    @property
    def basemap(self) -> Path | None:
        return self._optional(BASEMAP)

    @property
    def land(self) -> Path:
        """Land polygons for the maps (written by `realtime data init`); maps without it show sea only."""
        return self.root / LAND

    @property
    def kelurahan(self) -> Path | None:
        """Optional village boundaries drawn on the flood map."""
        return self._optional(KELURAHAN)

    @property
    def airports(self) -> Path | None:
        """Optional airports for the ash analysis (written by `realtime data init`)."""
        return self._optional(AIRPORTS)

    @property
    def landcover(self) -> Path | None:
        """Optional land-cover polygons for the ash analysis: the first context/landcover.* GDAL reads."""
        for suffix in LANDCOVER_SUFFIXES:
            path = self.root / LANDCOVER.with_suffix(suffix)
            if path.is_file():
                return path
        return None

    @property
    def flood_population(self) -> Path | None:
        return self._optional(FLOOD_POPULATION)

    def check(self, need_places: bool = True) -> "AnalysisData":
        needed = (self.population, self.places) if need_places else (self.population,)
        missing = [str(p) for p in needed if not p.is_file()]
        if missing:
            raise AnalysisDataError(
                f"analysis data in {self.root} is incomplete, missing: {', '.join(missing)}. "
                f"Run `realtime data init {self.root}` for the demo data, or see README.md for the layout."
            )
        return self

    def population_source(self) -> str:
        """Who made the population raster, from its SOURCE tag, for report footers."""
        import rasterio  # here, not at import: a CLI refusal should not pay for GDAL

        with rasterio.open(self.population) as dataset:
            return dataset.tags().get(POPULATION_SOURCE_TAG, f"{POPULATION} (source not recorded)")
