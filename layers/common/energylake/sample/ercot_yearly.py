"""The sample's yearly historical files: ERCOT's yearly workbooks of the synthetic world, served where ERCOT serves
them, so ``backfill --source sample`` reaches the years before the archive offline.

* NP4-180-ER (day-ahead) and NP6-785-ER (real-time) hub and load-zone prices: the no-login MIS listing
  ``IceDocListJsonWS?reportTypeId=13060 / 13061`` lists one document per complete year (``DAMLZHBSPP_<year>``,
  ``RTMLZHBSPP_<year>``), and ``mirDownload?doclookupId=`` returns a zip holding the year's xlsx, a sheet per month
  (``Jan_1`` .. ``Dec_12``), with the columns of ERCOT's 2016 NP4-180-ER file (real-time: delivery hour, interval
  and settlement point type added, as ERCOT's RTM file is described);
* native load: the ``/gridinfo/load/load_hist`` page links ``Native_Load_<year>.zip`` (an xlsx, one sheet,
  ``Hour Ending`` labels ``MM/DD/YYYY HH:MM`` and ``... 02:00 DST``, zone columns ``COAST .. WEST`` then ``ERCOT``);
* fuel mix: the ``/gridinfo/generation`` page links ``IntGenbyFuel<year>.xlsx`` (a sheet per month, a row per day
  and fuel, 96 interval columns ``0:15 .. 24:00`` plus ``1:15 (DST) .. 2:00 (DST)`` on the November sheet, values in
  MWh per interval).

Only complete years before the sample clock's year exist, from each product's first year in the catalog. Numbers
come from :mod:`energylake.sample.world` (the same prices, loads and fuel mix the other sample replies report).
A year's file is built once per process (about 5 s for a year of real-time prices: see the tests) and cached.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

import httpx

from energylake.contracts.datasets import CATALOG
from energylake.contracts.zones import WEATHER_ZONES, WeatherZone
from energylake.sample import world
from energylake.sample.ercot_reports import HUBS, LOAD_ZONES, Slot, day_slots, to_central
from energylake.sample.xlsx import Row, workbook_bytes, zip_bytes

if TYPE_CHECKING:
    from energylake.sample.context import SampleContext

MIS_LISTING_PATH = "/misapp/servlets/IceDocListJsonWS"
MIS_DOWNLOAD_PATH = "/misdownload/servlets/mirDownload"
LOAD_HIST_PAGE = "/gridinfo/load/load_hist"
GENERATION_PAGE = "/gridinfo/generation"
FILES_PREFIX = "/files/docs/"
# MIS report type id -> (product, file stem)
MIS_PRODUCTS: dict[int, tuple[str, str]] = {13060: ("NP4-180-ER", "DAMLZHBSPP"), 13061: ("NP6-785-ER", "RTMLZHBSPP")}
_DOC_ID_BASE = 9_000_000_000  # sample yearly DocIDs: base + report type id * 10,000 + year (no other DocID is this big)
PRICE_POINTS = (*HUBS, *LOAD_ZONES)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Native-load column per weather zone, as ERCOT's yearly workbook spells them.
NATIVE_LOAD_COLUMNS: dict[str, WeatherZone] = {
    "COAST": "COAST",
    "EAST": "EAST",
    "FWEST": "FAR_WEST",
    "NORTH": "NORTH",
    "NCENT": "NORTH_CENTRAL",
    "SOUTH": "SOUTHERN",
    "SCENT": "SOUTH_CENTRAL",
    "WEST": "WEST",
}
# The fuel mix report's fuels (the yearly report splits gas into simple-cycle "Gas" and combined-cycle "Gas-CC",
# and reports storage charging as "WSL"): how the world's dashboard fuels map onto them.
FUEL_MIX_FUELS = ("Biomass", "Coal", "Gas", "Gas-CC", "Hydro", "Nuclear", "Other", "Solar", "Wind", "WSL")
_GAS_CC_SHARE = 0.72
_BIOMASS_SHARE = 0.4


def _first_year(product: str) -> int:
    for entry in CATALOG.values():
        if entry.yearly is not None and entry.yearly.product == product:
            return entry.yearly.first_year
    raise KeyError(product)  # pragma: no cover - every product served here is in the catalog


def complete_years(product: str, context: SampleContext) -> range:
    """The years whose file the sample serves: from the product's first year to the year before the clock's."""
    return range(_first_year(product), to_central(context.now).year)


def _json(status: int, document: object) -> httpx.Response:
    return httpx.Response(status, json=document)


def _not_found(what: str) -> httpx.Response:
    return httpx.Response(404, content=f"Not found: {what}".encode(), headers={"Content-Type": "text/plain"})


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def web_reply(request: httpx.Request, context: SampleContext, path: str) -> httpx.Response | None:
    """The reply to a www.ercot.com request for a yearly file or its listing/page; None when it is not one."""
    if request.method != "GET":
        return None
    params = request.url.params
    reply: httpx.Response | None = None
    if path == MIS_LISTING_PATH:
        rtid = _number(params.get("reportTypeId", ""))
        reply = _mis_listing(rtid, context) if rtid in MIS_PRODUCTS else None
    elif path == MIS_DOWNLOAD_PATH:
        number = (_number(params.get("doclookupId", "")) or 0) - _DOC_ID_BASE
        rtid, year = divmod(number, 10_000)
        reply = _mis_download(rtid, year, context) if number > 0 and rtid in MIS_PRODUCTS else None
    elif path == LOAD_HIST_PAGE:
        reply = _page("Hourly Load Data Archives", "native-load", context)
    elif path == GENERATION_PAGE:
        reply = _page("Generation", "fuel-mix-report", context)
    elif path.startswith(FILES_PREFIX):
        reply = _file(path.rsplit("/", 1)[-1], context)
    return reply


# ---------------------------------------------------------------------------------------------------------------
# MIS listing and download (NP4-180-ER, NP6-785-ER)
# ---------------------------------------------------------------------------------------------------------------


def _constructed_name(rtid: int, stem: str, year: int) -> str:
    return f"rpt.{rtid:08d}.0000000000000000.{stem}_{year}"


def _mis_listing(rtid: int, context: SampleContext) -> httpx.Response:
    product, stem = MIS_PRODUCTS[rtid]
    documents = []
    for year in sorted(complete_years(product, context), reverse=True):  # newest first, like ERCOT
        documents.append(
            {
                "Document": {
                    "ExpiredDate": "2099-12-31T23:59:59-05:00",
                    "ILMStatus": "EXT",
                    "SecurityStatus": "P",
                    "ContentSize": str(1_500_000 + year),
                    "Extension": "zip",
                    "ReportTypeID": str(rtid),
                    "Prefix": "rpt",
                    "FriendlyName": f"{stem}_{year}",
                    "ConstructedName": f"{_constructed_name(rtid, stem, year)}.zip",
                    "DocID": str(_DOC_ID_BASE + rtid * 10_000 + year),
                    # Posted on the first morning of the next year (ERCOT's quirk: always -05:00).
                    "PublishDate": f"{year + 1}-01-01T08:03:00-05:00",
                    "ReportName": f"Historical {'DAM' if rtid == 13060 else 'RTM'} Load Zone and Hub Prices",
                    "DUNS": "0000000000000000",
                    "DocCount": "0",
                }
            }
        )
    return _json(200, {"ListDocsByRptTypeRes": {"DocumentList": documents}})


def _mis_download(rtid: int, year: int, context: SampleContext) -> httpx.Response:
    product, stem = MIS_PRODUCTS[rtid]
    if year not in complete_years(product, context):
        return _not_found(f"{stem}_{year}")
    member = f"{_constructed_name(rtid, stem, year)}.xlsx"
    body = zip_bytes([(member, price_workbook(context.seed, product, year))])
    return httpx.Response(200, content=body, headers={"Content-Type": "application/zip"})


# ---------------------------------------------------------------------------------------------------------------
# Website pages and files (native load, fuel mix report)
# ---------------------------------------------------------------------------------------------------------------


def _file_name(product: str, year: int) -> str:
    return f"Native_Load_{year}.zip" if product == "native-load" else f"IntGenbyFuel{year}.xlsx"


def _file_path(product: str, year: int) -> str:
    # ERCOT's file URLs carry the day the file was posted: early in the next year.
    return f"{FILES_PREFIX}{year + 1}/01/{5 + year % 7:02d}/{_file_name(product, year)}"


def _page(title: str, product: str, context: SampleContext) -> httpx.Response:
    links = "".join(
        f'<li><a href="{_file_path(product, year)}">{_file_name(product, year)}</a></li>\n'
        for year in sorted(complete_years(product, context), reverse=True)
    )
    html = f"<!DOCTYPE html><html><head><title>{title} | ERCOT</title></head><body><ul>\n{links}</ul></body></html>"
    return httpx.Response(200, content=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"})


def _file(name: str, context: SampleContext) -> httpx.Response:
    for product in ("native-load", "fuel-mix-report"):
        for year in complete_years(product, context):
            if name == _file_name(product, year):
                if product == "native-load":
                    body = zip_bytes([(f"Native_Load_{year}.xlsx", native_load_workbook(context.seed, year))])
                    kind = "application/x-zip-compressed"
                else:
                    body = fuel_mix_workbook(context.seed, year)
                    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                return httpx.Response(200, content=body, headers={"Content-Type": kind})
    return _not_found(name)


# ---------------------------------------------------------------------------------------------------------------
# The workbooks
# ---------------------------------------------------------------------------------------------------------------


def _year_days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - first).days)]


def _rt_point_type(point: str) -> str:
    if point in ("HB_BUSAVG", "HB_HUBAVG"):
        return "AH"  # as the sample's real-time API replies type the hub averages
    return "HU" if point.startswith("HB_") else "LZ"


@functools.lru_cache(maxsize=4)
def price_workbook(seed: int, product: str, year: int) -> bytes:
    """NP4-180-ER (``DAMLZHBSPP``) or NP6-785-ER (``RTMLZHBSPP``) of ``year``: an xlsx, one sheet per month."""
    real_time = product == "NP6-785-ER"
    sheets: list[tuple[str, list[Row]]] = []
    for month in range(1, 13):
        if real_time:
            header: Row = (
                "Delivery Date",
                "Delivery Hour",
                "Delivery Interval",
                "Repeated Hour Flag",
                "Settlement Point Name",
                "Settlement Point Type",
                "Settlement Point Price",
            )
        else:
            header = (
                "Delivery Date",
                "Hour Ending",
                "Repeated Hour Flag",
                "Settlement Point",
                "Settlement Point Price",
            )
        rows: list[Row] = [header]
        for day in _year_days(year):
            if day.month != month:
                continue
            label = f"{day:%m/%d/%Y}"
            for slot in day_slots(day, quarter=real_time):
                if real_time:
                    rows += _rt_rows(seed, label, slot)
                else:
                    hour = f"{slot.hour_ending:02d}:00"
                    rows += [
                        (label, hour, slot.dst_flag, point, world.dam_price(seed, point, slot.start_utc))
                        for point in PRICE_POINTS
                    ]
        sheets.append((f"{_MONTH_NAMES[month - 1]}_{month}", rows))
    return workbook_bytes(sheets)


def _rt_rows(seed: int, label: str, slot: Slot) -> list[Row]:
    """One interval: every hub and load zone, and every load zone again as type LZEW (energy weighted) at a price a
    few cents to a dollar away, as ERCOT's RTM file lists them (23 rows an interval in its 2025 file)."""
    head = (label, slot.hour_ending, slot.interval, slot.dst_flag)
    rows: list[Row] = []
    stamp = slot.start_utc.timestamp()
    for point in PRICE_POINTS:
        price = world.rt_price(seed, point, slot.start_utc)
        rows.append((*head, point, _rt_point_type(point), price))
        if point in LOAD_ZONES:
            offset = 0.01 + 0.99 * world.unit(seed, "yearly-lzew", point, stamp)
            weighted = round(min(5000.0, max(-250.0, price + (offset if offset < 0.5 else -offset))), 2)
            rows.append((*head, point, "LZEW", weighted))
    return rows


