"""Parser throughput: energylake's spp_rt parsers against the common pandas way and the bare-decode floors.

    .venv/bin/python benchmarks/parse_bench.py [--days 10] [--points 1000] [--runs 3]

The input is generated (same rows for every contender, in the same run): ``days`` Central operating days from
2024-10-28 (so the 25-hour 2024-11-03 is inside) x ``points`` settlement points x 96 quarter hours (100 on the
fall-back day): 964,000 rows by default, as ERCOT's API pages of 100,000 rows (JSON) and as MIS-style CSV.

Contenders, JSON: pandas (json.loads, DataFrame from rows, to_datetime, tz_localize with the DST flag), the floor
(orjson.loads alone: no Python parser of this format can beat decoding it), energylake's parser. CSV: pandas
read_csv + tz_localize, the floor (pyarrow.csv.read_csv alone), energylake's CSV parser. All six are timed
round-robin in one run (median of ``--runs`` after one warm-up round). Targets, as ratios of times: JSON at most
0.5x pandas (twice as fast) and within 1.2x of the orjson floor; CSV at most 0.67x pandas (1.5 times as fast) and
within 1.1x of pyarrow's bare read (issue 16); peak memory for about 1,000,000 rows at most 4x the Arrow table the
parser returns (measured in a child process: Python's peak plus Arrow's pool high-water mark).

The JSON parser and its floor are also timed in CPU seconds of this process (``(cpu)``): both run on one thread,
so CPU time is what they cost, and it does not move with the other jobs of a busy machine the way wall time does
(on a 2-core machine with a load of 5, wall-time ratios swing by 0.2 between runs). The CSV contenders read with
pyarrow's thread pool, so only their wall time is meaningful. Why the parser can beat its floor in CPU time: it
pauses the cyclic garbage collector while a page's Python objects exist, and ``orjson.loads`` alone does not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import Probe, figure, measure, report, stopwatch

REPO_ROOT = Path(__file__).resolve().parents[1]
CENTRAL = ZoneInfo("America/Chicago")
FIRST_DAY = dt.date(2024, 10, 28)
PAGE_ROWS = 100_000
JSON_FIELDS = [
    "deliveryDate",
    "deliveryHour",
    "deliveryInterval",
    "settlementPoint",
    "settlementPointType",
    "settlementPointPrice",
    "DSTFlag",
]
CSV_HEADER = (
    "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointType,SettlementPointPrice,DSTFlag"
)


def quarter_hours(day: dt.date) -> list[tuple[int, int, bool]]:
    """(delivery hour, interval, repeated) for each real quarter hour of a Central day, in order."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CENTRAL).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=CENTRAL).astimezone(dt.UTC)
    labels, seen = [], set()
    moment = start
    while moment < end:
        local = moment.astimezone(CENTRAL)
        hour, interval = local.hour + 1, local.minute // 15 + 1
        repeated = (hour, interval) in seen
        seen.add((hour, interval))
        labels.append((hour, interval, repeated))
        moment += dt.timedelta(minutes=15)
    return labels


def generate_rows(days: int, points: int) -> list[list[object]]:
    names = [f"{'HB' if n < 7 else 'LZ' if n < 15 else 'RN'}_{n:04d}" for n in range(points)]
    kinds = ["HU" if n < 7 else "LZ" if n < 15 else "RN" for n in range(points)]
    rows: list[list[object]] = []
    for offset in range(days):
        day = FIRST_DAY + dt.timedelta(days=offset)
        iso = day.isoformat()
        for hour, interval, repeated in quarter_hours(day):
            for n in range(points):
                price = round(20 + (n % 37) * 0.7 + hour * 1.3 + interval * 0.11, 2)
                rows.append([iso, hour, interval, names[n], kinds[n], price, repeated])
    return rows


