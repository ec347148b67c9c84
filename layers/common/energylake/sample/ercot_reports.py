"""The ERCOT sample's data: the reports it serves (columns as the real API and MIS files name them), their
publication schedule, and their rows, built from the synthetic world. :mod:`energylake.sample.ercot` puts them into
ERCOT's reply formats.

Numbers: every price, load and generation figure comes from the shared synthetic world of
:mod:`energylake.sample.world` (the same weather the Open-Meteo sample reports drives the zone loads, wind
and solar; prices follow net load; forecasts are the actuals plus an error growing with lead time).

Determinism: every number is a pure function of (seed, time slot, ...); the same request always gets the same
bytes. Nothing here touches a global random state.

Time: all slots are built from UTC instants and then localised to America/Chicago, so the spring-forward day has 23
hours (no hour ending 03:00, 92 quarter hours) and the fall-back day 25 hours (100 quarter hours), the repeated hour
ending 02:00 appearing twice with ``DSTFlag`` "N" (daylight time) then "Y" (the second, standard-time occurrence);
the API writes the flag as JSON false/true, the MIS CSVs as N/Y.

Sample publication schedule (Central wall clock), which the MIS listing and the API both follow:

* NP6-905-CD real-time prices: one document per 15-minute interval, posted 5 minutes after the interval ends;
  every load zone appears twice per interval under its one name, as type ``LZ`` and type ``LZEW``, at different
  prices (day-ahead prices have no energy-weighted series);
* NP4-190-CD day-ahead prices for day D: posted on D-1 at 12:30;
* NP6-345-CD actual load for day D: posted on D+1 at 05:00;
* NP3-565-CD load forecast: every hour at :30, for the posting day and the 7 days after it, three models;
* NP4-732-CD / NP4-737-CD wind / solar: every hour at :55, covering 48 hours back to 168 hours ahead (actuals only
  for hours already over).

The MIS listing covers postings from Central midnight five days before ``context.now`` up to ``context.now``.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from energylake.contracts.datasets import CATALOG, ErcotApiReport, ErcotDatasetName
from energylake.contracts.zones import WEATHER_ZONES, WeatherZone
from energylake.sample import world
from energylake.timeconv import CENTRAL, UTC, local_day_bounds_utc

if TYPE_CHECKING:
    import pyarrow as pa

HUBS = ("HB_BUSAVG", "HB_HOUSTON", "HB_HUBAVG", "HB_NORTH", "HB_PAN", "HB_SOUTH", "HB_WEST")
LOAD_ZONES = ("LZ_AEN", "LZ_CPS", "LZ_HOUSTON", "LZ_LCRA", "LZ_NORTH", "LZ_RAYBN", "LZ_SOUTH", "LZ_WEST")
RESOURCE_NODES = ("7RNCHSLR_ALL", "A4_DGR1_RN", "APPALOSA_ALL", "DC_E", "DC_L", "DC_N")  # names from real NP6-788
FORECAST_MODELS = ("A3", "E", "M")
IN_USE_MODEL = "E"
FUELS = ("Coal and Lignite", "Hydro", "Natural Gas", "Nuclear", "Other", "Power Storage", "Solar", "Wind")
FUEL_CAPACITY_MW = {
    "Coal and Lignite": 14713,
    "Hydro": 575,
    "Natural Gas": 68234,
    "Nuclear": 5268,
    "Other": 174,
    "Power Storage": 9514,
    "Solar": 27167,
    "Wind": 39533,
}
WEATHER_ZONE_FIELDS: dict[str, WeatherZone] = {  # NP6-345-CD API field -> weather zone of the sample world
    "coast": "COAST",
    "east": "EAST",
    "farWest": "FAR_WEST",
    "north": "NORTH",
    "northC": "NORTH_CENTRAL",
    "southern": "SOUTHERN",
    "southC": "SOUTH_CENTRAL",
    "west": "WEST",
}

DataType = Literal["BOOLEAN", "VARCHAR", "INTEGER", "LONG", "DOUBLE", "DATE", "DATETIME", "TIME"]
Kind = Literal["rt", "daily", "vintage"]


# ---------------------------------------------------------------------------------------------------------------
# Report definitions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    api_name: str  # field name in the API reply (from ERCOT's OpenAPI parameter names)
    csv_name: str | None  # header in the MIS CSV, None when the CSV has no such column
    label: str
    data_type: DataType


@dataclass(frozen=True)
class SampleReport:
    dataset: ErcotDatasetName
    report_name: str
    display_name: str
    friendly_name: str  # MIS FriendlyName stem, e.g. WPPHRLYAVGACTNP4732
    columns: tuple[Column, ...]
    kind: Kind
    api_hour_format: Literal["hh:00", "int"]  # how hourEnding is written in the API
    csv_hour_format: Literal["hh:00", "h:00", "int", "none"]
    posting_minute: int  # minute of the hour the documents post at (Central)
    daily_posting: tuple[int, int] | None = None  # (day offset from the operating day, local hour) for daily reports

    @property
    def report(self) -> ErcotApiReport:
        api = CATALOG[self.dataset].api
        assert api is not None
        return api


def _c(api_name: str, csv_name: str | None, data_type: DataType, label: str = "") -> Column:
    return Column(api_name, csv_name, label or api_name, data_type)


# The API types DSTFlag as BOOLEAN (its filter takes true|false, see the OpenAPI file); MIS CSVs write Y/N.
_DST = _c("DSTFlag", "DSTFlag", "BOOLEAN", "DST Flag")

REPORTS: dict[ErcotDatasetName, SampleReport] = {
    "spp_rt": SampleReport(
        "spp_rt",
        "spp_node_zone_hub",
        "Settlement Point Prices at Resource Nodes, Hubs and Load Zones",
        "SPPHLZNP6905",
        (
            _c("deliveryDate", "DeliveryDate", "DATE", "Delivery Date"),
            _c("deliveryHour", "DeliveryHour", "INTEGER", "Delivery Hour"),
            _c("deliveryInterval", "DeliveryInterval", "INTEGER", "Delivery Interval"),
            _c("settlementPoint", "SettlementPointName", "VARCHAR", "Settlement Point Name"),
            _c("settlementPointType", "SettlementPointType", "VARCHAR", "Settlement Point Type"),
            _c("settlementPointPrice", "SettlementPointPrice", "DOUBLE", "Settlement Point Price"),
            _DST,
        ),
        "rt",
        "int",
        "none",
        posting_minute=5,
    ),
    "spp_dam": SampleReport(
        "spp_dam",
        "dam_stlmnt_pnt_prices",
        "DAM Settlement Point Prices",
        "DAMSPNP4190",
        (
            _c("deliveryDate", "DeliveryDate", "DATE", "Delivery Date"),
            _c("hourEnding", "HourEnding", "VARCHAR", "Hour Ending"),
            _c("settlementPoint", "SettlementPoint", "VARCHAR", "Settlement Point"),
            _c("settlementPointPrice", "SettlementPointPrice", "DOUBLE", "Settlement Point Price"),
            _DST,
        ),
        "daily",
        "hh:00",
        "hh:00",
        posting_minute=30,
        daily_posting=(-1, 12),
    ),
    "load_weather_zone": SampleReport(
        "load_weather_zone",
        "act_sys_load_by_wzn",
        "Actual System Load by Weather Zone",
        "ACTSYSLDWZNP6345",
        (
            _c("operatingDay", "OperDay", "DATE", "Operating Day"),
            _c("hourEnding", "HourEnding", "VARCHAR", "Hour Ending"),
            _c("coast", "COAST", "DOUBLE", "Coast"),
            _c("east", "EAST", "DOUBLE", "East"),
            _c("farWest", "FAR_WEST", "DOUBLE", "Far West"),
            _c("north", "NORTH", "DOUBLE", "North"),
            _c("northC", "NORTH_C", "DOUBLE", "North Central"),
            _c("southern", "SOUTHERN", "DOUBLE", "Southern"),
            _c("southC", "SOUTH_C", "DOUBLE", "South Central"),
            _c("west", "WEST", "DOUBLE", "West"),
            _c("total", "TOTAL", "DOUBLE", "Total"),
            _DST,
        ),
        "daily",
        "hh:00",
        "hh:00",
        posting_minute=0,
        daily_posting=(1, 5),
    ),
    "load_forecast": SampleReport(
        "load_forecast",
        "lf_by_model_weather_zone",
        "Seven-Day Load Forecast by Model and Weather Zone",
        "LFMODWZNP3565",
        (
            _c("postedDatetime", None, "DATETIME", "Posted Datetime"),
            _c("deliveryDate", "DeliveryDate", "DATE", "Delivery Date"),
            _c("hourEnding", "HourEnding", "VARCHAR", "Hour Ending"),
            _c("coast", "Coast", "DOUBLE", "Coast"),
            _c("east", "East", "DOUBLE", "East"),
            _c("farWest", "FarWest", "DOUBLE", "Far West"),
            _c("north", "North", "DOUBLE", "North"),
            _c("northCentral", "NorthCentral", "DOUBLE", "North Central"),
            _c("southCentral", "SouthCentral", "DOUBLE", "South Central"),
            _c("southern", "Southern", "DOUBLE", "Southern"),
            _c("west", "West", "DOUBLE", "West"),
            _c("systemTotal", "SystemTotal", "DOUBLE", "System Total"),
            _c("model", "Model", "VARCHAR", "Model"),
            _c("inUseFlag", "InUseFlag", "VARCHAR", "In Use Flag"),
            _DST,
        ),
        "vintage",
        "hh:00",
        "h:00",
        posting_minute=30,
    ),
    "wind": SampleReport(
        "wind",
        "wpp_hrly_avrg_actl_fcast",
        "Wind Power Production - Hourly Averaged Actual and Forecasted Values",
        "WPPHRLYAVGACTNP4732",
        (
            _c("postedDatetime", None, "DATETIME", "Posted Datetime"),
            _c("deliveryDate", "DELIVERY_DATE", "DATE", "Delivery Date"),
            _c("hourEnding", "HOUR_ENDING", "INTEGER", "Hour Ending"),
            _c("genSystemWide", "SYSTEM_WIDE_GEN", "DOUBLE"),
            _c("COPHSLSystemWide", "COP_HSL_SYSTEM_WIDE", "DOUBLE"),
            _c("STWPFSystemWide", "STWPF_SYSTEM_WIDE", "DOUBLE"),
            _c("WGRPPSystemWide", "WGRPP_SYSTEM_WIDE", "DOUBLE"),
            _c("genLoadZoneSouthHouston", "GEN_LZ_SOUTH_HOUSTON", "DOUBLE"),
            _c("COPHSLLoadZoneSouthHouston", "COP_HSL_LZ_SOUTH_HOUSTON", "DOUBLE"),
            _c("STWPFLoadZoneSouthHouston", "STWPF_LZ_SOUTH_HOUSTON", "DOUBLE"),
            _c("WGRPPLoadZoneSouthHouston", "WGRPP_LZ_SOUTH_HOUSTON", "DOUBLE"),
            _c("genLoadZoneWest", "GEN_LZ_WEST", "DOUBLE"),
            _c("COPHSLLoadZoneWest", "COP_HSL_LZ_WEST", "DOUBLE"),
            _c("STWPFLoadZoneWest", "STWPF_LZ_WEST", "DOUBLE"),
            _c("WGRPPLoadZoneWest", "WGRPP_LZ_WEST", "DOUBLE"),
            _c("genLoadZoneNorth", "GEN_LZ_NORTH", "DOUBLE"),
            _c("COPHSLLoadZoneNorth", "COP_HSL_LZ_NORTH", "DOUBLE"),
            _c("STWPFLoadZoneNorth", "STWPF_LZ_NORTH", "DOUBLE"),
            _c("WGRPPLoadZoneNorth", "WGRPP_LZ_NORTH", "DOUBLE"),
            _c("HSLSystemWide", "SYSTEM_WIDE_HSL", "DOUBLE"),
            _DST,
        ),
        "vintage",
        "int",
        "int",
        posting_minute=55,
    ),
    "solar": SampleReport(
        "solar",
        "spp_hrly_avrg_actl_fcast",
        "Solar Power Production - Hourly Averaged Actual and Forecasted Values",
        "PVGRHRLYAVGACTNP4737",
        (
            _c("postedDatetime", None, "DATETIME", "Posted Datetime"),
            _c("deliveryDate", "DELIVERY_DATE", "DATE", "Delivery Date"),
            _c("hourEnding", "HOUR_ENDING", "INTEGER", "Hour Ending"),
            _c("genSystemWide", "SYSTEM_WIDE_GEN", "DOUBLE"),
            _c("COPHSLSystemWide", "COP_HSL_SYSTEM_WIDE", "DOUBLE"),
            _c("STPPFSystemWide", "STPPF_SYSTEM_WIDE", "DOUBLE"),
            _c("PVGRPPSystemWide", "PVGRPP_SYSTEM_WIDE", "DOUBLE"),
            _c("HSLSystemWide", "SYSTEM_WIDE_HSL", "DOUBLE"),
            _DST,
        ),
        "vintage",
        "int",
        "int",
        posting_minute=55,
    ),
}
# A report's index here is part of its sample DocIDs (see _doc_id): keep the order stable.
REPORT_ORDER: tuple[ErcotDatasetName, ...] = tuple(REPORTS)
REPORT_BY_PATH = {spec.report.path: spec for spec in REPORTS.values()}
REPORT_BY_RTID = {spec.report.mis_report_type_id: spec for spec in REPORTS.values()}


# ---------------------------------------------------------------------------------------------------------------
# Time slots and deterministic noise
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One hour or quarter hour of an operating day, labelled the ERCOT way."""

    day: dt.date
    hour_ending: int  # 1..24; the fall-back day repeats 2, the spring-forward day skips 3
    interval: int  # 1..4 for quarter hours, 0 for hours
    dst_flag: str  # "Y" on the second (standard-time) occurrence of the repeated hour
    start_utc: dt.datetime


