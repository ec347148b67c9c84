"""The sample clock events/validate.json and events/quality_gate.json were made with (their manifest keys name it):
scripts/regenerate_validate_event.py and the event tests fetch with it."""

from __future__ import annotations

import datetime as dt

SAMPLE_NOW = dt.datetime(2024, 11, 8, 12, tzinfo=dt.UTC)
