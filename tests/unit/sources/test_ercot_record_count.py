"""The ERCOT data-endpoint pager checks ``_meta.totalRecords`` against the rows it received (issue 15, defect 9).

A reply whose page count lies (``totalPages`` 1 while ``totalRecords`` says 12,096) used to land as if the day were
whole, to be caught only later as a completeness failure with exit 0. Now the fetch fails at once, naming the report,
the day, the page and both counts, and nothing of that day reaches the lake.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from energylake.errors import FetchError, MalformedReplyError
from energylake.fetch import Connection, fetch
from energylake.lake.storage import open_storage
from tests.support.fake_ercot import CREDENTIALS, FIXED_NOW, SETTINGS, FakeErcot, fetch_all, make_client, one_day, page
from tests.support.fakes import FakeClock


def lying_page(
    rows: list[list[Any]], *, total_records: int, total_pages: int = 1, page_number: int = 1
) -> httpx.Response:
    """An API page whose ``_meta.totalRecords`` is ``total_records`` whatever ``data`` holds."""
    document = {
        "_meta": {
            "totalRecords": total_records,
            "pageSize": 1000,
            "totalPages": total_pages,
            "currentPage": page_number,
        },
        "report": {"reportEMIL": "NP6-905-CD"},
        "fields": [{"name": "settlementPoint"}, {"name": "settlementPointPrice"}],
        "data": rows,
    }
    return httpx.Response(200, json=document)


def test_a_page_count_that_hides_rows_fails_the_fetch_naming_report_day_page_and_counts() -> None:
    # GIVEN ERCOT answers one page (totalPages 1) of 3 rows while totalRecords says 12,096
    fake = FakeErcot(
        api=[lying_page([["HB_NORTH", 20.5], ["HB_WEST", 21.0], ["HB_HOUSTON", 19.0]], total_records=12096)]
    )
    client, _ = make_client(fake)
    # WHEN the day is fetched
    with pytest.raises(MalformedReplyError) as caught:
        fetch_all(client, "spp_rt", one_day("2024-11-05"))
    # THEN a FetchError names the report, the day, the last page asked for and both counts, in one line
    message = str(caught.value)
    assert isinstance(caught.value, FetchError)
    assert "NP6-905-CD 2024-11-05" in message
    assert "12,096" in message and "held 3" in message
    assert "page 1 of 1" in message
    assert "\n" not in message


def test_a_lying_page_count_lands_nothing_of_the_day(tmp_path: Path) -> None:
    # GIVEN the lying reply behind the fetch stage, and an empty lake
    fake = FakeErcot(api=[lying_page([["HB_NORTH", 20.5]], total_records=12096)])
    clock = FakeClock()
    connection = Connection(
        settings=SETTINGS,
        ercot_credentials=CREDENTIALS,
        transport=httpx.MockTransport(fake.handle),
        sleep=clock.sleep,
        now=lambda: FIXED_NOW,
    )
    lake = open_storage(str(tmp_path / "lake"))
    # WHEN the fetch stage runs over that day
    started = time.monotonic()
    with pytest.raises(FetchError, match="totalRecords says 12,096"):
        fetch(one_day("2024-11-05"), "spp_rt", lake, connection)
    # THEN no raw object and no manifest was written (a rerun fetches the day whole), and it failed at once
    assert list(lake.list("")) == []
    assert time.monotonic() - started < 30


def test_rows_over_several_pages_that_add_up_are_accepted() -> None:
    # GIVEN a truthful 2-page day: 3 records announced, 2 then 1 rows
    fake = FakeErcot(
        api=[
            lying_page([["A", 1.0], ["B", 2.0]], total_records=3, total_pages=2),
            lying_page([["C", 3.0]], total_records=3, total_pages=2, page_number=2),
        ]
    )
    client, _ = make_client(fake)
    # WHEN the day is fetched THEN both pages form its group
    groups = fetch_all(client, "spp_rt", one_day())
    assert [reply.params["page"] for reply in groups[0]] == ["1", "2"]


def test_more_rows_than_page_one_announced_are_accepted_as_postings_made_while_paging() -> None:
    # GIVEN page 1 announces 2 records; ERCOT posts one more before page 2 is asked for
    fake = FakeErcot(
        api=[
            lying_page([["A", 1.0]], total_records=2, total_pages=2),
            lying_page([["B", 2.0], ["C", 3.0]], total_records=3, total_pages=2, page_number=2),
        ]
    )
    client, _ = make_client(fake)
    # WHEN the day is fetched THEN it is not an error: page 1 decides the pages, and no announced row is missing
    groups = fetch_all(client, "spp_rt", one_day())
    assert len(groups[0]) == 2


def test_a_page_without_total_records_is_malformed() -> None:
    # GIVEN a page whose _meta has no totalRecords (so the rows cannot be counted against it)
    fake = FakeErcot(api=[httpx.Response(200, json={"_meta": {"totalPages": 1}, "data": [["A", 1.0]]})])
    client, _ = make_client(fake)
    # WHEN the day is fetched THEN the reply is malformed, naming the field
    with pytest.raises(MalformedReplyError, match=r"'_meta.totalRecords' is missing"):
        fetch_all(client, "spp_rt", one_day())


def test_an_empty_day_is_still_an_empty_answer() -> None:
    # GIVEN a report with no rows (totalPages 0, totalRecords 0) WHEN fetched THEN one page, no error
    fake = FakeErcot(api=[page([], total_pages=0)])
    client, _ = make_client(fake, now=FIXED_NOW)
    groups = fetch_all(client, "spp_rt", one_day())
    assert len(groups) == 1 and len(groups[0]) == 1
