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
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from energylake.contracts.datasets import CATALOG, ErcotApiReport, ErcotDatasetName
from energylake.contracts.zones import WEATHER_ZONES, WeatherZone
from energylake.sample import world
from energylake.timeconv import CENTRAL, UTC, local_day_bounds_utc

if TYPE_CHECKING:
    from typing import TypeAlias

    import numpy as np
    import numpy.typing as npt

    Values: TypeAlias = list[Any] | npt.NDArray[np.float64]  # numbers as float arrays: NaN is an empty cell

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
    """``count`` (<= 16) deterministic numbers in [0, 1) for (seed, parts), from one hash (for documents' and
    listings' details, one at a time; the world's numbers come from :mod:`energylake.sample.noise`)."""
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


@dataclass(frozen=True)
class Table:
    """A reply's rows as columns: API field name -> one value per row (what a :data:`Record` holds for that field;
    the forecasts' numbers as float arrays, NaN for None). Shared by caches: never mutated."""

    columns: dict[str, Values]

    @classmethod
    def of(cls, spec: SampleReport, records: list[Record]) -> Table:
        return cls({column.api_name: [record[column.api_name] for record in records] for column in spec.columns})

    @classmethod
    def empty(cls, spec: SampleReport) -> Table:
        return cls.of(spec, [])

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def values(self, name: str) -> list[Any]:
        """A column's values as a record holds them (None for NaN)."""
        column = self.columns[name]
        if isinstance(column, list):
            return column
        import numpy as np

        values: list[Any] = column.tolist()
        if np.isnan(column).any():
            return [None if math.isnan(value) else value for value in values]
        return values

    def slice(self, start: int, stop: int) -> Table:
        return Table({name: values[start:stop] for name, values in self.columns.items()})

    def records(self) -> list[Record]:
        names = list(self.columns)
        columns = [self.values(name) for name in names]
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    @classmethod
    def concat(cls, spec: SampleReport, tables: list[Table]) -> Table:
        if len(tables) == 1:
            return tables[0]
        import numpy as np

        columns: dict[str, Values] = {}
        for column in spec.columns:
            parts = [table.columns[column.api_name] for table in tables if len(table)]
            if parts and all(not isinstance(part, list) for part in parts):
                columns[column.api_name] = np.concatenate(parts)
            else:
                columns[column.api_name] = [
                    value for table in tables if len(table) for value in table.values(column.api_name)
                ]
        return cls(columns)


def _point_type(point: str) -> str:
    if point in ("HB_BUSAVG", "HB_HUBAVG"):
        return "AH"
    if point.startswith("HB_"):
        return "HU"
    if point.startswith("LZ_"):
        return "LZ"
    return "RN"


_RT_POINTS = (*HUBS, *LOAD_ZONES, *RESOURCE_NODES)
# One interval's rows as ERCOT lists them: every point once, and every load zone twice under the same name, type LZ
# then type LZEW (energy weighted) at a different price: (point, type, position in _RT_POINTS, energy weighted).
_RT_ROWS = tuple(
    row
    for position, point in enumerate(_RT_POINTS)
    for row in (
        ((point, _point_type(point), position, False), (point, "LZEW", position, True))
        if point in LOAD_ZONES
        else ((point, _point_type(point), position, False),)
    )
)


@functools.lru_cache(maxsize=8)
def _rt_day(seed: int, day: dt.date) -> tuple[list[Slot], npt.NDArray[np.float64]]:
    """The quarter hours of operating day ``day`` and their NP6-905 prices, one row per interval and one column per
    :data:`_RT_ROWS` entry."""
    import numpy as np

    from energylake.sample import noise

    slots = day_slots(day, quarter=True)
    minutes = np.array([world.utc_minutes(slot.start_utc) for slot in slots], np.int64)
    prices = world.rt_prices(seed, minutes, _RT_POINTS)
    columns: list[Any] = []
    for point, _, position, energy_weighted in _RT_ROWS:
        if not energy_weighted:
            columns.append(prices[:, position])
            continue
        # The LZEW price: the zone's re-weighted by metered energy, a few cents to a dollar away (never equal, so a
        # mixed series is visible), within the offer floor and cap like every sample price.
        offset = np.round(0.01 + 0.99 * noise.uniform(noise.key(seed, "lzew", point), minutes), 2)
        sign = np.where(noise.uniform(noise.key(seed, "lzew-sign", point), minutes) < 0.5, 1.0, -1.0)
        columns.append(np.round(np.clip(prices[:, position] + sign * offset, -250.0, 5000.0), 2) + 0.0)
    return slots, np.column_stack(columns)


