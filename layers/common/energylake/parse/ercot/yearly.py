"""ERCOT's yearly historical files (an xlsx, or a zip holding one) -> silver tables minus lineage.

Entry points
    :func:`parse_yearly` (a :class:`~energylake.parse.RawObject` landed by the yearly door, ``source-used:
    ercot-yearly``) and :func:`parse_yearly_workbook` (the same on bytes, for tests and tools).

Products (raw metadata ``x-yearly-product``, written by :class:`energylake.sources.ercot.yearly.YearlyDoor`)
    * ``NP4-180-ER`` -> ``spp_dam``: historical DAM load zone and hub prices, a zip holding one xlsx with a sheet per
      month (``Jan_1`` .. ``Dec_12``): ``Delivery Date`` (MM/DD/YYYY), ``Hour Ending`` (``01:00`` .. ``24:00``),
      ``Repeated Hour Flag`` (N, then Y for the second pass of the fall-back hour), ``Settlement Point``,
      ``Settlement Point Price``. Checked against ERCOT's 2016 file (../shared/realdata/ercot_dam_spp_hub_lz_2016).
    * ``NP6-785-ER`` -> ``spp_rt``: historical RTM load zone and hub prices, the same shape with 15-minute rows:
      ``Delivery Date``, ``Delivery Hour`` (1..24), ``Delivery Interval`` (1..4), ``Repeated Hour Flag``,
      ``Settlement Point Name``, ``Settlement Point Type``, ``Settlement Point Price``. NOT checked against a real
      file (none in realdata): the column order and names come from public code that reads these files.
    * ``native-load`` -> ``load_weather_zone``: ERCOT's yearly native load workbook (a zip holding an xlsx, or the
      xlsx), one hourly row per ``Hour Ending`` label ``MM/DD/YYYY HH:MM`` (``24:00`` ends the day; the repeated
      fall-back hour is ``MM/DD/YYYY 02:00`` then ``MM/DD/YYYY 02:00 DST``) and one column per weather zone (``FWEST``,
      ``NCENT``, ``SCENT``... normalised by :func:`energylake.contracts.zones.normalize_zone_name`); the ``ERCOT``
      total is not a zone and is left out. Checked against Native_Load_2024.xlsx. A label stored as an Excel date
      and time instead of text (seen in other projects' notes on older years) is read as the same wall clock; an
      Excel midnight is the previous day's ``24:00``. Older files spelling the header ``HourEnding`` are accepted.
    * ``fuel-mix-report`` -> ``fuel_mix``: ERCOT's yearly fuel mix report (``IntGenbyFuel<year>.xlsx``; several years
      in one zip, of which the member naming the year is read), a sheet per month (``Jan`` .. ``Dec``) with one row
      per day and fuel: ``Date``, ``Fuel``, ``Settlement Type``, ``Total``, then one column per 15-minute interval
      labelled by its END (``0:15`` .. ``24:00``; ``0:00`` after ``23:45`` also means the day's end), the repeated
      fall-back hour in extra columns marked ``(DST)`` (``1:15 (DST)`` .. ``2:00 (DST)``, the second, standard-time
      pass). NOT checked against a real file: the layout comes from public code that reads these files. The values
      are read as MWh per 15-minute interval (what ERCOT's report states, unverified here) and become average MW
      (x 4). A blank cell is allowed only where no interval exists: the skipped spring-forward hour, and the
      ``(DST)`` columns on days without a repeated hour; anywhere else it is a ParseError.

Every sheet is read. A sheet whose name the product does not use, a sheet without the product's header row (searched
in its first rows), or a product this module does not know is a :class:`ParseError` naming the product, the sheet
and what is missing -- never an empty table. Rows in errors are DATA rows of the named sheet (the first row under
the header is row 1, as for CSVs; in every known layout the header is the sheet's first row).

Times: every conversion goes through :mod:`energylake.timeconv` (vectorised), as for the other ERCOT layouts.
Settlement point type: these hub/load-zone files carry none (DAM) or may (RTM); a missing type comes from the name
(``HB_*`` -> ``HU``, ``LZ_*_EW`` -> ``LZEW``, ``LZ_*`` -> ``LZ``) and a point that is neither is a ParseError, so the
type is never null. python-calamine (Rust) reads the workbook; it is imported inside the functions that need it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from energylake import timeconv
from energylake.contracts.datasets import CATALOG, DatasetName
from energylake.contracts.schemas import LINEAGE, SILVER_TABLES
from energylake.contracts.zones import WEATHER_ZONES, normalize_zone_name
from energylake.errors import InvalidRequestError, ParseError
from energylake.parse import ParseResult, RawObject
from energylake.parse.ercot.columns import (
    column_key,
    first_row_number,
    fuel_code,
    gc_paused,
    hour_starts_utc,
    is_text,
    local_time_error,
    parse_dates,
    parse_flags,
    parse_floats,
    parse_hours,
    parse_ints,
    parse_text_values,
    python_to_array,
    repeated_flags,
    require_values,
    trimmed_text,
)

__all__ = ["PRODUCT_DATASETS", "YEARLY_PRODUCTS", "parse_yearly", "parse_yearly_workbook"]

# Which dataset each yearly product holds, from the catalog (ErcotYearly.product).
PRODUCT_DATASETS: dict[str, DatasetName] = {
    entry.yearly.product: name for name, entry in CATALOG.items() if entry.yearly is not None
}
YEARLY_PRODUCTS: tuple[str, ...] = tuple(PRODUCT_DATASETS)

FUEL_MIX_MWH_TO_MW = 4.0  # a 15-minute interval's MWh is its average MW / 4 (the report's unit: unverified)
TOTAL_TOLERANCE_MW = 1.0
HEADER_SEARCH_ROWS = 10  # a header row further down than this is not a layout we know
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_SHEET = re.compile(r"^(?P<month>[a-z]{3})[a-z]*(?:[ _-]?\d{1,4})?$", re.IGNORECASE)  # Jan, Jan_1, January 2016
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_FIFTEEN_MINUTES = pa.scalar(dt.timedelta(minutes=15), pa.duration("us"))
_ONE_HOUR = pa.scalar(dt.timedelta(hours=1), pa.duration("us"))
_LINEAGE_NAMES = frozenset(column.name for column in LINEAGE)

_DATE = ("Delivery Date", "DeliveryDate", "DELIVERY_DATE")
_HOUR_ENDING = ("Hour Ending", "HourEnding", "HOUR_ENDING", "Hour End")
_DELIVERY_HOUR = ("Delivery Hour", "DeliveryHour", "DELIVERY_HOUR")
_DELIVERY_INTERVAL = ("Delivery Interval", "DeliveryInterval", "DELIVERY_INTERVAL")
_FLAG = ("Repeated Hour Flag", "RepeatedHourFlag", "DSTFlag")
_POINT = ("Settlement Point", "Settlement Point Name", "SettlementPoint", "SettlementPointName")
_POINT_TYPE = ("Settlement Point Type", "SettlementPointType")
_PRICE = ("Settlement Point Price", "SettlementPointPrice")
_TOTALS = ("ERCOT", "Total", "SystemTotal", "System Total")
_FUEL_DATE = ("Date", "Delivery Date", "Oper Day", "Operating Day")
_FUEL = ("Fuel", "Fuel Type")
_SETTLEMENT_TYPE = ("Settlement Type", "SettlementType")
_FUEL_TOTAL = ("Total",)
# Sheets a product's workbook may hold besides its data sheets (left alone). Unverified guesses: the fuel mix
# report is said to open with a yearly summary sheet.
_IGNORED_SHEETS: dict[str, frozenset[str]] = {"fuel-mix-report": frozenset({"summary"})}


# ---------------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------------


def parse_yearly(raw: RawObject) -> ParseResult:
    """One yearly file landed whole (``source-used: ercot-yearly``), read by its ``x-yearly-product`` metadata."""
    product = raw.metadata.get("x-yearly-product", "").strip()
    year_text = raw.metadata.get("x-year", "").strip()
    year: int | None = None
    if year_text:
        if not year_text.isdigit():
            raise ParseError(f"{raw.key}: raw metadata x-year={year_text!r} is not a year", column="x-year")
        year = int(year_text)
    if product not in PRODUCT_DATASETS:
        raise ParseError(
            f"{raw.key}: yearly product {product!r} (raw metadata x-yearly-product) is not one this parser reads; "
            f"known: {', '.join(YEARLY_PRODUCTS)}",
            column="x-yearly-product",
        )
    if PRODUCT_DATASETS[product] != raw.dataset:
        raise ParseError(
            f"{raw.key}: yearly product {product} holds {PRODUCT_DATASETS[product]}, not {raw.dataset}",
            column="x-yearly-product",
        )
    return parse_yearly_workbook(product, raw.body, year=year, what=raw.key)


def parse_yearly_workbook(
    product: str, body: bytes, *, year: int | None = None, what: str = "ERCOT yearly file"
) -> ParseResult:
    """A yearly file's bytes (xlsx, xls, or a zip holding workbooks) as the silver rows of ``product``'s dataset.

    ``year``: the year the file covers; needed to choose among several workbooks in one zip, and rows outside it
    get a note."""
    reader = _READERS.get(product)
    if reader is None:
        raise ParseError(f"{what}: unknown yearly product {product!r}; known: {', '.join(YEARLY_PRODUCTS)}")
    member, content = _workbook_bytes(body, year, what)
    label = f"{what} [{member}]" if member else what
    # The cells become ~10^6 Python objects holding no cycles: pause the cyclic GC while they exist (its passes
    # over them cost more than reading the workbook).
    with gc_paused():
        sheets = _read_sheets(content, label)
        if not sheets:
            raise ParseError(f"{label}: {product} workbook holds no sheets")
        result = reader(product, sheets, label)
        del sheets
    if year is not None and result.days is not None:
        outside = pc.sum(pc.not_equal(pc.year(result.days), year)).as_py() or 0
        if outside:
            result.notes.append(f"{label}: {outside} rows are dated outside {year}, the year the file is for")
    return ParseResult(result.table, result.rows_read, result.unknown_columns, result.notes)


# ---------------------------------------------------------------------------------------------------------------
# Workbook and sheets
# ---------------------------------------------------------------------------------------------------------------


def _workbook_bytes(body: bytes, year: int | None, what: str) -> tuple[str, bytes]:
    """(member name or "", workbook bytes): the body itself when it is a workbook, else the zip's workbook."""
    if body[:4] == _OLE2_MAGIC:
        return "", body
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            names = archive.namelist()
            if "[Content_Types].xml" in names:
                return "", body  # an xlsx is itself a zip: this one is the workbook
            books = [
                name for name in names if name.lower().endswith(_WORKBOOK_SUFFIXES) and not name.startswith("__MACOSX/")
            ]
            if not books:
                raise ParseError(f"{what}: the zip holds no workbook (.xlsx/.xls); it holds {names}")
            if len(books) > 1:
                books = _books_of_year(books, year, what)
            (member,) = books
            return member, archive.read(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError) as exc:
        raise ParseError(f"{what}: neither a workbook nor a readable zip ({exc})") from None


