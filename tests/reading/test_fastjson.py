"""orjson on the save path (issue 13) writes what ``json`` would: the canonical digests byte for
byte, the jsonb columns value for value, and a NaN is still refused."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adjudication import fastjson
from adjudication.domain.annotation_changes import canonical_json, document_digest
from adjudication.models import AuditEvent, Read
from tests.conftest import sample_document
from tests.factories import ReadFactory

# Text that json and orjson write differently: escapes of non-ASCII, DEL, control characters,
# quotes and backslashes; keys that sort differently as code points and as UTF-8.
tricky_text = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["é", "\x7f", "\u2028", "😀", "\b\f\n\r\t", '"\\/', "1e5", "0.00001", "null"]),
)
finite_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=2048, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-4, 1e-5, 2.5e-7, 1e15, 1e16, 1.5e16, 1e22, 5e-324]),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        finite_floats,
        tricky_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(tricky_text, inner, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_the_canonical_text_is_byte_for_byte_the_reference(value: Any) -> None:
    assert fastjson.canonical_json(value) == canonical_json(value)
    assert fastjson.document_digest(value) == document_digest(value)


# Values whose orjson text differs from json's: each must come out as json writes it.
DIFFERING = [2.5e-07, -1.5e-09, 1e-05, 7.9e-05, {"é": 1}, ["\x7f"], "\u2028", "😀", math.nan, 2**70]


@pytest.mark.parametrize("value", DIFFERING, ids=repr)
def test_where_orjson_writes_otherwise_the_reference_text_is_used(value: Any) -> None:
    import orjson

    try:
        raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        raw = None
    assert raw != canonical_json(value)  # the case has teeth
    assert fastjson.canonical_json(value) == canonical_json(value)


def lumen(cx: float, cy: float, r: float, n: int = 64) -> list[list[float]]:
    return [
        [cx + r * math.cos(2 * math.pi * i / n), cy + r * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]


def test_a_usual_document_takes_orjsons_text() -> None:
    """Not only equal: for the documents a save digests, the fast text is the one used."""
    import orjson

    doc = sample_document()
    doc["frames"]["41"] = {"lumen": lumen(251.37, 249.01, 141.123456789)}
    fast = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    assert not fastjson._may_differ(fast)
    assert fastjson.canonical_json(doc) == fast == canonical_json(doc)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_the_jsonb_text_holds_the_same_value(value: Any) -> None:
    try:
        expected = json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return
    try:
        text = fastjson.dumps_jsonb(value)
    except TypeError:  # orjson refuses integers past 64 bits; the column would need them
        assert isinstance(value, int | list | dict)
        return
    assert fastjson.loads(text) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_not_written_as_null(bad: float) -> None:
    for value in (bad, [1.0, bad], {"frames": {"3": {"lumen": [[bad, 2.0]]}}}):
        with pytest.raises(ValueError, match="not JSON compliant"):
            fastjson.dumps_jsonb(value)
    assert fastjson.dumps_jsonb({"stent": None, 1: [2.5]}) == b'{"stent":null,"1":[2.5]}'


@pytest.mark.django_db
def test_the_columns_store_and_load_the_same_values(world: Any) -> None:
    doc = sample_document()
    doc["frames"]["41"] = {"lumen": lumen(250.1, 250.2, 140.000001), "note": "ça 😀"}
    read = ReadFactory(reader=world.reader_a, annotations=doc)
    loaded = Read.objects.get(pk=read.pk)
    assert loaded.annotations == json.loads(json.dumps(doc))
    # Lookups into the document still work on the column.
    assert Read.objects.filter(pk=read.pk, annotations__frames__has_key="41").exists()
    assert list(
        Read.objects.filter(pk=read.pk).values_list("annotations__stent__distal_frame", flat=True)
    ) == [50]
    event = AuditEvent.objects.create(
        action="read.save_annotations",
        object_type="read",
        object_id=str(read.pk),
        before={"version": 1, "x": 1e-05},
        after={"changes": {"set": {"frames.41": doc["frames"]["41"]}}},
    )
    event.refresh_from_db()
    assert event.before == {"version": 1, "x": 1e-05}
    assert event.after["changes"]["set"]["frames.41"] == json.loads(json.dumps(doc["frames"]["41"]))


@pytest.mark.django_db
def test_a_nan_in_a_document_is_refused_and_nothing_is_stored(world: Any) -> None:
    read = ReadFactory(reader=world.reader_a)
    read.annotations = {"frames": {"3": {"lumen": [[math.nan, 1.0]]}}}
    with pytest.raises(ValueError, match="not JSON compliant"), transaction.atomic():
        read.save()
    assert Read.objects.get(pk=read.pk).annotations == {"frames": {}}
