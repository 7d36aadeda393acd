"""Fatality rates and estimates against the published values."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from conftest import EQ
from realtime.earthquake.fatalities import (
    FATALITY_MODELS,
    alert_level,
    estimate_fatalities,
    fatality_probabilities,
    fatality_range,
    pager_rate,
    population_rounding,
    round_to_sum,
)


def same_to_3_sig_figs(value: float, reference: float) -> bool:
    """The notes print 4 figures; agreeing to 3 means within half a unit of the third."""
    return abs(value - reference) <= 0.5 * 10 ** (math.floor(math.log10(abs(reference))) - 2)


# Rates from the reference notes (anchors.md table, InaSAFE definitions).
ITB = {4: 2.870e-6, 5: 1.204e-5, 6: 5.051e-5, 7: 2.119e-4, 8: 8.889e-4, 9: 3.729e-3, 10: 1.565e-2}
PAGER_ID = {6: 7.55e-8, 7: 1.17e-5, 8: 4.13e-4, 9: 5.18e-3, 10: 3.11e-2}

# The ITB Bayesian model's own simulation table (earthquake.md §2.4): 15,999 rows of simulated fatality rates,
# one column per MMI IV..X. Despite "log" in its name the values are rates, not log10 (InaSAFE 4 uses the plain
# column medians).
ITB_BAYESIAN_SIMULATIONS = EQ / "worden_berngamma_log_fat_rate_inasafe_10.csv"


@pytest.fixture(scope="module")
def simulated_medians(fixtures) -> dict[str, float]:
    """Median of each column of the CSV, keyed by the roman class of its MMI."""
    with ITB_BAYESIAN_SIMULATIONS.open(newline="") as stream:
        table = np.array([[float(v) for v in row] for row in csv.reader(stream)])
    assert table.shape == (15999, 7)
    return {roman: float(np.median(table[:, n])) for n, roman in enumerate(("IV", "V", "VI", "VII", "VIII", "IX", "X"))}


def test_itb_bayesian_rates_are_the_medians_of_its_simulations(simulated_medians):
    one_per_class = {roman: 1.0 for roman in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")}
    rates = estimate_fatalities(one_per_class, "itb_bayesian").by_mmi  # one person per class: deaths = rate
    for roman, median in simulated_medians.items():
        assert abs(rates[roman] - median) <= 1e-12, (roman, rates[roman], median)
        assert f"{rates[roman]:.11e}" == f"{median:.11e}", roman  # and the same to 12 significant figures
    assert simulated_medians["IV"] == simulated_medians["V"] == 0.0  # most simulations give no deaths below VI
    assert all(rates[roman] == 0 for roman in ("I", "II", "III"))


def test_itb_rates_match_the_notes_to_three_significant_figures():
    rates = FATALITY_MODELS["itb"].rates
    for mmi, rate in ITB.items():
        assert same_to_3_sig_figs(rates[mmi], rate), (mmi, rates[mmi])
    assert all(rates[mmi] == 0 for mmi in (1, 2, 3))


def test_pager_rates_match_the_notes_and_treat_x_as_ix():
    for mmi, rate in PAGER_ID.items():
        assert same_to_3_sig_figs(pager_rate(mmi), rate), (mmi, pager_rate(mmi))
    rates = FATALITY_MODELS["pager"].rates
    assert rates[10] == rates[9]
    assert all(rates[mmi] == 0 for mmi in (1, 2, 3))


def test_pager_worked_example_is_931_deaths_and_orange():
    estimate = estimate_fatalities({"VIII": 1_000_000, "IX": 100_000}, "pager")
    assert round(estimate.by_mmi["VIII"]) == 413
    assert round(estimate.by_mmi["IX"]) == 518
    assert round(estimate.total) == 931
    assert estimate.alert == "orange"
    assert estimate.range == "100 - 1000"
    assert estimate.rounded == 940  # display rounding: up to the next 10 below 1,000


def test_default_model_is_itb_bayesian_and_sums_classes(simulated_medians):
    exposure = {"V": 5e6, "VI": 1e6, "VII": 2e5}
    estimate = estimate_fatalities(exposure)
    assert estimate.model == "itb_bayesian"
    assert estimate.total == pytest.approx(1e6 * simulated_medians["VI"] + 2e5 * simulated_medians["VII"], rel=1e-11)
    assert estimate.by_mmi["V"] == 0


def test_unknown_model_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown fatality model 'hazus'"):
        estimate_fatalities({}, "hazus")


@pytest.mark.parametrize(
    "total, expected_range, alert",
    [(0, "0 - 100", "green"), (0.9, "0 - 100", "green"), (1, "0 - 100", "yellow"), (99.9, "0 - 100", "yellow"),
     (100, "100 - 1000", "orange"), (999, "100 - 1000", "orange"), (1000, "1000 - 10000", "red"),
     (12345, "10000 - 100000", "red"), (100000, "> 100000", "red")],
)
def test_ranges_and_alert_levels(total, expected_range, alert):
    assert fatality_range(total) == expected_range
    assert alert_level(total) == alert


@pytest.mark.parametrize("value, rounded", [(0, 0), (3.2, 10), (10, 10), (999.1, 1000), (1001, 1100), (123456, 124000)])
def test_population_rounding(value, rounded):
    assert population_rounding(value) == rounded


def test_probabilities_are_percentages_that_add_up_and_peak_near_the_estimate():
    for expected in (0.0, 0.5, 30, 931, 25_000):
        bins = fatality_probabilities(expected)
        assert sum(bins.values()) == 100
        assert list(bins) == ["0-1", "1-10", "10-100", "100-1000", "1000-10000", "10000-100000", "100000+"]
    bins = fatality_probabilities(931)
    assert max(bins, key=bins.get) == "100-1000"
    # P(100 <= L < 1000) for e=931, G=1.714702, by hand from the normal CDF
    phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    by_hand = (phi((math.log(1000) - math.log(931)) / 1.714702) - phi((math.log(100) - math.log(931)) / 1.714702)) * 100
    assert abs(bins["100-1000"] - by_hand) <= 1
    assert fatality_probabilities(0)["0-1"] > 60


def test_round_to_sum_keeps_the_total():
    assert round_to_sum([33.3, 33.3, 33.4], 100) == [33, 33, 34]
    assert sum(round_to_sum([12.5, 12.5, 75.0], 100)) == 100
