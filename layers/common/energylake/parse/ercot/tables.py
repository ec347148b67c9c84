"""ERCOT per-dataset tables: the found source columns -> one dataset's silver columns (minus lineage).

The decisions behind each table are in :mod:`energylake.parse.ercot`'s docstring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from energylake import timeconv
from energylake.contracts.datasets import ERCOT_DATASETS, DatasetName, get_dataset
from energylake.contracts.schemas import (
    LINEAGE,
    SILVER_TABLES,
    UTC_TIMESTAMP,
    TableSchema,
)
from energylake.contracts.zones import normalize_zone_name
from energylake.errors import InvalidRequestError, ParseError
from energylake.parse import ParseResult
from energylake.parse.ercot.columns import (
    SourceColumns,
    column_key,
    contiguous,
    first_row_number,
    hour_starts_utc,
    is_text,
    local_time_error,
    parse_dates,
    parse_flags,
    parse_floats,
    parse_hours,
    parse_ints,
    repeated_flags,
    require_values,
    trimmed_text,
)
from energylake.parse.ercot.postings import parse_postings

ERCOT_PARSED_DATASETS: tuple[DatasetName, ...] = ERCOT_DATASETS
_LINEAGE_NAMES = frozenset(column.name for column in LINEAGE)
TOTAL_TOLERANCE_MW = 1.0
_FIFTEEN_MINUTES = pa.scalar(dt.timedelta(minutes=15), pa.duration("us"))
_ONE_HOUR = pa.scalar(dt.timedelta(hours=1), pa.duration("us"))


def output_schema(dataset: DatasetName) -> pa.Schema:
    """The schema a parser returns for ``dataset``: the silver schema without the lineage columns."""
    schema = schema_of(dataset).arrow_schema()
    return pa.schema([field for field in schema if field.name not in _LINEAGE_NAMES])


def schema_of(dataset: str) -> TableSchema:
    schema = SILVER_TABLES.get(dataset) if dataset in ERCOT_PARSED_DATASETS else None
    if schema is None:
        raise InvalidRequestError(
            f"no ERCOT parser for dataset {dataset!r}; ERCOT datasets: {', '.join(ERCOT_PARSED_DATASETS)}"
        )
    return schema


# ---------------------------------------------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------------------------------------------

_DATE = ("deliveryDate", "DeliveryDate", "Delivery Date", "DELIVERY_DATE")
_OPERATING_DAY = ("operatingDay", "OperDay", "Operating Day", *_DATE)
_HOUR_ENDING = ("hourEnding", "HourEnding", "Hour Ending", "HOUR_ENDING")
_DST_FLAG = ("DSTFlag", "RepeatedHourFlag", "Repeated Hour Flag", "repeatHourFlag", "DST")
_POSTED = ("postedDatetime", "PostedDatetime", "Posted Datetime", "PostDatetime", "PublishDate")
_TOTALS = ("total", "systemTotal", "ERCOT", "SystemTotal", "Total")
_SPP_PRICE = ("settlementPointPrice", "SettlementPointPrice", "Settlement Point Price")
# CSV columns read as float64 by pyarrow itself (only columns that parse_floats converts whatever the layout)
CSV_FLOAT_KEYS: dict[str, frozenset[str]] = {
    "spp_rt": frozenset(column_key(alias) for alias in _SPP_PRICE),
    "spp_dam": frozenset(column_key(alias) for alias in _SPP_PRICE),
}


def parse_columns(dataset: DatasetName, source: SourceColumns, *, posted_at: dt.datetime | None) -> ParseResult:
    if source.num_rows == 0:
        return ParseResult(output_schema(dataset).empty_table(), 0, notes=[f"{source.what}: empty report"])
    notes: list[str] = []
    if dataset in ("spp_rt", "spp_dam"):
        table = _spp(dataset, source)
    elif dataset == "load_weather_zone":
        table = _load_weather_zone(source, notes)
    elif dataset == "load_forecast":
        table = _load_forecast(source, posted_at, notes)
    elif dataset in ("wind", "solar"):
        table = _renewables(dataset, source, posted_at)
    else:
        raise ParseError(f"{source.what}: {dataset} is not published as an ERCOT report table")
    return ParseResult(table, source.num_rows, unknown_columns=source.unknown(), notes=notes)


def silver_table(dataset: DatasetName, columns: Mapping[str, pa.Array]) -> pa.Table:
    schema = output_schema(dataset)
    arrays = [columns[field.name].cast(field.type) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def point_types_from_names(points: pa.Array) -> pa.Array:
    """The settlement point type of reports without one (NP4-190 DAM prices; its MIS CSV neither): ``HB_*`` -> HU,
    ``LZ_*_EW`` -> LZEW (no ERCOT name has that form today), ``LZ_*`` -> LZ, anything else -> RN (NP4-190 lists
    resource nodes, hubs and load zones only)."""
    load_zone = pc.starts_with(points, "LZ_")
    return pc.if_else(
        pc.starts_with(points, "HB_"),
        "HU",
        pc.if_else(load_zone, pc.if_else(pc.ends_with(points, "_EW"), "LZEW", "LZ"), "RN"),
    )


_POINT_TYPE = ("settlementPointType", "SettlementPointType", "Settlement Point Type")


def _point_types(dataset: DatasetName, source: SourceColumns, points: pa.Array) -> pa.Array:
    """The type of every price row, never null: it is part of the natural key (real-time reports list each load zone
    twice per interval under one name, types LZ and LZEW, at different prices)."""
    what = source.what
    if dataset == "spp_rt":
        # The type cannot come from the name here: LZ_HOUSTON is both LZ and LZEW.
        type_name, type_values = source.require("settlement point type", *_POINT_TYPE, chunked=True)
        types = trimmed_text(type_values)
        if types.null_count:
            row = first_row_number(types.is_null())
            point = points[(row or 1) - 1].as_py()
            raise ParseError(
                f"{what}: settlement point {point!r} has no settlement point type (real-time prices list load zones "
                "twice, LZ and LZEW: a row without its type cannot be keyed)",
                column=type_name,
                row=row,
            )
        return types
    type_column = source.find(*_POINT_TYPE, chunked=True)
    if type_column is None:
        return point_types_from_names(contiguous(points))
    types = trimmed_text(type_column[1])
    if types.null_count:
        types = pc.coalesce(contiguous(types), point_types_from_names(contiguous(points)))
    return types


def _spp(dataset: DatasetName, source: SourceColumns) -> pa.Table:
    what = source.what
    # chunked=True: these converters (and timeconv) take a CSV's ChunkedArrays as they are, no contiguous copy
    date_name, date_values = source.require("delivery date", *_DATE, chunked=True)
    days = parse_dates(date_name, date_values, what)
    point_name, point_values = source.require(
        "settlement point",
        "settlementPoint",
        "SettlementPointName",
        "SettlementPoint",
        "Settlement Point",
        chunked=True,
    )
    points = trimmed_text(point_values)
    require_values(point_name, points, what)
    price_name, price_values = source.require("settlement point price", *_SPP_PRICE, chunked=True)
    prices = parse_floats(price_name, price_values, what, required=True)
    flag_column = source.find(*_DST_FLAG, chunked=True)
    flags = parse_flags(*flag_column, what) if flag_column else None
    point_types = _point_types(dataset, source, points)
    if dataset == "spp_rt":
        hour_name, hours = source.require(
            "delivery hour", "deliveryHour", "DeliveryHour", "Delivery Hour", chunked=True
        )
        interval_name, intervals = source.require(
            "delivery interval", "deliveryInterval", "DeliveryInterval", "Delivery Interval", chunked=True
        )
        # Integers or digit strings ("01"): timeconv reads both, once per distinct value, and names a bad row.
        hours = hours if is_text(hours) else parse_ints(hour_name, contiguous(hours), what)
        intervals = intervals if is_text(intervals) else parse_ints(interval_name, contiguous(intervals), what)
        try:
            starts = timeconv.quarter_hour_starts_utc(days, hours, intervals, flags)
        except ValueError as exc:
            raise local_time_error(exc, hour_name, what) from None
        ends = pc.add(starts, _FIFTEEN_MINUTES)
        market = "RT15"
    else:
        hour_name, hour_values = source.require("hour ending", *_HOUR_ENDING)
        hours, marker = parse_hours(hour_name, hour_values, what)
        starts = hour_starts_utc(hour_name, days, hours, repeated_flags(flags, marker), what)
        ends = pc.add(starts, _ONE_HOUR)
        market = "DAM"
    return silver_table(
        dataset,
        {
            "market": pa.repeat(pa.scalar(market), len(points)),
            "settlement_point": points,
            "settlement_point_type": point_types,
            "interval_start_utc": starts,
            "interval_end_utc": ends,
            "price_usd_mwh": prices,
        },
    )


def _hourly_index(source: SourceColumns, *, date_aliases: Sequence[str]) -> tuple[pa.Array, pa.Array]:
    """(interval starts in UTC, and the day/hour columns consumed) of an hourly report.

    Without a date column the hour-ending label must carry the date (native load: ``MM/DD/YYYY HH:MM[ DST]``).
    """
    what = source.what
    hour_name, hour_values = source.require("hour ending", *_HOUR_ENDING)
    date_column = source.find(*date_aliases)
    if date_column is not None:
        days = parse_dates(date_column[0], date_column[1], what)
        hours, marker = parse_hours(hour_name, hour_values, what)
    else:
        labels = trimmed_text(hour_values)
        require_values(hour_name, labels, what)
        parts = pc.extract_regex(labels, r"^(?P<day>\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})[ T]+(?P<hour>\S.*)$")
        if parts.null_count:
            row = first_row_number(parts.is_null())
            raise ParseError(
                f"{what}: no date column ({', '.join(date_aliases)}) and hour-ending label "
                f"{labels[(row or 1) - 1].as_py()!r} carries no date; columns present: {', '.join(source.names)}",
                column=hour_name,
                row=row,
            )
        days = parse_dates(hour_name, parts.field("day"), what)
        hour_labels = parts.field("hour")
        # A timestamp in an hour-ending column names the instant the hour ends: "02/08/2016 00:00" (NP4-737 and
        # NP4-732 timestamp layouts) is the hour ending at midnight, hour ending 24 of the day before.
        midnight = pc.match_substring_regex(hour_labels, r"^0{1,2}(:00){0,2}$")
        if pc.any(midnight).as_py():
            day_numbers = pc.subtract(days.cast(pa.int32()), pc.if_else(midnight, 1, 0).cast(pa.int32()))
            days = day_numbers.cast(pa.date32())
            hour_labels = pc.if_else(midnight, "24:00", hour_labels)
        hours, marker = parse_hours(hour_name, hour_labels, what)
    flag_column = source.find(*_DST_FLAG)
    flags = parse_flags(*flag_column, what) if flag_column else None
    starts = hour_starts_utc(hour_name, days, hours, repeated_flags(flags, marker), what)
    return starts, pc.add(starts, _ONE_HOUR)


def _zone_columns(source: SourceColumns, what: str) -> list[tuple[str, str, pa.Array]]:
    """(canonical weather zone, source column, values) for every remaining column that names a weather zone."""
    zones: list[tuple[str, str, pa.Array]] = []
    seen: dict[str, str] = {}
    for index, name in list(source.unused()):
        try:
            zone = normalize_zone_name(name)
        except InvalidRequestError:
            continue
        if zone in seen:
            raise ParseError(f"{what}: columns {seen[zone]!r} and {name!r} both hold weather zone {zone}", column=name)
        seen[zone] = name
        _, values = source.take(index)
        zones.append((zone, name, values))
    if not zones:
        raise ParseError(
            f"{what}: no weather-zone columns (COAST, EAST, FAR_WEST, ...); columns present: {', '.join(source.names)}",
            column="weather zones",
        )
    return zones


def _check_total(total: tuple[str, pa.Array] | None, zone_values: list[pa.Array], notes: list[str], what: str) -> None:
    if total is None:
        return
    name, values = total
    totals = parse_floats(name, values, what)
    zone_sum = zone_values[0]
    for values_of_zone in zone_values[1:]:
        zone_sum = pc.add(zone_sum, values_of_zone)
    off = pc.greater(pc.abs(pc.subtract(zone_sum, totals)), TOTAL_TOLERANCE_MW)
    count = pc.sum(off).as_py() or 0
    if count:
        row = first_row_number(off)
        notes.append(
            f"{what}: {count} rows where the zones do not add up to {name!r} within {TOTAL_TOLERANCE_MW} MW "
            f"(first: data row {row})"
        )


def _load_weather_zone(source: SourceColumns, notes: list[str]) -> pa.Table:
    what = source.what
    starts, ends = _hourly_index(source, date_aliases=_OPERATING_DAY)
    total = source.find(*_TOTALS)
    zones = _zone_columns(source, what)
    loads = [parse_floats(name, values, what, required=True) for _, name, values in zones]
    _check_total(total, loads, notes, what)
    count = len(starts)
    return silver_table(
        "load_weather_zone",
        {
            "weather_zone": pa.concat_arrays([pa.repeat(pa.scalar(zone), count) for zone, _, _ in zones]),
            "interval_start_utc": pa.concat_arrays([starts] * len(zones)),
            "interval_end_utc": pa.concat_arrays([ends] * len(zones)),
            "load_mw": pa.concat_arrays(loads),
        },
    )


def _posting(source: SourceColumns, posted_at: dt.datetime | None, row_keys: Sequence[pa.Array]) -> pa.Array:
    """``posted_at_utc`` per row: the source's posting column, else the document's posting time (the rules are in
    :mod:`energylake.parse.ercot.postings`). ``row_keys``: the rest of a row's natural key, which tells the two
    postings of a fall-back label apart by order of appearance."""
    what = source.what
    column = source.find(*_POSTED)
    if column is not None:
        return parse_postings(column[0], column[1], what, row_keys=row_keys)
    if posted_at is None:
        raise ParseError(
            f"{what}: no posting time: no posting column ({', '.join(_POSTED)}), no x-post-datetime or "
            "x-publish-date metadata and no cdr.<rtid>.<duns>.YYYYMMDD.HHMMSS file name; columns present: "
            f"{', '.join(source.names)}",
            column="postedDatetime",
        )
    return pa.repeat(pa.scalar(posted_at.astimezone(dt.UTC), UTC_TIMESTAMP), source.num_rows)


_FORECAST_ZONES = {"north": "NORTH", "south": "SOUTH", "west": "WEST", "houston": "HOUSTON"}


def _load_forecast(source: SourceColumns, posted_at: dt.datetime | None, notes: list[str]) -> pa.Table:
    what = source.what
    starts, ends = _hourly_index(source, date_aliases=_DATE)
    count = source.num_rows
    forecast_zone_layout = source.find("Houston") is not None  # NP3-560: forecast zones, ERCOT's in-use forecast
    blocks: list[tuple[str, str, pa.Array]] = []  # (zone type, zone, MW)
    if forecast_zone_layout:
        for key, zone in _FORECAST_ZONES.items():
            name, values = source.require(f"forecast zone {zone}", key)
            blocks.append(("FORECAST", zone, parse_floats(name, values, what, required=True)))
        models = pa.repeat(pa.scalar("IN_USE"), count)
        in_use = pa.repeat(pa.scalar(True), count)
        posted = _posting(source, posted_at, [starts])
    else:
        model_name, model_values = source.require("model", "model", "Model")
        models = trimmed_text(model_values)
        require_values(model_name, models, what)
        flag = source.find("inUseFlag", "InUseFlag", "In Use Flag", "inUse")
        in_use = parse_flags(*flag, what) if flag else pa.nulls(count, pa.bool_())
        posted = _posting(source, posted_at, [models, starts])
    total = source.find(*_TOTALS)
    if not forecast_zone_layout:
        for zone, name, values in _zone_columns(source, what):
            blocks.append(("WEATHER", zone, parse_floats(name, values, what, required=True)))
    if total is not None:
        total_mw = parse_floats(total[0], total[1], what, required=True)
        _check_total(total, [mw for _, _, mw in blocks], notes, what)
        blocks.append(("SYSTEM", "ERCOT", total_mw))
    return silver_table(
        "load_forecast",
        {
            "model": pa.concat_arrays([models] * len(blocks)),
            "in_use": pa.concat_arrays([in_use] * len(blocks)),
            "posted_at_utc": pa.concat_arrays([posted] * len(blocks)),
            "zone_type": pa.concat_arrays([pa.repeat(pa.scalar(kind), count) for kind, _, _ in blocks]),
            "zone": pa.concat_arrays([pa.repeat(pa.scalar(zone), count) for _, zone, _ in blocks]),
            "interval_start_utc": pa.concat_arrays([starts] * len(blocks)),
            "interval_end_utc": pa.concat_arrays([ends] * len(blocks)),
            "load_forecast_mw": pa.concat_arrays([mw for _, _, mw in blocks]),
        },
    )


# NP4-732 (wind) and NP4-737 (solar) layouts ERCOT has used. Column names are measure + region (either order):
#
# * timestamp layout (until ~2016): no date column, HOUR_ENDING holds "MM/DD/YYYY HH:MM" (the midnight hour as the
#   next day's "00:00"), ACTUAL_* generation, wind regions SOUTH_HOUSTON and WEST_NORTH, e.g. NP4-732
#   ``HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STWPF_SYSTEM_WIDE,WGRPP_SYSTEM_WIDE,ACTUAL_SOUTH_HOUSTON,...,
#   WGRPP_WEST_NORTH,DSTFlag`` and NP4-737 ``HOUR_ENDING,ACTUAL_SYSTEM_WIDE,COP_HSL_SYSTEM_WIDE,STPPF_SYSTEM_WIDE,
#   PVGRPP_SYSTEM_WIDE,DSTFlag``;
# * a 2016 NP4-732 variant with HOUR_BEGINNING instead of HOUR_ENDING: quarantined (see _renewables);
# * DELIVERY_DATE + HOUR_ENDING 1..24 with ACTUAL_* columns (2017: regions SOUTH_HOUSTON / WEST_NORTH; later
#   ACTUAL_LZ_SOUTH_HOUSTON, ACTUAL_LZ_WEST, ACTUAL_LZ_NORTH; the API's actualLoadZone*);
# * current (since September 2024): SYSTEM_WIDE_GEN, GEN_LZ_*, SYSTEM_WIDE_HSL (API genSystemWide, genLoadZone*).
#
# Regions keep the names of their era: SOUTH_HOUSTON and WEST_NORTH were ERCOT's combined wind regions before the
# load-zone split and are not the same series as LZ_SOUTH_HOUSTON or LZ_WEST + LZ_NORTH.
_RENEWABLE_MEASURES = (  # key fragment -> measure; cophsl before hsl (it ends with it)
    ("actual", "generation_mw"),
    ("gen", "generation_mw"),
    ("cophsl", "cop_hsl_mw"),
    ("stwpf", "forecast_mw"),
    ("stppf", "forecast_mw"),
    ("wgrpp", "probabilistic_forecast_mw"),
    ("pvgrpp", "probabilistic_forecast_mw"),
    ("hsl", "hsl_mw"),
)
_RENEWABLE_REGIONS = {  # key of the region part -> region
    "systemwide": "SYSTEM",
    "lzsouthhouston": "LZ_SOUTH_HOUSTON",
    "loadzonesouthhouston": "LZ_SOUTH_HOUSTON",
    "lzwest": "LZ_WEST",
    "loadzonewest": "LZ_WEST",
    "lznorth": "LZ_NORTH",
    "loadzonenorth": "LZ_NORTH",
    "southhouston": "SOUTH_HOUSTON",
    "westnorth": "WEST_NORTH",
}
_MEASURE_COLUMNS = ("generation_mw", "forecast_mw", "probabilistic_forecast_mw", "cop_hsl_mw", "hsl_mw")
_HOUR_BEGINNING = ("HOUR_BEGINNING", "hourBeginning", "HourBeginning", "Hour Beginning")


def _renewable_column(name: str) -> tuple[str, str] | None:
    """(region, measure) of a wind/solar column name, e.g. STWPF_LZ_WEST -> (LZ_WEST, forecast_mw),
    SYSTEM_WIDE_GEN -> (SYSTEM, generation_mw), ACTUAL_WEST_NORTH -> (WEST_NORTH, generation_mw)."""
    key = column_key(name)
    for fragment, measure in _RENEWABLE_MEASURES:
        if key.startswith(fragment) and (region := _RENEWABLE_REGIONS.get(key[len(fragment) :])):
            return region, measure
        if key.endswith(fragment) and (region := _RENEWABLE_REGIONS.get(key[: -len(fragment)])):
            return region, measure
    return None


def _report_id(dataset: DatasetName) -> str:
    api = get_dataset(dataset).api
    return api.report_id if api is not None else dataset


def _renewables(dataset: DatasetName, source: SourceColumns, posted_at: dt.datetime | None) -> pa.Table:
    what = source.what
    report = _report_id(dataset)
    if source.find(*_HOUR_ENDING) is None and (beginning := source.find(*_HOUR_BEGINNING)) is not None:
        # ERCOT's 2016 NP4-732 files: the 23:31 posting of 2016-01-31 starts at "01/30/2016 00:00", while the 23:31
        # posting of 2017-01-31 (DELIVERY_DATE + HOUR_ENDING) starts at hour ending 24 of 01/29, the hour ENDING at
        # that midnight. Whether these labels begin or end their hour cannot be told from the files; a guess would
        # shift every number by an hour.
        raise ParseError(
            f"{what}: {report} layout with HOUR_BEGINNING timestamps and ACTUAL_* columns (ERCOT's 2016 files) is "
            "quarantined: its labels may begin or end their hour (the header says begin; the next year's files, "
            "posted at the same time of day, start an hour earlier), so no interval can be placed with confidence",
            column=beginning[0],
        )
    starts, ends = _hourly_index(source, date_aliases=_DATE)
    posted = _posting(source, posted_at, [starts])
    count = source.num_rows
    regions: dict[str, dict[str, pa.Array]] = {}
    for index, name in list(source.unused()):
        found = _renewable_column(name)
        if found is None:
            continue
        region, measure = found
        measures = regions.setdefault(region, {})
        if measure in measures:
            raise ParseError(f"{what}: two columns hold {measure} of {region}", column=name)
        _, values = source.take(index)
        measures[measure] = parse_floats(name, values, what)
    if not regions:
        raise ParseError(
            f"{what}: no {dataset} generation/forecast columns (e.g. SYSTEM_WIDE_GEN, ACTUAL_SYSTEM_WIDE, "
            f"genSystemWide); columns present: {', '.join(source.names)}",
            column="SYSTEM_WIDE_GEN",
        )
    if all(values.null_count == count for measures in regions.values() for values in measures.values()):
        # A layout read without its numbers would land as empty rows: refuse it rather than keep them.
        raise ParseError(
            f"{what}: every {report} generation and forecast value is empty (columns read: "
            f"{', '.join(source.names)}): not kept as empty rows",
            column="SYSTEM_WIDE_GEN",
        )
    order = sorted(regions, key=lambda region: region != "SYSTEM")
    null_block = pa.nulls(count, pa.float64())
    return silver_table(
        dataset,
        {
            "resource": pa.repeat(pa.scalar("WIND" if dataset == "wind" else "SOLAR"), count * len(order)),
            "region": pa.concat_arrays([pa.repeat(pa.scalar(region), count) for region in order]),
            "posted_at_utc": pa.concat_arrays([posted] * len(order)),
            "interval_start_utc": pa.concat_arrays([starts] * len(order)),
            "interval_end_utc": pa.concat_arrays([ends] * len(order)),
            **{
                measure: pa.concat_arrays([regions[region].get(measure, null_block) for region in order])
                for measure in _MEASURE_COLUMNS
            },
        },
    )


def csv_data_row(csv_bytes: bytes, text: str) -> int | None:
    """The 1-based data row of the first CSV line equal to ``text`` (error path only)."""
    for number, line in enumerate(csv_bytes.decode("utf-8-sig", errors="replace").splitlines()):
        if number and line.strip("\r") == text:
            return number
    return None
