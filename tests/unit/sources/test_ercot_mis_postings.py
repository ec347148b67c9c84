"""The MIS door writes each document's posting instant (``x-posted-at-utc``), the fall-back hour resolved from the
listing's docIds as the archive door does, so the parser never has to read a repeated-hour label as daylight time
and note it. Against the sample source's MIS on the 2024 fall-back day (its DocIDs grow with posting time, as
ERCOT's do), and hand-made listings."""

from __future__ import annotations

import datetime as dt
import random
from itertools import pairwise

import pytest

from energylake.contracts.datasets import ErcotDatasetName
from energylake.lake.landing import raw_metadata
from energylake.parse import RawObject
from energylake.parse.ercot import parse
from energylake.sample import SampleServer
from energylake.settings import Settings
from energylake.sources.ercot import ErcotClient
from energylake.sources.ercot.mis import MisDocument, mis_posting_instants
from energylake.timeconv import CENTRAL
from energylake.window import Window

SETTINGS = Settings(ercot_requests_per_minute=1e9)
FALL_BACK = dt.date(2024, 11, 3)
FORECASTS: tuple[ErcotDatasetName, ...] = ("load_forecast", "wind", "solar")


def mis_day(dataset: ErcotDatasetName, day: dt.date) -> list[RawObject]:
    """The day's documents as the MIS door lands them (no credentials; the sample's clock two days later)."""
    now = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(18), dt.UTC)
    server = SampleServer(SETTINGS, now=now)
    with ErcotClient(
        SETTINGS,
        credentials=None,
        transport=server.transport(),
        sleep=lambda _: None,
        rng=random.Random(1),
        now=lambda: now,
    ) as client:
        (group,) = client.iter_fetch(dataset, Window(day, day))
    return [
        RawObject(f"raw/{dataset}/{day}/{index}", dataset, reply.body, raw_metadata(reply))
        for index, reply in enumerate(group)
    ]


@pytest.mark.parametrize("dataset", FORECASTS)
def test_fall_back_day_documents_carry_their_true_posting_instants(dataset: ErcotDatasetName) -> None:
    # GIVEN the fall-back day's hourly postings as the MIS door lands them (25 postings: the 01:00 hour twice)
    raws = mis_day(dataset, FALL_BACK)
    assert len(raws) == 25
    by_doc_id = sorted(raws, key=lambda raw: int(raw.metadata["x-doc-id"]))
    instants = [dt.datetime.fromisoformat(raw.metadata["x-posted-at-utc"]) for raw in by_doc_id]
    # THEN each instant is the document's own label read in Central time...
    for raw, instant in zip(by_doc_id, instants, strict=True):
        label = dt.datetime.fromisoformat(raw.metadata["x-publish-date"][:19])
        assert instant.astimezone(CENTRAL).replace(tzinfo=None) == label
    # ... and in docId (posting) order they run an hour apart (give or take the seconds ERCOT posts after the
    # minute): the repeated hour's two postings are two instants
    gaps = [later - earlier for earlier, later in pairwise(instants)]
    assert all(abs(gap - dt.timedelta(hours=1)) < dt.timedelta(seconds=15) for gap in gaps), gaps
    repeated = [instant for instant in instants if instant.astimezone(CENTRAL).hour == 1]
    assert [instant.astimezone(CENTRAL).utcoffset() for instant in repeated] == [
        dt.timedelta(hours=-5),
        dt.timedelta(hours=-6),
    ]


@pytest.mark.parametrize("dataset", FORECASTS)
def test_the_parser_dates_both_repeated_hour_vintages_without_a_note(dataset: ErcotDatasetName) -> None:
    # GIVEN the fall-back day's documents through MIS WHEN each is parsed
    results = [parse(raw) for raw in mis_day(dataset, FALL_BACK)]
    # THEN no document was read as daylight time for want of its instant
    assert [note for result in results for note in result.notes if "fall-back" in note] == []
    # AND 25 distinct vintages, each document's own
    vintages = {posted for result in results for posted in result.table.column("posted_at_utc").to_pylist()}
    assert len(vintages) == 25


def listed(doc_id: str, label: str, *, csv: bool = True) -> MisDocument:
    name = "WindPowerProduction_csv" if csv else "WindPowerProduction_xml"
    posted = dt.datetime.fromisoformat(label)
    return MisDocument(doc_id, name, f"cdr.00013028.x.{name}.zip", f"{label}-05:00", posted)


def test_equal_labels_of_the_repeated_hour_are_told_apart_by_their_docids() -> None:
    # GIVEN hourly postings around the fall-back hour, two of them labelled 01:30:05 (with XML renditions beside)
    documents = [
        listed("100", "2024-11-03T00:30:05"),
        listed("101", "2024-11-03T00:30:05", csv=False),
        listed("200", "2024-11-03T01:30:05"),
        listed("300", "2024-11-03T01:30:05"),
        listed("400", "2024-11-03T02:30:05"),
    ]
    # THEN the earlier docId is the daylight posting and the later the standard-time one; XML renditions have none
    assert mis_posting_instants(documents) == {
        "100": "2024-11-03T05:30:05+00:00",
        "200": "2024-11-03T06:30:05+00:00",
        "300": "2024-11-03T07:30:05+00:00",
        "400": "2024-11-03T08:30:05+00:00",
    }


def test_the_newest_postings_of_a_listing_are_resolved_from_the_ones_before() -> None:
    # GIVEN a listing fetched during the second pass of the fall-back hour: its newest postings are the repeated ones
    documents = [
        listed("1000", "2024-11-02T23:30:05"),
        listed("2000", "2024-11-03T00:30:05"),
        listed("3000", "2024-11-03T01:30:05"),
        listed("4000", "2024-11-03T01:30:06"),
    ]
    instants = mis_posting_instants(documents)
    # THEN the docIds read as a clock from the postings before place them in both passes
    assert (instants["3000"], instants["4000"]) == ("2024-11-03T06:30:05+00:00", "2024-11-03T07:30:06+00:00")


def test_docids_that_are_not_numbers_give_no_instants() -> None:
    documents = [listed("A1", "2024-11-03T01:30:05"), listed("A2", "2024-11-03T01:30:05")]
    assert mis_posting_instants(documents) == {}
