from django.contrib import admin

from events.models import Earthquake, EarthquakeReport, Flood, FloodReport

admin.site.register([Earthquake, EarthquakeReport, Flood, FloodReport])
