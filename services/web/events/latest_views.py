"""Stable links to the newest earthquake report, for pages that embed it (InaSAFE Django had these).

/realtime/latest/earthquake/<lang>.pdf and .png redirect (302) to the report file of the newest published
version: the latest origin time, its corrected version before its initial one. Never cached, so an embed
follows each new event; a 404 says in words why there is nothing to show.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from events.models import EarthquakeReport

LANGUAGES = ("en", "id")
FILES = {"pdf": "report_pdf", "png": "report_image"}


def _not_found(message: str) -> HttpResponse:
    return HttpResponseNotFound(f"{message}\n", content_type="text/plain; charset=utf-8")


def newest_report(language: str, kind: str) -> EarthquakeReport | None:
    """The report file of this kind and language of the newest published version that has one."""
    file_field = FILES[kind]
    corrected_first = Case(When(earthquake__source_type="corrected", then=Value(1)), default=Value(0),
                           output_field=IntegerField())
    return (EarthquakeReport.objects.filter(language=language, earthquake__published_at__isnull=False)
            .exclude(**{file_field: ""}).select_related("earthquake")
            .order_by("-earthquake__time", corrected_first.desc(), "-earthquake__published_at", "-earthquake__pk")
            .first())


@never_cache
def latest_earthquake_report(request: HttpRequest, language: str, kind: str) -> HttpResponse:
    if language not in LANGUAGES:
        return _not_found(gettext("No such language “%(language)s”: use en or id.") % {"language": language[:10]})
    report = newest_report(language, kind)
    if report is None:
        return _not_found(gettext("No earthquake report has been published in this language yet."))
    return HttpResponseRedirect(getattr(report, FILES[kind]).url)
