"""The sample source's synthetic world: Texas-like numbers with the relationships analysts look for."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics

import pytest

from energylake.contracts.zones import WEATHER_ZONES, WeatherZone
from energylake.sample import world
from energylake.sample.ercot_reports import day_slots
from energylake.timeconv import local_day_bounds_utc

SEED = 20241103


def hours_of(first: dt.date, days: int) -> list[world.GridHour]:
    return [hour for offset in range(days) for hour in world.grid_day(SEED, first + dt.timedelta(days=offset))]


def correlation(xs: list[float], ys: list[float]) -> float:
    return statistics.correlation(xs, ys)


@pytest.mark.parametrize("zone", WEATHER_ZONES)
def test_zone_load_rises_with_heat_in_summer_and_with_cold_in_winter(zone: WeatherZone) -> None:
    for first, warm, expected_sign in ((dt.date(2024, 7, 1), True, 1), (dt.date(2024, 1, 1), False, -1)):
        pairs = [
            (world.zone_weather(SEED, zone, hour.start).temperature_2m, hour.zone(zone)) for hour in hours_of(first, 31)
        ]
        pairs = [(t, load) for t, load in pairs if (t > 20.0 if warm else t < 15.0)]
        assert len(pairs) > 200, (zone, first)
        r = correlation([t for t, _ in pairs], [load for _, load in pairs])
        assert r * expected_sign > 0.25, (zone, first, r)


def test_system_load_is_in_plausible_ranges_by_season() -> None:
    summer = [hour.load for hour in hours_of(dt.date(2024, 7, 1), 31)]
    mild = [hour.load for hour in hours_of(dt.date(2024, 4, 1), 30)]
    winter = [hour.load for hour in hours_of(dt.date(2024, 1, 1), 31)]
    assert 70_000 <= max(summer) <= 90_000
    assert min(summer) >= 30_000
    assert 40_000 <= statistics.mean(mild) <= 55_000
    assert max(mild) < max(summer)
    assert 42_000 <= statistics.mean(winter) <= 60_000
    # COAST and NORTH_CENTRAL are the big zones, NORTH the smallest (FAR_WEST carries oil-field load); all in range.
    hours = hours_of(dt.date(2024, 7, 1), 31)
    means = {zone: statistics.mean(hour.zone(zone) for hour in hours) for zone in WEATHER_ZONES}
    assert sorted(means, key=means.__getitem__)[-2:] in (["COAST", "NORTH_CENTRAL"], ["NORTH_CENTRAL", "COAST"])
    assert min(means, key=means.__getitem__) == "NORTH"
    assert all(0 < hour.zone(zone) < 60_000 for hour in hours for zone in WEATHER_ZONES)


def test_wind_generation_increases_with_100m_wind_speed() -> None:
    hours = hours_of(dt.date(2024, 3, 1), 61)
    west = list(world.WIND_REGIONS).index("West")
    bins: dict[int, list[float]] = {}
    for hour in hours:
        bins.setdefault(int(hour.wind_speed[west] // 2), []).append(hour.wind_region[west])
    means = [statistics.mean(values) for _, values in sorted(bins.items()) if len(values) >= 10]
    assert len(means) >= 4
    assert all(a <= b for a, b in itertools.pairwise(means)), means
    assert means[-1] > 5 * max(means[0], 1.0)
    assert 0 < max(hour.wind for hour in hours) <= world.WIND_INSTALLED_MW
    speeds = [sum(hour.wind_speed) for hour in hours]
    assert correlation(speeds, [hour.wind for hour in hours]) > 0.7


def test_solar_is_zero_at_night_and_tracks_irradiance() -> None:
    hours = hours_of(dt.date(2024, 6, 1), 14)
    for hour in hours:
        local = hour.start.astimezone(world_central())
        if local.hour < 5 or local.hour >= 22:
            assert hour.solar == 0.0 and hour.irradiance == 0.0, hour.start
    assert max(hour.solar for hour in hours) > 15_000
    assert all(hour.solar <= world.SOLAR_INSTALLED_MW for hour in hours)
    day = [hour for hour in hours if hour.irradiance > 0]
    assert correlation([hour.irradiance for hour in day], [hour.solar for hour in day]) > 0.95


def world_central() -> dt.tzinfo:
    from energylake.timeconv import CENTRAL

    return CENTRAL


def test_rt_hub_price_rises_with_net_load() -> None:
    hours = hours_of(dt.date(2024, 6, 1), 92)
    prices = []
    for hour in hours:
        quarters = [world.rt_price(SEED, "HB_NORTH", hour.start + dt.timedelta(minutes=15 * q)) for q in range(4)]
        prices.append((hour.net_load, statistics.mean(quarters)))
    prices.sort()
    top = [price for _, price in prices[-len(prices) // 10 :]]
    median = statistics.median(price for _, price in prices)
    assert statistics.mean(top) > 2 * median
    assert all(-1000 <= price <= 10_000 for _, price in prices)
    # The day-ahead market is smoother than real time.
    rt = [world.rt_price(SEED, "HB_NORTH", hour.start) for hour in hours]
    dam = [world.dam_price(SEED, "HB_NORTH", hour.start) for hour in hours]
    rt_steps = statistics.mean(abs(b - a) for a, b in itertools.pairwise(rt))
    dam_steps = statistics.mean(abs(b - a) for a, b in itertools.pairwise(dam))
    assert dam_steps < rt_steps


def test_prices_go_negative_sometimes_and_hubs_differ_by_small_spreads() -> None:
    hours = hours_of(dt.date(2024, 3, 1), 61)
    north = [world.rt_price(SEED, "HB_NORTH", hour.start) for hour in hours]
    west = [world.rt_price(SEED, "HB_WEST", hour.start) for hour in hours]
    assert any(price < 0 for price in north + west)
    spreads = [w - n for w, n in zip(west, north, strict=True)]
    assert statistics.median(abs(spread) for spread in spreads) < 15
    assert statistics.mean(spreads) < 0  # the windy west prices below the north on average


def test_forecast_errors_grow_with_lead_time() -> None:
    delivery = dt.datetime(2024, 11, 5, 18, tzinfo=dt.UTC)

    def spread(lead_hours: int) -> float:
        errors = []
        for shift in range(200):
            target = delivery + dt.timedelta(hours=shift)
            posted = target - dt.timedelta(hours=lead_hours)
            errors += [abs(f - 1.0) for f in world.load_forecast_factor(SEED, "E", posted, target, 8)]
        return statistics.mean(errors)

    assert spread(2) < spread(48) < spread(160)
    assert spread(2) < 0.02 and spread(160) < 0.12


def test_the_world_is_deterministic_and_has_no_global_state() -> None:
    moment = dt.datetime(2024, 11, 3, 7, 15, tzinfo=dt.UTC)
    first = (world.grid_at(SEED, moment), world.rt_price(SEED, "HB_HOUSTON", moment), world.fuel_mix_at(SEED, moment))
    world.grid_day.cache_clear()
    world.weather_day.cache_clear()
    second = (world.grid_at(SEED, moment), world.rt_price(SEED, "HB_HOUSTON", moment), world.fuel_mix_at(SEED, moment))
    assert first == second
    assert world.grid_at(SEED + 1, moment) != first[0]


@pytest.mark.parametrize("day", [dt.date(2024, 3, 10), dt.date(2024, 11, 3)])
def test_dst_days_are_covered_hour_by_hour(day: dt.date) -> None:
    start, end = local_day_bounds_utc(day)
    slots = day_slots(day, quarter=False)
    assert len(slots) == (end - start) // dt.timedelta(hours=1) in (23, 25)
    loads = [world.grid_at(SEED, slot.start_utc).load for slot in slots]
    assert all(30_000 < load < 90_000 for load in loads)
    assert len(set(loads)) == len(loads)  # the repeated hour ending 02:00 is two distinct UTC hours


def test_fuel_mix_adds_up_to_the_load_with_flat_nuclear() -> None:
    for offset in range(0, 48 * 12, 7):
        moment = dt.datetime(2024, 11, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=5 * offset)
        mix = world.fuel_mix_at(SEED, moment)
        hour = world.grid_at(SEED, moment)
        assert 4_900 <= mix["Nuclear"] <= 5_200
        assert 7_500 <= mix["Coal and Lignite"] <= 12_500
        assert mix["Natural Gas"] > 0 and abs(mix["Power Storage"]) < 5_000
        assert sum(mix.values()) == pytest.approx(hour.load, rel=0.1)
