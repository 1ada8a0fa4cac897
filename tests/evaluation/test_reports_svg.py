"""The report's small SVG helpers: bins, axes and the forest plot's markup."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from prodready.evaluation.reports._svg import ForestRow, bins, domain, forest_plot, histogram, scale


def test_whole_numbers_get_one_bin_each() -> None:
    assert bins([0, 3, 3, 1]) == [(0, 0, 1), (1, 1, 1), (2, 2, 0), (3, 3, 2)]


def test_fractions_in_the_unit_interval_get_ten_bins_of_a_tenth() -> None:
    found = bins([0.05, 0.5, 0.55, 1.0])
    assert len(found) == 10 and found[0][:2] == (0.0, 0.1)
    assert [n for *_, n in found] == [1, 0, 0, 0, 0, 2, 0, 0, 0, 1]


def test_wide_ranges_get_equal_bins_and_non_finite_values_are_left_out() -> None:
    found = bins([100.5 + i * 10 for i in range(30)] + [math.inf, math.nan])
    assert len(found) == 6 and sum(n for *_, n in found) == 30
    assert found[0][0] == 100.5 and found[-1][1] == 390.5


def test_rates_are_drawn_on_zero_to_one_and_numbers_on_their_padded_range() -> None:
    assert domain(ForestRow(label="r", estimate=0.9, verdict="pass", rate=True)) == (0.0, 1.0)
    lo, hi = domain(ForestRow(label="ms", estimate=2000, low=1800, high=2200, verdict="pass"))
    assert (round(lo), round(hi)) == (1768, 2232)
    assert domain(ForestRow(label="c", estimate=0.002, verdict="report")) == (0.001, 0.003)


def test_scale_maps_and_clamps_to_the_plot() -> None:
    assert scale(0.5, 0, 1, 100, 300) == 200
    assert (scale(-3, 0, 1, 100, 300), scale(math.inf, 0, 1, 100, 300)) == (100, 300)


def test_forest_plot_is_well_formed_escaped_svg_with_a_row_per_metric() -> None:
    rows = [
        ForestRow(
            label="<b>&", estimate=0.8, low=0.6, high=0.9, target=0.85, op=">=", verdict="fail"
        ),
        ForestRow(label="ok", estimate=None, verdict="fail"),
    ]
    root = ET.fromstring(forest_plot(rows))
    groups = root.findall("g")
    assert [g.get("data-metric") for g in groups] == ["<b>&", "ok"]
    assert groups[0].find("line[@class='target']") is not None
    assert groups[0].find("rect[@class='fail-zone']") is not None
    assert "no estimate" in [t.text for t in groups[1].iter("text")]


def test_histogram_says_when_there_are_no_values() -> None:
    root = ET.fromstring(histogram([], title="tone"))
    assert root.find("rect") is None and "no values" in [t.text for t in root.iter("text")]


def test_an_unbounded_side_is_drawn_to_the_edge_and_labelled_infinite() -> None:
    row = ForestRow(
        label="p95",
        estimate=2024.0,
        low=1840.0,
        high=math.inf,
        target=2500.0,
        op="<=",
        verdict="fail",
    )
    (group,) = ET.fromstring(forest_plot([row])).findall("g")
    assert group.find("polyline[@class='whisker unbounded']") is not None
    assert "2024 [1840, ∞] fail" in [t.text for t in group.iter("text")]
