"""The local door (one machine only; never shipped to AWS): the ``energylake`` command (:mod:`.cli`, with its options,
console output and status), the pipeline runner (:mod:`.runner`), resumable backfills (:mod:`.backfill`) and the
offline HTML dashboard (:mod:`.dashboard`)."""
