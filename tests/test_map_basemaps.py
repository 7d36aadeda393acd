"""The optional basemap under the flood and ash maps, in a projected CRS as real relief rasters often are: it must
show through, read over the map's lon/lat bounds turned into the raster's CRS. Drawn from the real products into
figures (not saved: the session's products stay as the processor wrote them)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_bounds

from realtime.reporting.map_parts import MapContext


def relief_in_web_mercator(path: Path, west: float, south: float, east: float, north: float) -> Path:
    """A 300 x 300 ramp from black in the west to white in the east covering the lon/lat box, stored in EPSG:3857."""
    to_mercator = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (x0, x1), (y0, y1) = to_mercator.transform([west, east], [south, north])
    ramp = np.tile(np.linspace(0, 255, 300, dtype=np.uint8), (300, 1))
    with rasterio.open(path, "w", driver="GTiff", width=300, height=300, count=1, dtype="uint8", crs="EPSG:3857",
                       transform=from_bounds(x0, y0, x1, y1, 300, 300)) as dataset:
        dataset.write(ramp, 1)
    return path


def pixels(figure_and_axes) -> np.ndarray:
    """The map's axes area as RGB, rows from the top."""
    fig, ax = figure_and_axes
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba(), dtype=int)[..., :3]
    box = ax.get_window_extent()
    height = image.shape[0]
    plt.close(fig)
    return image[round(height - box.y1):round(height - box.y0), round(box.x0):round(box.x1)]


def west_and_east_change(draw, basemap: Path) -> tuple[float, float]:
    """How much the basemap changes the west and the east half of the map, on average per pixel and channel."""
    plain, with_basemap = pixels(draw(MapContext(None, None))), pixels(draw(MapContext(None, None, basemap)))
    assert plain.shape == with_basemap.shape
    change = np.abs(plain - with_basemap)
    middle = change.shape[1] // 2
    return float(change[:, :middle].mean()), float(change[:, middle:].mean())


def test_a_projected_basemap_shows_under_the_flood_map(flood_products, tmp_path):
    from realtime.reporting.flood_map import flood_map_figure

    basemap = relief_in_web_mercator(tmp_path / "basemap.tif", 106.4, -6.6, 107.2, -5.9)  # all of Jakarta and more
    document = flood_products.impact
    west, east = west_and_east_change(lambda context: flood_map_figure(flood_products.folder, document, context), basemap)
    assert west > east + 5 and east > 0.5  # the ramp is black in the west, white in the east: it shows, and in place


def test_a_projected_basemap_shows_under_the_ash_map(ash_products, tmp_path):
    from realtime.reporting.ash_map import ash_map_figure
    from realtime.reporting.ash_report import table_places

    basemap = relief_in_web_mercator(tmp_path / "basemap.tif", 108.5, -9.5, 112.5, -5.5)  # Merapi, 110.44 E 7.54 S
    document = ash_products.impact
    places = table_places(document)
    west, east = west_and_east_change(lambda context: ash_map_figure(ash_products.folder, document, context, places),
                                      basemap)
    assert west > east + 5 and east > 0.5
