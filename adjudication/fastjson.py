"""orjson on the annotation documents' hot path, writing what ``json`` would (issue 13).

A save encodes its document several times (the jsonb column, the audit row's diff, the digests
of the document before and after) and decodes the stored one. With ~1,000 floats a document,
Python's float formatting and parsing were over a third of a save's instructions (callgrind);
orjson does the same work several times faster. Two uses, each held to ``json``'s result:

- ``canonical_json`` / ``document_digest``: the same bytes as the definition in
  ``domain.annotation_changes`` (stored digests must keep verifying), orjson's text being used
  only where it cannot differ;
- ``dumps_jsonb`` / ``loads``: the text of a jsonb column, where the value is what counts (the
  database normalises the text); a NaN or infinity is refused, as the database refuses
  Python's ``NaN``, instead of orjson's silent ``null``.

Pure like the domain (no Django), but outside it: the domain imports only the standard library
and numpy (STYLE.md rule 1).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import orjson

from adjudication.domain.annotation_changes import canonical_json as canonical_json_reference

# Where orjson's text may differ from ``json.dumps``'s: exponents (Python writes 2.5e-07, orjson
# 2.5e-7; orjson writes every exponent with its sign, e+ or e-), small numbers in fixed notation
# (orjson's 0.00001 for Python's 1e-05), ``null`` (orjson writes NaN and infinities as null,
# Python as NaN and Infinity) and anything not plain ASCII or DEL (Python escapes it as
# \uXXXX; orjson writes UTF-8). Each is a substring search at C speed (a regular expression
# over the text cost more than the orjson it saved). Such text inside strings also matches:
# that only costs the reference path.
_MAY_DIFFER = (b"e+", b"e-", b"E", b"0.0000", b"null", b"\x7f")


def _may_differ(text: bytes) -> bool:
    return not text.isascii() or any(marker in text for marker in _MAY_DIFFER)


def canonical_json(document: Any) -> bytes:
    """``domain.annotation_changes.canonical_json(document)``, byte for byte, mostly by orjson:
    its text is kept only when it holds nothing of ``_MAY_DIFFER``; otherwise, and for anything
    orjson refuses (a non-string key, an integer past 64 bits), the reference writes it."""
    try:
        fast = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError
        return canonical_json_reference(document)
    if _may_differ(fast):
        return canonical_json_reference(document)
    return fast


def document_digest(document: Any) -> str:
    """``domain.annotation_changes.document_digest``: SHA-256 (hex) of the canonical JSON."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def _non_finite_in(value: Any) -> bool:
    if type(value) is float:
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite_in(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite_in(v) for v in value)
    return False


def dumps_jsonb(value: Any) -> bytes:
    """JSON text for a jsonb column. Non-string keys are written as ``json`` writes them
    (``1`` → ``"1"``); a NaN or an infinity raises ValueError (orjson would write ``null``; the
    database refuses ``json``'s ``NaN``), checked only when the text holds a ``null``."""
    text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    if b"null" in text and _non_finite_in(value):
        raise ValueError("Out of range float values (NaN, Infinity) are not JSON compliant")
    return text


def loads(text: str | bytes) -> Any:
    """A jsonb column's text decoded (the database wrote it: valid JSON, no NaN)."""
    return orjson.loads(text)
