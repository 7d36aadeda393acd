"""Empirical fatality models: exposed people per MMI class times a death rate.

The models are data (rates per class) plus one generic estimator, so a new
calibration is a new table, not new code. Rates are 0 below MMI IV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from realtime.earthquake.mmi import ROMANS
from realtime.text import N_

# PAGER empirical model for Indonesia (Jaiswal & Wald 2010; usgs/pager fatality.xml, ccode ID).
PAGER_THETA = 13.248768
PAGER_BETA = 0.150846
PAGER_G = 1.714702

# ITB 2012 (Allen 2009 form): rate = 10 ** (x * mmi - y).
ITB_X = 0.62275231
ITB_Y = 8.03314466

# ITB Bayesian (Sengara et al.): medians of the 15,999 simulated rates per class, as InaSAFE 4 uses.
ITB_BAYESIAN_MEDIANS = {
    6: 3.41733122522e-05,
    7: 0.000387804494226,
    8: 0.001851451786,
    9: 0.00787294191661,
    10: 0.0314512157378,
}

# PAGER alert thresholds on estimated fatalities: (lower bound, level).
ALERT_LEVELS = ((1000, "red"), (100, "orange"), (1, "yellow"), (0, "green"))
RANGE_BOUNDS = (100, 1000, 10000, 100000)
PROBABILITY_BINS = ((0, 1), (1, 10), (10, 100), (100, 1000), (1000, 10000), (10000, 100000), (100000, 1e12))


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def pager_rate(mmi: float) -> float:
    return _normal_cdf(math.log(mmi / PAGER_THETA) / PAGER_BETA)


def itb_rate(mmi: float) -> float:
    return 10 ** (ITB_X * mmi - ITB_Y)


def _rates(formula) -> dict[int, float]:
    return {k: (formula(k) if k >= 4 else 0.0) for k in range(1, 11)}


@dataclass(frozen=True)
class FatalityModel:
    key: str
    name: str
    rates: dict[int, float]  # MMI class 1..10 -> deaths per exposed person


_PAGER_RATES = _rates(pager_rate)
_PAGER_RATES[10] = _PAGER_RATES[9]  # PAGER treats MMI X as IX

FATALITY_MODELS: dict[str, FatalityModel] = {
    "itb_bayesian": FatalityModel(
        "itb_bayesian", N_("ITB Bayesian"), {k: ITB_BAYESIAN_MEDIANS.get(k, 0.0) for k in range(1, 11)}
    ),
    "itb": FatalityModel("itb", N_("ITB"), _rates(itb_rate)),
    "pager": FatalityModel("pager", N_("PAGER Indonesia"), _PAGER_RATES),
}
DEFAULT_MODEL = "itb_bayesian"


@dataclass(frozen=True)
class FatalityEstimate:
    model: str
    name: str
    by_mmi: dict[str, float]
    total: float
    rounded: int
    range: str
    alert: str
    probabilities: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "name": self.name,
            "total": self.total,
            "rounded": self.rounded,
            "range": self.range,
            "alert": self.alert,
            "by_mmi": self.by_mmi,
            "probabilities": self.probabilities,
        }


def population_rounding(value: float) -> int:
    """Round up to 10 below 1,000, to 100 below 100,000, else to 1,000."""
    step = 10 if value < 1000 else 100 if value < 100000 else 1000
    return int(math.ceil(value / step) * step)


def fatality_range(total: float) -> str:
    lower = 0
    for upper in RANGE_BOUNDS:
        if total < upper:
            return f"{lower} - {upper}"
        lower = upper
    return f"> {RANGE_BOUNDS[-1]}"


def alert_level(total: float) -> str:
    return next(level for bound, level in ALERT_LEVELS if total >= bound)


def probability_label(low: float, high: float) -> str:
    return f"{int(low)}+" if high >= 1e12 else f"{int(low)}-{int(high)}"


def fatality_probabilities(expected: float, g: float = PAGER_G) -> dict[str, int]:
    """Percent chance of each fatality bin, PAGER's log-normal spread around `expected`."""
    e = expected + 1e-5
    if e < 1 and g > 1.7:
        g = 1.7613
    if expected <= 1e-5:
        e = 0.5
    shares = []
    for low, high in PROBABILITY_BINS:
        upper = _normal_cdf((math.log(high) - math.log(e)) / g)
        lower = 0.0 if low == 0 else _normal_cdf((math.log(low) - math.log(e)) / g)
        shares.append(max(0.0, upper - lower) * 100)
    percents = round_to_sum(shares, 100)
    return {probability_label(low, high): p for (low, high), p in zip(PROBABILITY_BINS, percents)}


def round_to_sum(values: list[float], total: int) -> list[int]:
    """Largest-remainder rounding, so displayed percentages add up."""
    scale = total / sum(values) if sum(values) > 0 else 0
    scaled = [v * scale for v in values]
    floors = [math.floor(v) for v in scaled]
    order = sorted(range(len(values)), key=lambda i: scaled[i] - floors[i], reverse=True)
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    return floors


def estimate_fatalities(exposure: dict[str, float], model: str = DEFAULT_MODEL) -> FatalityEstimate:
    """Fatalities per class and in total for people exposed per MMI class (keys I..X)."""
    try:
        chosen = FATALITY_MODELS[model]
    except KeyError:
        raise ValueError(f"unknown fatality model {model!r}; choose from {sorted(FATALITY_MODELS)}") from None
    by_mmi = {r: float(exposure.get(r, 0.0)) * chosen.rates[k] for k, r in enumerate(ROMANS, start=1)}
    total = float(sum(by_mmi.values()))
    return FatalityEstimate(
        model=chosen.key,
        name=chosen.name,
        by_mmi=by_mmi,
        total=total,
        rounded=population_rounding(total),
        range=fatality_range(total),
        alert=alert_level(total),
        probabilities=fatality_probabilities(total),
    )
