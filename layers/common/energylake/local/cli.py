"""The ``energylake`` command: the local door into the same stages the Lambdas run.

  run        fetch -> curate -> gold (DuckDB; --engine spark: local Spark) -> warehouse (DuckDB) -> dashboard
  backfill   the same over a long window, in chunks, resumable after an interruption; it prints its plan first
             (days per door, requests, the least time ERCOT's limits allow); --plan prints it and stops
  fetch      sources -> raw only
  reprocess  raw -> silver -> gold -> warehouse, without fetching (--silver-only: raw -> silver)
  gold       silver -> gold;  load: silver + gold -> warehouse;  dashboard: warehouse -> HTML
  status     what the lake and the warehouse hold;  ls: the raw zone

Every command takes --lake (default ./lake) and --warehouse (default <lake>/warehouse.duckdb).
Exit codes: 0 success; 1 failed (one line: the stage, dataset and date, what failed and what to do; never a
traceback, which goes to the log file); 2 bad usage or bad input (one line on stderr, and nothing is written);
3 finished, with quarantined groups (one line each); 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from energylake.contracts.datasets import in_catalog_order
from energylake.errors import (
    ConfigurationError,
    EnergylakeError,
    InvalidRequestError,
    StageError,
    diagnose,
    one_line,
)
from energylake.fetch import Connection
from energylake.local.backfill import BackfillState
from energylake.local.console import (
    log_file,
    make_progress,
    print_backfill_plan,
    summary,
    table_rows,
    write_dashboard,
    written_cell,
)
from energylake.local.dashboard import Narrowing
from energylake.local.dashboard import write_dashboard as write_page
from energylake.local.lock import command_lock
from energylake.local.options import Plan, UsageError, build_parser, checked_plan, source_connection
from energylake.local.runner import ALL_STAGES, PipelineReport, run_pipeline
from energylake.local.status import ls, status
from energylake.local.warehouse_lock import warehouse_held
from energylake.plan import BackfillChunk, FetchPlan, backfill_chunks, plan_fetch
from energylake.settings import load_settings
from energylake.timeconv import central_today, utc_now
from energylake.window import Window, parse_day

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_QUARANTINED = 0, 1, 2, 3

logger = logging.getLogger("energylake.cli")


def _warehouse_taken(plan: Plan, stages: tuple[str, ...]) -> AbstractContextManager[None]:
    """A pipeline that loads takes the warehouse first: a notebook holding it fails the command in its first second,
    not after a minute of fetching (waiting ``--warehouse-wait`` for it to be released)."""
    return warehouse_held(plan.warehouse, wait_seconds=plan.warehouse_wait) if "load" in stages else nullcontext()


def _pipeline(plan: Plan, stages: tuple[str, ...], connection: Connection | None) -> PipelineReport:
    assert plan.window is not None
    steps = (len(plan.datasets) if "fetch" in stages else 0) + (len(plan.datasets) if "curate" in stages else 0)
    steps += sum(stage in stages for stage in ("gold", "load"))
    with _warehouse_taken(plan, stages), make_progress() as progress:
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
            engine=plan.engine,
        )
        progress.update(task, completed=steps)
    return report


def _run(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    assert plan.window is not None
    connection = source_connection(args.source, plan.window)
    with log_file(plan, "run") as log:
        report = _pipeline(plan, ALL_STAGES, connection)
        dashboard = write_dashboard(plan, report, synthetic=args.source == "sample")
        logger.info("run finished", extra={"window": str(plan.window), "seconds": report.seconds})
    if args.json:
        print(json.dumps(_report_json(report, plan, dashboard), indent=2))
    else:
        summary(report, plan, dashboard, log)
    return _finished(report, json_output=args.json)


def _finished(report: PipelineReport, *, json_output: bool) -> int:
    """Exit 3 when the command finished with quarantined groups (built on what passed), 0 when nothing was
    quarantined. The summary names each group on its own line; with --json, stderr does (stdout stays JSON)."""
    quarantined = [result for result in report.curated if result.status == "failed"]
    if json_output:
        for result in quarantined:
            print(f"quarantined {result.dataset} {result.group}: {one_line(result.reason or '')}", file=sys.stderr)
    return EXIT_QUARANTINED if quarantined else EXIT_OK


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


@dataclass
class _BackfillWork:
    """A backfill's chunks, the ones left to run, and the fetch plan of those."""

    state: BackfillState
    connection: Connection | None
    chunks: int  # chunks some door reaches (the others have nothing to fetch)
    pending: list[BackfillChunk]
    fetch_plan: FetchPlan | None

    @property
    def skipped(self) -> int:
        return self.chunks - len(self.pending)


