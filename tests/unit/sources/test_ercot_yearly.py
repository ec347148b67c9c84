"""The yearly-files door through the real ERCOT client (httpx.MockTransport, no network): which file each year
comes from, what the one reply per year carries, and every way a listing, page or download can go wrong."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from energylake.contracts.datasets import CATALOG
from energylake.errors import FetchError, MalformedReplyError
from energylake.lake.landing import Manifest, land_group, raw_metadata
from energylake.lake.storage import LocalStorage
from energylake.sources.ercot.yearly import FUEL_MIX_PAGE, NATIVE_LOAD_PAGE, YearlyDoor
from energylake.window import Window
from tests.support.fake_ercot import WEB, FakeErcot, fetch_all, make_client, one_process
from tests.support.yearly_files import zipped

LISTING = "/misapp/servlets/IceDocListJsonWS"
DOWNLOAD = "/misdownload/servlets/mirDownload"
XLSX = zipped([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])  # zip-shaped workbook


def listing(*documents: tuple[str, str, str]) -> httpx.Response:
    """An MIS listing of (DocID, FriendlyName, PublishDate) documents."""
    entries = [
        {
            "Document": {
                "DocID": doc_id,
                "FriendlyName": name,
                "ConstructedName": f"rpt.00013060.0000000000000000.{name}.zip",
                "PublishDate": published,
            }
        }
        for doc_id, name, published in documents
    ]
    return httpx.Response(200, json={"ListDocsByRptTypeRes": {"DocumentList": entries}})


def zip_of(year: int) -> bytes:
    return zipped([(f"rpt.00013060.0000000000000000.DAMLZHBSPP_{year}.xlsx", XLSX)])


def html(*hrefs: str) -> httpx.Response:
    links = "".join(f'<a href="{href}">file</a>' for href in hrefs)
    return httpx.Response(200, text=f"<html><body>{links}</body></html>", headers={"Content-Type": "text/html"})


def routes(table: dict[str, Callable[[httpx.Request], httpx.Response]]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        answer = table.get(request.url.path)
        return answer(request) if answer else httpx.Response(404, text="no such page")

    return handle


def dam_site(**listing_overrides: httpx.Response) -> FakeErcot:
    documents = listing(
        ("900", "DAMLZHBSPP_2015", "2016-01-01T08:02:00-05:00"),
        ("901", "DAMLZHBSPP_2016", "2017-01-01T08:03:00-05:00"),
        ("902", "DAMLZHBSPP_2016", "2017-02-01T09:00:00-05:00"),  # re-posted: the newest wins
    )

    def download(request: httpx.Request) -> httpx.Response:
        doc = request.url.params["doclookupId"]
        return httpx.Response(200, content=zip_of({"900": 2015, "901": 2016, "902": 2016}[doc]))

    return FakeErcot(
        web_default=routes({LISTING: lambda _: listing_overrides.get("listing", documents), DOWNLOAD: download})
    )


def test_dam_year_from_the_mis_listing_one_reply_covering_the_year(tmp_path: Path) -> None:
    # GIVEN no API credentials and a day of 2016 (long before the data endpoints' reach)
    fake = dam_site()
    client, _ = make_client(fake, credentials=None)
    # WHEN the client fetches it
    groups = fetch_all(client, "spp_dam", Window.parse("2016-06-01", "2016-06-02"))
    # THEN one group: the 2016 file, the newest of its two postings, from the listing of report type 13060
    assert len(groups) == 1 and len(groups[0]) == 1
    reply = groups[0][0]
    assert (reply.origin, reply.day, reply.extension, reply.dataset) == (
        "ercot-yearly",
        dt.date(2016, 1, 1),
        "zip",
        "spp_dam",
    )
    assert reply.params == {"doclookupId": "902"}
    assert reply.url == f"{WEB}{DOWNLOAD}"
    assert reply.extra["yearly-product"] == "NP4-180-ER" and reply.extra["year"] == "2016"
    assert reply.extra["friendly-name"] == "DAMLZHBSPP_2016" and reply.extra["report-type-id"] == "13060"
    listings = fake.requests_to(f"{WEB}{LISTING}")
    assert [request.url.params["reportTypeId"] for request in listings] == ["13060"]
    # AND the raw metadata the parser routes by, and a manifest covering every day of 2016
    metadata = raw_metadata(reply)
    assert metadata["x-yearly-product"] == "NP4-180-ER" and metadata["source-used"] == "ercot-yearly"
    assert len(json.dumps(metadata)) < 2000  # S3 user metadata holds 2 KB: a year of dates would not fit
    landed = land_group(LocalStorage(tmp_path), groups[0])
    manifest = Manifest.load(LocalStorage(tmp_path), landed.manifest_key)
    assert len(manifest.covered_days) == 366
    assert (manifest.covered_days[0], manifest.covered_days[-1]) == (dt.date(2016, 1, 1), dt.date(2016, 12, 31))


def test_a_window_across_two_years_is_two_files_and_one_listing() -> None:
    fake = dam_site()
    client, _ = make_client(fake, credentials=None)
    groups = fetch_all(client, "spp_dam", Window.parse("2015-12-30", "2016-01-02"))
    assert [group[0].extra["year"] for group in groups] == ["2015", "2016"]
    assert [group[0].params["doclookupId"] for group in groups] == ["900", "902"]
    assert len(fake.requests_to(f"{WEB}{LISTING}")) == 1


def test_rtm_comes_from_report_type_13061() -> None:
    fake = FakeErcot(
        web_default=routes(
            {
                LISTING: lambda _: listing(("77", "RTMLZHBSPP_2013", "2014-01-02T08:00:00-05:00")),
                DOWNLOAD: lambda _: httpx.Response(200, content=zip_of(2013)),
            }
        )
    )
    client, _ = make_client(fake, credentials=None)
    (group,) = fetch_all(client, "spp_rt", Window.parse("2013-07-01", "2013-07-01"))
    assert group[0].extra["yearly-product"] == "NP6-785-ER"
    assert fake.requests_to(f"{WEB}{LISTING}")[0].url.params["reportTypeId"] == "13061"


def test_a_year_missing_from_the_listing_names_the_years_listed() -> None:
    client, _ = make_client(dam_site(), credentials=None)
    with pytest.raises(
        FetchError, match=r"NP4-180-ER \(report type 13060\) has no document for 2013; years listed: 2015, 2016"
    ):
        fetch_all(client, "spp_dam", Window.parse("2013-03-01", "2013-03-01"))


def test_years_the_files_do_not_cover_fail_before_any_request() -> None:
    # GIVEN the client's clock in 2024: the 2024 file is not published yet, and none exists before 2011
    fake = dam_site()
    client, _ = make_client(fake)
    door = YearlyDoor(client)
    entry = CATALOG["spp_dam"]
    with pytest.raises(FetchError, match=r"cover 2011..2023 .* needs 2024"):
        list(door.iter_fetch("spp_dam", entry, Window.parse("2023-12-31", "2024-01-01")))
    with pytest.raises(FetchError, match=r"needs 2010"):
        list(door.iter_fetch("spp_dam", entry, Window.parse("2010-12-01", "2010-12-01")))
    assert fake.seen == []


def test_a_malformed_listing_or_download_is_a_malformed_reply() -> None:
    client, _ = make_client(dam_site(listing=httpx.Response(200, text="<html>busy</html>")), credentials=None)
    with pytest.raises(MalformedReplyError, match=r"MIS listing is not JSON"):
        fetch_all(client, "spp_dam", Window.parse("2016-01-01", "2016-01-01"))
    fake = FakeErcot(
        web_default=routes(
            {
                LISTING: lambda _: listing(("901", "DAMLZHBSPP_2016", "2017-01-01T08:03:00-05:00")),
                DOWNLOAD: lambda _: httpx.Response(200, content=zip_of(2016)[:300]),  # cut short
            }
        )
    )
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(MalformedReplyError, match=r"yearly NP4-180-ER file for 2016 is malformed: not a readable zip"):
        fetch_all(client, "spp_dam", Window.parse("2016-01-01", "2016-01-01"))


def test_throttled_then_served_and_persistent_server_errors() -> None:
    # GIVEN a 429 with Retry-After before the download: the client's policy waits and retries it
    answers = [httpx.Response(429, headers={"Retry-After": "2"}, json={"error_key": "throttled"})]

    def download(_: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else httpx.Response(200, content=zip_of(2016))

    fake = FakeErcot(
        web_default=routes(
            {LISTING: lambda _: listing(("901", "DAMLZHBSPP_2016", "2017-01-01T08:03:00-05:00")), DOWNLOAD: download}
        )
    )
    client, clock = make_client(fake, credentials=None)
    (group,) = fetch_all(client, "spp_dam", Window.parse("2016-01-01", "2016-01-01"))
    assert group[0].status_code == 200 and clock.sleeps and max(clock.sleeps) >= 2
    # AND a download that keeps answering 503 fails with the status, after the policy's attempts
    fake = FakeErcot(
        web_default=routes(
            {
                LISTING: lambda _: listing(("901", "DAMLZHBSPP_2016", "2017-01-01T08:03:00-05:00")),
                DOWNLOAD: lambda _: httpx.Response(503, text="Service Unavailable"),
            }
        )
    )
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(FetchError, match=r"gave up after 3 attempts; last: HTTP 503: .*doclookupId=901"):
        fetch_all(client, "spp_dam", Window.parse("2016-01-01", "2016-01-01"))
    assert len(fake.requests_to(f"{WEB}{DOWNLOAD}")) == 3  # SETTINGS.http_max_attempts


# --- website files ---------------------------------------------------------------------------------------------


def test_native_load_file_is_the_one_the_load_archive_page_links() -> None:
    # GIVEN the load archive page linking dated files (2018's name is lower case) and other documents
    page = html(
        "/files/docs/2019/01/07/native_load_2018.zip",
        "https://www.ercot.com/files/docs/2017/01/06/Native_Load_2016.zip",
        "/files/docs/2017/01/06/Native_Load_Methodology_2016.pdf",
    )
    fake = FakeErcot(
        web_default=routes(
            {
                NATIVE_LOAD_PAGE: lambda _: page,
                "/files/docs/2019/01/07/native_load_2018.zip": lambda _: httpx.Response(200, content=zip_of(2018)),
            }
        )
    )
    client, _ = make_client(fake, credentials=None)
    (group,) = fetch_all(client, "load_weather_zone", Window.parse("2018-08-01", "2018-08-03"))
    reply = group[0]
    assert reply.url == f"{WEB}/files/docs/2019/01/07/native_load_2018.zip" and reply.params == {}
    assert reply.extra["source-page"] == NATIVE_LOAD_PAGE and reply.extra["file-name"] == "native_load_2018.zip"
    assert reply.extra["yearly-product"] == "native-load"
    # AND a year the page does not link is an error naming the files it links
    with pytest.raises(FetchError, match=r"links no native-load file for 2017 \(files linked: .*Native_Load_2016.zip"):
        fetch_all(client, "load_weather_zone", Window.parse("2017-01-01", "2017-01-01"))
    # (the page read for 2018 lacks 2017: it is read again once, as the year may have been published since)
    assert len(fake.requests_to(f"{WEB}{NATIVE_LOAD_PAGE}")) == 2


def test_fuel_mix_year_file_else_the_previous_years_zip_downloaded_once() -> None:
    zip_url = "/files/docs/2021/03/10/FuelMixReport_PreviousYears.zip"
    fake = FakeErcot(
        web_default=routes(
            {
                FUEL_MIX_PAGE: lambda _: html("/files/docs/2020/02/01/IntGenbyFuel2019.xlsx", zip_url),
                "/files/docs/2020/02/01/IntGenbyFuel2019.xlsx": lambda _: httpx.Response(200, content=XLSX),
                zip_url: lambda _: httpx.Response(200, content=zipped([("IntGenbyFuel2014.xlsx", XLSX)])),
            }
        )
    )
    client, _ = make_client(fake, credentials=None)
    groups = fetch_all(client, "fuel_mix", Window.parse("2019-12-31", "2019-12-31"))
    assert groups[0][0].extra["file-name"] == "IntGenbyFuel2019.xlsx"
    groups = fetch_all(client, "fuel_mix", Window.parse("2014-12-31", "2015-01-01"))
    assert [(group[0].extra["year"], group[0].extra["file-name"]) for group in groups] == [
        ("2014", "FuelMixReport_PreviousYears.zip"),
        ("2015", "FuelMixReport_PreviousYears.zip"),
    ]
    assert len(fake.requests_to(f"{WEB}{zip_url}")) == 1


def test_a_page_that_is_not_html_or_not_there() -> None:
    fake = FakeErcot(web_default=routes({NATIVE_LOAD_PAGE: lambda _: httpx.Response(200, content=b"\x00\x01")}))
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(MalformedReplyError, match=r"page /gridinfo/load/load_hist is not HTML"):
        fetch_all(client, "load_weather_zone", Window.parse("2016-01-01", "2016-01-01"))
    client, _ = make_client(FakeErcot(web_default=routes({})), credentials=None)
    with pytest.raises(FetchError, match=r"ERCOT page answered HTTP 404") as caught:
        fetch_all(client, "fuel_mix", Window.parse("2016-01-01", "2016-01-01"))
    assert caught.value.status_code == 404


# --- once per process ------------------------------------------------------------------------------------------

WEEKS_OF_2015 = list(Window.parse("2015-02-02", "2015-03-01").chunks(7))  # a backfill's weekly chunks


def fuel_site() -> FakeErcot:
    """The generation page linking the 2015 and 2016 fuel-mix workbooks, and the workbooks."""
    files = {
        "/files/docs/2016/01/05/IntGenbyFuel2015.xlsx": XLSX,
        "/files/docs/2017/01/05/IntGenbyFuel2016.xlsx": zipped([("xl/workbook.xml", b"<workbook>2016</workbook>")]),
    }
    page = html(*files)
    table: dict[str, Callable[[httpx.Request], httpx.Response]] = {FUEL_MIX_PAGE: lambda _: page}
    for path, body in files.items():
        table[path] = lambda _, body=body: httpx.Response(200, content=body)
    return FakeErcot(web_default=routes(table))


def test_weekly_chunks_of_one_year_download_its_file_once_and_land_what_they_did(tmp_path: Path) -> None:
    # GIVEN a backfill's weekly chunks of 2015, each with its own client of one process (as fetch() makes them)
    fake = fuel_site()
    transport = one_process(fake)
    storage = LocalStorage(tmp_path)
    landed = []
    for week in WEEKS_OF_2015:
        client, _ = make_client(fake, credentials=None, transport=transport)
        (group,) = fetch_all(client, "fuel_mix", week)
        landed.append((group, land_group(storage, group)))
    # THEN the page was read once and the file downloaded once
    assert len(fake.requests_to(f"{WEB}{FUEL_MIX_PAGE}")) == 1
    assert len(fake.requests_to(f"{WEB}/files/docs/2016/01/05/IntGenbyFuel2015.xlsx")) == 1
    # AND every chunk yielded the year's one group, byte for byte the reply covering the whole year: the first landed
    # it, the others found the same object and the same manifest, as when each chunk downloaded the file again
    for group, result in landed:
        (reply,) = group
        assert (reply.body, reply.extra["window-start"], reply.extra["window-end"]) == (
            XLSX,
            "2015-01-01",
            "2015-12-31",
        )
        assert result.manifest_key == landed[0][1].manifest_key
    assert [result.manifest_written for _, result in landed] == [True, False, False, False]
    assert [member.written for _, result in landed for member in result.members] == [True, False, False, False]


def test_weekly_chunks_of_a_listed_year_send_one_listing_and_one_download() -> None:
    fake = dam_site()
    transport = one_process(fake)
    for week in [Window.parse("2016-02-01", "2016-02-07"), Window.parse("2016-02-08", "2016-02-14")] * 2:
        client, _ = make_client(fake, credentials=None, transport=transport)
        (group,) = fetch_all(client, "spp_dam", week)
        assert group[0].params == {"doclookupId": "902"}
    assert len(fake.requests_to(f"{WEB}{LISTING}")) == 1
    assert len(fake.requests_to(f"{WEB}{DOWNLOAD}")) == 1


def test_a_process_keeps_only_the_last_file_of_each_product() -> None:
    # GIVEN one process fetching 2015, then 2016, then 2015 again
    fake = fuel_site()
    transport = one_process(fake)
    for day in ("2015-06-01", "2016-06-01", "2015-07-01"):
        client, _ = make_client(fake, credentials=None, transport=transport)
        fetch_all(client, "fuel_mix", Window.parse(day, day))
    # THEN 2015 was downloaded again: memory holds one file per product, the last one
    assert len(fake.requests_to(f"{WEB}/files/docs/2016/01/05/IntGenbyFuel2015.xlsx")) == 2
    assert len(fake.requests_to(f"{WEB}{FUEL_MIX_PAGE}")) == 1


def test_a_malformed_file_is_not_kept() -> None:
    answers = [httpx.Response(200, content=zip_of(2016)[:300]), httpx.Response(200, content=zip_of(2016))]
    fake = FakeErcot(
        web_default=routes(
            {
                LISTING: lambda _: listing(("901", "DAMLZHBSPP_2016", "2017-01-01T08:03:00-05:00")),
                DOWNLOAD: lambda _: answers.pop(0),
            }
        )
    )
    transport = one_process(fake)
    client, _ = make_client(fake, credentials=None, transport=transport)
    with pytest.raises(MalformedReplyError, match="not a readable zip"):
        fetch_all(client, "spp_dam", Window.parse("2016-01-01", "2016-01-01"))
    # WHEN the next client of the process asks for the year THEN it downloads it again, and gets the good file
    client, _ = make_client(fake, credentials=None, transport=transport)
    (group,) = fetch_all(client, "spp_dam", Window.parse("2016-01-02", "2016-01-02"))
    assert group[0].body == zip_of(2016)


def test_a_kept_listing_without_the_year_is_fetched_again_once() -> None:
    # GIVEN a listing kept while it had 2015 only, and ERCOT posting 2016 since
    posted_2015 = ("900", "DAMLZHBSPP_2015", "2016-01-01T08:02:00-05:00")
    posted_2016 = ("901", "DAMLZHBSPP_2016", "2017-01-01T08:03:00-05:00")
    listings = [listing(posted_2015), listing(posted_2015, posted_2016)]
    fake = FakeErcot(
        web_default=routes(
            {LISTING: lambda _: listings.pop(0), DOWNLOAD: lambda r: httpx.Response(200, content=zip_of(2015))}
        )
    )
    transport = one_process(fake)
    for day in ("2015-03-01", "2016-03-01"):
        client, _ = make_client(fake, credentials=None, transport=transport)
        fetch_all(client, "spp_dam", Window.parse(day, day))
    # THEN the second client read the listing again, found 2016 and downloaded it
    assert len(fake.requests_to(f"{WEB}{LISTING}")) == 2
    assert [request.url.params["doclookupId"] for request in fake.requests_to(f"{WEB}{DOWNLOAD}")] == ["900", "901"]
