"""Regression: a real-time day whose load zones are listed twice (types LZ and LZEW under one name, at different
prices, as NP6-905 does) keeps BOTH series everywhere: the quality gate rejects nothing, silver holds both, gold's
``ercot_spp_hourly`` has a row per type, the DuckDB warehouse (executed) and the Redshift load (its generated
statements, run on DuckDB with COPY replaced by a read of the same Parquet) keep both.

Before the type joined the natural keys, the gate rejected one of each pair as a duplicate (under 1% of a day, so the
day passed keeping whichever row came first: a mixed series), and gold averaged the two.

The day comes from the sample source through the real client, parser, gate and curation; gold is built by the
default engine (DuckDB; both engines agree: test_parity.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from energylake.curate import CurateResult, reprocess
from energylake.fetch import fetch
from energylake.gold import build_gold
from energylake.lake.storage import LocalStorage
from energylake.sample import connection as sample_connection
from energylake.settings import Settings
from energylake.warehouse import duckdb as warehouse
from energylake.warehouse.model import WAREHOUSE
from energylake.warehouse.redshift import sql as redshift
from energylake.window import Window
from tests.support.sample_clock import SAMPLE_NOW

DAY = dt.date(2024, 11, 5)
WINDOW = Window(DAY, DAY)
LOAD_ZONES = ("LZ_AEN", "LZ_CPS", "LZ_HOUSTON", "LZ_LCRA", "LZ_NORTH", "LZ_RAYBN", "LZ_SOUTH", "LZ_WEST")
LAKE_URI = "s3://energylake-lake"
ROLE = "arn:aws:iam::123456789012:role/energylake-redshift-copy"


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[CurateResult]]:
    """The sample's real-time and day-ahead prices of one day, fetched, gated and curated into a fresh lake."""
    root = tmp_path_factory.mktemp("point-types") / "lake"
    storage = LocalStorage(root)
    connection = sample_connection(Settings(), now=SAMPLE_NOW, throttle_every=0)
    for dataset in ("spp_rt", "spp_dam"):
        fetch(WINDOW, dataset, storage, connection)
    return root, reprocess(WINDOW, storage, ["spp_rt", "spp_dam"], run_id="point-types")


@pytest.fixture(scope="module")
def built(curated: tuple[Path, list[CurateResult]]) -> Path:
    lake, _ = curated
    build_gold(WINDOW, LocalStorage(lake))
    return lake


def read(lake: Path, folder: str) -> pa.Table:
    return pa.concat_tables(pq.read_table(path) for path in sorted((lake / folder).glob("date=*/*.parquet")))


def series(rows: list[dict[str, Any]], value: str = "price_usd_mwh") -> dict[tuple[str, str], dict[Any, float]]:
    """{(point, type): {interval start: value}} of RT price rows."""
    out: dict[tuple[str, str], dict[Any, float]] = defaultdict(dict)
    for row in rows:
        key = (row["settlement_point"], row["settlement_point_type"])
        assert row["interval_start_utc"] not in out[key], f"{key} twice at {row['interval_start_utc']}"
        out[key][row["interval_start_utc"]] = row[value]
    return out


def test_a_day_with_both_load_zone_types_passes_the_gate_rejecting_nothing(
    curated: tuple[Path, list[CurateResult]],
) -> None:
    # GIVEN the day's real-time group (96 intervals x (21 points + 8 load zones listed again as LZEW))
    lake, results = curated
    # THEN every group passes and not one row is rejected as a duplicate (the LZEW rows are not copies of LZ)
    assert {(r.dataset, r.status) for r in results} == {("spp_rt", "passed"), ("spp_dam", "passed")}
    rt = next(r for r in results if r.dataset == "spp_rt")
    assert (rt.rows_in, rt.rows_out, rt.rows_rejected) == (96 * 29, 96 * 29, 0)
    assert all(r.rows_rejected == 0 for r in results)
    report = json.loads((lake / str(rt.report_key)).read_bytes())
    unique = next(check for check in report["checks"] if check["name"] == "unique_key")
    assert unique["passed"] and unique["failures"] == 0


