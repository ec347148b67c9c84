"""ERCOT's archive door on the offline sample: requests per year of each archived dataset against the fewest ERCOT's
limits allow, and the wall time of a sample backfill through the archive, stage by stage.

    .venv/bin/python benchmarks/archive_bench.py                        # requests over 365 days; a 7-day backfill
    .venv/bin/python benchmarks/archive_bench.py --backfill-days 365 --backfill-datasets spp_rt,spp_dam,weather
    .venv/bin/python benchmarks/archive_bench.py --days 30 --full-documents --backfill-days 0   # the sample's bytes

Requests: the REAL client fetches ``--days`` operating days of each dataset through the sample's archive endpoints
(the sample's clock months later, so every day takes the archive door; no throttling), and the sample's transport
counts what it was sent: the token, listing pages and downloads. The listings (which documents exist, hence every
request the client makes) are the sample's; the downloaded bytes are a tiny stand-in zip per document unless
``--full-documents`` (the same requests, but the sample needs about half an hour to write a year of forecast CSVs).
The baseline is the least any client could send for the same documents: one token, then ``ceil(documents / 1,000)``
listing pages (ERCOT lists at most 1,000 per page) and as many downloads (at most 1,000 documents per bulk request).
Target: at most 1.1x. Extra fields: documents, each kind of request, the minutes they take at ERCOT's 30 requests a
minute, the fetch's wall time.

Backfill: :func:`energylake.local.runner.run_pipeline` (fetch -> curate -> gold (Spark) -> DuckDB) over
``--backfill-days`` days (default 7) of ``--backfill-datasets`` (default every archived dataset and the weather) on a
fresh lake, the sample's clock months after the window, against the same window fetched through the data endpoints
in 30-day chunks, each with the sample's clock three days after its chunk (every day within their reach), as a
resumable local backfill would. Spark starts before either run. Forecast reports cost the archive more: their
documents hold whole postings (each covering 8 to 10 operating days), where the data endpoints filter by delivery day,
so a window fetches and curates the postings of ``vintage_days_before + vintage_days_after`` more days. Extra fields:
seconds per stage of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import figure, measure, report, stopwatch_in
from pydantic import SecretStr

from energylake.contracts.datasets import CATALOG, ErcotDatasetName
from energylake.lake.storage import LocalStorage
from energylake.local.runner import PipelineReport, run_pipeline
from energylake.sample import SAMPLE_PASSWORD, SAMPLE_SUBSCRIPTION_KEY, SAMPLE_USERNAME, SampleServer, connection
from energylake.settings import ErcotCredentials, Settings
from energylake.sources.ercot import ErcotClient
from energylake.window import Window

ARCHIVED: tuple[ErcotDatasetName, ...] = tuple(
    name  # type: ignore[misc]
    for name, entry in CATALOG.items()
    if entry.source == "ercot" and entry.archive is not None
)
FIRST_DAY = dt.date(2023, 1, 1)
LATER = dt.timedelta(days=200)  # the sample's clock after the window: older than the data endpoints' 90 days
MAX_RATIO = 1.1
ERCOT_PER_MINUTE = 30
API_CHUNK_DAYS = 30


def _tiny_zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "stand-in\n1\n")
    return buffer.getvalue()


class StandInDocuments:
    """The sample's archive with stand-in document bytes: listings (hence which documents exist, and so every
    request the client sends) come from the sample; downloads answer a tiny zip per asked docId, because building a
    year of real forecast CSVs takes the sample half an hour and changes no request."""

    def __init__(self, server: SampleServer) -> None:
        self.server = server

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/download"):
            self.server.requests.append(request)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as bulk:
                for doc_id in json.loads(request.content)["docIds"]:
                    bulk.writestr(f"{doc_id}.stand-in.zip", _tiny_zip(f"{doc_id}.csv"))
            return httpx.Response(200, content=buffer.getvalue())
        if "download" in request.url.params:
            self.server.requests.append(request)
            return httpx.Response(200, content=_tiny_zip("document.csv"))
        return self.server.handle(request)


def count_requests(
    dataset: ErcotDatasetName, window: Window, *, full_documents: bool
) -> tuple[dict[str, int], int, float]:
    """(requests by kind, documents fetched, seconds) for one fetch of ``window`` through the archive."""
    settings = Settings(ercot_requests_per_minute=1e9)
    now = dt.datetime.combine(window.end + LATER, dt.time(12), dt.UTC)
    server = SampleServer(settings, now=now, throttle_every=0)
    transport = server.transport() if full_documents else httpx.MockTransport(StandInDocuments(server).handle)
    credentials = ErcotCredentials(SAMPLE_USERNAME, SecretStr(SAMPLE_PASSWORD), SecretStr(SAMPLE_SUBSCRIPTION_KEY))
    started = time.perf_counter()
    documents = 0
    with ErcotClient(
        settings, credentials=credentials, transport=transport, sleep=lambda _: None, now=lambda: now
    ) as c:
        for group in c.iter_fetch(dataset, window):
            documents += len(group)
            assert {reply.origin for reply in group} == {"ercot-archive"}, "a day missed the archive door"
    seconds = time.perf_counter() - started
    kinds = {"token": 0, "listing": 0, "bulk download": 0, "single download": 0}
    for request in server.requests:
        if str(request.url).startswith(settings.ercot_token_url):
            kinds["token"] += 1
        elif request.method == "POST":
            kinds["bulk download"] += 1
        elif "download" in request.url.params:
            kinds["single download"] += 1
        else:
            kinds["listing"] += 1
    return kinds, documents, seconds


def requests_per_year(datasets: tuple[ErcotDatasetName, ...], days: int, *, full_documents: bool) -> None:
    window = Window(FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1))
    for dataset in datasets:
        kinds, documents, seconds = count_requests(dataset, window, full_documents=full_documents)
        sent = sum(kinds.values())
        batches = math.ceil(documents / 1000)
        least = 1 + 2 * batches
        report(
            figure(f"archive requests: {dataset}, {days} days", sent, "requests"),
            figure("least ERCOT's 1,000-document limits allow", least, "requests"),
            max_ratio=MAX_RATIO,
            documents=documents,
            requests=kinds,
            minutes_at_30_per_minute=round(sent / ERCOT_PER_MINUTE, 1),
            fetch_s=round(seconds, 1),
            documents_served="sample" if full_documents else "stand-in",
        )


@contextmanager
def fresh_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="energylake-archive-bench-") as folder:
        yield Path(folder)


def backfill(days: int, datasets: tuple[str, ...], runs: int) -> None:
    window = Window(FIRST_DAY, FIRST_DAY + dt.timedelta(days=days - 1))
    stages: dict[str, dict[str, float]] = {}

    def through_archive(folder: Path) -> None:
        now = dt.datetime.combine(window.end + LATER, dt.time(12), dt.UTC)
        result = run_pipeline(
            window,
            datasets,
            LocalStorage(folder / "lake"),
            str(folder / "warehouse.duckdb"),
            connection=connection(Settings(), now=now, throttle_every=0),
        )
        stages["archive"] = _seconds(result)

    def through_data_endpoints(folder: Path) -> None:
        total = PipelineReport()
        lake = LocalStorage(folder / "lake")
        for chunk in window.chunks(API_CHUNK_DAYS):
            now = dt.datetime.combine(chunk.end + dt.timedelta(days=3), dt.time(12), dt.UTC)
            sample = connection(Settings(), now=now, throttle_every=0)
            total.merge(run_pipeline(chunk, datasets, lake, str(folder / "warehouse.duckdb"), connection=sample))
        stages["data endpoints"] = _seconds(total)

    from energylake.gold.spark import local_spark_session

    local_spark_session()  # started once, before either run: neither pays the JVM's start-up
    timings = measure(
        {
            f"sample backfill through the archive, {days} days": stopwatch_in(fresh_folder, through_archive),
            f"the same through the data endpoints, {API_CHUNK_DAYS}-day chunks": stopwatch_in(
                fresh_folder, through_data_endpoints
            ),
        },
        runs=runs,
        warmup=0,
    )
    archive, api = timings.values()
    report(
        archive,
        api,
        days=days,
        datasets=",".join(datasets),
        stages_s=stages["archive"],
        baseline_stages_s=stages["data endpoints"],
    )


def _seconds(result: PipelineReport) -> dict[str, float]:
    return {stage: round(seconds, 1) for stage, seconds in result.seconds.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365, help="operating days per request count (default 365)")
    parser.add_argument("--backfill-days", type=int, default=7, help="backfill days (default 7; 0: none)")
    parser.add_argument("--datasets", default=",".join(ARCHIVED), help="comma-separated archived datasets to count")
    parser.add_argument("--runs", type=int, default=1, help="timed runs of each backfill (median; default 1)")
    parser.add_argument(
        "--full-documents",
        action="store_true",
        help="count requests with the sample's real documents (the same requests; a year of forecasts takes long)",
    )
    parser.add_argument(
        "--backfill-datasets",
        default=",".join((*ARCHIVED, "weather")),
        help="comma-separated datasets of the timed backfill (default every archived one and the weather)",
    )
    args = parser.parse_args(argv)
    wanted = tuple(name for name in args.datasets.split(",") if name)
    unknown = sorted(set(wanted) - set(ARCHIVED))
    if unknown:
        parser.error(f"not archived datasets: {', '.join(unknown)} (archived: {', '.join(ARCHIVED)})")
    requests_per_year(wanted, args.days, full_documents=args.full_documents)  # type: ignore[arg-type]
    if args.backfill_days > 0:
        backfill(args.backfill_days, tuple(name for name in args.backfill_datasets.split(",") if name), args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
