"""The curated (silver) and gold contracts: every table's columns, types, units and natural keys, in one place,
in plain Python.

Every later stage (quality gate, Spark gold tables, warehouse DDL, dashboard) reads its column names from here.
Conventions: snake_case names with the unit as a suffix (``_mw``, ``_usd_mwh``, ``_c``, ``_pct``, ``_ms``...);
timestamps are UTC instants (``timestamp[us, tz=UTC]``); an interval is ``[interval_start_utc, interval_end_utc)``;
long format (one row per entity and interval) wherever ERCOT publishes wide tables.

A column's type is a :data:`ColumnType` name, not a pyarrow object, so that code which only needs names, keys and
types (the warehouse model and its Redshift loader, whose Lambda ships without pyarrow) can read the contracts without
importing pyarrow. :func:`arrow_type` maps a type name to its pyarrow type (importing pyarrow then), and
:attr:`Column.type` / :meth:`TableSchema.arrow_schema` give the pyarrow view; :mod:`energylake.contracts.schemas`
re-exports everything here with the pyarrow constants (``UTC_TIMESTAMP``) and helpers the parsing side uses. There is
one definition: this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from energylake.contracts.datasets import DatasetName

if TYPE_CHECKING:
    import pyarrow as pa

# The column types the contracts use, named after their pyarrow types (timestamps are always microsecond UTC instants).
ColumnType = Literal["string", "bool", "int8", "int16", "int32", "int64", "float64", "date32", "timestamp_utc"]
COLUMN_TYPES: tuple[ColumnType, ...] = get_args(ColumnType)

Market = Literal["RT15", "DAM"]
MARKETS: tuple[Market, ...] = ("RT15", "DAM")


def arrow_type(kind: ColumnType) -> pa.DataType:
    """The pyarrow type of a contract column type (imports pyarrow: only the parsing side calls this)."""
    import pyarrow as pa

    types = {
        "string": pa.string,
        "bool": pa.bool_,
        "int8": pa.int8,
        "int16": pa.int16,
        "int32": pa.int32,
        "int64": pa.int64,
        "float64": pa.float64,
        "date32": pa.date32,
    }
    if kind == "timestamp_utc":
        return pa.timestamp("us", tz="UTC")
    if kind not in types:
        raise TypeError(f"unknown contract column type {kind!r}; known: {', '.join(COLUMN_TYPES)}")
    return types[kind]()


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnType  # the type's name; ``type`` is its pyarrow type
    description: str
    nullable: bool = True
    unit: str | None = None

    @property
    def type(self) -> pa.DataType:
        """The column's pyarrow type (imports pyarrow)."""
        return arrow_type(self.kind)


@dataclass(frozen=True)
class TableSchema:
    """A silver table: columns in order, the natural key, and the column that decides the UTC-date partition."""

    name: str
    description: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    time_column: str  # its UTC date is the Hive partition ``date=YYYY-MM-DD``
    interval_minutes: int | None  # the length of one interval (None: varies)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        """The table as a pyarrow schema (imports pyarrow)."""
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if not column.nullable)


# Lineage: on every silver row, so any number can be traced back to the bytes it came from.
LINEAGE: tuple[Column, ...] = (
    Column("source_dataset", "string", "energylake dataset name the row was fetched as", nullable=False),
    Column("raw_key", "string", "lake key of the raw object (one API page, MIS zip, reply) holding the row", False),
    Column("run_id", "string", "id of the curation run that wrote the row", nullable=False),
    # Silver keeps every fetch's rows (a dashboard seen twice overlaps itself); later stages keep, per natural key,
    # the row fetched last.
    Column("fetched_at_utc", "timestamp_utc", "when the raw object was fetched", nullable=False),
)


def _interval(description: str = "") -> tuple[Column, ...]:
    return (
        Column("interval_start_utc", "timestamp_utc", f"start of the interval{description}", nullable=False),
        Column("interval_end_utc", "timestamp_utc", "end of the interval (exclusive)", nullable=False),
    )


def _posted() -> Column:
    # Forecast reports are re-posted (hourly vintages): the posting time is part of the key.
    return Column(
        "posted_at_utc",
        "timestamp_utc",
        "when ERCOT posted this forecast vintage (an ambiguous fall-back label resolves to the first occurrence)",
        nullable=False,
    )