def _rt_table(seed: int, day: dt.date, first: int, stop: int) -> Table:
    """Intervals ``first`` to ``stop - 1`` of operating day ``day`` of NP6-905, interval after interval."""
    slots, prices = _rt_day(seed, day)
    chosen = slots[first:stop]
    per_interval = len(_RT_ROWS)
    return Table(
        {
            "deliveryDate": _each([slot.day for slot in chosen], per_interval),
            "deliveryHour": _each([slot.hour_ending for slot in chosen], per_interval),
            "deliveryInterval": _each([slot.interval for slot in chosen], per_interval),
            "settlementPoint": [point for point, _, _, _ in _RT_ROWS] * len(chosen),
            "settlementPointType": [point_type for _, point_type, _, _ in _RT_ROWS] * len(chosen),
            "settlementPointPrice": prices[first:stop].ravel(),
            "DSTFlag": _each([slot.dst_flag for slot in chosen], per_interval),
        }
    )


def _rt_interval_table(seed: int, interval: Slot) -> Table:
    """One interval of NP6-905 (the rows of one real-time document)."""
    position = rt_interval_position(interval)
    return _rt_table(seed, interval.day, position, position + 1)


def rt_interval_position(interval: Slot) -> int:
    """A real-time interval's position among the quarter hours of its operating day (``interval.day``)."""
    day_start, _ = local_day_bounds_utc(interval.day)
    return int((interval.start_utc - day_start).total_seconds()) // 900


def rt_day_table(seed: int, day: dt.date) -> tuple[Table, list[tuple[int, int]]]:
    """Every interval of NP6-905 for operating day ``day`` in one table, and each interval's (start, stop) rows."""
    slots, _ = _rt_day(seed, day)
    per_interval = len(_RT_ROWS)
    return _rt_table(seed, day, 0, len(slots)), [(n * per_interval, (n + 1) * per_interval) for n in range(len(slots))]


def rt_posting_interval(spec: SampleReport, posted: dt.datetime) -> Slot:
    """The interval a real-time document posted at ``posted`` (UTC) holds."""
    return slot_at(posted - dt.timedelta(minutes=spec.posting_minute + 15), quarter=True)


def _dam_table(seed: int, day: dt.date) -> Table:
    """NP4-190 for operating day ``day``: every point, hour after hour."""
    import numpy as np

    slots = day_slots(day, quarter=False)
    hours = np.array([world.utc_hours(slot.start_utc) for slot in slots], np.int64)
    prices = world.dam_prices(seed, hours, _RT_POINTS)
    points = len(_RT_POINTS)
    return Table(
        {
            "deliveryDate": _each([slot.day for slot in slots], points),
            "hourEnding": _each([slot.hour_ending for slot in slots], points),
            "settlementPoint": list(_RT_POINTS) * len(slots),
            "settlementPointPrice": prices.ravel(),
            "DSTFlag": _each([slot.dst_flag for slot in slots], points),
        }
    )


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
def _hour_slot(hour: int) -> Slot:
    """The slot of UTC hour ``hour`` (hours since the epoch): forecast postings share their delivery hours."""
    return slot_at(dt.datetime.fromtimestamp(hour * 3600, UTC), quarter=False)


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
    first = world.utc_hours(start)
    return [_hour_slot(hour) for hour in range(first, first + hours)]