@functools.lru_cache(maxsize=4)
def native_load_workbook(seed: int, year: int) -> bytes:
    """``Native_Load_<year>.xlsx``: one sheet, one row per hour, a column per weather zone and the ERCOT total."""
    rows: list[Row] = [("Hour Ending", *NATIVE_LOAD_COLUMNS, "ERCOT")]
    order = [WEATHER_ZONES.index(zone) for zone in NATIVE_LOAD_COLUMNS.values()]
    for day in _year_days(year):
        for slot in day_slots(day, quarter=False):
            label = f"{slot.day:%m/%d/%Y} {slot.hour_ending:02d}:00" + (" DST" if slot.dst_flag == "Y" else "")
            hour = world.grid_at(seed, slot.start_utc)
            loads = [round(hour.zone_load[index], 2) for index in order]
            rows.append((label, *loads, round(sum(loads), 2)))
    return workbook_bytes([("Sheet1", rows)])


def _report_fuels(mix: dict[str, float]) -> dict[str, float]:
    """The world's dashboard fuels (MW) as the yearly report's fuels."""
    gas = mix["Natural Gas"]
    storage = mix["Power Storage"]
    return {
        "Biomass": mix["Other"] * _BIOMASS_SHARE,
        "Coal": mix["Coal and Lignite"],
        "Gas": gas * (1 - _GAS_CC_SHARE),
        "Gas-CC": gas * _GAS_CC_SHARE,
        "Hydro": mix["Hydro"],
        "Nuclear": mix["Nuclear"],
        "Other": mix["Other"] * (1 - _BIOMASS_SHARE) + max(0.0, storage),
        "Solar": mix["Solar"],
        "Wind": mix["Wind"],
        "WSL": min(0.0, storage),
    }