SPP = TableSchema(
    name="spp",
    description="Settlement point prices: real-time 15-min (RT15, NP6-905-CD) and day-ahead hourly (DAM, NP4-190-CD)",
    columns=(
        Column("market", "string", "'RT15' (real-time, 15 min) or 'DAM' (day-ahead, hourly)", nullable=False),
        Column("settlement_point", "string", "settlement point name, e.g. HB_NORTH, LZ_HOUSTON", nullable=False),
        Column(
            "settlement_point_type",
            "string",
            "ERCOT type code (HU hub, LZ load zone, LZEW energy-weighted load zone, RN resource node, ...); "
            "inferred from the name when the report has none (DAM)",
            nullable=False,
        ),
        *_interval(),
        Column("price_usd_mwh", "float64", "settlement point price", nullable=False, unit="USD/MWh"),
        *LINEAGE,
    ),
    # Real-time prices list every load zone twice under one name (types LZ and LZEW, different prices): the type
    # is part of a price's identity.
    natural_key=("market", "settlement_point", "settlement_point_type", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=None,  # 15 for RT15, 60 for DAM
)

LOAD_WEATHER_ZONE = TableSchema(
    name="load_weather_zone",
    description="Actual hourly load by ERCOT weather zone (NP6-345-CD; also ERCOT's native load archive)",
    columns=(
        Column("weather_zone", "string", "COAST, EAST, FAR_WEST, NORTH, NORTH_CENTRAL, SOUTH_CENTRAL, ...", False),
        *_interval(),
        Column("load_mw", "float64", "average load over the hour", nullable=False, unit="MW"),
        *LINEAGE,
    ),
    natural_key=("weather_zone", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=60,
)

LOAD_FORECAST = TableSchema(
    name="load_forecast",
    description=(
        "Seven-day hourly load forecasts, every posted vintage: by model and weather zone (NP3-565-CD), and ERCOT's "
        "in-use forecast by forecast zone (NP3-560-CD files)"
    ),
    columns=(
        Column("model", "string", "ERCOT forecast model code (e.g. E, A3, M); IN_USE for NP3-560", nullable=False),
        Column("in_use", "bool", "whether ERCOT used this model's forecast at posting time"),
        _posted(),
        Column("zone_type", "string", "WEATHER (weather zone), FORECAST (forecast zone) or SYSTEM", False),
        Column("zone", "string", "weather zone (COAST...), forecast zone (NORTH, HOUSTON...) or ERCOT", False),
        *_interval(),
        Column("load_forecast_mw", "float64", "forecast average load over the hour", nullable=False, unit="MW"),
        *LINEAGE,
    ),
    natural_key=("model", "posted_at_utc", "zone_type", "zone", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=60,
)

RENEWABLE_PRODUCTION = TableSchema(
    name="renewable_production",
    description="Hourly wind (NP4-732-CD) and solar (NP4-737-CD) production: actual and forecasts, every vintage",
    columns=(
        Column("resource", "string", "'WIND' or 'SOLAR'", nullable=False),
        Column("region", "string", "SYSTEM, or the ERCOT region (LZ_SOUTH_HOUSTON, LZ_WEST, LZ_NORTH...)", False),
        _posted(),
        *_interval(),
        Column("generation_mw", "float64", "actual average generation (null for future hours)", unit="MW"),
        Column("forecast_mw", "float64", "short-term forecast: STWPF (wind) / STPPF (solar)", unit="MW"),
        Column("probabilistic_forecast_mw", "float64", "WGRPP (wind) / PVGRPP (solar)", unit="MW"),
        Column("cop_hsl_mw", "float64", "high sustained limit in resources' current operating plans", unit="MW"),
        Column("hsl_mw", "float64", "system-wide high sustained limit (SYSTEM rows only)", unit="MW"),
        *LINEAGE,
    ),
    natural_key=("resource", "region", "posted_at_utc", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=60,
)

FUEL_MIX = TableSchema(
    name="fuel_mix",
    description="Generation by fuel, 5-minute (ERCOT fuel-mix dashboard; timestamps snapped to the 5-minute grid)",
    columns=(
        Column("fuel", "string", "COAL_AND_LIGNITE, HYDRO, NATURAL_GAS, NUCLEAR, OTHER, POWER_STORAGE, ...", False),
        *_interval(),
        Column("generation_mw", "float64", "generation (negative for storage charging)", nullable=False, unit="MW"),
        *LINEAGE,
    ),
    natural_key=("fuel", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=5,
)

WEATHER = TableSchema(
    name="weather",
    description=(
        "Open-Meteo hourly weather at each weather zone's representative point. Instantaneous variables are the "
        "value at time_utc; radiation and precipitation are the total/mean over the PRECEDING hour (time_utc - 1h "
        "to time_utc)"
    ),
    columns=(
        Column("weather_zone", "string", "ERCOT weather zone", nullable=False),
        Column("time_utc", "timestamp_utc", "the hour the values describe (see the table description)", False),
        Column("temperature_2m_c", "float64", "air temperature at 2 m", unit="°C"),
        Column("relative_humidity_2m_pct", "float64", "relative humidity at 2 m", unit="%"),
        Column("dew_point_2m_c", "float64", "dew point at 2 m", unit="°C"),
        Column("apparent_temperature_c", "float64", "feels-like temperature", unit="°C"),
        Column("cloud_cover_pct", "float64", "total cloud cover", unit="%"),
        Column("precipitation_mm", "float64", "precipitation over the preceding hour", unit="mm"),
        Column("shortwave_radiation_wm2", "float64", "horizontal irradiance, preceding-hour mean", unit="W/m2"),
        Column("direct_normal_irradiance_wm2", "float64", "direct normal irradiance, preceding-hour mean", unit="W/m2"),
        Column("wind_speed_10m_ms", "float64", "wind speed at 10 m", unit="m/s"),
        Column("wind_speed_100m_ms", "float64", "wind speed at 100 m", unit="m/s"),
        Column("wind_direction_100m_deg", "float64", "wind direction at 100 m", unit="°"),
        *LINEAGE,
    ),
    natural_key=("weather_zone", "time_utc"),
    time_column="time_utc",
    interval_minutes=60,
)

# Which silver table each dataset curates into (spp_rt and spp_dam share the spp table, told apart by market).
SILVER_TABLES: dict[DatasetName, TableSchema] = {
    "spp_rt": SPP,
    "spp_dam": SPP,
    "load_weather_zone": LOAD_WEATHER_ZONE,
    "load_forecast": LOAD_FORECAST,
    "wind": RENEWABLE_PRODUCTION,
    "solar": RENEWABLE_PRODUCTION,
    "fuel_mix": FUEL_MIX,
    "weather": WEATHER,
}


def silver_schema(dataset: DatasetName) -> TableSchema:
    return SILVER_TABLES[dataset]


# --- gold: the hourly energy-weather tables (energylake.gold) -------------------------------------------------------

HUBS: tuple[str, ...] = ("HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "HB_PAN")
HUB_AVERAGE = "HB_HUBAVG"
# Settlement point types of hubs: HU (a trading hub), and the hub averages HB_HUBAVG/HB_BUSAVG, which real-time
# reports type AH/SH while the day-ahead report (no type column) gets HU from the name.
HUB_POINT_TYPES: tuple[str, ...] = ("HU", "AH", "SH")
# Energy-weighted load-zone series exist only in real time (they weight by metered energy): no DAM price is one.
ENERGY_WEIGHTED_POINT_TYPES: tuple[str, ...] = ("LZEW", "LZ_DCEW")
# Degree hours use 65 °F (18.333 °C), the US convention for cooling/heating degree days.
DEGREE_BASE_C = 18.333333


def _hour() -> tuple[Column, ...]:
    return (
        Column("interval_start_utc", "timestamp_utc", "start of the hour", nullable=False),
        Column("interval_end_utc", "timestamp_utc", "end of the hour (exclusive)", nullable=False),
        Column("operating_day", "date32", "ERCOT operating day (America/Chicago) the hour belongs to", False),
        Column("hour_ending", "int8", "ERCOT hour ending label 1..24 (the repeated fall-back hour twice)", False),
        Column("repeated_hour", "bool", "True for the second (standard-time) occurrence of the fall-back hour", False),
    )


ENERGY_WEATHER_HOURLY = TableSchema(
    name="energy_weather_hourly",
    description=(
        "One row per weather zone and UTC hour: the zone's load and its weather. Alignment: instantaneous weather "
        "(temperature, dew point, humidity, wind, cloud cover) is the mean of Open-Meteo's values at the hour's start "
        "and end; preceding-hour weather (radiation, precipitation) is Open-Meteo's value stamped at the hour's end, "
        "which describes exactly [start, end). A side that is missing gives NULLs and a false has_* flag."
    ),
    columns=(
        Column("weather_zone", "string", "ERCOT weather zone", nullable=False),
        *_hour(),
        Column("load_mw", "float64", "the zone's average load over the hour", unit="MW"),
        Column("temperature_2m_c", "float64", "air temperature at 2 m", unit="°C"),
        Column("dew_point_2m_c", "float64", "dew point at 2 m", unit="°C"),
        Column("relative_humidity_2m_pct", "float64", "relative humidity", unit="%"),
        Column("wind_speed_100m_ms", "float64", "wind speed at 100 m", unit="m/s"),
        Column("shortwave_radiation_wm2", "float64", "horizontal irradiance, hour mean", unit="W/m2"),
        Column("cloud_cover_pct", "float64", "total cloud cover", unit="%"),
        Column("precipitation_mm", "float64", "precipitation over the hour", unit="mm"),
        Column("cooling_degree_hours", "float64", "max(0, temperature - 18.33 °C) for one hour", unit="°C·h"),
        Column("heating_degree_hours", "float64", "max(0, 18.33 °C - temperature) for one hour", unit="°C·h"),
        Column("has_load", "bool", "the load side is present", nullable=False),
        Column("has_weather", "bool", "the weather side is present (both ends of the hour)", nullable=False),
    ),
    natural_key=("weather_zone", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=60,
)


def _hub_price_columns() -> tuple[Column, ...]:
    columns: list[Column] = []
    for market, description in (("rt", "real-time price, mean of the hour's 15-minute prices"), ("dam", "DAM price")):
        columns.append(Column(f"{market}_price_hub_avg_usd_mwh", "float64", f"{HUB_AVERAGE} {description}", True,
                              "USD/MWh"))  # fmt: skip
        for hub in HUBS:
            columns.append(Column(f"{market}_price_{hub.lower()}_usd_mwh", "float64", f"{hub} {description}",
                                  True, "USD/MWh"))  # fmt: skip
    return tuple(columns)


SYSTEM_HOURLY = TableSchema(
    name="system_hourly",
    description="One row per UTC hour: system load, wind and solar (actual and forecast), hub prices, weather",
    columns=(
        *_hour(),
        Column("load_mw", "float64", "total load: the sum of the 8 weather zones", unit="MW"),
        Column("load_zones", "int8", "how many weather zones reported load for the hour", nullable=False),
        Column(
            "load_forecast_mw",
            "float64",
            "ERCOT's system forecast: the latest in-use vintage posted before the hour",
            unit="MW",
        ),
        Column("wind_generation_mw", "float64", "actual system-wide wind generation", unit="MW"),
        Column("wind_forecast_mw", "float64", "STWPF: the latest vintage posted before the hour", unit="MW"),
        Column("solar_generation_mw", "float64", "actual system-wide solar generation", unit="MW"),
        Column("solar_forecast_mw", "float64", "STPPF: the latest vintage posted before the hour", unit="MW"),
        Column("net_load_mw", "float64", "load - wind generation - solar generation", unit="MW"),
        *_hub_price_columns(),
        Column("load_weighted_temperature_c", "float64", "zone temperatures weighted by zone load", unit="°C"),
        Column("has_load", "bool", "all 8 zones reported load", nullable=False),
        Column("has_prices", "bool", "the hub average has both RT and DAM prices", nullable=False),
        Column("has_renewables", "bool", "wind and solar actuals are present", nullable=False),
        Column("has_weather", "bool", "every zone has weather", nullable=False),
    ),
    natural_key=("interval_start_utc",),
    time_column="interval_start_utc",
    interval_minutes=60,
)

ERCOT_SPP_HOURLY = TableSchema(
    name="ercot_spp_hourly",
    description="One row per settlement point, type and UTC hour: RT 15-minute price statistics and the DAM price",
    columns=(
        Column("settlement_point", "string", "settlement point name", nullable=False),
        Column(
            "settlement_point_type",
            "string",
            "ERCOT type code of the RT series (LZ and LZEW are two rows); the DAM type for a point without RT",
            nullable=False,
        ),
        *_hour(),
        Column("rt_price_mean_usd_mwh", "float64", "mean of the hour's RT 15-minute prices", unit="USD/MWh"),
        Column("rt_price_min_usd_mwh", "float64", "lowest RT 15-minute price", unit="USD/MWh"),
        Column("rt_price_max_usd_mwh", "float64", "highest RT 15-minute price", unit="USD/MWh"),
        Column("rt_intervals", "int8", "how many 15-minute prices the hour had (4 when complete)", nullable=False),
        Column("dam_price_usd_mwh", "float64", "day-ahead price", unit="USD/MWh"),
    ),
    natural_key=("settlement_point", "settlement_point_type", "interval_start_utc"),
    time_column="interval_start_utc",
    interval_minutes=60,
)

GOLD_TABLES: dict[str, TableSchema] = {
    table.name: table for table in (ENERGY_WEATHER_HOURLY, SYSTEM_HOURLY, ERCOT_SPP_HOURLY)
}
