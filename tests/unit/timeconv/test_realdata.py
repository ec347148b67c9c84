"""timeconv against real ERCOT files in ../shared/realdata (read in place, never copied; skipped when absent)."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import itertools
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest

from energylake.timeconv import (
    AmbiguousLocalTime,
    ercot_labels,
    hour_ending_interval_utc,
    hour_ending_starts_utc,
    local_day_bounds_utc,
    local_day_hours,
    local_wallclock_array_to_utc,
    local_wallclock_to_utc,
    parse_delivery_date,
    parse_dst_flag,
    parse_hour_ending,
)
from tests.support.dst_days import H, utc
from tests.support.paths import realdata_path

pytestmark = pytest.mark.realdata

MIS = "ercot_mis_wind_solar_loadfc_20250313"


def _zip_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header (exactly as written) and rows of the one CSV inside an ERCOT zip."""
    with zipfile.ZipFile(path) as archive:
        (name,) = [n for n in archive.namelist() if n.lower().endswith(".csv")]
        text = archive.read(name).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _assert_whole_year(starts: list[dt.datetime], year: int) -> None:
    assert len(starts) == len(set(starts)) == 8784  # leap year
    assert all(later - earlier == H for earlier, later in itertools.pairwise(starts))
    assert starts[0] == local_day_bounds_utc(dt.date(year, 1, 1))[0]
    assert starts[-1] + H == local_day_bounds_utc(dt.date(year, 12, 31))[1]


def _hours_per_day(starts: list[dt.datetime]) -> collections.Counter[dt.date]:
    return collections.Counter(ercot_labels(start)[0] for start in starts)


def test_native_load_2024_hour_ending_labels() -> None:
    # GIVEN ERCOT's 2024 Native Load archive ("MM/DD/YYYY HH:MM", "24:00", "11/03/2024 02:00 DST")
    path = realdata_path("ercot_native_load_2024", "Native_Load_2024.derived.csv")
    labels = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types={"Hour Ending": pa.string()}))[
        "Hour Ending"
    ].combine_chunks()
    assert len(labels) == 8784
    # WHEN splitting date and hour label and converting (vectorised, and one by one)
    days = pc.utf8_slice_codeunits(labels, 0, 10)
    hours = pc.utf8_slice_codeunits(labels, 11, 100)
    # (this file marks only the second occurrence: an unmarked label is the first, so the flag is "has DST")
    marked = pc.match_substring(hours, "DST", ignore_case=True)
    starts = hour_ending_starts_utc(days, hours, marked).to_pylist()
    scalar = []
    for label in labels.to_pylist():
        day_text, hour_text = label.split(" ", 1)
        hour = parse_hour_ending(hour_text)
        scalar.append(hour_ending_interval_utc(parse_delivery_date(day_text), hour.hour, bool(hour.repeated))[0])
    # THEN 8784 unique, strictly increasing UTC hours covering 2024 exactly, with 23 and 25 hours on the DST days
    assert starts == scalar
    assert starts[0] == utc(2024, 1, 1, 6)
    assert starts[-1] + H == utc(2025, 1, 1, 6)
    _assert_whole_year(starts, 2024)
    per_day = _hours_per_day(starts)
    assert per_day[dt.date(2024, 3, 10)] == 23
    assert per_day[dt.date(2024, 11, 3)] == 25
    assert all(count == local_day_hours(day) for day, count in per_day.items())
    # the "02:00 DST" row is the CST occurrence, right after the CDT one
    dst_row = labels.to_pylist().index("11/03/2024 02:00 DST")
    assert starts[dst_row - 1 : dst_row + 1] == [utc(2024, 11, 3, 6), utc(2024, 11, 3, 7)]
    # without that convention the unmarked "11/03/2024 02:00" is rightly ambiguous, and named
    with pytest.raises(
        AmbiguousLocalTime, match=rf"^row {dst_row - 1}: operating day 2024-11-03, HE 2: .*twice.*hours='02:00'"
    ):
        hour_ending_starts_utc(days, hours)


def test_dam_spp_2016_repeated_hour_flag() -> None:
    # GIVEN the 2016 DAM load zone / hub prices (Delivery Date, Hour Ending "01:00".."24:00", Repeated Hour Flag N/Y)
    path = realdata_path("ercot_dam_spp_hub_lz_2016", "DAMLZHBSPP_2016.derived.csv")
    table = pcsv.read_csv(path)
    assert table.num_rows == 122_976
    # WHEN converting all rows at once
    starts = hour_ending_starts_utc(table["Delivery Date"], table["Hour Ending"], table["Repeated Hour Flag"])
    # THEN each settlement point has 8784 unique UTC hours covering 2016
    by_point: dict[str, list[dt.datetime]] = collections.defaultdict(list)
    for point, start in zip(table["Settlement Point"].to_pylist(), starts.to_pylist(), strict=True):
        by_point[point].append(start)
    assert len(by_point) == 14
    for point_starts in by_point.values():
        _assert_whole_year(sorted(point_starts), 2016)
    per_day = _hours_per_day(by_point["HB_NORTH"])
    assert per_day[dt.date(2016, 3, 13)] == 23
    assert per_day[dt.date(2016, 11, 6)] == 25
    # and 11/06/2016 HE 02:00 N and Y are distinct hours, N first (CDT), Y one hour later (CST)
    mask = pc.and_(
        pc.and_(pc.equal(table["Delivery Date"], "11/06/2016"), pc.equal(table["Hour Ending"], "02:00")),
        pc.equal(table["Settlement Point"], "HB_NORTH"),
    )
    rows = table.filter(mask)
    flags = rows["Repeated Hour Flag"].to_pylist()
    assert sorted(flags) == ["N", "Y"]
    converted = {flag: hour_ending_interval_utc(dt.date(2016, 11, 6), 2, parse_dst_flag(flag))[0] for flag in flags}
    assert converted == {"N": utc(2016, 11, 6, 6), "Y": utc(2016, 11, 6, 7)}


