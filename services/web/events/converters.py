"""Registers the id converters once, for api_urls and page_urls (<shake_id:...>, <flood_id:...>, <ash_id:...>, ...)."""

from django.urls import register_converter

from events.ids import AshIdConverter, FloodIdConverter, LanguageConverter, ShakeIdConverter, SourceTypeConverter

register_converter(ShakeIdConverter, "shake_id")
register_converter(FloodIdConverter, "flood_id")
register_converter(AshIdConverter, "ash_id")
register_converter(SourceTypeConverter, "source_type")
register_converter(LanguageConverter, "language")