def _end_label(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


@functools.lru_cache(maxsize=4)
def fuel_mix_workbook(seed: int, year: int) -> bytes:
    """``IntGenbyFuel<year>.xlsx``: a sheet per month, a row per day and fuel, MWh per 15-minute interval."""
    regular = list(range(15, 24 * 60 + 1, 15))
    repeated = list(range(75, 121, 15))  # the fall-back hour's second pass: 1:15 (DST) .. 2:00 (DST)
    sheets: list[tuple[str, list[Row]]] = []
    days = _year_days(year)
    for month in range(1, 13):
        month_days = [day for day in days if day.month == month]
        fall_back = any(len(day_slots(day, quarter=False)) == 25 for day in month_days)
        # The November sheet carries the four extra columns, right after 2:00.
        columns = [(minutes, False) for minutes in regular]
        if fall_back:
            at = regular.index(120) + 1
            columns[at:at] = [(minutes, True) for minutes in repeated]
        header: Row = (
            "Date",
            "Fuel",
            "Settlement Type",
            "Total",
            *(_end_label(minutes) + (" (DST)" if second else "") for minutes, second in columns),
        )
        rows: list[Row] = [header]
        for day in month_days:
            rows += _fuel_rows(seed, day, columns)
        sheets.append((_MONTH_NAMES[month - 1], rows))
    return workbook_bytes(sheets)


def _fuel_rows(seed: int, day: dt.date, columns: list[tuple[int, bool]]) -> list[Row]:
    energy: dict[tuple[int, bool], dict[str, float]] = {}
    for slot in day_slots(day, quarter=True):
        end_minutes = (slot.hour_ending - 1) * 60 + slot.interval * 15
        middle = slot.start_utc + dt.timedelta(minutes=7, seconds=30)
        mix = _report_fuels(world.fuel_mix_at(seed, middle))
        energy[end_minutes, slot.dst_flag == "Y"] = {fuel: round(mw / 4, 4) for fuel, mw in mix.items()}
    rows: list[Row] = []
    for fuel in FUEL_MIX_FUELS:
        cells = [energy[column][fuel] if column in energy else None for column in columns]
        total = round(sum(cell for cell in cells if cell is not None), 4)
        rows.append((day, fuel, "FINAL", total, *cells))
    return rows
