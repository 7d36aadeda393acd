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
    _print_products(console, document, folder)


def _print_products(console: Console, document: dict, folder) -> None:
    products = document["products"]
    files = [name for key, name in products.items() if key != "reports"]
    files += [name for locale in products.get("reports", {}).values() for name in locale.values()]
    console.print(f"Products in [bold]{folder}[/]: " + ", ".join(sorted(set(files))))


def print_flood_summary(console: Console, document: dict, folder) -> None:
    summary = document["summary"]
    console.print(f"[bold]Flood {document['flood_id']}[/]  {document['local_time']} (Asia/Jakarta)  source: {document['source']['name']}")
    console.print(
        f"Affected: [bold]{summary['affected']:,.0f}[/] people  displaced: [bold]{summary['displaced']:,.0f}[/]  "
        f"flooded RWs: {summary['flooded_rw']} (+{summary['caution_rw']} use caution)  villages: {summary['flooded_villages']}"
    )
    classes = Table(title="People per flood class")
    for column in ("Class", "RWs", "Affected", "Displaced"):
        classes.add_column(column, justify="left" if column == "Class" else "right")
    for row in document["classes"]:
        classes.add_row(row["key"], str(row["rw_count"]), f"{row['affected']:,.0f}", f"{row['displaced']:,.0f}")
    console.print(classes)
    villages = Table(title="Most affected villages")
    for column in ("Village", "Flooded RWs", "Affected", "Displaced"):
        villages.add_column(column, justify="left" if column == "Village" else "right")
    for row in document["villages"][:10]:
        villages.add_row(row["name"], str(row["flooded_rw"]), f"{row['affected']:,.0f}", f"{row['displaced']:,.0f}")
    console.print(villages)
    needs = Table(title=f"Minimum needs for {document['needs']['displaced']:,} displaced people")
    for column in ("Item", "Amount", "Frequency"):
        needs.add_column(column, justify="right" if column == "Amount" else "left")
    for item in document["needs"]["items"]:
        needs.add_row(item["name"], f"{item['amount']:,} {item['unit']}".strip(), item["frequency"])
    console.print(needs)
    _print_products(console, document, folder)
