"""The weather-zone table: 8 zones, one documented point each, inside Texas and inside ERCOT's own zone lists."""

from __future__ import annotations

import itertools
import json

import pytest

from energylake.contracts.zones import WEATHER_ZONES, ZONE_POINTS, WeatherZone, normalize_zone_name, zone_points
from energylake.errors import InvalidRequestError
from energylake.sources.openmeteo import LOCATION_TOLERANCE_DEGREES
from tests.support.paths import realdata_path

# Texas' bounding box (lat 25.84..36.50 N, lon 106.65..93.51 W), rounded outward a little.
TEXAS_LATITUDE = (25.8, 36.6)
TEXAS_LONGITUDE = (-106.7, -93.5)


def test_there_are_eight_zones_each_with_one_point_in_table_order() -> None:
    # GIVEN the zone table
    # WHEN listing its points
    points = zone_points()
    # THEN the 8 ERCOT weather zones appear once each, in WEATHER_ZONES order (the order sent to Open-Meteo)
    assert WEATHER_ZONES == (
        "COAST",
        "EAST",
        "FAR_WEST",
        "NORTH",
        "NORTH_CENTRAL",
        "SOUTH_CENTRAL",
        "SOUTHERN",
        "WEST",
    )
    assert tuple(point.zone for point in points) == WEATHER_ZONES
    assert set(ZONE_POINTS) == set(WEATHER_ZONES)
    assert all(point.reason.strip() and point.city.strip() for point in points)


@pytest.mark.parametrize("zone", WEATHER_ZONES)
def test_every_point_lies_inside_texas(zone: WeatherZone) -> None:
    # GIVEN a zone's representative point
    point = ZONE_POINTS[zone]
    # THEN it lies inside Texas' bounding box
    assert TEXAS_LATITUDE[0] <= point.latitude <= TEXAS_LATITUDE[1], point
    assert TEXAS_LONGITUDE[0] <= point.longitude <= TEXAS_LONGITUDE[1], point


def test_points_are_far_enough_apart_for_the_client_to_spot_a_swapped_location() -> None:
    # GIVEN the client accepts a reply location within LOCATION_TOLERANCE_DEGREES of the point asked for
    # THEN any two zone points differ by more than twice that in latitude or longitude (a swap cannot pass)
    for first, second in itertools.combinations(zone_points(), 2):
        separation = max(abs(first.latitude - second.latitude), abs(first.longitude - second.longitude))
        assert separation > 2 * LOCATION_TOLERANCE_DEGREES, (first.city, second.city)


def test_known_points_match_the_documented_cities() -> None:
    # GIVEN the documented choices (DOMAIN.md)
    # THEN Houston stands for the Coast and San Antonio (not Austin) for South Central, saying why
    assert (ZONE_POINTS["COAST"].city, ZONE_POINTS["COAST"].latitude, ZONE_POINTS["COAST"].longitude) == (
        "Houston",
        29.76,
        -95.37,
    )
    assert ZONE_POINTS["SOUTH_CENTRAL"].city == "San Antonio"
    assert "Austin" in ZONE_POINTS["SOUTH_CENTRAL"].reason


@pytest.mark.realdata
def test_each_city_is_in_its_zone_in_ercots_city_lists() -> None:
    # GIVEN the per-zone city lists published for ERCOT weather zones (keys spelled "Far West", "South", ...)
    lists = json.loads(realdata_path("ercot_weather_zone_cities", "weather_zone_cities.json").read_text())
    # WHEN their zone names are normalised
    by_zone = {normalize_zone_name(name): cities for name, cities in lists.items()}
    # THEN every zone is listed, and each zone's city is in that zone's list and no other
    assert set(by_zone) == set(WEATHER_ZONES)
    for point in zone_points():
        assert point.city in by_zone[point.zone], point
        others = [zone for zone, cities in by_zone.items() if zone != point.zone and point.city in cities]
        assert others == [], point


@pytest.mark.parametrize(
    ("spelling", "zone"),
    [
        ("COAST", "COAST"),
        ("coast", "COAST"),
        ("Coast", "COAST"),
        ("EAST", "EAST"),
        ("East", "EAST"),
        ("FAR_WEST", "FAR_WEST"),
        ("FarWest", "FAR_WEST"),
        ("Far West", "FAR_WEST"),
        ("FWEST", "FAR_WEST"),
        ("far-west", "FAR_WEST"),
        ("NORTH", "NORTH"),
        ("North", "NORTH"),
        ("NORTH_C", "NORTH_CENTRAL"),
        ("NCENT", "NORTH_CENTRAL"),
        ("NorthC", "NORTH_CENTRAL"),
        ("North Central", "NORTH_CENTRAL"),
        ("NORTH_CENTRAL", "NORTH_CENTRAL"),
        ("SOUTH_C", "SOUTH_CENTRAL"),
        ("SCENT", "SOUTH_CENTRAL"),
        ("SouthC", "SOUTH_CENTRAL"),
        ("South Central", "SOUTH_CENTRAL"),
        ("SOUTH_CENTRAL", "SOUTH_CENTRAL"),
        ("SOUTHERN", "SOUTHERN"),
        ("Southern", "SOUTHERN"),
        ("SOUTH", "SOUTHERN"),
        ("South", "SOUTHERN"),
        ("WEST", "WEST"),
        ("West", "WEST"),
        ("  WEST    ", "WEST"),  # ERCOT headers carry trailing spaces
    ],
)
def test_every_ercot_spelling_maps_to_its_zone(spelling: str, zone: WeatherZone) -> None:
    # GIVEN one of ERCOT's spellings WHEN normalised THEN it names the canonical zone
    assert normalize_zone_name(spelling) == zone


@pytest.mark.parametrize("spelling", ["NORTHEAST", "LZ_HOUSTON", "HB_NORTH", "", "Central", "ERCOT"])
def test_an_unknown_spelling_is_an_error_naming_it(spelling: str) -> None:
    # GIVEN a name that is not a weather zone
    # WHEN normalised
    with pytest.raises(InvalidRequestError) as caught:
        normalize_zone_name(spelling)
    # THEN the error quotes the spelling and lists the zones
    assert repr(spelling) in str(caught.value)
    assert "FAR_WEST" in str(caught.value)