def _plan_backfill(args: argparse.Namespace, plan: Plan, stages: tuple[str, ...]) -> _BackfillWork:
    """Chunk the window, drop the chunks a previous run finished, and plan the fetches of the rest (no writes).

    With fetching, a chunk is also cut where the datasets some door reaches change, and fetches only those (the
    ERCOT client refuses a window holding a day no door reaches); without, every chunk covers every dataset."""
    assert plan.window is not None
    # One connection for the whole backfill: its clock chooses each day's door, for the plan and the run alike (the
    # sample's clock sits after the window's end, so its old days come through the archive as live ones would).
    connection = (
        source_connection(args.source, plan.window, sample_today=args.sample_today) if "fetch" in stages else None
    )
    state = BackfillState.load(plan.lake, plan.window, stages, tuple(plan.datasets))
    if connection is None:
        everything = tuple(in_catalog_order(plan.datasets))
        chunks = [BackfillChunk(chunk, everything) for chunk in plan.window.chunks(args.chunk_days)]
        pending = [chunk for chunk in chunks if not state.is_done(chunk.window, chunk.datasets)]
        return _BackfillWork(state, None, len(chunks), pending, None)
    now = connection.now() if connection.now is not None else utc_now()
    today, weather_today = central_today(now), now.astimezone(dt.UTC).date()
    credentials = connection.ercot_credentials is not None
    chunks = backfill_chunks(
        plan.window,
        plan.datasets,
        today=today,
        credentials=credentials,
        chunk_days=args.chunk_days,
        weather_today=weather_today,
    )
    # The plan counts what is left: unfinished chunks, and the unreachable ones (to list their days and why).
    left = [chunk for chunk in chunks if not (chunk.datasets and state.is_done(chunk.window, chunk.datasets))]
    fetch_plan = plan_fetch(
        plan.window,
        plan.datasets,
        today=today,
        credentials=credentials,
        settings=load_settings(),  # the configured limits (the sample's connection lifts them)
        chunks=left,
        weather_today=weather_today,
    )
    runnable = sum(1 for chunk in chunks if chunk.datasets)
    return _BackfillWork(state, connection, runnable, [chunk for chunk in left if chunk.datasets], fetch_plan)


def _run_backfill(plan: Plan, stages: tuple[str, ...], work: _BackfillWork) -> PipelineReport:
    """Run the pending chunks with a progress bar, recording each finished one (what a rerun resumes from)."""
    total = PipelineReport()
    curated: set[str] = set()  # the manifests this backfill curated: each group once, whatever chunks it meets
    if work.skipped:
        print(f"resuming: {work.skipped} of {work.chunks} chunks already done ({work.state.key})", file=sys.stderr)
    with make_progress() as progress:
        task = progress.add_task("backfill", total=len(work.pending))
        for chunk in work.pending:

            def step(message: str, chunk: Window = chunk.window) -> None:
                progress.update(task, description=f"chunk {chunk}: {message}")

            with _warehouse_taken(plan, stages):
                report = run_pipeline(
                    chunk.window,
                    chunk.datasets,
                    plan.lake,
                    plan.warehouse,
                    connection=work.connection,
                    stages=stages,
                    on_step=step,
                    engine=plan.engine,
                    # A fetching backfill meets groups wider than its chunk (a yearly file covers the year): curate
                    # each once. Without fetch the user asked to curate again (a parser change): every group then,
                    # but still once per backfill, not once per chunk it meets.
                    skip_curated="fetch" in stages,
                    curated_before=curated,
                )
            work.state.mark_done(chunk.window, report, chunk.datasets)
            logger.info(
                "backfill chunk %s done",
                chunk.window,
                extra={"chunk": str(chunk.window), "datasets": list(chunk.datasets), "seconds": report.seconds},
            )
            total.merge(report)
            progress.advance(task)
    return total


def _backfill(args: argparse.Namespace) -> int:
    stages = tuple(stage.strip() for stage in str(args.stages).split(",") if stage.strip())
    unknown = [stage for stage in stages if stage not in ALL_STAGES]
    if unknown or not stages:
        raise InvalidRequestError(f"unknown stage {unknown[0] if unknown else ''!r}; stages: {','.join(ALL_STAGES)}")
    if args.chunk_days < 1:
        raise InvalidRequestError(f"--chunk-days must be at least 1, got {args.chunk_days}")
    if args.sample_today and args.source != "sample":
        raise InvalidRequestError("--sample-today sets the sample source's clock: use it with --source sample")
    plan = checked_plan(args, writes=not args.plan)  # --plan writes nothing, so it needs no writable paths
    assert plan.window is not None
    ordered = tuple(stage for stage in ALL_STAGES if stage in stages)
    work = _plan_backfill(args, plan, ordered)
    if args.plan and args.json:
        as_dict = work.fetch_plan.as_dict() if work.fetch_plan is not None else None
        print(json.dumps({"chunks": work.chunks, "pending": len(work.pending), "plan": as_dict}, indent=2))
        return EXIT_OK
    if not args.json:
        print_backfill_plan(
            work.fetch_plan, window=plan.window, chunk_days=args.chunk_days, chunks=work.chunks,
            pending=len(work.pending), sample=args.source == "sample",
        )  # fmt: skip
    if args.plan:
        return EXIT_OK
    if not work.chunks:
        datasets = work.fetch_plan.datasets if work.fetch_plan is not None else ()
        unreachable = [item for dataset in datasets for item in dataset.unreachable]
        raise InvalidRequestError(
            f"nothing to backfill in {plan.window}: " + (unreachable[0].reason if unreachable else "no door reaches it")
        )
    with log_file(plan, "backfill") as log:
        total = _run_backfill(plan, ordered, work)
        dashboard = write_dashboard(plan, total, synthetic=args.source == "sample") if "load" in ordered else None
    if args.json:
        document: dict[str, Any] = {
            **_report_json(total, plan, dashboard),
            "chunks": work.chunks,
            "skipped": work.skipped,
        }
        if work.fetch_plan is not None:
            document["plan"] = work.fetch_plan.summary()
            document["requests"] = _requests_sent(total)
        print(json.dumps(document, indent=2))
    else:
        summary(total, plan, dashboard, log)
        print(f"backfill {plan.window}: {len(work.pending)} chunk(s) run, {work.skipped} skipped (already done)")
        if work.fetch_plan is not None and total.fetched:
            sent = _requests_sent(total)
            planned = work.fetch_plan.ercot_requests + work.fetch_plan.open_meteo_requests
            print(
                f"requests: {planned:,} planned, {sum(sent['sent'].values()):,} sent "
                f"({sum(sent['retries'].values()):,} of them retries)"
            )
    return _finished(total, json_output=args.json)


