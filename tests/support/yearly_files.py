"""Small ERCOT yearly workbooks for the yearly parser's tests: the real layouts (twelve month sheets, the real
headers) holding a few days each, written with the sample's xlsx writer, and the independent zoneinfo arithmetic
the tests check every interval against (never energylake.timeconv)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from energylake.contracts.datasets import DatasetName
from energylake.parse import RawObject
from energylake.sample.xlsx import Row, workbook_bytes

CHICAGO = ZoneInfo("America/Chicago")
UTC = dt.UTC
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAM_HEADER: Row = ("Delivery Date", "Hour Ending", "Repeated Hour Flag", "Settlement Point", "Settlement Point Price")
RTM_HEADER: Row = (
    "Delivery Date",
    "Delivery Hour",
    "Delivery Interval",
    "Repeated Hour Flag",
    "Settlement Point Name",
    "Settlement Point Type",
    "Settlement Point Price",
)
LOAD_HEADER: Row = ("Hour Ending", "COAST", "EAST", "FWEST", "NORTH", "NCENT", "SOUTH", "SCENT", "WEST", "ERCOT")


def zoneinfo_start(day: dt.date, minutes_after_midnight: int, second_pass: bool) -> dt.datetime:
    """The UTC start of a Central wall-clock time: day + minutes, fold=1 for the second pass of a repeated hour."""
    naive = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes_after_midnight)
    return naive.replace(tzinfo=CHICAGO, fold=1 if second_pass else 0).astimezone(UTC)


def local_hours(day: dt.date) -> list[tuple[int, bool]]:
    """The day's (hour ending, second pass) labels from zoneinfo alone: 23, 24 or 25 of them, in time order."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CHICAGO).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=CHICAGO).astimezone(UTC)
    labels = []
    instant = start
    while instant < end:
        local = instant.astimezone(CHICAGO)
        labels.append((local.hour + 1, local.fold == 1))
        instant += dt.timedelta(hours=1)
    return labels


def month_sheets(
    rows_of_month: Callable[[int], list[Row]], header: Row, *, names: Sequence[str] = MONTHS
) -> list[tuple[str, list[Row]]]:
    """Twelve sheets named ``names`` holding ``header`` and ``rows_of_month(month)``."""
    return [(name, [header, *rows_of_month(month)]) for month, name in enumerate(names, start=1)]


def dam_rows(day: dt.date, points: Sequence[str] = ("HB_NORTH", "LZ_WEST")) -> list[Row]:
    rows: list[Row] = []
    for hour, second in local_hours(day):
        for number, point in enumerate(points):
            rows.append((f"{day:%m/%d/%Y}", f"{hour:02d}:00", "Y" if second else "N", point, 20.0 + hour + number))
    return rows


def rtm_rows(day: dt.date, points: Sequence[tuple[str, str]] = (("HB_NORTH", "HU"), ("LZ_WEST", "LZ"))) -> list[Row]:
    rows: list[Row] = []
    for hour, second in local_hours(day):
        for interval in range(1, 5):
            for number, (point, kind) in enumerate(points):
                price = 10.0 + hour + interval / 10 + number
                rows.append((f"{day:%m/%d/%Y}", hour, interval, "Y" if second else "N", point, kind, price))
    return rows


def load_rows(day: dt.date) -> list[Row]:
    rows: list[Row] = []
    for hour, second in local_hours(day):
        loads = [1000.0 * zone + hour for zone in range(1, 9)]
        rows.append((f"{day:%m/%d/%Y} {hour:02d}:00" + (" DST" if second else ""), *loads, sum(loads)))
    return rows


def workbook(sheets: Sequence[tuple[str, Sequence[Row]]]) -> bytes:
    return workbook_bytes(list(sheets))


def zipped(members: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def yearly_raw(dataset: DatasetName, product: str, body: bytes, year: int | None = 2016) -> RawObject:
    """A raw yearly file as the yearly door lands it (the metadata the parser routes by)."""
    metadata = {"source-used": "ercot-yearly", "x-yearly-product": product}
    if year is not None:
        metadata["x-year"] = str(year)
    return RawObject(key=f"raw/ercot/{dataset}/yearly-{year}.zip", dataset=dataset, body=body, metadata=metadata)
