"""v_load_temperature_points and v_load_temperature_sensitivity on a hand-made warehouse: the slope, its 95%
confidence interval and r² of a constructed linear case, the hour-of-day x day-type control, and too-few hours."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

from energylake.contracts.tables import DEGREE_BASE_C
from energylake.warehouse import views
from tests.support.warehouse_views import build_warehouse, hour_labels, utc, view_rows

T_975_5_DF = 2.570582  # Student t, two-sided 95%, 5 degrees of freedom (tables)


def _zone_hour(zone: str, start: dt.datetime, degrees_beyond: float, load_mw: float, **flags: Any) -> dict[str, Any]:
    """A zone-hour ``degrees_beyond`` °C above the balance point (negative: below)."""
    return {
        "weather_zone": zone,
        **hour_labels(start),
        "load_mw": load_mw,
        "temperature_2m_c": DEGREE_BASE_C + degrees_beyond,
        "cooling_degree_hours": max(0.0, degrees_beyond),
        "heating_degree_hours": max(0.0, -degrees_beyond),
        "has_load": True,
        "has_weather": True,
        **flags,
    }


# COAST, cooling, load = group level + 50 MW/°C x degree hours + noise orthogonal to the degree hours in each group:
#   HE 14 weekdays (Jul 1-3, 18:00Z):  x = 1, 2, 3  level 1000, noise +1 -2 +1
#   HE 15 weekdays (Jul 1-3, 19:00Z):  x = 2, 4, 6  level 3000, noise +2 -4 +2   (the later hour: warmer AND busier)
#   HE 14 weekend (Jul 6, 7, 13):      x = 4, 5, 6  level    0, noise +1 -2 +1   (weekends are warmer AND quieter)
# Within-group sums: Sxx = 2 + 8 + 2 = 12, Sxy = 50 x 12 = 600 -> slope 50; SSE = 6 + 24 + 6 = 36;
# n = 9, 3 groups, 5 residual degrees of freedom; standard error = sqrt(36 / 5 / 12) = sqrt(0.6).
COAST_GROUPS = (
    ((dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3)), 18, (1.0, 2.0, 3.0), 1000.0, (1.0, -2.0, 1.0)),
    ((dt.date(2024, 7, 1), dt.date(2024, 7, 2), dt.date(2024, 7, 3)), 19, (2.0, 4.0, 6.0), 3000.0, (2.0, -4.0, 2.0)),
    ((dt.date(2024, 7, 6), dt.date(2024, 7, 7), dt.date(2024, 7, 13)), 18, (4.0, 5.0, 6.0), 0.0, (1.0, -2.0, 1.0)),
)


def _coast_rows() -> list[dict[str, Any]]:
    rows = []
    for days, utc_hour, degrees, level, noise in COAST_GROUPS:
        for day, x, e in zip(days, degrees, noise, strict=True):
            rows.append(_zone_hour("COAST", utc(day.year, day.month, day.day, utc_hour), x, level + 50.0 * x + e))
    return rows


@pytest.fixture
def warehouse_path(tmp_path: Path) -> str:
    rows = [
        *_coast_rows(),
        # an hour without weather is no point of the fit, whatever its load
        _zone_hour("COAST", utc(2024, 7, 8, 18), 9.0, 99_999.0, has_weather=False),
        # NORTH heating: two hours of one group (HE 14 weekdays): a slope, but 0 degrees of freedom for an interval
        _zone_hour("NORTH", utc(2024, 7, 1, 18), -1.0, 2030.0),
        _zone_hour("NORTH", utc(2024, 7, 2, 18), -3.0, 2090.0),
        # EAST heating: one hour: no slope at all
        _zone_hour("EAST", utc(2024, 7, 1, 18), -2.0, 1500.0),
    ]
    return build_warehouse(tmp_path, {"energy_weather_hourly": rows})


def test_the_slope_and_its_interval_are_the_hand_computed_ones(warehouse_path: str) -> None:
    # GIVEN the constructed COAST cooling hours (true response 50 MW/°C, hour-of-day and weekend levels confounded)
    # WHEN the sensitivity view is read
    (coast,) = view_rows(warehouse_path, "v_load_temperature_sensitivity", "regime", "weather_zone = 'COAST'")
    # THEN the slope is 50 MW/°C exactly, with slope +/- t(0.975, 5) x sqrt(0.6) as its 95% interval
    assert coast["regime"] == "cooling"
    assert coast["slope_mw_per_c"] == pytest.approx(50.0)
    half_width = T_975_5_DF * math.sqrt(0.6)
    assert coast["slope_standard_error_mw_per_c"] == pytest.approx(math.sqrt(0.6))
    assert coast["slope_ci95_low_mw_per_c"] == pytest.approx(50.0 - half_width, abs=1e-3)
    assert coast["slope_ci95_high_mw_per_c"] == pytest.approx(50.0 + half_width, abs=1e-3)
    assert (coast["hours"], coast["fixed_effect_groups"], coast["residual_degrees_of_freedom"]) == (9, 3, 5)
    # AND r² is the whole model's (1 - SSE / total sum of squares), the within r² the temperature term's
    loads = [row["load_mw"] for row in _coast_rows()]
    mean = sum(loads) / len(loads)
    total = sum((load - mean) ** 2 for load in loads)
    assert coast["r_squared"] == pytest.approx(1.0 - 36.0 / total)
    assert coast["r_squared_within"] == pytest.approx(1.0 - 36.0 / (2500.0 * 12 + 36.0))
    # AND the method is stated in the row itself
    assert coast["method"] == views.LOAD_TEMPERATURE_METHOD
    assert "hour-of-day x day-type" in coast["method"] and "95% CI" in coast["method"]
    assert coast["balance_point_c"] == pytest.approx(DEGREE_BASE_C)


def test_without_the_time_of_day_and_weekend_control_the_same_hours_give_a_wrong_slope(warehouse_path: str) -> None:
    # GIVEN the same points, fitted naively (one pooled least-squares line, what the view used to do)
    points = view_rows(warehouse_path, "v_load_temperature_points", "interval_start_utc", "weather_zone = 'COAST'")
    xs = [p["cooling_degree_hours"] for p in points]
    ys = [p["load_mw"] for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    naive = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    # THEN the pooled slope even has the wrong sign (the warm weekend hours are quiet), while the view's fixed
    # effects recover the true 50 MW/°C
    (coast,) = view_rows(warehouse_path, "v_load_temperature_sensitivity", "regime", "weather_zone = 'COAST'")
    assert naive < 0.0
    assert coast["slope_mw_per_c"] == pytest.approx(50.0)


def test_points_are_the_hours_with_load_and_weather_with_regime_and_day_type(warehouse_path: str) -> None:
    # GIVEN 10 COAST hours, one of them without weather
    points = view_rows(warehouse_path, "v_load_temperature_points", "interval_start_utc", "weather_zone = 'COAST'")
    # THEN the 9 with weather are the points, each with its temperature, load, regime and kind of day
    assert len(points) == 9
    first = points[0]
    assert first["interval_start_utc"] == utc(2024, 7, 1, 18)
    assert (first["operating_day"], first["hour_ending"]) == (dt.date(2024, 7, 1), 14)
    assert first["temperature_c"] == pytest.approx(DEGREE_BASE_C + 1.0) and first["load_mw"] == 1051.0
    assert first["regime"] == "cooling" and first["day_type"] == "weekday"
    assert {p["day_type"] for p in points if p["operating_day"].weekday() >= 5} == {"weekend"}
    assert all(p["load_mw"] != 99_999.0 for p in points)


def test_too_few_hours_give_no_interval_rather_than_a_wrong_one(warehouse_path: str) -> None:
    rows = {r["weather_zone"]: r for r in view_rows(warehouse_path, "v_load_temperature_sensitivity", "weather_zone")}
    # GIVEN NORTH: two heating hours in one group (0 residual degrees of freedom)
    north = rows["NORTH"]
    # THEN the slope is the line through them (30 MW/°C), and the interval is NULL, not zero-width
    assert north["regime"] == "heating" and north["slope_mw_per_c"] == pytest.approx(30.0)
    assert north["residual_degrees_of_freedom"] == 0
    assert north["slope_ci95_low_mw_per_c"] is None and north["slope_ci95_high_mw_per_c"] is None
    # AND EAST's single hour has no slope at all
    east = rows["EAST"]
    assert east["hours"] == 1 and east["slope_mw_per_c"] is None and east["slope_ci95_low_mw_per_c"] is None


@pytest.mark.parametrize(
    ("degrees_of_freedom", "exact"), [(1, 12.706205), (3, 3.182446), (5, 2.570582), (30, 2.042272)]
)
def test_the_t_quantile_the_views_use_is_within_3e_4_of_the_tables(degrees_of_freedom: int, exact: float) -> None:
    import duckdb

    # GIVEN the SQL expression of the 95% two-sided t quantile WHEN evaluated THEN it matches the printed tables
    sql = f"SELECT {views._t975(f'CAST({degrees_of_freedom} AS DOUBLE)')}"  # the expression under test
    ((value,),) = duckdb.execute(sql).fetchall()
    assert value == pytest.approx(exact, abs=3e-4)
