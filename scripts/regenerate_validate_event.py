"""Regenerate events/validate.json after the sample source changes: its manifest key embeds a hash of the sample bytes.

.venv/bin/python scripts/regenerate_validate_event.py
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import tempfile
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EVENT = REPO_ROOT / "events" / "validate.json"
sys.path.insert(0, str(REPO_ROOT))

from energylake import sample  # noqa: E402
from energylake.fetch import fetch  # noqa: E402
from energylake.lake.storage import LocalStorage  # noqa: E402
from energylake.settings import Settings  # noqa: E402
from energylake.window import Window  # noqa: E402
from tests.support.sample_clock import SAMPLE_NOW  # noqa: E402  (the clock the event tests use)


def main() -> None:
    lake = LocalStorage(Path(tempfile.mkdtemp()))
    day = Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3))
    connection = sample.connection(Settings(), now=SAMPLE_NOW, throttle_every=0)
    [manifest] = fetch(day, "spp_rt", lake, connection).manifests
    event = json.loads(EVENT.read_text())
    record = event["Records"][0]
    body = json.loads(record["body"])
    body["Records"][0]["s3"]["object"]["key"] = urllib.parse.quote(manifest, safe="/")
    body["Records"][0]["s3"]["object"]["size"] = len(lake.get(manifest))
    record["body"] = json.dumps(body, separators=(",", ":"))
    # SQS's md5OfBody is MD5 by definition: a checksum, not security.
    record["md5OfBody"] = hashlib.md5(record["body"].encode(), usedforsecurity=False).hexdigest()
    EVENT.write_text(json.dumps(event, indent=2) + "\n")
    print(manifest)


if __name__ == "__main__":
    main()
