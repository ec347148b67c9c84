"""The dataset catalog: the public dataset names and where each comes from, and the warehouse's table names.

The names (``spp_rt`` ... ``weather``) are the contract used by the CLI, Lambda events, lake keys and tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from energylake.errors import InvalidRequestError

ErcotDatasetName = Literal["spp_rt", "spp_dam", "load_weather_zone", "load_forecast", "wind", "solar", "fuel_mix"]
DatasetName = Literal["spp_rt", "spp_dam", "load_weather_zone", "load_forecast", "wind", "solar", "fuel_mix", "weather"]
SourceName = Literal["ercot", "openmeteo"]

ERCOT_DATASETS: tuple[ErcotDatasetName, ...] = get_args(ErcotDatasetName)
ALL_DATASETS: tuple[DatasetName, ...] = get_args(DatasetName)

# The warehouse's tables in load order (silver-fed first, then the gold tables built from them), spelled out here so
# that validating a Lambda event does not import the warehouse model (and pyarrow with it). The model's tests check
# that energylake.warehouse.model declares exactly these, in this order.
WarehouseTableName = Literal[
    "ercot_spp",
    "ercot_load_by_weather_zone",
    "weather_hourly",
    "ercot_load_forecast",
    "ercot_wind_solar",
    "ercot_fuel_mix",
    "energy_weather_hourly",
    "system_hourly",
    "ercot_spp_hourly",
]
WAREHOUSE_TABLES: tuple[WarehouseTableName, ...] = get_args(WarehouseTableName)


# How a report's posted documents map to operating days (the archive lists documents by POSTING time):
# * interval   - one document per interval, posted minutes after the interval ends (real-time prices: about 96 a day,
#                100 on the fall-back day); a document belongs to the operating day of its interval;
# * next_day   - one document per operating day, posted the next day (actual load);
# * day_before - one document per operating day, posted the day before (day-ahead prices);
# * vintage    - one document per posting (hourly forecasts), each covering many operating days: a posting is grouped
#                under the operating day it was posted on, and a window needs the postings that cover it.
PostingRule = Literal["interval", "next_day", "day_before", "vintage"]

# The doors an ERCOT operating day can come through (recorded in raw metadata as ``source-used``).
ErcotDoor = Literal["ercot-api", "ercot-archive", "ercot-yearly", "ercot-mis", "ercot-dashboard"]


@dataclass(frozen=True)
class ErcotApiReport:
    """A report of ERCOT's Public Reports API, queried by delivery/operating day."""

    report_id: str  # ERCOT's report number, e.g. NP6-905-CD
    path: str  # path under the API base URL, as in ERCOT's OpenAPI definition
    date_from_param: str
    date_to_param: str
    mis_report_type_id: int  # the same report on the no-login MIS listing (recent days only)
    # The data endpoints serve rows by delivery day only for recent days (about 90; it varies by report, and an older
    # day or a gap answers 200 with zero rows): older days come from the archive.
    reach_days: int = 90


@dataclass(frozen=True)
class ErcotArchive:
    """The report's posted documents behind the Public Reports API's archive endpoints: ``GET /archive/{emil id}``
    lists them by posting time (pages of at most 1,000, newest first), ``POST /archive/{emil id}/download`` fetches up
    to 1,000 at once (a zip of per-document zips, each holding one CSV)."""

    emil_id: str  # the EMIL product id, e.g. NP6-905-CD (the URL path takes it lower-cased)
    posting: PostingRule
    first_day: dt.date  # the first operating day the archive holds: ERCOT's "First Run Date" of the product
    documents_per_day: int  # postings per ordinary operating day (for plans): 96, 24 or 1
    # For ``vintage`` reports: the operating days before and after a window whose postings cover it (a load forecast
    # posted up to 7 days before; wind/solar postings carry actuals for up to 2 days back).
    vintage_days_before: int = 0
    vintage_days_after: int = 0


@dataclass(frozen=True)
class ErcotYearly:
    """ERCOT's yearly historical file of the same numbers (an xlsx, or a zip holding one), for the years before the
    archive reaches. A year's file is published after the year ends."""

    product: str  # NP6-785-ER, NP4-180-ER (MIS report types), or native-load / fuel-mix-report (website files)
    first_year: int  # the first year ERCOT publishes (the nodal market began in December 2010)
    mis_report_type_id: int | None = None  # where the MIS listing has it (no login); else a website file


@dataclass(frozen=True)
class ErcotDashboard:
    """A no-login JSON dashboard on www.ercot.com (covers the previous and current day only)."""

    name: str  # file name under /api/1/services/read/dashboards/


@dataclass(frozen=True)
class Dataset:
    name: DatasetName
    source: SourceName
    description: str
    api: ErcotApiReport | None = None
    dashboard: ErcotDashboard | None = None
    archive: ErcotArchive | None = None
    yearly: ErcotYearly | None = None
    # Completeness: how long after an operating day ends its data is complete at the source. A day the fetch saw
    # complete must hold every interval; an earlier fetch may be partial (reported, allowed). None: not enforced
    # (vintaged forecasts: each posting covers a different span).
    complete_after: dt.timedelta | None = None


