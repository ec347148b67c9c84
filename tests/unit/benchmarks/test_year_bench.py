"""benchmarks/year_bench.py's pure parts: the process-tree memory sampler (against children holding known amounts), the
linear-growth ratio, the windows, and the cost-curve table. The pipeline runs themselves (minutes) are the
benchmark's, not these tests'."""

from __future__ import annotations

import argparse
import sys

import pytest

from benchmarks.year_bench import (
    StageFigures,
    backfill_total,
    cost_curve_table,
    linear_ratio,
    main,
    parse_days,
    run_sampled,
    window,
)

# A child that holds `mib` MiB (every page written, so resident) for long enough to be sampled many times.
HOLD = "import time; held = bytearray(b'x') * ({mib} << 20); time.sleep(0.6)"
# A child holding 100 MiB that, while it holds them, waits for a grandchild holding 200 MiB.
HOLD_AND_SPAWN = (
    "import subprocess, sys; held = bytearray(b'x') * (100 << 20); "
    f"subprocess.run([sys.executable, '-c', {HOLD.format(mib=200)!r}], check=True)"
)
INTERPRETER_SLACK_MIB = 60  # what a bare interpreter adds on top of the bytes it holds


def test_the_sampler_sees_the_memory_a_child_holds() -> None:
    # GIVEN a Python child holding a 200 MiB bytearray for 0.6 s
    # WHEN it runs under the sampler
    result = run_sampled([sys.executable, "-c", HOLD.format(mib=200)])
    # THEN the sampled peak holds the 200 MiB plus no more than an interpreter's worth; the kernel's max RSS holds
    # them too (it is only a lower-bounded cross-check: Linux carries this process's own high-water mark across
    # the child's exec, gigabytes inside a long test session)
    assert result.returncode == 0
    assert 200 <= result.peak_tree_mib < 200 + INTERPRETER_SLACK_MIB
    assert result.max_rss_mib >= 200
    assert result.samples >= 5 and result.processes == 1
    assert result.wall_s >= 0.6


def test_the_sampler_sums_the_whole_process_tree_not_its_largest_process() -> None:
    # GIVEN a child holding 100 MiB that runs a grandchild holding 200 MiB at the same time
    # WHEN it runs under the sampler
    result = run_sampled([sys.executable, "-c", HOLD_AND_SPAWN])
    # THEN the peak is the sum of both (300 MiB and more), while the kernel's max RSS is at least the largest
    # single process (200 MiB)
    assert result.returncode == 0
    assert result.peak_tree_mib >= 300
    assert result.max_rss_mib >= 200
    assert result.processes == 2


def test_the_sampler_returns_a_failing_childs_exit_code_and_output() -> None:
    # GIVEN a child that prints, complains on stderr and exits 3
    code = "import sys; print('{}'); print('quarantined spp_rt 2024-10-30', file=sys.stderr); sys.exit(3)"
    # WHEN it runs under the sampler
    result = run_sampled([sys.executable, "-c", code])
    # THEN its exit code, stdout and stderr come back as they were
    assert result.returncode == 3
    assert result.stdout.strip() == "{}"
    assert "quarantined spp_rt" in result.stderr


def test_the_linear_ratio_is_one_for_linear_growth_and_above_one_for_worse() -> None:
    # GIVEN a 7-day stage of 2 s
    # WHEN 31 days take 31/7 of it, twice that, or the same 2 s
    # THEN the ratios are 1 (linear), 2 (worse than linear) and 7/31 (flat)
    assert linear_ratio(2.0 * 31 / 7, 31, 2.0, 7) == pytest.approx(1.0)
    assert linear_ratio(4.0 * 31 / 7, 31, 2.0, 7) == pytest.approx(2.0)
    assert linear_ratio(2.0, 31, 2.0, 7) == pytest.approx(7 / 31)


def test_the_linear_ratio_refuses_a_base_of_zero_seconds_in_one_line() -> None:
    # GIVEN a base window measured at 0 s (a stage that did not run)
    # WHEN a ratio is asked of it
    # THEN it refuses, naming the figures, rather than dividing by zero
    with pytest.raises(ValueError, match=r"need positive figures, got 3\.0 s for 31 days vs 0\.0 s for 7"):
        linear_ratio(3.0, 31, 0.0, 7)