_ZONE_INDEX = tuple(WEATHER_ZONES.index(zone) for zone in WEATHER_ZONE_FIELDS.values())
_LOAD_FORECAST_FIELDS = ("coast", "east", "farWest", "north", "northCentral", "southCentral", "southern", "west")
# The forecast report names two zones differently from the actual-load report, and lists them in another order:
# position in _LOAD_FORECAST_FIELDS -> position in WEATHER_ZONE_FIELDS (the order the factors come in).
_FORECAST_FROM_ACTUAL = tuple(
    list(WEATHER_ZONE_FIELDS).index({"northCentral": "northC", "southCentral": "southC"}.get(field, field))
    for field in _LOAD_FORECAST_FIELDS
)


def _vintage_table(seed: int, dataset: ErcotDatasetName, posted: dt.datetime, day: dt.date | None) -> Table:
    """The rows of the posting at ``posted`` (UTC), restricted to operating day ``day`` when given."""
    return _postings_table(seed, dataset, [(posted, _vintage_hours(dataset, posted, day))])


def vintage_tables(
    seed: int, dataset: ErcotDatasetName, posteds: list[dt.datetime]
) -> tuple[Table, list[tuple[int, int]]]:
    """The rows of the postings at ``posteds`` (UTC) of a forecast report, worked out together: one table, posting
    after posting, and each posting's (start, stop) rows in it."""
    covered = [(posted, _vintage_hours(dataset, posted)) for posted in posteds]
    table = _postings_table(seed, dataset, covered)
    rows_per_hour = len(FORECAST_MODELS) if dataset == "load_forecast" else 1
    bounds, start = [], 0
    for _, slots in covered:
        stop = start + rows_per_hour * len(slots)
        bounds.append((start, stop))
        start = stop
    return table, bounds


Covered = list[tuple[dt.datetime, list[Slot]]]  # postings (UTC) and the delivery hours of each to write


@dataclass(frozen=True)
class _Rows:
    """The (posting, delivery hour) pairs of several postings, posting after posting, hour after hour."""

    posted_minutes: npt.NDArray[np.int64]  # UTC minutes since the epoch
    delivery_hours: npt.NDArray[np.int64]  # UTC hours since the epoch
    slots: list[Slot]
    posted_texts: list[str]

    @classmethod
    def of(cls, covered: Covered) -> _Rows:
        import numpy as np

        counts = [len(slots) for _, slots in covered]
        posted_minutes = np.repeat(np.array([world.utc_minutes(posted) for posted, _ in covered], np.int64), counts)
        firsts = [world.utc_hours(slots[0].start_utc) for _, slots in covered]
        # A posting's delivery hours are consecutive: each row's hour is its posting's first plus its position.
        offsets = np.arange(sum(counts), dtype=np.int64) - np.repeat(np.cumsum([0, *counts[:-1]]), counts)
        delivery_hours = np.repeat(np.array(firsts, np.int64), counts) + offsets
        texts = [_posted_text(posted) for posted, _ in covered]
        return cls(
            posted_minutes,
            delivery_hours,
            [slot for _, slots in covered for slot in slots],
            [text for text, count in zip(texts, counts, strict=True) for _ in range(count)],
        )

    def actual_over(self) -> npt.NDArray[np.bool_]:
        """Whether each delivery hour is over at its posting (only those have actuals)."""
        over: npt.NDArray[np.bool_] = (self.delivery_hours + 1) * 60 <= self.posted_minutes
        return over

    def grid(self, seed: int) -> world.GridSeries:
        return world.grid_series(seed, int(self.delivery_hours.min()), int(self.delivery_hours.max()))


def _postings_table(seed: int, dataset: ErcotDatasetName, covered: Covered) -> Table:
    """The rows of several postings of a forecast report, posting after posting, hour after hour.

    The hot path of every forecast fetch (a year is ~10^7 rows): every posting's numbers are worked out at once, as
    arrays (:func:`world.load_forecast_factors`, :func:`world.renewable_forecast_factors`)."""
    covered = [(posted, slots) for posted, slots in covered if slots]
    if not covered:
        return Table.empty(REPORTS[dataset])
    rows = _Rows.of(covered)
    if dataset == "load_forecast":
        return _load_forecast_table(seed, rows)
    return (_solar_table if dataset == "solar" else _wind_table)(seed, rows)