def _requests_sent(report: PipelineReport) -> dict[str, dict[str, int]]:
    """Requests each dataset's fetches sent (retries included) and how many were retries: set beside the plan."""
    sent: dict[str, int] = {}
    retries: dict[str, int] = {}
    for result in report.fetched:
        sent[result.dataset] = sent.get(result.dataset, 0) + result.stats.requests
        retries[result.dataset] = retries.get(result.dataset, 0) + result.stats.retries
    return {"sent": sent, "retries": retries}


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
        if args.rebuild_manifests:
            from energylake.curate import rebuild_manifests

            for orphans, manifest_key in rebuild_manifests(plan.window, plan.lake, plan.datasets):
                print(f"rebuilt manifest {manifest_key} from {len(orphans.keys)} raw object(s)", file=sys.stderr)
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
    if args.silver_only:  # its only product is silver, and a quarantined group's was not written: a failure
        return EXIT_FAILED if any(result.status == "failed" for result in results) else EXIT_OK
    return _finished(report, json_output=args.json)


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
        in_window = table_rows(plan.warehouse, plan.window)
        print(f"{'table':<28} {'rows new or changed':>20}")
        for name, rows in counts.items():
            print(f"{name:<28} {written_cell(rows, in_window.get(name, {}).get('in_window', 0)):>20}")
        print(f"warehouse: {plan.warehouse}")
    return EXIT_OK


def _dashboard(args: argparse.Namespace) -> int:
    plan = checked_plan(args)
    if not Path(plan.warehouse).is_file():
        raise InvalidRequestError(f"no warehouse at {plan.warehouse!r}: run `energylake run` (or load) first")
    narrowing = Narrowing(
        start=parse_day(args.from_day, field="--start") if args.from_day else None,
        end=parse_day(args.to_day, field="--end") if args.to_day else None,
        zone=args.zone.upper() if args.zone else None,
        hub=args.hub.upper() if args.hub else None,
    )
    with log_file(plan, "dashboard"):
        if narrowing == Narrowing():
            written = write_dashboard(plan)
        else:  # the pipeline's dashboard is never narrowed: the page straight from the dashboard package
            written = write_page(plan.warehouse, plan.dashboard, narrowing=narrowing)
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


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code when there is nothing to run (bad usage; --help, --version)."""
    try:
        return build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"energylake: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version print, then exit 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = _arguments(argv)
    if isinstance(args, int):
        return args
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with command_lock(args):  # one writer per lake: a second writing command refuses at once, in one line
            return _COMMANDS[args.command](args)
    except (InvalidRequestError, ConfigurationError) as exc:
        print(f"energylake: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except StageError as exc:
        print(f"energylake: {args.command} failed: {one_line(str(exc), limit=2000)}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # ours, DuckDB's, the OS's: one line saying what failed and what to do, never a traceback
        print(f"energylake: {args.command} failed: {_failure_line(exc, args.command)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"energylake: {args.command} interrupted after {time.perf_counter() - started:.0f} s; "
            "rerun the same command to resume (completed work is kept, reruns are safe)",
            file=sys.stderr,
        )
        return 130


def _failure_line(exc: BaseException, command: str) -> str:
    """What failed (the error, and the underlying cause when it says more: an errno, a file) and what to do."""
    text = (
        one_line(str(exc), limit=1000) if isinstance(exc, EnergylakeError) else one_line(f"{type(exc).__name__}: {exc}")
    )
    if "What to do:" in text:
        return text
    underlying, advice = diagnose(exc, command)
    if underlying is not None and underlying not in text:
        text = f"{text} (because {underlying})"
    return f"{text}. What to do: {advice}"


if __name__ == "__main__":
    raise SystemExit(main())
