"""The ``energylake`` command's entry point: nothing but the standard library until the CLI is imported.

Importing the CLI (DuckDB, pyarrow, rich, the pipeline) takes most of a second; a Ctrl-C in that second used to end
in a ``KeyboardInterrupt`` traceback. Here it ends like a Ctrl-C anywhere else: one line and exit 130, nothing written
(the CLI has not touched the lake yet).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing's: nothing is imported before the try below but what the interpreter has already
if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from energylake.local.cli import main as cli_main
    except KeyboardInterrupt:
        print("energylake: interrupted while starting; nothing was done (rerun the command)", file=sys.stderr)
        # Nothing ran yet, so nothing needs a clean-up; leaving at once keeps the exit code 130 (an interrupt caught
        # inside an import can still make the interpreter end itself by SIGINT on the way out).
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)
    tune_collector()
    try:
        return cli_main(argv)
    except KeyboardInterrupt:  # outside the CLI's own handler: while parsing arguments, or during its clean-up
        print(
            "energylake: interrupted; rerun the same command to resume (completed work is kept, reruns are safe)",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED


# A young collection every 10,000 net allocations instead of 700: a command is a batch job that makes millions of
# short-lived objects, and the default's collections took ~13% of a year's fetch CPU (40.5 -> 34.7 s user, peak
# memory 273 -> 285 MB). Cyclic garbage (httpx keeps each response in a cycle) is still collected young.
COLLECTOR_THRESHOLDS = (10_000, 10, 10)


def tune_collector() -> None:
    """Set the command's garbage collector up: what was imported lives as long as the process, so it is frozen
    out of every collection, and young collections come less often (:data:`COLLECTOR_THRESHOLDS`). Only for the
    command's own process: called once, after the imports."""
    import gc

    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
