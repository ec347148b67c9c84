"""Regenerate events/validate.json after the sample source changes: its manifest key embeds the sample bytes hash.

.venv/bin/python scripts/regenerate_validate_event.py
"""

import datetime as dt
import hashlib
import json
import sys
import tempfile
import urllib.parse

from energylake.settings import Settings
from energylake.stages import fetch, sample_connection
from energylake.storage import LocalStorage
from energylake.window import Window

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from tests.functional.test_validate_service import SAMPLE_NOW

lake = LocalStorage(__import__("pathlib").Path(tempfile.mkdtemp()))
[manifest] = fetch(
    "spp_rt",
    Window(dt.date(2024, 11, 3), dt.date(2024, 11, 3)),
    lake,
    sample_connection(Settings(), now=SAMPLE_NOW, throttle_every=0),
).manifests
size = len(lake.get(manifest))
p = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "events" / "validate.json")
event = json.load(open(p))
record = event["Records"][0]
body = json.loads(record["body"])
body["Records"][0]["s3"]["object"]["key"] = urllib.parse.quote(manifest, safe="/")
body["Records"][0]["s3"]["object"]["size"] = size
record["body"] = json.dumps(body, separators=(",", ":"))
record["md5OfBody"] = hashlib.md5(record["body"].encode()).hexdigest()
json.dump(event, open(p, "w"), indent=2)
open(p, "a").write("\n")
print(manifest, size)
