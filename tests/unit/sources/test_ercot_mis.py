"""The ERCOT client's MIS door (no API credentials) against a scripted fake www.ercot.com: the fallback and why,
the listing, which documents a day selects per dataset, and checked zips."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from energylake.errors import FetchError, MalformedReplyError
from energylake.sources.ercot import mis
from energylake.sources.ercot.mis import ZipProblemError, check_zip, zip_problem
from energylake.sources.http import FetchStats
from energylake.window import Window
from tests.support.fake_ercot import SETTINGS, WEB, FakeErcot, fetch_all, make_client, one_day

# ------------------------------------------------------------------------------------------------ MIS fallback


def mis_listing(*documents: tuple[str, str, str]) -> httpx.Response:
    """A listing in ERCOT's shape from (doc id, friendly name, publish date)."""
    entries = [
        {
            "Document": {
                "DocID": doc_id,
                "FriendlyName": friendly,
                "ConstructedName": f"cdr.00013028.0000000000000000.x.{friendly}.zip",
                "PublishDate": published,
                "ReportTypeID": "13028",
                "Extension": "zip",
            }
        }
        for doc_id, friendly, published in documents
    ]
    return httpx.Response(200, json={"ListDocsByRptTypeRes": {"DocumentList": entries}})


def zip_of(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


WIND_CSV = "DELIVERY_DATE,HOUR_ENDING,SYSTEM_WIDE_GEN,DSTFlag\n03/09/2025,1,100.5,N\n03/09/2025,2,101.5,N\n"
WIND_LISTING = mis_listing(
    ("101", "WPPHRLYAVGACTNP4732_csv", "2025-03-09T00:55:08-05:00"),
    ("102", "WPPHRLYAVGACTNP4732_xml", "2025-03-09T00:55:08-05:00"),
    ("103", "WPPHRLYAVGACTNP4732_csv", "2025-03-09T23:55:09-05:00"),
    ("104", "WPPHRLYAVGACTNP4732_csv", "2025-03-08T23:55:09-05:00"),
    ("105", "WPPHRLYAVGACTNP4732_csv", "2025-03-10T00:55:09-05:00"),
)


def mis_download(request: httpx.Request) -> httpx.Response:
    doc_id = request.url.params["doclookupId"]
    return httpx.Response(200, content=zip_of(f"doc{doc_id}.csv", WIND_CSV))


def test_missing_credentials_fall_back_to_mis_and_say_why() -> None:
    # GIVEN no credentials and an MIS listing with csv and xml postings around 2025-03-09
    fake = FakeErcot(web=[WIND_LISTING], web_default=mis_download)
    stats = FetchStats()
    client, _ = make_client(fake, credentials=None, stats=stats)
    # THEN the client says it uses MIS, and why
    origin, reason = client.source_choice
    assert origin == "ercot-mis"
    assert "ENERGYLAKE_ERCOT_USERNAME" in reason
    assert "recent days" in reason
    # WHEN 2025-03-09 is fetched
    groups = fetch_all(client, "wind", Window.parse("2025-03-09", "2025-03-09"))
    # THEN only that day's _csv postings were downloaded, oldest first, each as a checked zip reply
    replies = groups[0]
    assert [reply.extra["doc-id"] for reply in replies] == ["101", "103"]
    assert {reply.origin for reply in replies} == {"ercot-mis"}
    assert {reply.origin_reason for reply in replies} == {reason}
    assert {reply.extension for reply in replies} == {"zip"}
    assert replies[0].url == f"{WEB}/misdownload/servlets/mirDownload"
    assert replies[0].params == {"doclookupId": "101"}
    assert replies[0].extra["publish-date"] == "2025-03-09T00:55:08-05:00"
    assert replies[0].extra["friendly-name"] == "WPPHRLYAVGACTNP4732_csv"
    assert stats.rows == 4  # 2 data lines per CSV
    # AND no token was asked for; the listing was asked once with the report type id
    assert not fake.requests_to(SETTINGS.ercot_token_url)
    listing_requests = fake.requests_to(f"{WEB}/misapp")
    assert [dict(r.url.params) for r in listing_requests] == [{"reportTypeId": "13028"}]


def test_mis_listing_is_fetched_once_per_client() -> None:
    fake = FakeErcot(web=[WIND_LISTING], web_default=mis_download)
    client, _ = make_client(fake, credentials=None)
    fetch_all(client, "wind", Window.parse("2025-03-08", "2025-03-10"))
    assert len(fake.requests_to(f"{WEB}/misapp")) == 1


def test_mis_day_outside_the_listing_names_the_oldest_day_and_the_variables() -> None:
    # GIVEN a listing whose oldest posting is 2025-03-08
    fake = FakeErcot(web=[WIND_LISTING])
    client, _ = make_client(fake, credentials=None)
    # WHEN an older day is asked for THEN the error explains MIS's reach and what to configure
    with pytest.raises(FetchError) as caught:
        fetch_all(client, "wind", Window.parse("2025-01-15", "2025-01-15"))
    message = str(caught.value)
    assert "only recent days" in message
    assert "2025-03-08" in message
    for variable in ("ENERGYLAKE_ERCOT_USERNAME", "ENERGYLAKE_ERCOT_PASSWORD", "ENERGYLAKE_ERCOT_SUBSCRIPTION_KEY"):
        assert variable in message


def test_truncated_zip_is_malformed() -> None:
    # GIVEN a download that stops halfway
    whole = zip_of("doc.csv", WIND_CSV * 50)
    fake = FakeErcot(web=[WIND_LISTING, httpx.Response(200, content=whole[: len(whole) // 2])])
    client, _ = make_client(fake, credentials=None)
    # WHEN/THEN MalformedReplyError naming the document and the download request
    with pytest.raises(MalformedReplyError, match="zip") as caught:
        fetch_all(client, "wind", Window.parse("2025-03-09", "2025-03-09"))
    assert "doclookupId=101" in caught.value.request
    assert "DocID 101" in str(caught.value)


def test_corrupt_zip_member_is_malformed() -> None:
    # GIVEN a zip whose member bytes were damaged (the CRC check fails, the central directory is intact)
    body = bytearray(zip_of("doc.csv", WIND_CSV * 50))
    body[40] ^= 0xFF  # inside the compressed data of the only member
    fake = FakeErcot(web=[WIND_LISTING, httpx.Response(200, content=bytes(body))])
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(MalformedReplyError):
        fetch_all(client, "wind", Window.parse("2025-03-09", "2025-03-09"))


def test_malformed_mis_listing() -> None:
    fake = FakeErcot(web=[httpx.Response(200, text="<html>down for maintenance</html>")])
    client, _ = make_client(fake, credentials=None)
    with pytest.raises(MalformedReplyError, match="not JSON"):
        fetch_all(client, "wind", one_day())


@pytest.mark.parametrize(
    ("dataset", "day", "expected_ids"),
    [
        # real-time: posted during D, plus the posting at 00:05 of D+1 (D's last interval); not 00:20 of D+1
        ("spp_rt", "2024-11-03", ["2", "3", "4"]),
        # day-ahead prices for D post during D-1
        ("spp_dam", "2024-11-04", ["2", "3"]),
        # actual load for D posts during D+1
        ("load_weather_zone", "2024-11-02", ["2", "3"]),
        # forecasts: every vintage posted during D
        ("load_forecast", "2024-11-03", ["2", "3"]),
    ],
)
def test_mis_selection_rule_per_dataset(dataset: Any, day: str, expected_ids: list[str]) -> None:
    # GIVEN postings around 2024-11-03 (the fall-back day: 01:30 appears twice on the wall clock)
    listing = mis_listing(
        ("1", "X_csv", "2024-11-02T23:59:00-05:00"),
        ("2", "X_csv", "2024-11-03T00:05:00-05:00"),
        ("3", "X_csv", "2024-11-03T01:30:00-05:00"),
        ("33", "X_xml", "2024-11-03T01:30:00-05:00"),
        ("4", "X_csv", "2024-11-04T00:05:00-05:00"),
        ("5", "X_csv", "2024-11-04T00:20:00-05:00"),
    )
    fake = FakeErcot(web=[listing], web_default=mis_download)
    client, _ = make_client(fake, credentials=None)
    # WHEN the day is fetched
    groups = fetch_all(client, dataset, Window.parse(day, day))
    # THEN exactly the _csv documents of the documented rule were downloaded, oldest first
    assert [reply.extra["doc-id"] for reply in groups[0]] == expected_ids


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_document_zip_is_checked_and_its_csv_rows_counted_in_one_pass() -> None:
    # GIVEN a document zip: a CSV with a header, CRLF line ends, a blank and a whitespace-only line, and a note
    body = _zip({"a.csv": b"Hour,Load\r\n01:00,1\r\n\r\n   \r\n02:00,2\r\n03:00,3", "readme.txt": b"x,y\n1,2\n"})
    # WHEN checked
    checked = check_zip(body)
    # THEN its body is kept, and the rows are the CSV's data lines only (not the header, the blanks, the note)
    assert checked.body == body
    assert checked.csv_rows == 3
    assert zip_problem(body) is None


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda body: body[: len(body) // 2], "not a readable zip"),
        (lambda body: b"", "not a readable zip"),
        (lambda body: _zip({}), "zip holds no files"),
        # a bit of the CSV's compressed bytes flipped (the member's data starts after its 35-byte header): it
        # inflates to something else (CRC) or not at all
        (lambda body: body[:60] + bytes([body[60] ^ 0x01]) + body[61:], "is corrupt|not a readable zip"),
    ],
    ids=["cut", "empty reply", "no members", "flipped bit"],
)
def test_a_damaged_document_zip_is_named_and_never_counted(damage: Any, problem: str) -> None:
    # GIVEN a document zip, damaged
    body = damage(_zip({"a.csv": b"Hour,Load\n" + b"01:00,1\n" * 200}))
    # WHEN checked THEN the problem is named
    with pytest.raises(ZipProblemError, match=problem):
        check_zip(body)
    assert zip_problem(body) is not None


@given(st.lists(st.sampled_from([b" ", b"\t", b"\r", b"\n", b"\x0b", b"\x0c", b"a", b",", b"\xff"])).map(b"".join))
def test_data_lines_are_the_lines_with_something_besides_whitespace(content: bytes) -> None:
    # GIVEN any bytes of line ends (\n, \r, \r\n), ASCII whitespace and other characters
    # WHEN the data lines are counted THEN the count is that of the lines holding a non-whitespace byte, the
    # definition the row count has always had (a regular expression, one match per such line)
    expected = len(re.findall(rb"[^ \t\n\r\x0b\x0c][^\n\r]*", content))
    assert mis._data_lines(content) == expected