CATALOG: dict[DatasetName, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "spp_rt",
            "ercot",
            "Real-time settlement point prices, 15-minute (NP6-905-CD)",
            api=ErcotApiReport(
                "NP6-905-CD", "/np6-905-cd/spp_node_zone_hub", "deliveryDateFrom", "deliveryDateTo", 12301
            ),
            archive=ErcotArchive("NP6-905-CD", "interval", dt.date(2014, 5, 1), 96),
            yearly=ErcotYearly("NP6-785-ER", 2011, 13061),  # hubs and load zones only
            complete_after=dt.timedelta(hours=1),  # the last interval posts minutes after midnight
        ),
        Dataset(
            "spp_dam",
            "ercot",
            "Day-ahead market settlement point prices, hourly (NP4-190-CD)",
            api=ErcotApiReport(
                "NP4-190-CD", "/np4-190-cd/dam_stlmnt_pnt_prices", "deliveryDateFrom", "deliveryDateTo", 12331
            ),
            archive=ErcotArchive("NP4-190-CD", "day_before", dt.date(2014, 5, 1), 1),
            yearly=ErcotYearly("NP4-180-ER", 2011, 13060),  # hubs and load zones only
            complete_after=dt.timedelta(0),  # published the day before
        ),
        Dataset(
            "load_weather_zone",
            "ercot",
            "Actual system load by weather zone, hourly (NP6-345-CD)",
            api=ErcotApiReport(
                "NP6-345-CD", "/np6-345-cd/act_sys_load_by_wzn", "operatingDayFrom", "operatingDayTo", 13101
            ),
            archive=ErcotArchive("NP6-345-CD", "next_day", dt.date(2014, 5, 1), 1),
            yearly=ErcotYearly("native-load", 2011),  # www.ercot.com/gridinfo/load/load_hist
            complete_after=dt.timedelta(days=1),  # posted the next day
        ),
        Dataset(
            "load_forecast",
            "ercot",
            "Seven-day load forecast by model and weather zone (NP3-565-CD)",
            api=ErcotApiReport(
                "NP3-565-CD",
                "/np3-565-cd/lf_by_model_weather_zone",
                "deliveryDateFrom",
                "deliveryDateTo",
                14837,
            ),
            archive=ErcotArchive("NP3-565-CD", "vintage", dt.date(2014, 8, 8), 24, vintage_days_before=7),
        ),
        Dataset(
            "wind",
            "ercot",
            "Wind power production, hourly averaged actual and forecast (NP4-732-CD)",
            api=ErcotApiReport(
                "NP4-732-CD",
                "/np4-732-cd/wpp_hrly_avrg_actl_fcast",
                "deliveryDateFrom",
                "deliveryDateTo",
                13028,
            ),
            archive=ErcotArchive(
                "NP4-732-CD", "vintage", dt.date(2014, 8, 17), 24, vintage_days_before=7, vintage_days_after=2
            ),
        ),
        Dataset(
            "solar",
            "ercot",
            "Solar power production, hourly averaged actual and forecast (NP4-737-CD)",
            api=ErcotApiReport(
                "NP4-737-CD",
                "/np4-737-cd/spp_hrly_avrg_actl_fcast",
                "deliveryDateFrom",
                "deliveryDateTo",
                13483,
            ),
            archive=ErcotArchive(
                "NP4-737-CD", "vintage", dt.date(2016, 3, 12), 24, vintage_days_before=7, vintage_days_after=2
            ),
        ),
        Dataset(
            "fuel_mix",
            "ercot",
            "Generation by fuel, 5-minute (dashboard fuel-mix.json: the API has no fuel mix)",
            dashboard=ErcotDashboard("fuel-mix.json"),
            yearly=ErcotYearly("fuel-mix-report", 2011),  # www.ercot.com/gridinfo/generation: 15-minute by fuel
            complete_after=dt.timedelta(minutes=10),
        ),
        Dataset(
            "weather",
            "openmeteo",
            "Open-Meteo hourly weather at each ERCOT weather zone's representative point",
            complete_after=dt.timedelta(0),  # every requested hour is in the reply (values may be null)
        ),
    )
}


def get_dataset(name: str) -> Dataset:
    """The catalog entry for ``name``; an unknown name is an error listing the known ones."""
    try:
        return CATALOG[name]  # type: ignore[index]
    except KeyError:
        raise InvalidRequestError(f"unknown dataset {name!r}; known datasets: {', '.join(ALL_DATASETS)}") from None


def in_catalog_order(names: Iterable[str]) -> list[DatasetName]:
    """``names`` checked (an unknown one is an InvalidRequestError listing the known ones), deduplicated and in
    catalog order: the order every stage handles datasets in."""
    wanted = {get_dataset(name).name for name in names}
    return [name for name in ALL_DATASETS if name in wanted]