def test_dam_as_mcpc_2016_zip() -> None:
    # GIVEN the 2016 DAM ancillary-service clearing prices zip (header with "REGUP " and Repeated Hour Flag)
    header, rows = _zip_csv(realdata_path("ercot_dam_as_mcpc_2016", "NP4-181-ER_DAMASMCPC_2016.zip"))
    assert header[:3] == ["Delivery Date", "Hour Ending", "Repeated Hour Flag"]
    # WHEN converting every row with the scalar functions and with the array form
    starts = []
    for row in rows:
        hour = parse_hour_ending(row["Hour Ending"])
        day = parse_delivery_date(row["Delivery Date"])
        starts.append(hour_ending_interval_utc(day, hour.hour, parse_dst_flag(row["Repeated Hour Flag"]))[0])
    vectorised = hour_ending_starts_utc(
        pa.array([row["Delivery Date"] for row in rows]),
        pa.array([row["Hour Ending"] for row in rows]),
        pa.array([row["Repeated Hour Flag"] for row in rows]),
    )
    # THEN 8784 unique hours covering 2016, the same both ways
    assert vectorised.to_pylist() == starts
    _assert_whole_year(sorted(starts), 2016)


@pytest.mark.parametrize(
    ("zip_name", "first_label", "hours"),
    [
        ("wind_specific_reportid.zip", (dt.date(2025, 3, 11), 14), 216),
        ("solar_specific_reportid.zip", (dt.date(2025, 3, 11), 14), 216),
        ("load_forecast_specific_reportid.zip", (dt.date(2025, 3, 13), 1), 192),
    ],
)
def test_mis_reports_after_the_2025_spring_forward(zip_name: str, first_label: tuple[dt.date, int], hours: int) -> None:
    # GIVEN MIS reports posted 2025-03-13 (days after the 2025-03-09 DST start): integer HOUR_ENDING or "1:00"
    # labels, and a "DSTFlag    " header with trailing spaces
    header, rows = _zip_csv(realdata_path(MIS, zip_name))
    day_column = next(name for name in header if name.strip().upper().replace("_", "") == "DELIVERYDATE")
    hour_column = next(name for name in header if name.strip().upper().replace("_", "") == "HOURENDING")
    flag_column = next(name for name in header if name.strip().upper() == "DSTFLAG")
    assert len(rows) == hours
    # WHEN converting every row
    starts = hour_ending_starts_utc(
        pa.array([row[day_column] for row in rows]),
        pa.array([row[hour_column] for row in rows]),
        pa.array([row[flag_column] for row in rows]),
    ).to_pylist()
    # THEN no row is a nonexistent hour (the conversion would raise), hours are unique and consecutive, and every
    # delivery date has its right number of hours (the first / last date of a rolling window may be partial)
    assert all(later - earlier == H for earlier, later in itertools.pairwise(starts))
    assert ercot_labels(starts[0])[:2] == first_label
    per_day = _hours_per_day(starts)
    edge_days = {min(per_day), max(per_day)}
    for day, count in per_day.items():
        assert count == local_day_hours(day) or (day in edge_days and count < local_day_hours(day))
    assert {row[flag_column].strip() for row in rows} == {"N"}


@pytest.mark.parametrize(
    "listing",
    [
        "load_forecast_by_forecast_zone.json",
        "solar_power_production_hourly_averaged_actual_and_forecasted_values_rtid.json",
        "wind_power_production_hourly_averaged_actual_and_forecasted_values_rtid.json",
    ],
)
def test_mis_listing_publish_times_across_spring_forward(listing: str) -> None:
    # GIVEN an MIS document listing spanning 2025-03-09, whose PublishDate stamps "-05:00" even on CST times:
    # the wall clock is right, the offset is not
    documents = json.loads(realdata_path(MIS, listing).read_text())["ListDocsByRptTypeRes"]["DocumentList"]
    csv_docs = [doc["Document"] for doc in documents if doc["Document"]["FriendlyName"].endswith("_csv")]
    wall_clocks = sorted({dt.datetime.fromisoformat(doc["PublishDate"][:19]) for doc in csv_docs})
    assert dt.datetime(2025, 3, 9, 1, 30).date() in {w.date() for w in wall_clocks}
    # WHEN converting the wall clocks (vectorised and scalar)
    published = local_wallclock_array_to_utc(pa.array(wall_clocks, pa.timestamp("us"))).to_pylist()
    assert published == [local_wallclock_to_utc(wall) for wall in wall_clocks]
    # THEN no posting falls in the nonexistent hour, and the hourly postings stay about an hour apart in UTC across
    # the change (taking "-05:00" literally would open a two-hour hole at 2025-03-09 01:xx -> 03:xx)
    gaps = [later - earlier for earlier, later in itertools.pairwise(published)]
    assert all(dt.timedelta(minutes=55) <= gap <= dt.timedelta(minutes=65) for gap in gaps)
    literal = sorted({dt.datetime.fromisoformat(doc["PublishDate"]) for doc in csv_docs})
    assert max(later - earlier for earlier, later in itertools.pairwise(literal)) > dt.timedelta(hours=1.5)
