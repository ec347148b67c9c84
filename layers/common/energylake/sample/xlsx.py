"""A minimal xlsx writer for the sample's yearly files (stdlib only: a zip of SpreadsheetML parts).

Why not a library: a year of 15-minute hub and load-zone prices is about 530,000 rows; XlsxWriter took 13 s to write
it, this writer about 1.5 s (measured on this project's machine). It writes what ERCOT's yearly workbooks hold and
nothing more: text (as shared strings), numbers, dates, date-times and times of day (Excel serial days with the
built-in formats), one sheet per ``(name, rows)``; no other styles, no formulas. Any reader of Office Open XML reads
it (the tests read it with python-calamine, the parser's reader).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

Cell = str | int | float | dt.date | dt.time | None
Row = Sequence[Cell]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial day 0 (Excel's 1900 date system, past its 1900 leap-year bug)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
# indexes into cellXfs below: built-in number formats 14 (m/d/yyyy), 22 (m/d/yyyy h:mm), 20 (h:mm)
_DATE_STYLE, _DATE_TIME_STYLE, _TIME_STYLE = 1, 2, 3
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="20" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(count):
        name, number = "", index + 1
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


class _SharedStrings:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    def xml(self, count: int) -> str:
        items = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in self.index)
        return f'{_HEAD}<sst xmlns="{_MAIN}" count="{count}" uniqueCount="{len(self.index)}">{items}</sst>'


def _sheet_xml(rows: Iterable[Row], strings: _SharedStrings) -> tuple[str, int]:
    """The worksheet part, and how many text cells it holds."""
    parts = [f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>']
    letters: list[str] = []
    text_cells = 0
    for number, row in enumerate(rows, start=1):
        if len(row) > len(letters):
            letters = _column_letters(len(row))
        cells = []
        for letter, value in zip(letters, row, strict=False):
            if value is None:
                continue
            if isinstance(value, str):
                cells.append(f'<c r="{letter}{number}" t="s"><v>{strings(value)}</v></c>')
                text_cells += 1
            elif isinstance(value, dt.datetime):  # before dt.date: a datetime is a date too
                days = (value - dt.datetime.combine(_EXCEL_EPOCH, dt.time(0))) / dt.timedelta(days=1)
                cells.append(f'<c r="{letter}{number}" s="{_DATE_TIME_STYLE}"><v>{days!r}</v></c>')
            elif isinstance(value, dt.date):
                serial = (value - _EXCEL_EPOCH).days
                cells.append(f'<c r="{letter}{number}" s="{_DATE_STYLE}"><v>{serial}</v></c>')
            elif isinstance(value, dt.time):
                fraction = (value.hour * 3600 + value.minute * 60 + value.second) / 86400
                cells.append(f'<c r="{letter}{number}" s="{_TIME_STYLE}"><v>{fraction!r}</v></c>')
            else:
                cells.append(f'<c r="{letter}{number}"><v>{value!r}</v></c>')
        parts.append(f'<row r="{number}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts), text_cells


def workbook_bytes(sheets: Sequence[tuple[str, Iterable[Row]]], *, compresslevel: int = 1) -> bytes:
    """An xlsx holding ``sheets`` (name, rows) in order. Level 1 deflate: ERCOT-sized files in a second or two."""
    strings = _SharedStrings()
    worksheets: list[str] = []
    text_cells = 0
    for _, rows in sheets:
        xml, count = _sheet_xml(rows, strings)
        worksheets.append(xml)
        text_cells += count
    count = len(sheets)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    content_types = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>{overrides}'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/></Types>'
    )
    root_rels = (
        f'{_HEAD}<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheet_entries = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
        for n, (name, _) in enumerate(sheets, start=1)
    )
    workbook = f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>{sheet_entries}</sheets></workbook>'
    workbook_rels = (
        f'{_HEAD}<Relationships xmlns="{_RELS}">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, count + 1)
        )
        + f'<Relationship Id="rId{count + 1}" Type="{_DOC_RELS}/styles" Target="styles.xml"/>'
        + f'<Relationship Id="rId{count + 2}" Type="{_DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        + "</Relationships>"
    )
    parts = [
        ("[Content_Types].xml", content_types),
        ("_rels/.rels", root_rels),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", _STYLES),
        *((f"xl/worksheets/sheet{n}.xml", xml) for n, xml in enumerate(worksheets, start=1)),
        ("xl/sharedStrings.xml", strings.xml(text_cells)),
    ]
    return zip_bytes([(name, text.encode()) for name, text in parts], compresslevel=compresslevel)


def zip_bytes(members: Sequence[tuple[str, bytes]], *, compresslevel: int = 1) -> bytes:
    """A zip of ``members`` with fixed timestamps: the same content always gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=compresslevel)
    return buffer.getvalue()