def _books_of_year(books: list[str], year: int | None, what: str) -> list[str]:
    if year is None:
        raise ParseError(f"{what}: the zip holds {len(books)} workbooks ({books}) and no year says which to read")
    pattern = re.compile(rf"(?<!\d){year}(?!\d)")
    chosen = [name for name in books if pattern.search(name.rsplit("/", 1)[-1])]
    if len(chosen) != 1:
        raise ParseError(f"{what}: the zip holds {len(books)} workbooks and {len(chosen)} name {year}: {books}")
    return chosen


@dataclass(frozen=True)
class _Sheet:
    name: str
    rows: list[list[Any]]  # cells as python-calamine gives them ('' for an empty cell)


def _read_sheets(content: bytes, what: str) -> list[_Sheet]:
    import python_calamine

    try:
        workbook = python_calamine.load_workbook(io.BytesIO(content))
        return [_Sheet(name, workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names]
    except python_calamine.CalamineError as exc:
        raise ParseError(f"{what}: not a readable workbook ({type(exc).__name__}: {exc})") from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class _Table:
    """One sheet as a table: its header row, and the data rows under it (trailing blank rows dropped), held by
    column (one transposition per sheet: the cells of a column become one Arrow array at once)."""

    sheet: str
    header: list[str]
    columns: list[tuple[Any, ...]]
    num_rows: int
    what: str
    used: set[int] = field(default_factory=set)

    def index(self, aliases: Sequence[str]) -> int | None:
        keys = {column_key(alias) for alias in aliases}
        for index, name in enumerate(self.header):
            if column_key(name) in keys:
                return index
        return None

    def cells(self, index: int) -> tuple[Any, ...]:
        self.used.add(index)
        return self.columns[index] if index < len(self.columns) else (None,) * self.num_rows

    def column(self, index: int) -> tuple[str, pa.Array]:
        """(header as written, values): blank cells are nulls (or empty text, which the converters treat as
        blank); mixed cell types fall back to their text."""
        return self.header[index], _cells_to_array(self.cells(index))

    def find(self, aliases: Sequence[str]) -> tuple[str, pa.Array] | None:
        index = self.index(aliases)
        return None if index is None else self.column(index)

    def require(self, aliases: Sequence[str]) -> tuple[str, pa.Array]:
        found = self.find(aliases)
        if found is None:  # pragma: no cover - _table checks the required columns first
            raise ParseError(f"{self.what}: no column {aliases[0]!r}", column=aliases[0])
        return found

    def unused(self) -> list[tuple[int, str]]:
        return [(index, name) for index, name in enumerate(self.header) if index not in self.used and name]


def _cells_to_array(cells: Sequence[Any]) -> pa.Array:
    try:
        return pa.array(cells)  # the usual case: one type, '' only in text columns
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return python_to_array([None if _blank(cell) else cell for cell in cells])


def _header_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() if cell is not None else ""


def _table(product: str, sheet: _Sheet, required: dict[str, Sequence[str]], what: str) -> _Table:
    """The sheet's table: the first of its first rows holding every required column (by any accepted spelling)."""
    best: tuple[int, list[str]] | None = None  # (row index, missing) of the closest candidate, for the error
    for position, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        keys = {column_key(_header_text(cell)) for cell in row}
        missing = [
            logical for logical, aliases in required.items() if not keys & {column_key(alias) for alias in aliases}
        ]
        if not missing:
            header = [_header_text(cell) for cell in row]
            end = len(sheet.rows)
            while end > position + 1 and all(_blank(cell) for cell in sheet.rows[end - 1]):
                end -= 1
            data = sheet.rows[position + 1 : end]
            width = len(header)
            if any(len(cells) != width for cells in data):  # calamine's rows are rectangular; be safe anyway
                data = [(list(cells) + [None] * width)[:width] for cells in data]
            columns = list(zip(*data, strict=True)) if data else [() for _ in header]
            where = f"{what} [{product} sheet {sheet.name!r}" + (
                f", header on row {position + 1}]" if position else "]"
            )
            return _Table(sheet.name, header, columns, len(data), where)
        if best is None or len(missing) < len(best[1]):
            best = (position, missing)
    first = next((row for row in sheet.rows if not all(_blank(cell) for cell in row)), [])
    missing_text = ", ".join(best[1]) if best else ", ".join(required)
    raise ParseError(
        f"{what}: sheet {sheet.name!r} is not the {product} layout: no header row with {missing_text} in its first "
        f"{HEADER_SEARCH_ROWS} rows (its first row: {[_header_text(cell) for cell in first][:12]})",
        column=missing_text,
    )


def _month_sheets(product: str, sheets: list[_Sheet], what: str) -> list[_Sheet]:
    """The twelve month sheets (``Jan``, ``Jan_1``, ``January``...), in workbook order; any other sheet name (but
    the product's known extra sheets) is an unknown layout, and a missing or repeated month is an error."""
    ignored = _IGNORED_SHEETS.get(product, frozenset())
    months: dict[str, str] = {}
    chosen: list[_Sheet] = []
    for sheet in sheets:
        if sheet.name.strip().lower() in ignored:
            continue
        match = _MONTH_SHEET.match(sheet.name.strip())
        month = match.group("month").lower() if match else ""
        if month not in _MONTHS:
            raise ParseError(
                f"{what}: {product} workbook has a sheet {sheet.name!r} that is not a month "
                f"(known sheets: Jan..Dec, e.g. 'Jan' or 'Jan_1'; all sheets: {[s.name for s in sheets]})",
                column=sheet.name,
            )
        if month in months:
            raise ParseError(f"{what}: {product} sheets {months[month]!r} and {sheet.name!r} are the same month")
        months[month] = sheet.name
        chosen.append(sheet)
    missing = [month.capitalize() for month in _MONTHS if month not in months]
    if missing:
        raise ParseError(
            f"{what}: {product} workbook lacks the month sheets {', '.join(missing)} "
            f"(sheets: {[sheet.name for sheet in sheets]})"
        )
    return chosen


@dataclass
class _Read:
    table: pa.Table
    rows_read: int
    days: pa.Array | None  # every row's operating day (for the year check)
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _silver(dataset: DatasetName, columns: dict[str, pa.Array]) -> pa.Table:
    fields = [item for item in SILVER_TABLES[dataset].arrow_schema() if item.name not in _LINEAGE_NAMES]
    schema = pa.schema(fields)
    return pa.Table.from_arrays([columns[item.name].cast(item.type) for item in fields], schema=schema)


def _concat(parts: list[pa.Array], kind: pa.DataType) -> pa.Array:
    if not parts:
        return pa.array([], kind)
    return pa.concat_arrays([part.cast(kind) for part in parts])


def _unknown(tables: list[_Table]) -> list[str]:
    names: list[str] = []
    for table in tables:
        for _, name in table.unused():
            if name not in names:
                names.append(name)
    return names


def _empty_sheet(table: _Table) -> None:
    # A month of a complete year with no rows is a layout problem, not "no data": never return empty rows.
    if not table.num_rows:
        raise ParseError(f"{table.what}: the sheet has a header but no data rows")


# ---------------------------------------------------------------------------------------------------------------
# Hub and load zone prices (NP4-180-ER day-ahead, NP6-785-ER real-time)
# ---------------------------------------------------------------------------------------------------------------


def _point_types(points: pa.Array, given: pa.Array | None, name: str, what: str) -> pa.Array:
    null = pa.scalar(None, pa.string())
    load_zone = pc.if_else(pc.ends_with(points, "_EW"), "LZEW", "LZ")
    derived = pc.if_else(
        pc.starts_with(points, "HB_"), "HU", pc.if_else(pc.starts_with(points, "LZ_"), load_zone, null)
    )
    types = derived if given is None else pc.coalesce(trimmed_text(given), derived)
    if types.null_count:
        row = first_row_number(types.is_null())
        raise ParseError(
            f"{what}: settlement point {points[(row or 1) - 1].as_py()!r} is neither a hub (HB_*) nor a load zone "
            "(LZ_*) and the file gives no type",
            column=name,
            row=row,
        )
    return types


def _spp_sheet(table: _Table, market: str) -> dict[str, pa.Array]:
    what = table.what
    date_name, date_values = table.require(_DATE)
    days = parse_dates(date_name, date_values, what)
    point_name, point_values = table.require(_POINT)
    points = trimmed_text(point_values)
    require_values(point_name, points, what)
    price_name, price_values = table.require(_PRICE)
    prices = parse_floats(price_name, price_values, what, required=True)
    flag = table.find(_FLAG)
    flags = parse_flags(*flag, what) if flag else None
    given = table.find(_POINT_TYPE)
    types = _point_types(points, given[1] if given else None, point_name, what)
    if market == "RT15":
        hour_name, hours = table.require(_DELIVERY_HOUR)
        interval_name, intervals = table.require(_DELIVERY_INTERVAL)
        hours = hours if is_text(hours) else parse_ints(hour_name, hours, what)
        intervals = intervals if is_text(intervals) else parse_ints(interval_name, intervals, what)
        try:
            starts = timeconv.quarter_hour_starts_utc(days, hours, intervals, flags)
        except ValueError as exc:
            raise local_time_error(exc, hour_name, what) from None
        ends = pc.add(starts, _FIFTEEN_MINUTES)
    else:
        hour_name, hour_values = table.require(_HOUR_ENDING)
        hour_numbers, marker = parse_hours(hour_name, _hour_labels(hour_values), what)
        starts = hour_starts_utc(hour_name, days, hour_numbers, repeated_flags(flags, marker), what)
        ends = pc.add(starts, _ONE_HOUR)
    return {
        "days": days,
        "settlement_point": points,
        "settlement_point_type": types,
        "interval_start_utc": starts,
        "interval_end_utc": ends,
        "price_usd_mwh": prices,
    }


def _hour_labels(values: pa.Array) -> pa.Array:
    """Hour-ending cells typed as times of day (``01:00`` stored as a time) become the text ERCOT writes; a column
    mixing times and text (``24:00`` is no time of day) already arrives as text (``01:00:00``), which reads too."""
    if pa.types.is_time(values.type):
        return pa.array([None if value is None else f"{value:%H:%M}" for value in values.to_pylist()], pa.string())
    return values


def _read_spp(product: str, sheets: list[_Sheet], what: str) -> _Read:
    dataset = PRODUCT_DATASETS[product]
    market = "RT15" if dataset == "spp_rt" else "DAM"
    required: dict[str, Sequence[str]] = {"delivery date": _DATE, "settlement point": _POINT, "price": _PRICE}
    if market == "RT15":
        required |= {"delivery hour": _DELIVERY_HOUR, "delivery interval": _DELIVERY_INTERVAL}
    else:
        required |= {"hour ending": _HOUR_ENDING}
    tables = [_table(product, sheet, required, what) for sheet in _month_sheets(product, sheets, what)]
    parts: dict[str, list[pa.Array]] = {}
    for table in tables:
        _empty_sheet(table)
        for name, values in _spp_sheet(table, market).items():
            parts.setdefault(name, []).append(values)
    rows = sum(table.num_rows for table in tables)
    columns = {
        "market": pa.repeat(pa.scalar(market), rows),
        "settlement_point": _concat(parts["settlement_point"], pa.string()),
        "settlement_point_type": _concat(parts["settlement_point_type"], pa.string()),
        "interval_start_utc": _concat(parts["interval_start_utc"], pa.timestamp("us", tz="UTC")),
        "interval_end_utc": _concat(parts["interval_end_utc"], pa.timestamp("us", tz="UTC")),
        "price_usd_mwh": _concat(parts["price_usd_mwh"], pa.float64()),
    }
    return _Read(_silver(dataset, columns), rows, _concat(parts["days"], pa.date32()), _unknown(tables))


# ---------------------------------------------------------------------------------------------------------------
# Native load by weather zone
# ---------------------------------------------------------------------------------------------------------------

# "MM/DD/YYYY HH:MM" or "MM/DD/YYYY HH:MM DST" (matched upper-cased)
_LABEL_PATTERN = r"^(?P<day>\d{1,2}/\d{1,2}/\d{4})\s+(?P<hour>\d{1,2}:\d{2}(?:\s*DST)?)$"


def _load_label(cell: Any) -> Any:
    """An ``Hour Ending`` cell as ERCOT's text label; an Excel date-time cell is the same wall clock written out.
    Midnight is the previous day's ``24:00``, as ERCOT labels a day's last hour (python-calamine gives a date-time
    at midnight as a bare date)."""
    if isinstance(cell, dt.datetime):
        if cell.time() == dt.time(0):
            return f"{cell.date() - dt.timedelta(days=1):%m/%d/%Y} 24:00"
        return f"{cell:%m/%d/%Y %H:%M}"
    if isinstance(cell, dt.date):
        return f"{cell - dt.timedelta(days=1):%m/%d/%Y} 24:00"
    return cell


def _repeats_by_order(labels: pa.Array) -> pa.Array | None:
    """For files that mark nothing: the second occurrence of a label that appears twice is the repeated hour (the
    fall-back hour written twice in time order). None when no label repeats."""
    seen: set[str] = set()
    second: list[bool] = []
    for label in labels.to_pylist():
        second.append(label in seen)
        seen.add(label)
    return pa.array(second, pa.bool_()) if any(second) else None


def _load_sheet(table: _Table, notes: list[str]) -> tuple[pa.Array, pa.Array, list[tuple[str, pa.Array]]]:
    what = table.what
    index = table.index(_HOUR_ENDING)
    assert index is not None  # _table found it
    label_name = table.header[index]
    labels = _cells_to_array([_load_label(cell) for cell in table.cells(index)])
    labels = trimmed_text(labels if is_text(labels) else labels.cast(pa.string()))
    require_values(label_name, labels, what)
    parts = pc.extract_regex(pc.utf8_upper(labels), _LABEL_PATTERN)
    if parts.null_count:
        row = first_row_number(parts.is_null())
        raise ParseError(
            f"{what}: hour-ending label {labels[(row or 1) - 1].as_py()!r} is not 'MM/DD/YYYY HH:MM' "
            "(or '... 02:00 DST')",
            column=label_name,
            row=row,
        )
    days = parse_dates(label_name, parts.field("day"), what)
    hours, marker = parse_hours(label_name, parts.field("hour"), what)
    repeated = repeated_flags(None, marker) if marker is not None else _repeats_by_order(labels)
    starts = hour_starts_utc(label_name, days, hours, repeated, what)
    total_index = table.index(_TOTALS)
    zones: list[tuple[str, pa.Array]] = []
    seen: dict[str, str] = {}
    for column_index, name in table.unused():
        if column_index == total_index:
            continue
        try:
            zone = normalize_zone_name(name)
        except InvalidRequestError:
            continue
        if zone in seen:
            raise ParseError(f"{what}: columns {seen[zone]!r} and {name!r} both hold weather zone {zone}", column=name)
        seen[zone] = name
        _, values = table.column(column_index)
        zones.append((zone, parse_floats(name, values, what, required=True)))
    missing = [zone for zone in WEATHER_ZONES if zone not in seen]
    if missing:
        raise ParseError(
            f"{what}: the native-load layout has a column per weather zone; missing {', '.join(missing)} "
            f"(columns present: {', '.join(table.header)})",
            column=missing[0],
        )
    if total_index is not None:
        total_name, total_values = table.column(total_index)
        _check_total(total_name, parse_floats(total_name, total_values, what), [mw for _, mw in zones], notes, what)
    return days, starts, zones


def _check_total(name: str, totals: pa.Array, zone_values: list[pa.Array], notes: list[str], what: str) -> None:
    zone_sum = zone_values[0]
    for values in zone_values[1:]:
        zone_sum = pc.add(zone_sum, values)
    off = pc.greater(pc.abs(pc.subtract(zone_sum, totals)), TOTAL_TOLERANCE_MW)
    count = pc.sum(off).as_py() or 0
    if count:
        notes.append(
            f"{what}: {count} rows where the zones do not add up to {name!r} within {TOTAL_TOLERANCE_MW} MW "
            f"(first: data row {first_row_number(off)})"
        )


def _read_native_load(product: str, sheets: list[_Sheet], what: str) -> _Read:
    notes: list[str] = []
    tables = [_table(product, sheet, {"hour ending": _HOUR_ENDING}, what) for sheet in sheets]
    zone_parts: dict[str, list[pa.Array]] = {}
    start_parts: list[pa.Array] = []
    day_parts: list[pa.Array] = []
    for table in tables:
        _empty_sheet(table)
        days, starts, zones = _load_sheet(table, notes)
        day_parts.append(days)
        start_parts.append(starts)
        for zone, values in zones:
            zone_parts.setdefault(zone, []).append(values)
    starts = _concat(start_parts, pa.timestamp("us", tz="UTC"))
    ends = pc.add(starts, _ONE_HOUR)
    count = len(starts)
    order = [zone for zone in WEATHER_ZONES if zone in zone_parts]
    columns = {
        "weather_zone": pa.concat_arrays([pa.repeat(pa.scalar(zone), count) for zone in order]),
        "interval_start_utc": pa.concat_arrays([starts] * len(order)),
        "interval_end_utc": pa.concat_arrays([ends] * len(order)),
        "load_mw": pa.concat_arrays([_concat(zone_parts[zone], pa.float64()) for zone in order]),
    }
    days = _concat(day_parts, pa.date32())
    table = _silver("load_weather_zone", columns)
    return _Read(table, count, pa.concat_arrays([days] * len(order)), _unknown(tables), notes)


# ---------------------------------------------------------------------------------------------------------------
# Fuel mix report
# ---------------------------------------------------------------------------------------------------------------

_END_LABEL = re.compile(r"^(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::00)?\s*(?P<dst>\(?\s*DST\s*\)?)?$", re.IGNORECASE)
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class _IntervalColumn:
    index: int
    label: str  # as written
    end_minutes: int  # minutes after the day's midnight (wall clock) at which the interval ends: 15..1440
    repeated: bool  # a "(DST)" column: the second, standard-time pass of the repeated hour


def _interval_end(cell: Any) -> tuple[int, bool] | None:
    """(end minute 15..1440, repeated) of an interval column header, or None when the header is not one."""
    if isinstance(cell, dt.time):
        minutes = cell.hour * 60 + cell.minute
        return (minutes or _DAY_MINUTES, False) if minutes % 15 == 0 and not cell.second else None
    if isinstance(cell, float) and 0.0 <= cell <= 1.0:  # an Excel time of day without a time format
        minutes = round(cell * _DAY_MINUTES)
        return (minutes or _DAY_MINUTES, False) if minutes % 15 == 0 else None
    if not isinstance(cell, str):
        return None
    match = _END_LABEL.match(cell.strip())
    if match is None:
        return None
    minutes = int(match.group("hour")) * 60 + int(match.group("minute"))
    if minutes % 15 or minutes > _DAY_MINUTES:
        return None
    return minutes or _DAY_MINUTES, match.group("dst") is not None


def _interval_columns(table: _Table) -> list[_IntervalColumn]:
    found: list[_IntervalColumn] = []
    for index, cell in enumerate(table.header):
        end = _interval_end(cell)
        if end is not None:
            found.append(_IntervalColumn(index, str(cell), *end))
    regular = {column.end_minutes for column in found if not column.repeated}
    expected = set(range(15, _DAY_MINUTES + 1, 15))
    if regular != expected or len(regular) != sum(1 for column in found if not column.repeated):
        absent = sorted(expected - regular)
        raise ParseError(
            f"{table.what}: the fuel mix layout has one column per 15-minute interval end 0:15 .. 24:00; "
            + (f"missing {', '.join(f'{m // 60}:{m % 60:02d}' for m in absent[:8])}" if absent else "some repeat"),
            column="0:15 .. 24:00",
        )
    return found


def _day_lengths(days: pa.Array) -> pa.Array:
    """Hours in each row's operating day (23, 24 or 25), once per distinct day."""
    encoded = pc.dictionary_encode(days)
    lengths = [timeconv.local_day_hours(day) for day in encoded.dictionary.to_pylist()]
    return pa.array(lengths, pa.int64()).take(encoded.indices)


def _interval_energy(table: _Table, column: _IntervalColumn, day_hours: pa.Array) -> pa.Array:
    """One interval column's MWh (null where blank); a blank is allowed only where the interval does not exist."""
    name, values = table.column(column.index)
    energy = parse_floats(name, values, table.what)
    if column.repeated:
        may_be_blank = pc.not_equal(day_hours, 25)  # only the fall-back day has a second pass
    elif (column.end_minutes - 15) // 60 == 2:
        may_be_blank = pc.equal(day_hours, 23)  # 02:00-02:59 does not exist on the spring-forward day
    else:
        may_be_blank = pa.repeat(pa.scalar(False), table.num_rows)
    blank_where_not_allowed = pc.and_(energy.is_null(), pc.invert(may_be_blank))
    if pc.any(blank_where_not_allowed).as_py():
        raise ParseError(
            f"{table.what}: blank generation for {column.label!r} on a day where that interval exists",
            column=name,
            row=first_row_number(blank_where_not_allowed),
        )
    return energy


def _fuel_starts(
    table: _Table, intervals: list[_IntervalColumn], days: pa.Array, keep: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """(operating days, UTC starts) of the kept cells, long form: column after column, each down the rows."""
    count = table.num_rows

    def per_column(value: Callable[[_IntervalColumn], Any]) -> pa.Array:
        return pa.concat_arrays([pa.repeat(pa.scalar(value(column)), count) for column in intervals]).filter(keep)

    cell_days = pa.concat_arrays([days] * len(intervals)).filter(keep)
    hours = per_column(lambda column: (column.end_minutes - 15) // 60 + 1)
    quarters = per_column(lambda column: (column.end_minutes - 15) % 60 // 15 + 1)
    repeated = per_column(lambda column: column.repeated)
    try:
        return cell_days, timeconv.quarter_hour_starts_utc(cell_days, hours, quarters, repeated)
    except ValueError as exc:
        index = getattr(exc, "row", None)
        if not isinstance(index, int):  # pragma: no cover - timeconv names the row of every error
            raise ParseError(f"{table.what}: {exc}") from None
        rows = pa.concat_arrays([pa.array(range(1, count + 1), pa.int64())] * len(intervals)).filter(keep)
        label = per_column(lambda column: column.label)[index].as_py()
        raise ParseError(f"{table.what}: interval {label!r}: {exc}", column=label, row=rows[index].as_py()) from None


def _fuel_sheet(table: _Table) -> tuple[dict[str, pa.Array], list[str]]:
    what = table.what
    notes: list[str] = []
    date_name, date_values = table.require(_FUEL_DATE)
    days = parse_dates(date_name, date_values, what)
    fuel_name, fuel_values = table.require(_FUEL)
    fuels = parse_text_values(fuel_name, trimmed_text(fuel_values), fuel_code, pa.string(), what)
    require_values(fuel_name, fuels, what)
    table.find(_SETTLEMENT_TYPE)  # FINAL/INITIAL: read, not kept (the silver table has no such column)
    total = table.find(_FUEL_TOTAL)
    intervals = _interval_columns(table)
    day_hours = _day_lengths(days)
    energies = [_interval_energy(table, column, day_hours) for column in intervals]
    if total is not None:
        energy_sum = energies[0].fill_null(0.0)
        for energy in energies[1:]:
            energy_sum = pc.add(energy_sum, energy.fill_null(0.0))
        off = pc.greater(pc.abs(pc.subtract(energy_sum, parse_floats(total[0], total[1], what))), TOTAL_TOLERANCE_MW)
        off_count = pc.sum(off).as_py() or 0
        if off_count:
            notes.append(
                f"{what}: {off_count} rows whose intervals do not add up to {total[0]!r} within "
                f"{TOTAL_TOLERANCE_MW} (first: data row {first_row_number(off)})"
            )
    energy_all = pa.concat_arrays(energies)
    keep = energy_all.is_valid()
    cell_days, starts = _fuel_starts(table, intervals, days, keep)
    return {
        "days": cell_days,
        "fuel": pa.concat_arrays([fuels] * len(intervals)).filter(keep),
        "interval_start_utc": starts,
        "interval_end_utc": pc.add(starts, _FIFTEEN_MINUTES),
        "generation_mw": pc.multiply(energy_all.filter(keep), FUEL_MIX_MWH_TO_MW),
    }, notes


def _read_fuel_mix(product: str, sheets: list[_Sheet], what: str) -> _Read:
    required: dict[str, Sequence[str]] = {"date": _FUEL_DATE, "fuel": _FUEL}
    tables = [_table(product, sheet, required, what) for sheet in _month_sheets(product, sheets, what)]
    parts: dict[str, list[pa.Array]] = {}
    rows = 0
    notes: list[str] = []
    for table in tables:
        _empty_sheet(table)
        columns, sheet_notes = _fuel_sheet(table)
        rows += table.num_rows
        notes += sheet_notes
        for name, values in columns.items():
            parts.setdefault(name, []).append(values)
    columns = {
        "fuel": _concat(parts["fuel"], pa.string()),
        "interval_start_utc": _concat(parts["interval_start_utc"], pa.timestamp("us", tz="UTC")),
        "interval_end_utc": _concat(parts["interval_end_utc"], pa.timestamp("us", tz="UTC")),
        "generation_mw": _concat(parts["generation_mw"], pa.float64()),
    }
    return _Read(_silver("fuel_mix", columns), rows, _concat(parts["days"], pa.date32()), _unknown(tables), notes)


_READERS: dict[str, Callable[[str, list[_Sheet], str], _Read]] = {
    "NP4-180-ER": _read_spp,
    "NP6-785-ER": _read_spp,
    "native-load": _read_native_load,
    "fuel-mix-report": _read_fuel_mix,
}