def json_pages(rows: list[list[object]]) -> list[bytes]:
    pages = []
    total_pages = -(-len(rows) // PAGE_ROWS)
    for page in range(total_pages):
        chunk = rows[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
        document = {
            "_meta": {
                "totalRecords": len(rows),
                "pageSize": PAGE_ROWS,
                "totalPages": total_pages,
                "currentPage": page + 1,
            },
            "report": {"reportEMIL": "NP6-905-CD"},
            "fields": [{"name": name, "label": name} for name in JSON_FIELDS],
            "data": chunk,
        }
        pages.append(json.dumps(document, separators=(",", ":")).encode())
    return pages


def csv_bytes(rows: list[list[object]]) -> bytes:
    lines = [CSV_HEADER]
    for date, hour, interval, name, kind, price, repeated in rows:
        month_day_year = f"{date[5:7]}/{date[8:10]}/{date[0:4]}"  # type: ignore[index]
        lines.append(f"{month_day_year},{hour},{interval},{name},{kind},{price},{'Y' if repeated else 'N'}")
    return ("\n".join(lines) + "\n").encode()


# --- contenders ------------------------------------------------------------------------------------------------


def cpu_stopwatch(fn: Callable[[], object]) -> Probe:
    """A probe: the CPU seconds (every thread of this process) of one ``fn()`` call."""

    def probe() -> float:
        started = time.process_time()
        fn()
        return time.process_time() - started

    return probe


def pandas_json(pages: list[bytes]) -> int:
    import pandas as pd

    total = 0
    for body in pages:
        document = json.loads(body)
        frame = pd.DataFrame(document["data"], columns=[f["name"] for f in document["fields"]])
        local = (
            pd.to_datetime(frame["deliveryDate"])
            + pd.to_timedelta(frame["deliveryHour"] - 1, unit="h")
            + pd.to_timedelta((frame["deliveryInterval"] - 1) * 15, unit="min")
        )
        # tz_localize's `ambiguous` takes True for DST (the first occurrence): ERCOT's flag marks the second.
        start = local.dt.tz_localize("America/Chicago", ambiguous=~frame["DSTFlag"].astype(bool).to_numpy(),
                                     nonexistent="raise").dt.tz_convert("UTC")  # fmt: skip
        frame["interval_start_utc"] = start
        total += len(frame)
    return total


def orjson_floor(pages: list[bytes]) -> int:
    import orjson

    return sum(len(orjson.loads(body)["data"]) for body in pages)


def energylake_json(pages: list[bytes]) -> int:
    from energylake.parse import RawObject
    from energylake.parse.ercot import parse

    total = 0
    for number, body in enumerate(pages):
        raw = RawObject(f"bench/page-{number}.json", "spp_rt", body, {"source-used": "ercot-api"})
        total += parse(raw).table.num_rows
    return total


def pandas_csv(body: bytes) -> int:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(body))
    local = (
        pd.to_datetime(frame["DeliveryDate"], format="%m/%d/%Y")
        + pd.to_timedelta(frame["DeliveryHour"] - 1, unit="h")
        + pd.to_timedelta((frame["DeliveryInterval"] - 1) * 15, unit="min")
    )
    start = local.dt.tz_localize("America/Chicago", ambiguous=(frame["DSTFlag"] == "N").to_numpy(),
                                 nonexistent="raise").dt.tz_convert("UTC")  # fmt: skip
    frame["interval_start_utc"] = start
    return len(frame)


def pyarrow_csv_floor(body: bytes) -> int:
    import pyarrow.csv as pacsv

    return int(pacsv.read_csv(io.BytesIO(body)).num_rows)


def energylake_csv(body: bytes) -> int:
    from energylake.parse.ercot import parse_csv_bytes

    return int(parse_csv_bytes("spp_rt", body).table.num_rows)


# Peak memory runs in a child process, so each measurement starts from a clean heap: Python's peak (tracemalloc: the
# decoded JSON, lists, strings) plus Arrow's (the memory pool's high-water mark: columns, intermediates) while the
# parser runs, against the size of the table it returns. The payload is read from files before measuring starts.
_MEMORY_PROBE = """
import json, pathlib, sys, tracemalloc
sys.path.insert(0, sys.argv[1])
kind, folder = sys.argv[2], pathlib.Path(sys.argv[3])
import pyarrow as pa
from energylake.parse import RawObject
from energylake.parse.ercot import parse, parse_csv_bytes
pa.array([1.0])  # the first list -> Arrow conversion imports pandas when present: not the parser's memory
payloads = [path.read_bytes() for path in sorted(folder.iterdir())]
pool = pa.default_memory_pool()
arrow_before = pool.max_memory()
tracemalloc.start()
if kind == "json":
    meta = {"source-used": "ercot-api"}
    table = pa.concat_tables([parse(RawObject(f"p{i}", "spp_rt", body, meta)).table for i, body in enumerate(payloads)])
else:
    table = parse_csv_bytes("spp_rt", payloads[0]).table
python_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
arrow_peak = pool.max_memory() - arrow_before
print(json.dumps({"peak": python_peak + arrow_peak, "python_peak": python_peak, "arrow_peak": arrow_peak,
                  "table_bytes": table.nbytes, "rows": table.num_rows}))
"""


def peak_memory(kind: str, pages: list[bytes], csv_body: bytes) -> dict[str, float]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        payloads = pages if kind == "json" else [csv_body]
        for number, payload in enumerate(payloads):
            (Path(folder) / f"{number:04d}").write_bytes(payload)
        completed = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, str(REPO_ROOT / "layers" / "common"), kind, folder],
            capture_output=True,
            text=True,
            check=True,
        )
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=10, help="operating days of input (default 10)")
    parser.add_argument("--points", type=int, default=1000, help="settlement points (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per contender (median; default 3)")
    args = parser.parse_args(argv)

    rows = generate_rows(args.days, args.points)
    pages, csv_body = json_pages(rows), csv_bytes(rows)
    count = len(rows)
    del rows
    print(f"spp_rt parsing, {count:,} rows ({args.days} days x {args.points} points)")
    timings = measure(
        {
            "json: pandas": stopwatch(lambda: pandas_json(pages)),
            "json: orjson.loads floor": stopwatch(lambda: orjson_floor(pages)),
            "json: energylake": stopwatch(lambda: energylake_json(pages)),
            "json (cpu): orjson.loads floor": cpu_stopwatch(lambda: orjson_floor(pages)),
            "json (cpu): energylake": cpu_stopwatch(lambda: energylake_json(pages)),
            "csv: pandas": stopwatch(lambda: pandas_csv(csv_body)),
            "csv: pyarrow.csv floor": stopwatch(lambda: pyarrow_csv_floor(csv_body)),
            "csv: energylake": stopwatch(lambda: energylake_csv(csv_body)),
        },
        runs=args.runs,
    )
    for kind, faster_than_pandas, of_floor in (("json", 2.0, 1.2), ("csv", 1.5, 1.1)):
        ours = timings[f"{kind}: energylake"]
        rows_per_s = round(count / ours.median)
        pandas = timings[f"{kind}: pandas"]
        report(ours, pandas, max_ratio=round(1 / faster_than_pandas, 2), rows=count, rows_per_s=rows_per_s)
        floor = timings[f"{kind}: {'orjson.loads' if kind == 'json' else 'pyarrow.csv'} floor"]
        report(ours, floor, max_ratio=of_floor, rows=count, rows_per_s=rows_per_s)
    report(timings["json (cpu): energylake"], timings["json (cpu): orjson.loads floor"], max_ratio=1.2, rows=count)

    # About 1,000,000 rows (the generated window, trimmed or repeated to that size).
    million = generate_rows(max(1, round(1_000_000 / (96 * args.points))), args.points)
    million_pages, million_csv = json_pages(million), csv_bytes(million)
    del million
    for kind in ("json", "csv"):
        memory = peak_memory(kind, million_pages, million_csv)
        report(
            figure(f"{kind}: energylake peak memory", memory["peak"], "B"),
            figure(f"{kind}: the Arrow table it returns", memory["table_bytes"], "B"),
            max_ratio=4.0,
            rows=int(memory["rows"]),
            python_peak=int(memory["python_peak"]),
            arrow_peak=int(memory["arrow_peak"]),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
