"""Annotation documents fuzzed with hypothesis: never a 500; every refusal is a 400 naming
the field; nothing is stored on a refusal."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adjudication.models import Read
from adjudication.services.assignment import pullback_assign_readers
from tests.factories import PullbackFactory

numbers = st.one_of(
    st.integers(min_value=-10, max_value=600),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=0, max_value=512),
)
junk = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=5)),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)
point = st.one_of(st.lists(numbers, min_size=2, max_size=2), junk)
polygon = st.one_of(st.lists(point, min_size=0, max_size=8), junk)
calcium = st.one_of(
    st.fixed_dictionaries(
        {"arc": st.lists(point, min_size=2, max_size=2)},
        optional={"thickness": st.lists(point, min_size=2, max_size=2), "center": point},
    ),
    junk,
)
frame = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "lumen": polygon,
            "stent": polygon,
            "struts": st.lists(point, max_size=6),
            "calcium": st.lists(calcium, max_size=3),
        },
    ),
    junk,
)
frame_key = st.one_of(st.integers(min_value=-2, max_value=400).map(str), st.text(max_size=4))
document = st.one_of(
    st.fixed_dictionaries(
        {"frames": st.one_of(st.dictionaries(frame_key, frame, max_size=4), junk)},
        optional={
            "stent": st.one_of(
                st.fixed_dictionaries(
                    {
                        "distal_frame": st.one_of(numbers, junk),
                        "proximal_frame": st.one_of(numbers, junk),
                    }
                ),
                junk,
            ),
            "calcium_segments": st.one_of(
                st.lists(
                    st.fixed_dictionaries({"start_frame": numbers, "end_frame": numbers}),
                    max_size=3,
                ),
                junk,
            ),
        },
    ),
    junk,
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=document)
def test_fuzzed_documents_are_stored_or_refused_with_a_field_never_a_500(
    world: Any, api: Any, doc: Any
) -> None:
    read = Read.objects.filter(reader=world.reader_a).first()
    if read is None:
        pullback = PullbackFactory(study=world.study, n_frames=300, rows=512, columns=512)
        read, _ = pullback_assign_readers(
            pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
        )
    before = (read.version, read.annotations)
    response = api(world.reader_a).put(
        f"/api/v1/reads/{read.pk}/annotations/",
        {"version": read.version, "annotations": doc},
        format="json",
    )
    assert response.status_code in (200, 400), response.content[:500]
    read.refresh_from_db()
    if response.status_code == 400:
        body = response.json()
        assert body.get("field"), body  # the refusal names the field at fault
        assert body["detail"]
        assert (read.version, read.annotations) == before  # nothing stored
    else:
        assert read.version == before[0] + 1


def test_non_json_numbers_are_refused_with_a_clear_400(world: Any, api: Any) -> None:
    pullback = PullbackFactory(study=world.study)
    read, _ = pullback_assign_readers(
        pullback=pullback, actor=world.coordinator, usernames=["reader_a", "reader_b"]
    )
    body = '{"version": 1, "annotations": {"frames": {"0": {"lumen": [[0, NaN], [1, 1], [2, 0]]}}}}'
    response = api(world.reader_a).generic(
        "PUT", f"/api/v1/reads/{read.pk}/annotations/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    read.refresh_from_db()
    assert read.version == 1
