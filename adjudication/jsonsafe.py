"""JSON from clients, refused with a clear error when nested too deep (issue 12, finding 5).

``json.loads`` recurses once per nesting level: ``{"username": [[[… 5000 levels …]]]}``
raised RecursionError (a 500 on every JSON endpoint), and a document just under the
interpreter's limit would still break whatever walks it next (validation, audit snapshots,
rendering). No document of this product nests deeper than a few levels, so anything past
``MAX_DEPTH`` is refused before parsing. The depth is measured without recursion and at C
speed (strings blanked by one regex, then a running sum of brackets with numpy), so a
megabyte annotation document costs about a millisecond.

The text is then read by orjson (issue 13: the autosave's body is ~100 KB of numbers, and the
standard library's reader was a twentieth of a save). It is stricter than ``json`` where
``json`` returns values no column of ours can hold: a string with half of a UTF-16 surrogate
pair, a number past the largest double (``json`` makes it an infinity) and ``NaN`` are
refused as malformed; an integer past 64 bits is read as the nearest double.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

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


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """JSON text (UTF-8 bytes, or str) to a value; raises ``TooDeep`` (a ValueError) past
    ``max_depth`` levels, never RecursionError; other malformed input, the non-JSON
    ``NaN``/``Infinity``, numbers past a double and lone surrogates raise ValueError."""
    data = raw.encode() if isinstance(raw, str) else raw
    if nesting_depth(data) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return orjson.loads(data)
