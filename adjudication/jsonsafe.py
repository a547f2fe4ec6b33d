"""JSON from clients, refused with a clear error when nested too deep (issue 12, finding 5).

``json.loads`` recurses once per nesting level: ``{"username": [[[… 5000 levels …]]]}``
raised RecursionError (a 500 on every JSON endpoint), and a document just under the
interpreter's limit would still break whatever walks it next (validation, audit snapshots,
rendering). No document of this product nests deeper than a few levels, so anything past
``MAX_DEPTH`` is refused before parsing. The depth is measured without recursion and at C
speed (strings blanked by one regex, then a running sum of brackets with numpy), so a
megabyte annotation document costs about a millisecond.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

MAX_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_OPEN = frozenset(b"[{")


class TooDeep(ValueError):
    """The document nests deeper than ``MAX_DEPTH``."""


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in JSON text ``raw`` (brackets in strings ignored)."""
    if not any(b in raw for b in (b"[", b"{")):
        return 0
    codes = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    steps = np.zeros(codes.shape, dtype=np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises ``TooDeep`` (a ValueError) past ``max_depth`` levels and
    never RecursionError; other malformed input, and the non-JSON ``NaN``/``Infinity``,
    raise ValueError (strict JSON, as DRF's parser)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if nesting_depth(data) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels") from None
