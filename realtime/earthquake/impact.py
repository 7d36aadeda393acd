"""One earthquake's impact: the steps chained, and the impact.json document.

`analyse_shake` is the whole analysis as one pure call; each step lives in its
own module (exposure, fatalities, places, contours) with plain inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from realtime import SOFTWARE_NAME, __version__
from realtime.analysis_data import AnalysisData
from realtime.earthquake.contours import mmi_contours
from realtime.earthquake.exposure import Exposure, population_per_mmi_class
from realtime.earthquake.fatalities import DEFAULT_MODEL, FATALITY_MODELS, FatalityEstimate, estimate_fatalities
from realtime.earthquake.grid import ShakeGrid
from realtime.earthquake.places import Location, PlaceImpact, affected_places, load_places, locate_epicentre

IMPACT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ImpactOptions:
    fatality_model: str = DEFAULT_MODEL
    places_limit: int = 5
    location_min_population: int = 10000


@dataclass(frozen=True)
class ShakeImpact:
    grid: ShakeGrid
    exposure: Exposure
    fatalities: FatalityEstimate
    fatality_models: dict[str, FatalityEstimate]
    places: list[PlaceImpact]  # every place in the footprint, most shaken first
    location: Location | None
    contours: dict
    population_source: str
    options: ImpactOptions = field(default_factory=ImpactOptions)

    def as_dict(self, generated_at: datetime | None = None) -> dict:
        event = self.grid.event
        spec = self.grid.spec
        return {
            "schema_version": IMPACT_SCHEMA_VERSION,
            "shake_id": event.shake_id,
            "source_type": event.source_type,
            "event": {
                "magnitude": event.magnitude,
                "depth_km": event.depth_km,
                "latitude": event.latitude,
                "longitude": event.longitude,
                "time": event.time.isoformat(),
                "timezone": event.timezone,
                "description": event.description,
                "event_type": event.event_type,
                "process_timestamp": event.process_timestamp,
            },
            "grid": {
                "lon_min": spec.lon_min,
                "lat_min": spec.lat_min,
                "lon_max": spec.lon_max,
                "lat_max": spec.lat_max,
                "nlon": spec.nlon,
                "nlat": spec.nlat,
                "max_mmi": round(float(self.grid.mmi.max()), 2),
            },
            "exposure": self.exposure.as_dict(),
            "exposure_total": self.exposure.total,
            "fatalities": self.fatalities.as_dict(),
            "fatality_models": {key: estimate.as_dict() for key, estimate in self.fatality_models.items()},
            "places": [place.as_dict() for place in self.places[: self.options.places_limit]],
            "places_in_extent": len(self.places),
            "location": self.location.as_dict() if self.location else None,
            "sources": {"shaking": "BMKG", "population": self.population_source, "places": "GeoNames"},
            "software": {"name": SOFTWARE_NAME, "version": __version__},
            "generated_at": generated_at.isoformat() if generated_at else None,
            "products": {},
        }


def analyse_shake(grid: ShakeGrid, data: AnalysisData, options: ImpactOptions | None = None) -> ShakeImpact:
    options = options or ImpactOptions()
    if options.fatality_model not in FATALITY_MODELS:
        raise ValueError(f"unknown fatality model {options.fatality_model!r}; choose from {sorted(FATALITY_MODELS)}")
    data.check()
    exposure = population_per_mmi_class(grid.spec, grid.mmi, data.population)
    places = load_places(data.places)
    epicentre = (grid.event.longitude, grid.event.latitude)
    models = {key: estimate_fatalities(exposure.by_class, key) for key in FATALITY_MODELS}
    return ShakeImpact(
        grid=grid,
        exposure=exposure,
        fatalities=models[options.fatality_model],
        fatality_models=models,
        places=affected_places(grid.spec, grid.mmi, places, epicentre),
        location=locate_epicentre(places, epicentre, options.location_min_population),
        contours=mmi_contours(grid.spec, grid.mmi),
        population_source=data.population_source(),
        options=options,
    )
