"""Alert and MMI badges meet WCAG AA (4.5:1 for their 0.85rem bold text), read from the CSS the pages serve.

The badges' classes come from rendering the real templates (_alert.html, _mmi.html, the map legend), and their
colours from site.css by a small cascade (custom properties, later and more specific rules win), so putting a
colour back (GREEN #1e9e48 with white is 3.48:1, ORANGE #f07f00 2.71:1, MMI IX #ff0000 4.0:1) fails here.
"""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string

from events.page_views import ALERTS, MMI_SCALE, mmi_of
from servers import WEB

CSS = WEB / "events" / "static" / "events" / "site.css"
AA = 4.5


def relative_luminance(colour: str) -> float:
    """WCAG 2.x: sRGB channels linearised, weighted 0.2126 R + 0.7152 G + 0.0722 B."""
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    # The figures for the old colours:
    assert contrast("#1e9e48", "#ffffff") == pytest.approx(3.48, abs=0.01)
    assert contrast("#f07f00", "#ffffff") == pytest.approx(2.71, abs=0.01)
    assert contrast("#ff0000", "#ffffff") == pytest.approx(4.00, abs=0.01)


def top_level_rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of the rules outside @media blocks, in source order."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules, depth, start, selector = [], 0, 0, ""
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selector, start = css[start:index].strip(), index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                if not selector.startswith("@"):
                    body = css[start:index]
                    declarations = dict((k.strip(), v.strip()) for k, _, v in
                                        (part.partition(":") for part in body.split(";") if ":" in part))
                    rules.append(([s.strip() for s in selector.split(",")], declarations))
                start = index + 1
    return rules


def computed(classes: set[str], rules) -> dict[str, str]:
    """color and background of an element with these classes, from rules made only of class selectors."""
    variables = {k: v for selectors, body in rules if ":root" in selectors
                 for k, v in body.items() if k.startswith("--")}
    matched = []
    for order, (selectors, body) in enumerate(rules):
        for selector in selectors:
            parts = re.fullmatch(r"(\.[\w-]+)+", selector) and selector[1:].split(".")
            if parts and set(parts) <= classes:
                matched.append((len(parts), order, body))
    style = {"color": "#1d2733", "background": "transparent"}  # body's ink on no background
    for _, _, body in sorted(matched, key=lambda m: m[:2]):
        for name, value in body.items():
            key = "background" if name in ("background", "background-color") else name
            style[key] = value
    for key, value in style.items():
        while (var := re.fullmatch(r"var\((--[\w-]+)\)", value)):
            value = variables[var.group(1)]
        style[key] = value
    return style


def badge_classes(html: str, base: str) -> list[tuple[set[str], str]]:
    """(classes, text) of each <span class="base ..."> in the html."""
    return [(set(classes.split()), text) for classes, text in
            re.findall(rf'<span class="({base}(?: [\w-]+)*)">([^<]*)</span>', html)]


@pytest.fixture(scope="module")
def rules():
    return top_level_rules(CSS.read_text())


def test_every_alert_badge_meets_aa(rules):
    html = "".join(render_to_string("events/_alert.html", {"row": {"alert": level, "alert_label": str(label)}})
                   for level, label in ALERTS.items())
    html += render_to_string("events/_overview_map.html", {"map": {"markers": [], "outside": 0}})  # the legend
    badges = badge_classes(html, "alert")
    assert {frozenset(c) for c, _ in badges} >= {frozenset({"alert", f"alert-{level}"}) for level in ALERTS} | {
        frozenset({"alert", "alert-none"})}
    ratios = {}
    for classes, text in badges:
        style = computed(classes, rules)
        assert style["background"].startswith("#"), (classes, style)
        ratios[" ".join(sorted(classes))] = round(contrast(style["color"], style["background"]), 2)
    assert all(ratio >= AA for ratio in ratios.values()), ratios


def test_every_mmi_badge_meets_aa(rules):
    ratios = {}
    for index, (roman, colour, _) in enumerate(MMI_SCALE):
        html = render_to_string("events/_mmi.html", {"mmi": mmi_of(index + 1)})
        (classes, text), = badge_classes(html, "mmi")
        assert text == roman
        style = computed(classes, rules)
        assert style["background"].lower() == colour  # the processor's scale, recognisable as on the PDF
        ratios[roman] = round(contrast(style["color"], style["background"]), 2)
    assert all(ratio >= AA for ratio in ratios.values()), ratios


def test_map_contour_labels_follow_the_badges(rules):
    """The detail map's MMI labels (SVG text on the level's colour) use the badges' text colours."""
    css = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    mmi_colour = dict(re.findall(r"\.mmi-colour-(\w+) \{ --mmi: (#[0-9a-fA-F]{6}); \}", css))
    assert len(mmi_colour) == 10
    white = set()
    for selectors, body in rules:
        if body.get("fill", "").lower() in ("#ffffff", "#fff"):
            white |= {m for s in selectors for m in re.findall(r"\.contour-label\.mmi-colour-(\w+) text", s)}
    dark = next(body["fill"] for selectors, body in rules if ".contour-label text" in selectors)
    ratios = {roman: round(contrast("#ffffff" if roman in white else dark, colour), 2)
              for roman, colour in mmi_colour.items()}
    assert all(ratio >= AA for ratio in ratios.values()), ratios
