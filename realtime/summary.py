"""Readable terminal summaries of an impact document, for duty officers."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from realtime.earthquake.mmi import CLASS_BY_ROMAN

ALERT_STYLES = {"green": "bold green", "yellow": "bold yellow", "orange": "bold dark_orange", "red": "bold red"}


def print_shake_summary(console: Console, document: dict, folder) -> None:
    event = document["event"]
    console.print(
        f"[bold]Shake {document['shake_id']}[/] ({document['source_type']})  "
        f"M {event['magnitude']:.1f}  depth {event['depth_km']:g} km  {event['time']} ({event['timezone']})"
    )
    location = document.get("location")
    console.print(f"{event['description']}" + (f" - {location['text']}" if location else ""))

    exposure = Table(title="People exposed per MMI class", show_lines=False)
    exposure.add_column("MMI")
    exposure.add_column("Shaking")
    exposure.add_column("People", justify="right")
    for roman, people in document["exposure"].items():
        if people >= 0.5:
            exposure.add_row(roman, CLASS_BY_ROMAN[roman].shaking, f"{people:,.0f}")
    exposure.add_row("all", "", f"{document['exposure_total']:,.0f}", style="bold")
    console.print(exposure)

    fatalities = document["fatalities"]
    style = ALERT_STYLES.get(fatalities["alert"], "bold")
    console.print(
        f"Estimated fatalities ({fatalities['name']}): [bold]{fatalities['range']}[/] "
        f"(expected {fatalities['total']:,.1f})  alert: [{style}]{fatalities['alert'].upper()}[/]"
    )

    places = Table(title=f"Most affected places ({document['places_in_extent']} in the map area)")
    for column, justify in (("Place", "left"), ("Population", "right"), ("MMI", "right"), ("From epicentre", "left")):
        places.add_column(column, justify=justify)
    for place in document["places"]:
        places.add_row(
            place["name"],
            f"{place['population']:,}",
            f"{place['mmi']:.1f}",
            f"{place['distance_km']:.0f} km {place['direction']}",
        )
    console.print(places)
    products = document["products"]
    files = [name for key, name in products.items() if key != "reports"]
    files += [name for locale in products.get("reports", {}).values() for name in locale.values()]
    console.print(f"Products in [bold]{folder}[/]: " + ", ".join(sorted(set(files))))