def slot_at(start_utc: dt.datetime, *, quarter: bool) -> Slot:
    local = start_utc.astimezone(CENTRAL)
    return Slot(
        day=local.date(),
        hour_ending=local.hour + 1,
        interval=local.minute // 15 + 1 if quarter else 0,
        dst_flag="Y" if local.fold == 1 else "N",  # fold=1 only on the repeated hour's second pass
        start_utc=start_utc,
    )


def day_slots(day: dt.date, *, quarter: bool) -> list[Slot]:
    start, end = local_day_bounds_utc(day)
    step = dt.timedelta(minutes=15 if quarter else 60)
    slots = []
    instant = start
    while instant < end:
        slots.append(slot_at(instant, quarter=quarter))
        instant += step
    return slots


def unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) for (seed, parts)."""
    return units(seed, 1, *parts)[0]


def units(seed: int, count: int, *parts: object) -> list[float]:
    """``count`` (<= 16) deterministic numbers in [0, 1) for (seed, parts), from one hash (fast enough for
    the ~15,000 forecast rows of a day)."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=4 * count).digest()
    return [int.from_bytes(digest[4 * i : 4 * i + 4], "big") / 2**32 for i in range(count)]


def to_central(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(CENTRAL)


def _local_wall(local_day: dt.date, hour: int, minute: int) -> dt.datetime:
    """The UTC instant of a Central wall-clock time (first occurrence when ambiguous)."""
    return dt.datetime.combine(local_day, dt.time(hour, minute), tzinfo=CENTRAL).astimezone(UTC)


# ---------------------------------------------------------------------------------------------------------------
# Records: rows as {api field name: python value}, built per posting
# ---------------------------------------------------------------------------------------------------------------

Record = dict[str, Any]


def _price(seed: int, dataset: str, point: str, slot: Slot) -> float:
    if dataset == "spp_rt":
        return world.rt_price(seed, point, slot.start_utc)
    return world.dam_price(seed, point, slot.start_utc)


def _point_type(point: str) -> str:
    if point in ("HB_BUSAVG", "HB_HUBAVG"):
        return "AH"
    if point.startswith("HB_"):
        return "HU"
    if point.startswith("LZ_"):
        return "LZ"
    return "RN"


def _energy_weighted_price(seed: int, point: str, interval: Slot, zone_price: float) -> float:
    """The LZEW price of a load zone: its zone price re-weighted by metered energy, a few cents to a dollar away
    (never equal, so a mixed series is visible), within the offer floor and cap like every sample price."""
    offset = round(0.01 + 0.99 * unit(seed, "lzew", point, interval.start_utc.timestamp()), 2)
    sign = 1.0 if unit(seed, "lzew-sign", point, interval.start_utc.timestamp()) < 0.5 else -1.0
    return round(min(5000.0, max(-250.0, zone_price + sign * offset)), 2)


def _rt_records(seed: int, interval: Slot) -> list[Record]:
    """One interval of NP6-905: every point once, and every load zone twice under the same name, as ERCOT lists
    them: type LZ, then type LZEW (energy weighted) at a different price."""
    head = {"deliveryDate": interval.day, "deliveryHour": interval.hour_ending, "deliveryInterval": interval.interval}
    records: list[Record] = []
    for point in (*HUBS, *LOAD_ZONES, *RESOURCE_NODES):
        price = _price(seed, "spp_rt", point, interval)
        typed = [(_point_type(point), price)]
        if point in LOAD_ZONES:
            typed.append(("LZEW", _energy_weighted_price(seed, point, interval, price)))
        for point_type, point_price in typed:
            records.append(
                {
                    **head,
                    "settlementPoint": point,
                    "settlementPointType": point_type,
                    "settlementPointPrice": point_price,
                    "DSTFlag": interval.dst_flag,
                }
            )
    return records


def _dam_records(seed: int, day: dt.date) -> list[Record]:
    return [
        {
            "deliveryDate": slot.day,
            "hourEnding": slot.hour_ending,
            "settlementPoint": point,
            "settlementPointPrice": _price(seed, "spp_dam", point, slot),
            "DSTFlag": slot.dst_flag,
        }
        for slot in day_slots(day, quarter=False)
        for point in (*HUBS, *LOAD_ZONES, *RESOURCE_NODES)
    ]


def _zone_loads(seed: int, slot: Slot) -> dict[str, float]:
    """Actual load per API zone field (forecasts: :func:`_load_forecast_records`)."""
    hour = world.grid_at(seed, slot.start_utc)
    return {field: round(hour.zone(zone), 2) for field, zone in WEATHER_ZONE_FIELDS.items()}


def _load_records(seed: int, day: dt.date) -> list[Record]:
    records = []
    for slot in day_slots(day, quarter=False):
        loads = _zone_loads(seed, slot)
        records.append(
            {
                "operatingDay": slot.day,
                "hourEnding": slot.hour_ending,
                **loads,
                "total": round(sum(loads.values()), 2),
                "DSTFlag": slot.dst_flag,
            }
        )
    return records


_HOUR = dt.timedelta(hours=1)


@functools.lru_cache(maxsize=16384)
def _hour_slot(start_utc: dt.datetime) -> Slot:
    """The hour slot of a UTC hour (forecast postings share their delivery hours: ~10 postings a day for a week)."""
    return slot_at(start_utc, quarter=False)


def _vintage_hours(dataset: ErcotDatasetName, posted: dt.datetime, day: dt.date | None = None) -> list[Slot]:
    """The delivery hours one posting of a forecast report covers (only those of operating day ``day`` if given)."""
    posted_hour = posted.replace(minute=0, second=0, microsecond=0)
    if dataset == "load_forecast":
        first_day = to_central(posted).date()
        start, _ = local_day_bounds_utc(first_day)
        _, end = local_day_bounds_utc(first_day + dt.timedelta(days=7))
    else:
        start, end = posted_hour - dt.timedelta(hours=48), posted_hour + dt.timedelta(hours=168)
    if day is not None:
        day_start, day_end = local_day_bounds_utc(day)
        start, end = max(start, day_start), min(end, day_end)
    hours = max(0, -(-(end - start) // _HOUR))  # every hour that starts before ``end``
    return [_hour_slot(start + index * _HOUR) for index in range(hours)]


_ZONE_INDEX = tuple(WEATHER_ZONES.index(zone) for zone in WEATHER_ZONE_FIELDS.values())
_LOAD_FORECAST_FIELDS = ("coast", "east", "farWest", "north", "northCentral", "southCentral", "southern", "west")
# The forecast report names two zones differently from the actual-load report, and lists them in another order:
# position in _LOAD_FORECAST_FIELDS -> position in WEATHER_ZONE_FIELDS (the order the factors come in).
_FORECAST_FROM_ACTUAL = tuple(
    list(WEATHER_ZONE_FIELDS).index({"northCentral": "northC", "southCentral": "southC"}.get(field, field))
    for field in _LOAD_FORECAST_FIELDS
)


def _vintage_records(seed: int, dataset: ErcotDatasetName, posted: dt.datetime, day: dt.date | None) -> list[Record]:
    """The rows of the posting at ``posted`` (UTC), restricted to operating day ``day`` when given."""
    return _postings_records(seed, dataset, [(posted, _vintage_hours(dataset, posted, day))])


Covered = list[tuple[dt.datetime, list[Slot]]]  # postings (UTC) and the delivery hours of each to write


def _postings_records(seed: int, dataset: ErcotDatasetName, covered: Covered) -> list[Record]:
    """The rows of several postings of a forecast report, posting after posting, hour after hour.

    The hot path of every forecast fetch (a year is ~10^7 rows): the numbers of all the postings are worked out a
    column at a time (:mod:`energylake.sample.columns`), equal bit for bit to the per-row arithmetic of
    :func:`world.load_forecast_factor` / :func:`world.renewable_forecast_factor` and the reports' rounding."""
    covered = [(posted, slots) for posted, slots in covered if slots]
    if not covered:
        return []
    if dataset == "load_forecast":
        return _load_forecast_records(seed, covered)
    return (_solar_records if dataset == "solar" else _wind_records)(seed, covered)


def _posted_text(posted: dt.datetime) -> str:
    return to_central(posted).replace(tzinfo=None).isoformat(timespec="seconds")


def _load_forecast_records(seed: int, covered: Covered) -> list[Record]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from energylake.sample.columns import add_in_order, blocks, forecast_factors, round_cents

    zones = len(WEATHER_ZONE_FIELDS)
    deliveries = [[slot.start_utc for slot in slots] for _, slots in covered]
    zone_loads = [world.grid_at(seed, start).zone_load for starts in deliveries for start in starts]
    # Zone by zone (WEATHER_ZONE_FIELDS order), every row of every posting in each block.
    actual = pa.array([loads[index] for index in _ZONE_INDEX for loads in zone_loads], pa.float64())
    by_model = []
    for model in FORECAST_MODELS:
        words: list[int] = []
        sigmas: list[float] = []
        shared: list[float] = []
        for (posted, _), starts in zip(covered, deliveries, strict=True):
            draws = world.load_forecast_draws(seed, model, posted, starts, zones)
            words += draws.words
            sigmas += draws.sigmas
            shared += draws.shared
        factors = forecast_factors(
            words,
            zones,
            base=world.load_forecast_base(model),
            sigmas=sigmas,
            shared=shared,
            weight=world.LOAD_FORECAST_NOISE,
            floor_at_zero=False,
        )
        loads = blocks(round_cents(pc.multiply(actual, factors)), zones)
        total = round_cents(add_in_order(loads)).to_pylist()
        zone_columns = [loads[index].to_pylist() for index in _FORECAST_FROM_ACTUAL]
        in_use = "Y" if model == IN_USE_MODEL else "N"
        by_model.append(zip(*zone_columns, total, itertools.repeat(model), itertools.repeat(in_use), strict=False))
    heads = [
        (posted_text, slot.day, slot.hour_ending)
        for posted_text, slots in ((_posted_text(posted), slots) for posted, slots in covered)
        for slot in slots
    ]
    flags = [(slot.dst_flag,) for _, slots in covered for slot in slots]
    # Hour after hour, the models' rows of each hour in FORECAST_MODELS order (zip stops with the hours).
    return [
        dict(zip(_LOAD_FORECAST_KEYS, head + values + flag, strict=True))
        for head, flag, *models in zip(heads, flags, *by_model, strict=False)
        for values in models
    ]


_LOAD_FORECAST_KEYS = (
    "postedDatetime",
    "deliveryDate",
    "hourEnding",
    *_LOAD_FORECAST_FIELDS,
    "systemTotal",
    "model",
    "inUseFlag",
    "DSTFlag",
)


def _renewable_factors(seed: int, kind: str, covered: Covered, count: int) -> pa.DoubleArray:
    """The forecast factors of every row of ``covered``: ``count`` blocks (solar flavours, wind regions)."""
    from energylake.sample.columns import forecast_factors

    words: list[int] = []
    sigmas: list[float] = []
    shared: list[float] = []
    for posted, slots in covered:
        draws = world.renewable_forecast_draws(seed, kind, posted, [slot.start_utc for slot in slots], count)
        words += draws.words
        sigmas += draws.sigmas
        shared += draws.shared
    return forecast_factors(
        words,
        count,
        base=1.0,
        sigmas=sigmas,
        shared=shared,
        weight=world.RENEWABLE_FORECAST_NOISE,
        floor_at_zero=True,
    )


_FORECAST_PREFIXES = ("COPHSL", "STWPF", "WGRPP")
# Forecast flavours relative to the hour's expected output: COP high sustained limit (resources' own, a little
# optimistic), the short-term forecast itself, and the P80-style generation resource probability forecast.
_FORECAST_SCALES = {"COPHSL": 1.04, "STWPF": 1.0, "WGRPP": 0.86, "STPPF": 1.0, "PVGRPP": 0.88}
_SOLAR_PREFIXES = ("COPHSL", "STPPF", "PVGRPP")
_WIND_REGION_NAMES = tuple(world.WIND_REGIONS)
_WIND_INSTALLED = tuple(installed for installed, _ in world.WIND_REGIONS.values())


def _solar_records(seed: int, covered: Covered) -> list[Record]:
    """Solar rows: each flavour is ``round(min(installed, solar * scale * factor), 2)`` (None = the empty cell of
    an actual not over yet)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from energylake.sample.columns import blocks, round_cents

    flavours = len(_SOLAR_PREFIXES)
    factors = blocks(_renewable_factors(seed, "solar", covered, flavours), flavours)
    hours = [world.grid_at(seed, slot.start_utc) for _, slots in covered for slot in slots]
    solar = pa.array([hour.solar for hour in hours], pa.float64())
    products = [
        pc.min_element_wise(pc.multiply(pc.multiply(solar, _FORECAST_SCALES[prefix]), factor), world.SOLAR_INSTALLED_MW)
        for prefix, factor in zip(_SOLAR_PREFIXES, factors, strict=True)
    ]
    cop, stppf, pvgrpp = (column.to_pylist() for column in blocks(round_cents(pa.concat_arrays(products)), flavours))
    records: list[Record] = []
    position = 0
    for posted, slots in covered:
        posted_text = _posted_text(posted)
        for slot in slots:
            hour = hours[position]
            actual = slot.start_utc + _HOUR <= posted  # actuals exist only for hours already over
            records.append(
                {
                    "postedDatetime": posted_text,
                    "deliveryDate": slot.day,
                    "hourEnding": slot.hour_ending,
                    "genSystemWide": hour.solar if actual else None,
                    "COPHSLSystemWide": cop[position],
                    "STPPFSystemWide": stppf[position],
                    "PVGRPPSystemWide": pvgrpp[position],
                    "HSLSystemWide": round(hour.solar * 1.05, 2) if actual else None,
                    "DSTFlag": slot.dst_flag,
                }
            )
            position += 1
    return records


def _wind_records(seed: int, covered: Covered) -> list[Record]:
    """Wind rows: per region and flavour ``round(min(installed, generation * factor * scale), 2)``; system-wide
    the rounded sum of the regions' rounded values (None = the empty cell of an actual not over yet)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from energylake.sample.columns import add_in_order, blocks, round_cents

    regions = len(_WIND_REGION_NAMES)
    factors = _renewable_factors(seed, "wind", covered, regions)  # region by region
    hours = [world.grid_at(seed, slot.start_utc) for _, slots in covered for slot in slots]
    rows = len(hours)
    generation = pa.array([hour.wind_region[index] for index in range(regions) for hour in hours], pa.float64())
    installed = pa.array([mw for mw in _WIND_INSTALLED for _ in range(rows)], pa.float64())
    by_flavour = [
        pc.min_element_wise(pc.multiply(pc.multiply(generation, factors), _FORECAST_SCALES[prefix]), installed)
        for prefix in _FORECAST_PREFIXES
    ]
    # Flavour by flavour, region by region within each: block [flavour * regions + region].
    rounded = blocks(round_cents(pa.concat_arrays(by_flavour)), len(_FORECAST_PREFIXES) * regions)
    systems = [
        add_in_order(rounded[flavour * regions : (flavour + 1) * regions]) for flavour in range(len(_FORECAST_PREFIXES))
    ]
    system = [column.to_pylist() for column in blocks(round_cents(pa.concat_arrays(systems)), len(systems))]
    (cop_sh, cop_w, cop_n, stwpf_sh, stwpf_w, stwpf_n, wgrpp_sh, wgrpp_w, wgrpp_n) = (
        column.to_pylist() for column in rounded
    )
    records: list[Record] = []
    position = 0
    for posted, slots in covered:
        posted_text = _posted_text(posted)
        for slot in slots:
            south_houston, west, north = hours[position].wind_region
            system_gen = round(south_houston + west + north, 2)
            actual = slot.start_utc + _HOUR <= posted  # actuals exist only for hours already over
            records.append(
                {
                    "postedDatetime": posted_text,
                    "deliveryDate": slot.day,
                    "hourEnding": slot.hour_ending,
                    "genSystemWide": system_gen if actual else None,
                    "COPHSLSystemWide": system[0][position],
                    "STWPFSystemWide": system[1][position],
                    "WGRPPSystemWide": system[2][position],
                    "genLoadZoneSouthHouston": south_houston if actual else None,
                    "COPHSLLoadZoneSouthHouston": cop_sh[position],
                    "STWPFLoadZoneSouthHouston": stwpf_sh[position],
                    "WGRPPLoadZoneSouthHouston": wgrpp_sh[position],
                    "genLoadZoneWest": west if actual else None,
                    "COPHSLLoadZoneWest": cop_w[position],
                    "STWPFLoadZoneWest": stwpf_w[position],
                    "WGRPPLoadZoneWest": wgrpp_w[position],
                    "genLoadZoneNorth": north if actual else None,
                    "COPHSLLoadZoneNorth": cop_n[position],
                    "STWPFLoadZoneNorth": stwpf_n[position],
                    "WGRPPLoadZoneNorth": wgrpp_n[position],
                    "HSLSystemWide": round(system_gen * 1.05, 2) if actual else None,
                    "DSTFlag": slot.dst_flag,
                }
            )
            position += 1
    return records


# ---------------------------------------------------------------------------------------------------------------
# Publication schedule
# ---------------------------------------------------------------------------------------------------------------


def postings(spec: SampleReport, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Posting instants (UTC) of a report in [start, end]."""
    found: list[dt.datetime] = []
    if spec.kind == "daily":
        assert spec.daily_posting is not None
        _, hour = spec.daily_posting
        day = to_central(start).date() - dt.timedelta(days=1)
        while day <= to_central(end).date():
            posted = _local_wall(day, hour, spec.posting_minute)
            if start <= posted <= end:
                found.append(posted)
            day += dt.timedelta(days=1)
        return found
    step_minutes = 15 if spec.kind == "rt" else 60
    step = dt.timedelta(minutes=step_minutes)
    # Minutes past the hour are the same in UTC and Central (whole-hour offsets): walk the UTC grid.
    instant = start.replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        minutes=spec.posting_minute % step_minutes
    )
    while instant < start:
        instant += step
    while instant <= end:
        found.append(instant)
        instant += step
    return found


def _daily_content_day(spec: SampleReport, posted: dt.datetime) -> dt.date:
    assert spec.daily_posting is not None
    return to_central(posted).date() - dt.timedelta(days=spec.daily_posting[0])


def posting_records(seed: int, spec: SampleReport, posted: dt.datetime) -> list[Record]:
    """The rows of one MIS document."""
    if spec.kind == "rt":
        interval_start = posted - dt.timedelta(minutes=spec.posting_minute + 15)
        return _rt_records(seed, slot_at(interval_start, quarter=True))
    if spec.kind == "daily":
        day = _daily_content_day(spec, posted)
        return _dam_records(seed, day) if spec.dataset == "spp_dam" else _load_records(seed, day)
    return _vintage_records(seed, spec.dataset, posted, None)


@functools.lru_cache(maxsize=32)
def api_day_records(seed: int, dataset: ErcotDatasetName, day: dt.date, now: dt.datetime) -> tuple[Record, ...]:
    """Every API row of ``dataset`` for operating day ``day`` that ERCOT would have posted by ``now``."""
    spec = REPORTS[dataset]
    if spec.kind == "rt":
        posted_by = now - dt.timedelta(minutes=spec.posting_minute)
        records: list[Record] = []
        for interval in day_slots(day, quarter=True):
            if interval.start_utc + dt.timedelta(minutes=15) <= posted_by:
                records += _rt_records(seed, interval)
        return tuple(records)
    if spec.kind == "daily":
        assert spec.daily_posting is not None
        posted = _local_wall(day + dt.timedelta(days=spec.daily_posting[0]), spec.daily_posting[1], spec.posting_minute)
        if posted > now:
            return ()
        return tuple(_dam_records(seed, day) if dataset == "spp_dam" else _load_records(seed, day))
    day_start, day_end = local_day_bounds_utc(day)
    # A posting covers its own day and 7 more (load forecast) or 48 h back to 168 h ahead (wind, solar).
    first = day_start - dt.timedelta(days=8)
    last = min(now, day_end + dt.timedelta(hours=49))
    covered = [(posted, _vintage_hours(dataset, posted, day)) for posted in postings(spec, first, last)]
    return tuple(_postings_records(seed, dataset, covered))
