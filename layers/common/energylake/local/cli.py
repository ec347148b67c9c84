"""The ``energylake`` command: the local door into the same stages the Lambdas run.

  run        fetch -> curate -> gold (Spark) -> warehouse (DuckDB) -> dashboard, for a window
  backfill   the same over a long window, in chunks, resumable after an interruption
  fetch      sources -> raw only
  reprocess  raw -> silver -> gold -> warehouse, without fetching (--silver-only: raw -> silver)
  gold       silver -> gold;  load: silver + gold -> warehouse;  dashboard: warehouse -> HTML
  status     what the lake and the warehouse hold;  ls: the raw zone

Every command takes --lake (default ./lake) and --warehouse (default <lake>/warehouse.duckdb).
Exit codes: 0 success; 1 the pipeline failed (the message names the stage, dataset and date, and what to do);
2 bad usage or bad input (one line on stderr, and nothing is written).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from energylake.errors import ConfigurationError, EnergylakeError, InvalidRequestError, StageError
from energylake.fetch import Connection
from energylake.local.backfill import BackfillState
from energylake.local.console import log_file, make_progress, summary, write_dashboard
from energylake.local.options import Plan, UsageError, build_parser, checked_plan, source_connection
from energylake.local.runner import ALL_STAGES, PipelineReport, run_pipeline
from energylake.local.status import ls, status
from energylake.window import Window

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

logger = logging.getLogger("energylake.cli")


def _pipeline(plan: Plan, stages: tuple[str, ...], connection: Connection | None) -> PipelineReport:
    assert plan.window is not None
    steps = (len(plan.datasets) if "fetch" in stages else 0) + (len(plan.datasets) if "curate" in stages else 0)
    steps += sum(stage in stages for stage in ("gold", "load"))
    with make_progress() as progress:
        task = progress.add_task("starting", total=steps)
        started = [0]

        def step(message: str) -> None:
            progress.update(task, description=message, completed=started[0])
            started[0] += 1

        report = run_pipeline(
            plan.window,
            plan.datasets,
            plan.lake,
            plan.warehouse,
            connection=connection,
            stages=stages,
            on_step=step,
        )
        progress.update(task, completed=steps)
    return report


def _run(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    assert plan.window is not None
    connection = source_connection(args.source, plan.window)
    with log_file(plan, "run") as log:
        report = _pipeline(plan, ALL_STAGES, connection)
        dashboard = write_dashboard(plan, report)
        logger.info("run finished", extra={"window": str(plan.window), "seconds": report.seconds})
    if args.json:
        print(json.dumps(_report_json(report, plan, dashboard), indent=2))
    else:
        summary(report, plan, dashboard, log)
    return EXIT_OK


def _report_json(report: PipelineReport, plan: Plan, dashboard: str | None) -> dict[str, Any]:
    return {
        "window": str(plan.window),
        "lake": plan.lake_uri,
        "warehouse": plan.warehouse,
        "dashboard": dashboard,
        "loaded_rows": report.loaded_rows,
        "gold_rows": report.gold_rows,
        "quality": report.quality(),
        "seconds": {stage: round(seconds, 3) for stage, seconds in report.seconds.items()},
    }


def _backfill(args: argparse.Namespace) -> int:
    stages = tuple(stage.strip() for stage in str(args.stages).split(",") if stage.strip())
    unknown = [stage for stage in stages if stage not in ALL_STAGES]
    if unknown or not stages:
        raise InvalidRequestError(f"unknown stage {unknown[0] if unknown else ''!r}; stages: {','.join(ALL_STAGES)}")
    if args.chunk_days < 1:
        raise InvalidRequestError(f"--chunk-days must be at least 1, got {args.chunk_days}")
    plan = checked_plan(args)
    assert plan.window is not None
    ordered = tuple(stage for stage in ALL_STAGES if stage in stages)
    chunks = list(plan.window.chunks(args.chunk_days))
    with log_file(plan, "backfill") as log:
        lake = plan.lake
        state = BackfillState.load(lake, plan.window, ordered, tuple(plan.datasets))
        pending = [chunk for chunk in chunks if not state.is_done(chunk)]
        skipped = len(chunks) - len(pending)
        if skipped:
            print(f"resuming: {skipped} of {len(chunks)} chunks already done ({state.key})", file=sys.stderr)
        total = PipelineReport()
        with make_progress() as progress:
            task = progress.add_task("backfill", total=len(pending))
            for chunk in pending:
                connection = source_connection(args.source, chunk) if "fetch" in ordered else None

                def step(message: str, chunk: Window = chunk) -> None:
                    progress.update(task, description=f"chunk {chunk}: {message}")

                report = run_pipeline(
                    chunk,
                    plan.datasets,
                    lake,
                    plan.warehouse,
                    connection=connection,
                    stages=ordered,
                    on_step=step,
                )
                state.mark_done(chunk, report)
                logger.info("backfill chunk %s done", chunk, extra={"chunk": str(chunk), "seconds": report.seconds})
                total.merge(report)
                progress.advance(task)
        dashboard = write_dashboard(plan, total) if "load" in ordered else None
    if args.json:
        print(json.dumps({**_report_json(total, plan, dashboard), "chunks": len(chunks), "skipped": skipped}, indent=2))
    else:
        summary(total, plan, dashboard, log)
        print(f"backfill {plan.window}: {len(pending)} chunk(s) run, {skipped} skipped (already done)")
    return EXIT_OK


def _fetch(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    assert plan.window is not None
    connection = source_connection(args.source, plan.window)
    with log_file(plan, "fetch"):
        results = _pipeline(plan, ("fetch",), connection).fetched
    if args.json:
        print(json.dumps([result.as_dict() for result in results], indent=2))
        return EXIT_OK
    print(f"{'dataset':<18} {'objects':>7} {'new':>5} {'same':>5} {'requests':>8} {'retries':>7}  source")
    for result in results:
        print(
            f"{result.dataset:<18} {len(result.keys):>7} {result.written:>5} {result.unchanged:>5} "
            f"{result.stats.requests:>8} {result.stats.retries:>7}  {', '.join(sorted(result.sources_used))}"
        )
    for result in results:
        for note in result.notes:
            print(f"note: {note}")
    print(f"lake: {plan.lake_uri}")
    return EXIT_OK


def _reprocess(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    assert plan.window is not None
    stages: tuple[str, ...] = ("curate",) if args.silver_only else ("curate", "gold", "load")
    with log_file(plan, "reprocess") as log:
        report = _pipeline(plan, stages, None)
    results = report.curated
    if args.json:
        print(json.dumps([result.as_dict() for result in results], indent=2))
    elif args.silver_only:
        print(f"{'dataset':<18} {'group':<22} {'status':<8} {'rows in':>8} {'out':>8} {'rejected':>8}")
        for result in results:
            print(
                f"{result.dataset:<18} {result.group:<22} {result.status:<8} {result.rows_in:>8} "
                f"{result.rows_out:>8} {result.rows_rejected:>8}"
            )
        for result in results:
            if result.status == "failed":
                print(f"quarantined {result.dataset} {result.group}: {result.reason}")
    else:
        summary(report, plan, None, log)
    if not results:
        print(f"nothing to curate: no raw groups for {plan.window} in {plan.lake_uri} (run energylake fetch first)")
    failed = [result for result in results if result.status == "failed"]
    return EXIT_FAILED if failed and args.silver_only else EXIT_OK


def _gold(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    with log_file(plan, "gold"):
        counts = _pipeline(plan, ("gold",), None).gold_rows
    print(json.dumps(counts, indent=2) if args.json else ", ".join(f"{name}: {n} rows" for name, n in counts.items()))
    return EXIT_OK


def _load(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    with log_file(plan, "load"):
        counts = _pipeline(plan, ("load",), None).loaded_rows
    if args.json:
        print(json.dumps(counts, indent=2))
    else:
        for name, rows in counts.items():
            print(f"{name:<28} {rows:>10} rows written")
        print(f"warehouse: {plan.warehouse}")
    return EXIT_OK


def _dashboard(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    if not Path(plan.warehouse).is_file():
        raise InvalidRequestError(f"no warehouse at {plan.warehouse!r}: run `energylake run` (or load) first")
    with log_file(plan, "dashboard"):
        written = write_dashboard(plan)
    print(f"dashboard: {written}")
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": _run,
    "backfill": _backfill,
    "fetch": _fetch,
    "reprocess": _reprocess,
    "gold": _gold,
    "load": _load,
    "dashboard": _dashboard,
    "status": status,
    "ls": ls,
}


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _COMMANDS[args.command](args)
    except (InvalidRequestError, ConfigurationError) as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StageError as exc:
        print(f"energylake: {args.command} failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except EnergylakeError as exc:
        print(f"energylake: {args.command} failed: {exc}", file=sys.stderr)
        print("Fix the cause and rerun (reruns are safe).", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"energylake: {args.command} interrupted after {time.perf_counter() - started:.0f} s; "
            "rerun the same command to resume (completed work is kept, reruns are safe)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
