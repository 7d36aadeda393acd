"""InaSAFE Realtime: hazard data in, impact reports out, within seconds."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("inasafe-realtime")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

SOFTWARE_NAME = "InaSAFE Realtime"
