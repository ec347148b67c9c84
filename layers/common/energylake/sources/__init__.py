"""Real source clients only: one module per source (:mod:`.ercot`, :mod:`.openmeteo`) over one HTTP policy
(:mod:`.http`). Each client yields :class:`~energylake.contracts.raw.RawReply` objects: reply bytes exactly as
received, plus the request that produced them (secrets removed). Parsing happens later, from the lake."""
