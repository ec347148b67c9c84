"""v_forecast_by_lead, v_forecast_skill, v_system_forecasts_hourly and v_fuel_mix_hourly on a hand-made warehouse:
which vintage each lead picks (including across the fall-back change), and the error statistics by lead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.support.warehouse_views import build_warehouse, hour_labels, utc, view_rows

# Operating day 2024-07-03 (CDT, UTC-5): its day-ahead cutoff is 2024-07-02 10:00 CDT = 15:00Z.
H1 = utc(2024, 7, 3, 15)  # HE 11
H2 = utc(2024, 7, 3, 16)  # HE 12


def _load_forecast(start: dt.datetime, posted: dt.datetime, mw: float, **key: Any) -> dict[str, Any]:
    row = {"model": "E", "in_use": True, "zone_type": "SYSTEM", "zone": "ERCOT", "posted_at_utc": posted}
    return {**row, **key, "interval_start_utc": start, "interval_end_utc": start + dt.timedelta(hours=1),
            "load_forecast_mw": mw}  # fmt: skip


def _system(start: dt.datetime, load_mw: float) -> dict[str, Any]:
    return {**hour_labels(start), "load_mw": load_mw, "load_zones": 8, "has_load": True, "has_prices": False,
            "has_renewables": False, "has_weather": False}  # fmt: skip


# SYSTEM load, actual 50,000 at H1 and 52,000 at H2. Vintages (posted -> forecast):
#   H1: Jun 26 15:00Z 52,000 (lead 168 h)   Jun 30 15:30Z 48,000 (71.5 h)   Jul 1 15:00Z 51,000 (48 h)   -> days_2_7
#       Jul 2 14:30Z 49,000 (before the cutoff: day_ahead)   Jul 2 15:30Z 49,500 (after it: no lead uses it)
#       Jul 3 14:30Z 50,100 (hour_ahead)   Jul 3 15:00Z 70,000 (posted AT the hour's start: not a forecast)
#       model A3, not in use, Jul 3 14:45Z 99,999: ignored
#   H2: Jul 2 14:30Z 52,500 (day_ahead)   Jul 3 15:30Z 51,700 (hour_ahead)
# Errors (forecast - actual): hour_ahead +100, -300; day_ahead -1,000, +500; days_2_7 +2,000, -2,000, +1,000.
LOAD_FORECASTS = [
    _load_forecast(H1, utc(2024, 6, 26, 15), 52_000.0),
    _load_forecast(H1, utc(2024, 6, 30, 15, 30), 48_000.0),
    _load_forecast(H1, utc(2024, 7, 1, 15), 51_000.0),
    _load_forecast(H1, utc(2024, 7, 2, 14, 30), 49_000.0),
    _load_forecast(H1, utc(2024, 7, 2, 15, 30), 49_500.0),
    _load_forecast(H1, utc(2024, 7, 3, 14, 30), 50_100.0),
    _load_forecast(H1, utc(2024, 7, 3, 15), 70_000.0),
    _load_forecast(H1, utc(2024, 7, 3, 14, 45), 99_999.0, model="A3", in_use=False),
    _load_forecast(H2, utc(2024, 7, 2, 14, 30), 52_500.0),
    _load_forecast(H2, utc(2024, 7, 3, 15, 30), 51_700.0),
    # a weather zone's forecast is scored against the zone's actual; a forecast zone has no actual to meet
    _load_forecast(H1, utc(2024, 7, 3, 14, 30), 10_100.0, zone_type="WEATHER", zone="COAST"),
    _load_forecast(H1, utc(2024, 7, 3, 14, 30), 7_000.0, zone_type="FORECAST", zone="HOUSTON"),
]

# Wind across the fall-back change: operating day 2024-11-04 is on CST (UTC-6), so its day-ahead cutoff is
# 2024-11-03 10:00 CST = 16:00Z (a fixed UTC-5 offset would say 15:00Z and pick nothing).
WIND_HOUR = utc(2024, 11, 4, 18)


def _wind(posted: dt.datetime, forecast: float | None, generation: float | None) -> dict[str, Any]:
    return {"resource": "WIND", "region": "SYSTEM", "posted_at_utc": posted, "interval_start_utc": WIND_HOUR,
            "interval_end_utc": WIND_HOUR + dt.timedelta(hours=1), "forecast_mw": forecast,
            "generation_mw": generation}  # fmt: skip


WIND = [
    _wind(utc(2024, 11, 3, 15, 30), 1000.0, None),  # day_ahead (before 16:00Z)
    _wind(utc(2024, 11, 3, 16, 30), 1100.0, None),  # after the cutoff
    _wind(utc(2024, 11, 4, 17, 30), 1200.0, None),  # hour_ahead
    _wind(utc(2024, 11, 4, 19), None, 1240.0),  # an actual, superseded by the next posting's
    _wind(utc(2024, 11, 4, 19, 30), 1300.0, 1250.0),  # the actual; its forecast came after the hour: unused
]


@pytest.fixture
def warehouse_path(tmp_path: Path) -> str:
    return build_warehouse(tmp_path, {
        "ercot_load_forecast": LOAD_FORECASTS,
        "ercot_wind_solar": WIND,
        "system_hourly": [_system(H1, 50_000.0), _system(H2, 52_000.0), _system(WIND_HOUR, 60_000.0)],
        "ercot_load_by_weather_zone": [{"weather_zone": "COAST", "interval_start_utc": H1,
                                        "interval_end_utc": H2, "load_mw": 10_000.0}],
    })  # fmt: skip


def _skill(path: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(r["forecast"], r["area"], r["lead"]): r for r in view_rows(path, "v_forecast_skill", "forecast")}


def test_each_lead_picks_the_vintage_its_definition_names(warehouse_path: str) -> None:
    # WHEN the SYSTEM load forecasts by lead are read
    rows = view_rows(warehouse_path, "v_forecast_by_lead", "lead, interval_start_utc, posted_at_utc",
                     "forecast = 'load' AND area = 'SYSTEM'")  # fmt: skip
    picked = [(r["lead"], r["interval_start_utc"], r["forecast_mw"]) for r in rows]
    # THEN hour-ahead is the latest posted before the hour, day-ahead the latest before 10:00 Central of the day
    # before, days_2_7 every vintage posted 48-168 h ahead; a posting at the hour's start and other models never count
    assert picked == [
        ("day_ahead", H1, 49_000.0), ("day_ahead", H2, 52_500.0),
        ("days_2_7", H1, 52_000.0), ("days_2_7", H1, 48_000.0), ("days_2_7", H1, 51_000.0),
        ("hour_ahead", H1, 50_100.0), ("hour_ahead", H2, 51_700.0),
    ]  # fmt: skip
    # AND each row states its lead time and error
    hour_ahead = rows[-2]
    assert hour_ahead["lead_hours"] == pytest.approx(0.5) and hour_ahead["model"] == "E"
    assert (hour_ahead["actual_mw"], hour_ahead["error_mw"]) == (50_000.0, 100.0)
    assert [r["lead_hours"] for r in rows if r["lead"] == "days_2_7"] == [168.0, 71.5, 48.0]


def test_forecast_skill_by_lead_is_the_hand_computed_error(warehouse_path: str) -> None:
    skill = _skill(warehouse_path)
    # GIVEN errors +100/-300 (hour-ahead), -1,000/+500 (day-ahead), +2,000/-2,000/+1,000 (days 2-7)
    hour_ahead = skill["load", "SYSTEM", "hour_ahead"]
    assert (hour_ahead["hours"], hour_ahead["forecasts"]) == (2, 2)
    assert hour_ahead["mae_mw"] == pytest.approx(200.0) and hour_ahead["bias_mw"] == pytest.approx(-100.0)
    assert hour_ahead["mape_pct"] == pytest.approx(100 * (100 / 50_000 + 300 / 52_000) / 2)
    day_ahead = skill["load", "SYSTEM", "day_ahead"]
    assert day_ahead["mae_mw"] == pytest.approx(750.0) and day_ahead["bias_mw"] == pytest.approx(-250.0)
    days_2_7 = skill["load", "SYSTEM", "days_2_7"]
    assert (days_2_7["hours"], days_2_7["forecasts"]) == (1, 3)
    assert days_2_7["mae_mw"] == pytest.approx(5_000 / 3) and days_2_7["bias_mw"] == pytest.approx(1_000 / 3)
    assert days_2_7["mape_pct"] == pytest.approx(100 * 5_000 / 3 / 50_000)
    assert (days_2_7["min_lead_hours"], days_2_7["max_lead_hours"]) == (48.0, 168.0)
    # AND the weather zone is scored against its own actual; the forecast zone, without one, is not scored
    assert skill["load", "COAST", "hour_ahead"]["mae_mw"] == pytest.approx(100.0)
    assert not [key for key in skill if key[1] == "HOUSTON"]


def test_the_day_ahead_cutoff_follows_central_time_across_the_fall_back_change(warehouse_path: str) -> None:
    # GIVEN wind vintages around 2024-11-03 10:00 CST (16:00Z) for an hour of operating day 2024-11-04
    rows = {r["lead"]: r for r in view_rows(warehouse_path, "v_forecast_by_lead", "lead", "forecast = 'wind'")}
    # THEN day-ahead is the 15:30Z vintage (before 10:00 CST), hour-ahead the last one before the hour
    assert rows["day_ahead"]["forecast_mw"] == 1000.0 and rows["hour_ahead"]["forecast_mw"] == 1200.0
    # AND the actual is the generation of the latest vintage that carries one
    assert rows["hour_ahead"]["actual_mw"] == 1250.0 and rows["day_ahead"]["error_mw"] == -250.0
    assert set(rows) == {"hour_ahead", "day_ahead"}  # posted 24-48 h ahead at most: no days_2_7
    skill = _skill(warehouse_path)
    assert skill["wind", "SYSTEM", "day_ahead"]["bias_mw"] == -250.0


def test_system_forecasts_hourly_puts_each_lead_beside_the_actuals(warehouse_path: str) -> None:
    rows = {r["interval_start_utc"]: r for r in view_rows(warehouse_path, "v_system_forecasts_hourly", "1")}
    h1 = rows[H1]
    assert (h1["load_mw"], h1["load_forecast_hour_ahead_mw"], h1["load_forecast_day_ahead_mw"]) == (
        50_000.0, 50_100.0, 49_000.0
    )  # fmt: skip
    assert (h1["operating_day"], h1["hour_ending"]) == (dt.date(2024, 7, 3), 11)
    assert h1["wind_forecast_hour_ahead_mw"] is None  # no wind vintage for that hour
    wind_hour = rows[WIND_HOUR]
    assert (wind_hour["wind_forecast_hour_ahead_mw"], wind_hour["wind_forecast_day_ahead_mw"]) == (1200.0, 1000.0)
    assert wind_hour["load_forecast_hour_ahead_mw"] is None


def test_fuel_mix_hourly_is_the_mean_of_the_hours_five_minute_values(tmp_path: Path) -> None:
    # GIVEN twelve 5-minute gas values 1,000..1,110 and storage charging at -200 in one hour
    start = H1
    fuel = [
        {"fuel": name, "interval_start_utc": start + dt.timedelta(minutes=5 * k),
         "interval_end_utc": start + dt.timedelta(minutes=5 * k + 5), "generation_mw": mw(k)}
        for k in range(12)
        for name, mw in (("NATURAL_GAS", lambda k: 1000.0 + 10 * k), ("POWER_STORAGE", lambda _k: -200.0))
    ]  # fmt: skip
    path = build_warehouse(tmp_path, {"ercot_fuel_mix": fuel, "system_hourly": [_system(H1, 50_000.0)]})
    rows = view_rows(path, "v_fuel_mix_hourly", "fuel")
    # THEN one row per fuel: the hour's mean, from 12 intervals, labelled with the operating day and hour ending
    assert [(r["fuel"], r["generation_mw"], r["intervals"]) for r in rows] == [
        ("NATURAL_GAS", 1055.0, 12), ("POWER_STORAGE", -200.0, 12)
    ]  # fmt: skip
    assert {(r["interval_start_utc"], r["operating_day"], r["hour_ending"]) for r in rows} == {
        (H1, dt.date(2024, 7, 3), 11)
    }
