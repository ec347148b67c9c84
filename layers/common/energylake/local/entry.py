"""The ``energylake`` command's entry point: nothing but the standard library until the CLI is imported.

Importing the CLI (DuckDB, pyarrow, rich, the pipeline) takes most of a second; a Ctrl-C in that second used to end
in a ``KeyboardInterrupt`` traceback. Here it ends like a Ctrl-C anywhere else: one line and exit 130, nothing written
(the CLI has not touched the lake yet).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

EXIT_INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from energylake.local.cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:  # before the CLI's own handler is in place (imports, argument parsing)
        print("energylake: interrupted while starting; nothing was done (rerun the command)", file=sys.stderr)
        return EXIT_INTERRUPTED