def _posted_text(posted: dt.datetime) -> str:
    return to_central(posted).replace(tzinfo=None).isoformat(timespec="seconds")


def _masked(values: npt.NDArray[np.float64], present: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """``values`` where ``present``, else NaN (an empty cell)."""
    import numpy as np

    masked: npt.NDArray[np.float64] = np.where(present, values, np.nan)
    return masked


def _load_forecast_table(seed: int, rows: _Rows) -> Table:
    import numpy as np

    from energylake.sample.columns import add_in_order, round_cents

    zones = len(WEATHER_ZONE_FIELDS)
    grid = rows.grid(seed)
    # Zones in WEATHER_ZONE_FIELDS order (the factors' order), one row per (posting, delivery hour).
    actual = grid.zone_load[rows.delivery_hours - grid.first_hour][:, list(_ZONE_INDEX)]
    by_model = []
    for model in FORECAST_MODELS:
        factors = world.load_forecast_factors(seed, model, rows.posted_minutes, rows.delivery_hours, zones)
        loads = round_cents(actual * factors)
        total = round_cents(add_in_order(loads))
        by_model.append(np.column_stack([loads[:, list(_FORECAST_FROM_ACTUAL)], total]))
    # Hour after hour, the models' rows of each hour in FORECAST_MODELS order.
    values = np.stack(by_model, axis=1).reshape(len(rows.slots) * len(FORECAST_MODELS), zones + 1)
    models = len(FORECAST_MODELS)
    columns: dict[str, Values] = {
        "postedDatetime": _each(rows.posted_texts, models),
        "deliveryDate": _each([slot.day for slot in rows.slots], models),
        "hourEnding": _each([slot.hour_ending for slot in rows.slots], models),
    }
    for position, field in enumerate((*_LOAD_FORECAST_FIELDS, "systemTotal")):
        columns[field] = values[:, position].copy()
    columns["model"] = list(FORECAST_MODELS) * len(rows.slots)
    columns["inUseFlag"] = ["Y" if model == IN_USE_MODEL else "N" for model in FORECAST_MODELS] * len(rows.slots)
    columns["DSTFlag"] = _each([slot.dst_flag for slot in rows.slots], models)
    return Table(columns)


def _each(values: list[Any], times: int) -> list[Any]:
    """Every value ``times`` times in a row."""
    return list(itertools.chain.from_iterable(zip(*[values] * times, strict=True)))


_FORECAST_PREFIXES = ("COPHSL", "STWPF", "WGRPP")
# Forecast flavours relative to the hour's expected output: COP high sustained limit (resources' own, a little
# optimistic), the short-term forecast itself, and the P80-style generation resource probability forecast.
_FORECAST_SCALES = {"COPHSL": 1.04, "STWPF": 1.0, "WGRPP": 0.86, "STPPF": 1.0, "PVGRPP": 0.88}
_SOLAR_PREFIXES = ("COPHSL", "STPPF", "PVGRPP")
_WIND_REGION_NAMES = tuple(world.WIND_REGIONS)
_WIND_INSTALLED = tuple(installed for installed, _ in world.WIND_REGIONS.values())


def _solar_table(seed: int, rows: _Rows) -> Table:
    """Solar rows: each flavour is ``round(min(installed, solar * scale * factor), 2)`` (None = the empty cell of
    an actual not over yet)."""
    import numpy as np

    from energylake.sample.columns import round_cents

    factors = world.renewable_forecast_factors(
        seed, "solar", rows.posted_minutes, rows.delivery_hours, len(_SOLAR_PREFIXES)
    )
    grid = rows.grid(seed)
    solar = grid.solar[rows.delivery_hours - grid.first_hour]
    scales = np.array([_FORECAST_SCALES[prefix] for prefix in _SOLAR_PREFIXES])
    flavours = round_cents(np.minimum(solar[:, None] * scales * factors, world.SOLAR_INSTALLED_MW))
    over = rows.actual_over()
    return Table(
        {
            "postedDatetime": rows.posted_texts,
            "deliveryDate": [slot.day for slot in rows.slots],
            "hourEnding": [slot.hour_ending for slot in rows.slots],
            "genSystemWide": _masked(solar, over),
            **{f"{prefix}SystemWide": flavours[:, index].copy() for index, prefix in enumerate(_SOLAR_PREFIXES)},
            "HSLSystemWide": _masked(round_cents(solar * 1.05), over),
            "DSTFlag": [slot.dst_flag for slot in rows.slots],
        }
    )


def _wind_table(seed: int, rows: _Rows) -> Table:
    """Wind rows: per region and flavour ``round(min(installed, generation * factor * scale), 2)``; system-wide
    the rounded sum of the regions' rounded values (None = the empty cell of an actual not over yet)."""
    import numpy as np

    from energylake.sample.columns import add_in_order, round_cents

    regions = len(_WIND_REGION_NAMES)
    factors = world.renewable_forecast_factors(seed, "wind", rows.posted_minutes, rows.delivery_hours, regions)
    grid = rows.grid(seed)
    generation = grid.wind_region[rows.delivery_hours - grid.first_hour]  # (rows, regions)
    installed = np.array(_WIND_INSTALLED)
    system_generation = round_cents(add_in_order(generation))
    over = rows.actual_over()
    columns: dict[str, Values] = {
        "postedDatetime": rows.posted_texts,
        "deliveryDate": [slot.day for slot in rows.slots],
        "hourEnding": [slot.hour_ending for slot in rows.slots],
        "genSystemWide": _masked(system_generation, over),
    }
    by_flavour = {
        prefix: round_cents(np.minimum(generation * factors * _FORECAST_SCALES[prefix], installed))
        for prefix in _FORECAST_PREFIXES
    }
    for prefix, values in by_flavour.items():
        columns[f"{prefix}SystemWide"] = round_cents(add_in_order(values))
    for index, region in enumerate(("SouthHouston", "West", "North")):
        columns[f"genLoadZone{region}"] = _masked(generation[:, index], over)
        for prefix, values in by_flavour.items():
            columns[f"{prefix}LoadZone{region}"] = values[:, index].copy()
    columns["HSLSystemWide"] = _masked(round_cents(system_generation * 1.05), over)
    columns["DSTFlag"] = [slot.dst_flag for slot in rows.slots]
    return Table(columns)


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


def posting_records(seed: int, spec: SampleReport, posted: dt.datetime) -> Table:
    """The rows of one MIS document."""
    if spec.kind == "rt":
        return _rt_interval_table(seed, rt_posting_interval(spec, posted))
    if spec.kind == "daily":
        day = _daily_content_day(spec, posted)
        return _dam_table(seed, day) if spec.dataset == "spp_dam" else Table.of(spec, _load_records(seed, day))
    return _vintage_table(seed, spec.dataset, posted, None)


@functools.lru_cache(maxsize=32)
def api_day_records(seed: int, dataset: ErcotDatasetName, day: dt.date, now: dt.datetime) -> Table:
    """Every API row of ``dataset`` for operating day ``day`` that ERCOT would have posted by ``now``."""
    spec = REPORTS[dataset]
    if spec.kind == "rt":
        posted_by = now - dt.timedelta(minutes=spec.posting_minute)
        slots, _ = _rt_day(seed, day)
        over = sum(1 for interval in slots if interval.start_utc + dt.timedelta(minutes=15) <= posted_by)
        return _rt_table(seed, day, 0, over)
    if spec.kind == "daily":
        assert spec.daily_posting is not None
        posted = _local_wall(day + dt.timedelta(days=spec.daily_posting[0]), spec.daily_posting[1], spec.posting_minute)
        if posted > now:
            return Table.empty(spec)
        return _dam_table(seed, day) if dataset == "spp_dam" else Table.of(spec, _load_records(seed, day))
    day_start, day_end = local_day_bounds_utc(day)
    # A posting covers its own day and 7 more (load forecast) or 48 h back to 168 h ahead (wind, solar).
    first = day_start - dt.timedelta(days=8)
    last = min(now, day_end + dt.timedelta(hours=49))
    covered = [(posted, _vintage_hours(dataset, posted, day)) for posted in postings(spec, first, last)]
    return _postings_table(seed, dataset, covered)