def test_silver_keeps_both_series_of_every_load_zone(curated: tuple[Path, list[CurateResult]]) -> None:
    # GIVEN the curated silver of the day
    lake, _ = curated
    prices = series(read(lake, "silver/dataset=spp_rt").to_pylist())
    # THEN each load zone has an LZ and an LZEW series of 96 intervals, never equal at an interval
    for zone in LOAD_ZONES:
        lz, lzew = prices[zone, "LZ"], prices[zone, "LZEW"]
        assert len(lz) == len(lzew) == 96
        assert all(lz[start] != lzew[start] for start in lz)
    assert {kind for _, kind in prices} == {"HU", "AH", "LZ", "LZEW", "RN"}


def test_gold_has_a_row_per_type_with_that_series_statistics_and_the_dam_price_on_lz(built: Path) -> None:
    # GIVEN silver (independent reference: the hourly means per series, computed here) and the gold built from it
    silver = read(built, "silver/dataset=spp_rt").to_pylist()
    dam = {(r["settlement_point"], r["interval_start_utc"]): r["price_usd_mwh"]
           for r in read(built, "silver/dataset=spp_dam").to_pylist()}  # fmt: skip
    expected: dict[tuple[str, str, Any], list[float]] = defaultdict(list)
    for row in silver:
        hour = row["interval_start_utc"].replace(minute=0)
        expected[row["settlement_point"], row["settlement_point_type"], hour].append(row["price_usd_mwh"])
    hourly = read(built, "gold/ercot_spp_hourly").to_pylist()
    start, end = WINDOW.start_utc, WINDOW.end_utc
    in_day = [r for r in hourly if start <= r["interval_start_utc"] < end]
    keyed = {(r["settlement_point"], r["settlement_point_type"], r["interval_start_utc"]): r for r in in_day}
    # THEN one row per point, type and hour: 24 hours x 29 series, every key once
    assert len(keyed) == len(in_day) == 24 * 29
    for key, prices in expected.items():
        if not start <= key[2] < end:
            continue
        row = keyed[key]
        assert row["rt_intervals"] == 4 and row["rt_price_mean_usd_mwh"] == pytest.approx(sum(prices) / 4), key
        assert (row["rt_price_min_usd_mwh"], row["rt_price_max_usd_mwh"]) == (min(prices), max(prices)), key
        # the DAM price joins the zone's LZ series; the energy-weighted series has none
        point, kind, hour = key
        assert row["dam_price_usd_mwh"] == (None if kind == "LZEW" else dam[point, hour]), key
    lz_rows = Counter(
        (r["settlement_point"], r["settlement_point_type"]) for r in in_day if r["settlement_point"] in LOAD_ZONES
    )
    assert lz_rows == {(zone, kind): 24 for zone in LOAD_ZONES for kind in ("LZ", "LZEW")}


