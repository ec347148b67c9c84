"""One module per Lambda function, named like its ``functions/<name>/`` folder: its event model, its body
(``handle``, or ``handle_record`` for a queue consumer) and its client getters. Shared pieces live in
:mod:`._shared`. Nothing here imports ``energylake.local`` or ``energylake.sample`` (import-linter checks it)."""
