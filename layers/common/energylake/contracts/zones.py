"""ERCOT's 8 weather zones and the one point per zone where we take the weather.

ERCOT reports load by weather zone (NP6-345-CD) but publishes no coordinates for them. Each zone gets the city that
dominates its load (its largest population centre), the convention other public ERCOT projects use. The zone
membership of every city is checked against ERCOT's published weather-zone city lists by
``tests/unit/contracts/test_zones.py``.

ERCOT spells zone names many ways across reports (``FAR_WEST``, ``FarWest``, ``FWEST``, ``NORTH_C``, ``NCENT``,
``SOUTHERN``, ``SOUTH``...); :func:`normalize_zone_name` maps them all to the canonical names below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from energylake.errors import InvalidRequestError

WeatherZone = Literal["COAST", "EAST", "FAR_WEST", "NORTH", "NORTH_CENTRAL", "SOUTH_CENTRAL", "SOUTHERN", "WEST"]
# The order of this tuple is the order of the latitude/longitude lists sent to Open-Meteo (and of its reply list).
WEATHER_ZONES: tuple[WeatherZone, ...] = get_args(WeatherZone)


@dataclass(frozen=True)
class ZonePoint:
    """The representative point of one weather zone."""

    zone: WeatherZone
    city: str
    latitude: float
    longitude: float
    reason: str  # why this city stands for the zone


ZONE_POINTS: dict[WeatherZone, ZonePoint] = {
    point.zone: point
    for point in (
        ZonePoint(
            "COAST",
            "Houston",
            29.76,
            -95.37,
            "Houston is by far the largest load centre of the Coast zone (most of CenterPoint's load).",
        ),
        ZonePoint(
            "EAST",
            "Tyler",
            32.35,
            -95.30,
            "Tyler is the largest city of the East zone, central to its population.",
        ),
        ZonePoint(
            "FAR_WEST",
            "Midland",
            32.00,
            -102.08,
            "Midland (with Odessa) is the population and Permian Basin oil-field load centre of the Far West zone.",
        ),
        ZonePoint(
            "NORTH",
            "Wichita Falls",
            33.91,
            -98.49,
            "Wichita Falls is the largest city of the North zone.",
        ),
        ZonePoint(
            "NORTH_CENTRAL",
            "Dallas",
            32.78,
            -96.80,
            "Dallas-Fort Worth is the largest load centre of the North Central zone (and of ERCOT).",
        ),
        ZonePoint(
            "SOUTH_CENTRAL",
            "San Antonio",
            29.42,
            -98.49,
            "San Antonio rather than Austin: both lie in South Central, but San Antonio is the larger city and "
            "CPS Energy's peak load (about 5-6 GW) is roughly twice Austin Energy's, "
            "so it weighs more in the zone's load.",
        ),
        ZonePoint(
            "SOUTHERN",
            "Corpus Christi",
            27.80,
            -97.40,
            "Corpus Christi is the largest city and industrial load centre of the Southern zone.",
        ),
        ZonePoint(
            "WEST",
            "Abilene",
            32.45,
            -99.73,
            "Abilene is the largest city of the West zone.",
        ),
    )
}


def zone_points() -> tuple[ZonePoint, ...]:
    """Every zone's point, in :data:`WEATHER_ZONES` order."""
    return tuple(ZONE_POINTS[zone] for zone in WEATHER_ZONES)


def _spelling_key(text: str) -> str:
    # Case, spaces, underscores and hyphens carry no meaning in ERCOT's zone spellings.
    return "".join(char for char in text.upper() if char.isalnum())


_SPELLINGS: dict[WeatherZone, tuple[str, ...]] = {
    "COAST": ("COAST",),
    "EAST": ("EAST",),
    "FAR_WEST": ("FAR_WEST", "FWEST", "FARW"),
    "NORTH": ("NORTH",),
    "NORTH_CENTRAL": ("NORTH_CENTRAL", "NORTH_C", "NCENT", "NCENTRAL", "N_CENTRAL"),
    "SOUTH_CENTRAL": ("SOUTH_CENTRAL", "SOUTH_C", "SCENT", "SCENTRAL", "S_CENTRAL"),
    "SOUTHERN": ("SOUTHERN", "SOUTH"),
    "WEST": ("WEST",),
}
_ALIASES: dict[str, WeatherZone] = {
    _spelling_key(alias): zone for zone, aliases in _SPELLINGS.items() for alias in aliases
}


def normalize_zone_name(text: str) -> WeatherZone:
    """The canonical zone for any of ERCOT's spellings (``FarWest``, ``NORTH_C``, ``SCENT``, ``South``, ...).

    Matching ignores case, spaces, underscores and hyphens. An unknown spelling is an InvalidRequestError naming it.
    """
    zone = _ALIASES.get(_spelling_key(text))
    if zone is None:
        raise InvalidRequestError(f"unknown ERCOT weather zone {text!r}; known zones: {', '.join(WEATHER_ZONES)}")
    return zone