def test_windows_end_on_the_day_before_the_samples_clock() -> None:
    # GIVEN window lengths of 7 and 365 days (the year holds 2024-02-29)
    # WHEN their first and last days are computed
    # THEN both end on 2024-10-30 and hold exactly that many days
    assert window(7) == ("2024-10-24", "2024-10-30")
    assert window(365) == ("2023-11-01", "2024-10-30")


def test_days_are_parsed_sorted_and_deduplicated() -> None:
    # GIVEN window lengths out of order, repeated, with spaces
    # WHEN parsed
    # THEN they come back increasing (the first, the smallest, is the baseline)
    assert parse_days("31, 7,92,7") == (7, 31, 92)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("7,x", "comma-separated whole numbers"), ("0,7", "at least 1 day"), (",", "at least 1 day")],
)
def test_bad_days_are_refused_in_one_line_before_anything_runs(
    text: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a --days value that is not a list of positive whole numbers
    with pytest.raises(argparse.ArgumentTypeError, match=problem):
        parse_days(text)
    # WHEN the benchmark is started with it
    with pytest.raises(SystemExit) as exited:
        main(["--days", text])
    # THEN it exits 2 (usage) naming --days and the problem on one line of stderr, having measured nothing
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert [line for line in captured.err.splitlines() if "--days" in line and problem in line]


def test_the_backfill_adds_its_stages_seconds_but_not_their_peaks() -> None:
    # GIVEN two stage processes that ran one after the other
    fetch = StageFigures(wall_s=3.0, peak_mib=280.0, max_rss_mib=279.0, stage_s={"fetch": 2.5})
    load = StageFigures(wall_s=4.0, peak_mib=410.0, max_rss_mib=409.0, stage_s={"load": 1.5, "dashboard": 1.0})
    # WHEN they are taken as one backfill
    total = backfill_total({"fetch": fetch, "load": load})
    # THEN seconds add up, the peak is the larger one (they never ran at once), and each stage's own seconds stay
    assert total.wall_s == 7.0
    assert total.peak_mib == 410.0 and total.max_rss_mib == 409.0
    assert total.processes == 2
    assert total.stage_s == {"fetch": 2.5, "load": 1.5, "dashboard": 1.0}


def test_the_cost_curve_table_reads_days_by_stage_with_the_ratio_to_linear_growth() -> None:
    # GIVEN a 7-day and a 31-day window: fetch grew linearly, load twice as fast as linearly; the whole run was only
    # measured over 7 days
    curve = {
        31: {
            "fetch": StageFigures(wall_s=31.0, peak_mib=300.4),
            "load": StageFigures(wall_s=62.0, peak_mib=1900.0),
        },
        7: {
            "fetch": StageFigures(wall_s=7.0, peak_mib=280.0),
            "load": StageFigures(wall_s=7.0, peak_mib=400.0),
            "run": StageFigures(wall_s=12.3, peak_mib=760.0),
        },
    }
    # WHEN the table is written
    table = cost_curve_table(curve, ["fetch", "load", "run"])
    # THEN one row a window, smallest first; each cell: seconds (their ratio to the 7-day figure x N/7) / MiB, and -
    # where nothing was measured
    assert table.splitlines() == [
        "| days | fetch | load | run |",
        "|---:|---:|---:|---:|",
        "| 7 | 7.0 s / 280 MiB | 7.0 s / 400 MiB | 12.3 s / 760 MiB |",
        "| 31 | 31.0 s (1.00x) / 300 MiB | 62.0 s (2.00x) / 1900 MiB | - |",
    ]


def test_a_run_of_unit_size_is_measured_in_mebibytes() -> None:
    # GIVEN the sampler's unit
    # WHEN a child holds exactly 64 MiB more than another
    small = run_sampled([sys.executable, "-c", HOLD.format(mib=16)])
    large = run_sampled([sys.executable, "-c", HOLD.format(mib=80)])
    # THEN the peaks differ by 64 (MiB, not MB or KiB), within the interpreter's noise
    assert large.peak_tree_mib - small.peak_tree_mib == pytest.approx(64, abs=8)