def test_the_duckdb_warehouse_keeps_both_series_and_a_reload_changes_nothing(built: Path, tmp_path: Path) -> None:
    # GIVEN the built lake loaded into a fresh DuckDB warehouse
    db = str(tmp_path / "warehouse.duckdb")
    counts = warehouse.load(WINDOW, LocalStorage(built), db)
    # THEN ercot_spp holds every silver price of the day, both series of each zone among them
    rt = warehouse.query(db, "SELECT * FROM ercot_spp WHERE market = 'RT15'").to_pylist()
    silver = read(built, "silver/dataset=spp_rt").to_pylist()
    day = [r for r in silver if WINDOW.start_utc <= r["interval_start_utc"] < WINDOW.end_utc]
    assert series(rt) == series(day)
    assert counts["ercot_spp"] == len(day) + 24 * 21  # + the day-ahead hours of the 21 points
    # AND ercot_spp_hourly has the LZ and the LZEW row of every zone and hour
    hourly = warehouse.query(
        db, "SELECT settlement_point_type AS kind, COUNT(*) AS n FROM ercot_spp_hourly "
        "WHERE settlement_point LIKE 'LZ_%' GROUP BY 1 ORDER BY 1",
    ).to_pylist()  # fmt: skip
    assert hourly == [{"kind": "LZ", "n": 24 * 8}, {"kind": "LZEW", "n": 24 * 8}]
    # AND loading the same window again writes nothing (both series matched on the full key)
    before = warehouse.query(db, "SELECT * EXCLUDE (loaded_at_utc) FROM ercot_spp ORDER BY ALL")
    again = warehouse.load(WINDOW, LocalStorage(built), db)
    assert again["ercot_spp"] == 0 and again["ercot_spp_hourly"] == 0
    assert warehouse.query(db, "SELECT * EXCLUDE (loaded_at_utc) FROM ercot_spp ORDER BY ALL") == before


def run_redshift_load(con: duckdb.DuckDBPyConnection, lake: Path, table: str) -> None:
    """Run the generated Redshift load of ``table`` on DuckDB: the COPY of its manifest becomes an insert of the
    Parquet files the manifest would list (the table's prefixes for the window; Redshift's COPY maps columns by
    position, as ``SELECT *`` does); BEGIN/END become a DuckDB transaction."""
    manifest = f"{LAKE_URI}/artifacts/redshift/copy-manifests/{table}/manifest.json"
    files = [
        str(path)
        for prefix in redshift.table_prefixes(table, WINDOW)
        for path in sorted((lake / prefix).glob("*.parquet"))
    ]
    for statement in redshift.load_statements(table, manifest_uri=manifest, iam_role_arn=ROLE, window=WINDOW):
        if statement.startswith("COPY "):
            stage = statement.split()[1]
            if files:
                paths = ", ".join(f"'{path}'" for path in files)
                reader = f"read_parquet([{paths}], hive_partitioning = false, union_by_name = false)"
                con.execute(f"INSERT INTO {stage} SELECT * FROM {reader}")  # noqa: S608 - names from the statements
            continue
        con.execute({"BEGIN": "BEGIN TRANSACTION", "END": "COMMIT"}.get(statement, statement))


def test_the_redshift_load_statements_keep_both_series(built: Path) -> None:
    # GIVEN Redshift-shaped target tables (the model's columns in schema energylake) on DuckDB
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA energylake")
    con.execute("CREATE MACRO getdate() AS now()")
    for name in ("ercot_spp", "ercot_spp_hourly"):
        con.execute(
            warehouse.create_table_sql(WAREHOUSE.table(name)).replace(f"EXISTS {name} (", f"EXISTS energylake.{name} (")
        )
    # WHEN the generated load statements run (stage, dedupe per natural key, MERGE on it), twice, each time as the
    # chunk's one batch does: both tables in one transaction of a session of its own (its temp tables end with it)
    for _ in range(2):
        session = con.cursor()
        session.execute("SET TimeZone = 'UTC'")
        session.execute("BEGIN TRANSACTION")
        for name in ("ercot_spp", "ercot_spp_hourly"):
            run_redshift_load(session, built, name)
        session.execute("COMMIT")
        session.close()
    # THEN both series of every zone survive the dedupe and the MERGE, once each
    rt = con.sql("SELECT * FROM energylake.ercot_spp WHERE market = 'RT15'").to_arrow_table().to_pylist()
    silver = read(built, "silver/dataset=spp_rt").to_pylist()
    assert series(rt) == series([r for r in silver if WINDOW.start_utc <= r["interval_start_utc"] < WINDOW.end_utc])
    hourly = con.sql(
        "SELECT settlement_point_type, COUNT(*) FROM energylake.ercot_spp_hourly WHERE settlement_point LIKE 'LZ_%' "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert hourly == [("LZ", 24 * 8), ("LZEW", 24 * 8)]
