"""The API's JSON reader (``adjudication.jsonsafe``, orjson since issue 13) reads every value
``json`` reads the same, and refuses, as malformed JSON (400 ``parse_error``), the texts ``json``
turned into values no column of ours can hold."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adjudication import jsonsafe
from adjudication.models import AuditEvent, Read
from tests.conftest import sample_document
from tests.factories import ReadFactory

text = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["é", "\x7f", "\u2028", "😀", "\b\f\n\r\t", '"\\/', "\x00", "[[{"]),
)
numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 5e-324, 1.7976931348623157e308, 0.1, 2.5e-7, 1e22, 123.456]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, text),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(text, inner, max_size=6)),
    max_leaves=40,
)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0) and the sign of a zero kept."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values, st.booleans())
def test_every_value_reads_as_json_reads_it(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only)
    expected = json.loads(raw)
    assert same(jsonsafe.loads(raw.encode()), expected)
    assert same(jsonsafe.loads(raw), expected)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"a": "\\ud800"}', "surrogate"),  # half of a surrogate pair: no Unicode text
        ('["\\udfff x"]', "surrogate"),
        ("[1e400]", "infinity"),  # json read an infinity
        ('{"x": -1e999}', "infinity"),
        ("[NaN]", None),
        ("[Infinity]", None),
        ('{"a": 1} x', None),
        ("", None),
    ],
)
def test_texts_json_read_as_values_no_column_holds_are_malformed(
    raw: str, problem: str | None
) -> None:
    with pytest.raises(ValueError, match=problem):
        jsonsafe.loads(raw.encode())


def test_an_integer_past_64_bits_reads_as_the_nearest_double() -> None:
    assert same(jsonsafe.loads(b"[18446744073709551615]"), [18446744073709551615])
    assert same(jsonsafe.loads(b"[18446744073709551616]"), [1.8446744073709552e19])


@pytest.mark.parametrize(
    "body",
    [
        '{"version": 1, "annotations": {"frames": {"0": {"lumen": [[1e400, 1], [2, 2], [3, 1]]}}}}',
        '{"version": 1, "annotations": {"frames": {"\\ud800": {}}}}',
        '{"version": 1, "annotations": {"frames": {}}, "x": "\\udfff"}',
    ],
    ids=["number past a double", "surrogate in a key", "surrogate in a value"],
)
def test_the_autosave_answers_400_and_keeps_the_document(world: Any, api: Any, body: str) -> None:
    read = ReadFactory(pullback__study=world.study, reader=world.reader_a)
    before = Read.objects.get(pk=read.pk)
    audits = AuditEvent.objects.count()
    r = api(world.reader_a).put(
        f"/api/v1/reads/{read.pk}/annotations/", body, content_type="application/json"
    )
    assert r.status_code == 400, r.content[:300]
    assert r.json()["code"] == "parse_error"
    assert r.json()["detail"].startswith("JSON parse error")
    after = Read.objects.get(pk=read.pk)
    assert (after.version, after.annotations) == (before.version, before.annotations)
    assert AuditEvent.objects.count() == audits


def test_a_body_in_another_declared_charset_is_read_in_it(world: Any, api: Any) -> None:
    read = ReadFactory(pullback__study=world.study, reader=world.reader_a)
    document = sample_document()
    body = json.dumps({"version": read.version, "annotations": document}, ensure_ascii=False)
    r = api(world.reader_a).put(
        f"/api/v1/reads/{read.pk}/annotations/",
        body.encode("utf-16"),
        content_type="application/json; charset=utf-16",
    )
    assert r.status_code == 200, r.content[:300]
    assert Read.objects.get(pk=read.pk).annotations == document
