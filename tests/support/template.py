"""template.yaml as plain data, read with cfn-lint's decoder (it understands the short intrinsic tags !Ref, !GetAtt,
!Sub, !If and returns them in their long form), and the lookups the template tests share."""

from __future__ import annotations

import json
from typing import Any

from cfnlint.decode import decode_str  # type: ignore[import-untyped]

from tests.support.paths import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "template.yaml"


def load_template() -> dict[str, Any]:
    template, matches = decode_str(TEMPLATE_PATH.read_text())
    assert not matches, f"template.yaml does not parse: {matches}"
    # Plain dicts/lists/strings: the decoder's node classes carry line marks we do not need.
    plain: dict[str, Any] = json.loads(json.dumps(template))
    return plain


TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
