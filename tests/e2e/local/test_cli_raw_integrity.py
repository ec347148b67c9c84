"""`energylake` as an operator meets a changed raw reply and a deleted manifest (issue 15, defects 1 and 4), on the
offline sample source: a changed reply is quarantined (never loaded) and a later fetch repairs it; objects without a
manifest are reported in one line naming them and the fix, and `reprocess --rebuild-manifests` brings the day back."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from energylake.local import cli

DAY = ["--start", "2024-11-05", "--end", "2024-11-05"]
SPP_DAM = ["--dataset", "spp_dam"]
CHANGED_PRICE = b"4321.09"  # a price the sample never serves


def energylake(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``energylake <args>`` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def lake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """GIVEN one sample day of DAM prices fetched and processed into the warehouse."""
    root = tmp_path / "lake"
    assert energylake(capsys, "fetch", "--source", "sample", *DAY, *SPP_DAM, "--lake", str(root))[0] == 0
    assert energylake(capsys, "reprocess", *DAY, *SPP_DAM, "--lake", str(root))[0] == 0
    return root


def raw_member(lake: Path) -> Path:
    [member] = [path for path in (lake / "raw").rglob("*.json") if "_manifests" not in path.parts]
    return member


def prices(lake: Path) -> list[float]:
    con = duckdb.connect(str(lake / "warehouse.duckdb"), read_only=True)
    try:
        return sorted(row[0] for row in con.sql("SELECT price_usd_mwh FROM ercot_spp").fetchall())
    finally:
        con.close()


def silver_rows(lake: Path) -> list[dict[str, object]]:
    files = sorted((lake / "silver").rglob("*.parquet"))
    rows = [row for path in files for row in pq.read_table(path).drop_columns(["run_id"]).to_pylist()]
    return sorted(rows, key=repr)


def change_one_price(member: Path) -> bytes:
    """Replace the first price of the reply's rows with CHANGED_PRICE, keeping the JSON valid; the old bytes."""
    body = member.read_bytes()
    price = re.compile(rb"\d+\.\d+").search(body, body.index(b'"data"'))
    assert price is not None
    member.write_bytes(body[: price.start()] + CHANGED_PRICE + body[price.end() :])
    return body


def test_a_changed_raw_reply_is_quarantined_never_loaded_and_a_refetch_repairs_it(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = prices(lake)
    member = raw_member(lake)
    original = change_one_price(member)
    # WHEN the day is curated again
    code, out, _ = energylake(capsys, "reprocess", "--silver-only", *DAY, *SPP_DAM, "--lake", str(lake))
    # THEN it exits 1 with the group quarantined, the line naming the object and its changed content
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("quarantined spp_dam")]
    assert member.name in line and "changed after landing" in line and "fetch the day again" in line
    assert list((lake / "silver").rglob("*.parquet")) == []
    # AND reprocessing through the warehouse never loads the changed value
    code, _, err = energylake(capsys, "reprocess", *DAY, *SPP_DAM, "--lake", str(lake))
    assert "Traceback" not in err
    assert float(CHANGED_PRICE) not in prices(lake)
    # WHEN the day is fetched again
    code, _, err = energylake(capsys, "fetch", "--source", "sample", *DAY, *SPP_DAM, "--lake", str(lake))
    # THEN the object holds the bytes its name says again, and stderr says it was repaired
    assert code == 0
    assert member.read_bytes() == original
    assert f"repaired raw object {member.relative_to(lake).as_posix()}" in err
    # AND the day curates and loads as before
    assert energylake(capsys, "reprocess", *DAY, *SPP_DAM, "--lake", str(lake))[0] == 0
    assert prices(lake) == before


def test_a_day_whose_manifest_was_deleted_is_reported_and_rebuilt_on_request(
    lake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    silver_before = silver_rows(lake)
    [manifest] = (lake / "raw").rglob("*.manifest.json")
    manifest_before = json.loads(manifest.read_bytes())
    # GIVEN the day's manifest deleted, and its silver too (so what reprocess writes is seen)
    manifest.unlink()
    shutil.rmtree(lake / "silver")
    member = raw_member(lake).relative_to(lake).as_posix()
    # WHEN the day is curated again
    code, _, err = energylake(capsys, "reprocess", "--silver-only", *DAY, *SPP_DAM, "--lake", str(lake))
    # THEN the day stays out of silver, and one warning line names the object without a manifest and both fixes
    assert silver_rows(lake) == []
    [warning] = [line for line in err.splitlines() if "in no manifest" in line]
    assert member in warning
    assert (
        "fetch 2024-11-05 again" in warning
        and "energylake reprocess --rebuild-manifests --start 2024-11-05 --end 2024-11-05 --dataset spp_dam" in warning
    )
    # WHEN reprocess is asked to rebuild the manifest
    code, out, err = energylake(
        capsys, "reprocess", "--silver-only", "--rebuild-manifests", *DAY, *SPP_DAM, "--lake", str(lake)
    )
    # THEN the manifest is back as landing wrote it, said on stderr, and the day curates to the same silver rows
    assert code == 0
    assert f"rebuilt manifest {manifest.relative_to(lake).as_posix()} from 1 raw object(s)" in err
    assert "in no manifest" not in err
    rebuilt = json.loads(manifest.read_bytes())
    assert rebuilt.pop("rebuilt_from") and rebuilt == manifest_before
    assert "passed" in out
    assert silver_rows(lake) == silver_before
