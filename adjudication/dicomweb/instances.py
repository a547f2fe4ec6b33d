"""The DICOM instances a user may see, their DICOM JSON, and QIDO-RS matching (PS3.18 §8.3).

One ingested pullback is one DICOM instance (a multi-frame IVOCT image): its Study, Series
and SOP Instance UIDs are the **de-identified** ones written into ``source.dcm`` at ingest
(``storage.source_path``); original UIDs are never read. Which instances a user sees is
``Pullback.objects.visible_to(user)`` in the states whose frames exist, so a search returns
only visible objects and any other UID answers 404.

Headers are read once per process (``source.dcm`` never changes once a pullback is ready) and
kept as DICOM JSON. What each role sees of a header:

- coordinators: the de-identified header as stored (PatientID/PatientName carry the
  pseudonymous subject code, as on the coordinator's pages);
- everyone else (readers, adjudicators): the same minus anything that could name the
  subject or the timepoint — patient name and IDs, the clinical-trial group (0012,xxxx),
  free-text descriptions and comments — because readers never see the subject code or the
  timepoint (SPEC §1). A query on a redacted attribute matches against the redacted value,
  so searching by subject code finds nothing for them.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
from django.conf import settings
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.tag import Tag

from adjudication import storage
from adjudication.frames_auth import FRAME_STATES
from adjudication.models import Membership, Pullback
from adjudication.roles import Role
from adjudication.types import User

JSON = dict[str, Any]

# Attributes removed for every role but the coordinator (module doc). Tags as 8-hex strings.
_REDACTED_KEYWORDS = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientComments",
    "StudyDescription",
    "SeriesDescription",
    "ImageComments",
    "ProtocolName",
    "PerformedProcedureStepDescription",
    "AccessionNumber",
    "StudyID",
    "AdmittingDiagnosesDescription",
)
REDACTED_TAGS = frozenset(f"{tag_for_keyword(k):08X}" for k in _REDACTED_KEYWORDS)
CLINICAL_TRIAL_GROUP = "0012"

# Return keys of each QIDO level (PS3.18 Table 10.6.3-3 and -4, what a viewer lists).
STUDY_KEYWORDS = (
    "SpecificCharacterSet",
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ReferringPhysicianName",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyID",
    "StudyDescription",
)
SERIES_KEYWORDS = (
    "Modality",
    "SeriesInstanceUID",
    "SeriesNumber",
    "SeriesDescription",
    "SeriesDate",
    "SeriesTime",
)
INSTANCE_KEYWORDS = (
    "SOPClassUID",
    "SOPInstanceUID",
    "InstanceNumber",
    "Rows",
    "Columns",
    "BitsAllocated",
    "NumberOfFrames",
)


def tag_hex(keyword: str) -> str:
    return f"{tag_for_keyword(keyword):08X}"


class QueryError(ValueError):
    """A QIDO query key or value the server cannot use (→ 400 naming the key)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Instance:
    """One visible instance (one pullback) with its header as the caller may see it."""

    pullback_pk: int
    storage_key: str
    n_frames: int
    content_type: str
    json: JSON  # the header summary (no sequences), already redacted for the caller
    is_coordinator: bool  # the caller coordinates its study (sees the unredacted header)

    def full_json(self) -> JSON | None:
        """The whole header, redacted like ``json``."""
        data = header_json(self.storage_key)
        return data if data is None or self.is_coordinator else redacted(data)

    def value(self, keyword: str) -> Any:
        element = self.json.get(tag_hex(keyword))
        values = (element or {}).get("Value") or []
        return values[0] if values else None

    @property
    def study_uid(self) -> str:
        return str(self.value("StudyInstanceUID") or "")

    @property
    def series_uid(self) -> str:
        return str(self.value("SeriesInstanceUID") or "")

    @property
    def sop_uid(self) -> str:
        return str(self.value("SOPInstanceUID") or "")


# --- headers ---------------------------------------------------------------------------------

# Two JSON forms of a header, each computed once from ``source.dcm`` and kept beside it (like
# the L-mode images: the pullback's files never change once it is ready, and the folder is
# removed with the pullback):
# - the summary: every top-level attribute except sequences (a few KB) — what searches match
#   and return; kept in memory for many pullbacks;
# - the full header: with sequences (per-frame functional groups: ~100 KB and ~1 s of pydicom
#   work for 540 frames) — what ``…/metadata`` returns; kept in memory for a few.
SUMMARY_NAME = "dicomweb-summary.json"
METADATA_NAME = "dicomweb-metadata.json"
BULK_DATA_THRESHOLD_BYTES = 64 * 1024


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, JSON] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> JSON | None:
        return self.items.get(key)

    def put(self, key: str, value: JSON) -> None:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_SUMMARIES = _LRU(8192)
_HEADERS = _LRU(16)


def _public(data: JSON) -> JSON:
    """Private groups never leave (they are not de-identified); bulk data is not inlined."""
    return {
        tag: element
        for tag, element in data.items()
        if not int(tag[:4], 16) % 2 and "BulkDataURI" not in element
    }


def _summary(ds: pydicom.Dataset) -> JSON:
    flat = pydicom.Dataset()
    for element in ds:
        if element.VR != "SQ":
            flat.add(element)
    return _public(
        flat.to_json_dict(
            bulk_data_threshold=BULK_DATA_THRESHOLD_BYTES,
            bulk_data_element_handler=lambda element: "",
        )
    )


def _full(ds: pydicom.Dataset) -> JSON:
    return _public(
        ds.to_json_dict(
            bulk_data_threshold=BULK_DATA_THRESHOLD_BYTES,
            bulk_data_element_handler=lambda element: "",
        )
    )


def _stored_json(storage_key: str, name: str, build: Any, memory: _LRU) -> JSON | None:
    cached = memory.get(storage_key)
    if cached is not None:
        return cached
    folder = Path(settings.MEDIA_ROOT) / "pullbacks" / storage_key
    try:
        data: JSON = json.loads((folder / name).read_bytes())
    except FileNotFoundError:
        try:
            ds = pydicom.dcmread(folder / storage.SOURCE_NAME, stop_before_pixels=True)
        except FileNotFoundError:
            return None
        data = build(ds)
        storage.write_atomically(folder / name, json.dumps(data).encode())
    memory.put(storage_key, data)
    return data


def summary_json(storage_key: str) -> JSON | None:
    """The de-identified header without sequences, as DICOM JSON; None without a file."""
    return _stored_json(storage_key, SUMMARY_NAME, _summary, _SUMMARIES)


def header_json(storage_key: str) -> JSON | None:
    """The whole de-identified header (no pixel data) as DICOM JSON; None without a file."""
    return _stored_json(storage_key, METADATA_NAME, _full, _HEADERS)


def redacted(data: JSON) -> JSON:
    """``data`` without what non-coordinators may not see (module doc)."""
    return {
        tag: element
        for tag, element in data.items()
        if tag not in REDACTED_TAGS and not tag.startswith(CLINICAL_TRIAL_GROUP)
    }


# --- visibility -----------------------------------------------------------------------------


def _roles(user: User) -> dict[int, str]:
    return dict(Membership.objects.filter(user=user).values_list("study_id", "role"))


def visible_instances(user: User, *, pullback_pks: Iterable[int] | None = None) -> list[Instance]:
    """Every instance ``user`` may see (optionally only among ``pullback_pks``), in pullback
    order; pullbacks whose ``source.dcm`` is missing are left out."""
    rows = Pullback.objects.visible_to(user).filter(status__in=FRAME_STATES)
    if pullback_pks is not None:
        rows = rows.filter(pk__in=list(pullback_pks))
    roles = _roles(user)
    out: list[Instance] = []
    for pk, study_id, key, n_frames, content_type in rows.order_by("pk").values_list(
        "pk", "study_id", "storage_key", "n_frames", "frame_content_type"
    ):
        data = summary_json(str(key))
        if data is None:
            continue
        is_coordinator = roles.get(study_id) == Role.COORDINATOR.value
        if not is_coordinator:
            data = redacted(data)
        out.append(Instance(pk, str(key), int(n_frames or 0), content_type, data, is_coordinator))
    return out


# --- QIDO matching ----------------------------------------------------------------------------

# Query parameters that are not attribute matches.
CONTROL_PARAMS = frozenset({"limit", "offset", "includefield", "fuzzymatching", "format"})


def resolve_tag(key: str) -> str:
    """A query key (keyword or 8-hex tag) → 8-hex tag; nested paths are not supported."""
    key = key.strip()
    if len(key) == 8 and all(c in "0123456789abcdefABCDEF" for c in key):
        return key.upper()
    tag = tag_for_keyword(key)
    if tag is None:
        raise QueryError(key, f"{key!r} is not a DICOM attribute keyword or tag.")
    return f"{tag:08X}"


def _vr(tag: str) -> str:
    try:
        return str(dictionary_VR(Tag(int(tag, 16))))
    except KeyError:
        return "UN"


def _text(value: Any) -> str:
    if isinstance(value, dict):  # PN
        return str(value.get("Alphabetic", ""))
    return str(value)


def _element_matches(element: JSON | None, tag: str, wanted: str) -> bool:
    """PS3.4 C.2.2.2 matching of one key: universal (empty), UID list, wildcard, single value."""
    if wanted == "":
        return True
    values = [_text(v) for v in (element or {}).get("Value") or []]
    vr = _vr(tag)
    if vr == "UI":
        choices = {u.strip() for u in wanted.replace("\\", ",").split(",") if u.strip()}
        return any(v in choices for v in values)
    if vr == "PN":
        pattern = wanted.lower()
        return any(fnmatch.fnmatchcase(v.lower(), pattern) for v in values)
    if "*" in wanted or "?" in wanted:
        return any(fnmatch.fnmatchcase(v, wanted) for v in values)
    return wanted in values


@dataclass(frozen=True)
class Query:
    matches: tuple[tuple[str, str], ...]  # (tag, value)
    includefields: tuple[str, ...]  # tags, or ("all",)
    limit: int | None
    offset: int


def parse_query(params: Mapping[str, list[str]], *, max_limit: int) -> Query:
    """QIDO query parameters → ``Query``; bad keys or paging → ``QueryError``."""
    matches: list[tuple[str, str]] = []
    includes: list[str] = []
    limit: int | None = None
    offset = 0
    for key, values in params.items():
        if key == "includefield":
            for value in values:
                for item in value.split(","):
                    if item.strip():
                        includes.append("all" if item == "all" else resolve_tag(item))
        elif key in ("limit", "offset"):
            try:
                number = int(values[-1])
            except ValueError:
                raise QueryError(key, f"{key} must be a whole number.") from None
            if number < 0:
                raise QueryError(key, f"{key} must not be negative.")
            if key == "limit":
                limit = min(number, max_limit)
            else:
                offset = number
        elif key in CONTROL_PARAMS:
            continue
        else:
            tag = resolve_tag(key)
            matches.extend((tag, value) for value in values)
    return Query(tuple(matches), tuple(includes), limit, offset)


def filter_instances(instances: Iterable[Instance], query: Query) -> list[Instance]:
    return [
        i for i in instances if all(_element_matches(i.json.get(t), t, v) for t, v in query.matches)
    ]


# --- QIDO results -----------------------------------------------------------------------------


def _pick(data: JSON, keywords: Iterable[str]) -> JSON:
    return {t: data[t] for t in (tag_hex(k) for k in keywords) if t in data}


def _includes(data: JSON, query: Query) -> JSON:
    if "all" in query.includefields:
        return dict(data)  # shallow: cached elements are never modified
    return {t: data[t] for t in query.includefields if t in data}


def _number(keyword: str, value: int) -> JSON:
    return {tag_hex(keyword): {"vr": "IS", "Value": [value]}}


def _strings(keyword: str, values: list[str]) -> JSON:
    return {tag_hex(keyword): {"vr": "CS", "Value": values}}


def study_results(
    matching: list[Instance], everything: list[Instance], query: Query, base_url: str
) -> list[JSON]:
    """One result per study with a matching instance; counts over all its visible instances."""
    by_study: dict[str, list[Instance]] = {}
    for instance in everything:
        by_study.setdefault(instance.study_uid, []).append(instance)
    seen: dict[str, None] = dict.fromkeys(i.study_uid for i in matching)
    out = []
    for study_uid in seen:
        members = by_study[study_uid]
        first = members[0]
        modalities = sorted({str(i.value("Modality") or "") for i in members} - {""})
        result = {
            **_includes(first.json, query),
            **_pick(first.json, STUDY_KEYWORDS),
            **_strings("ModalitiesInStudy", modalities),
            **_number("NumberOfStudyRelatedSeries", len({i.series_uid for i in members})),
            **_number("NumberOfStudyRelatedInstances", len(members)),
            tag_hex("RetrieveURL"): {"vr": "UR", "Value": [f"{base_url}/studies/{study_uid}"]},
        }
        out.append(result)
    return out


def series_results(
    matching: list[Instance], everything: list[Instance], query: Query, base_url: str
) -> list[JSON]:
    counts: dict[str, int] = {}
    for instance in everything:
        counts[instance.series_uid] = counts.get(instance.series_uid, 0) + 1
    out: dict[str, JSON] = {}
    for instance in matching:
        if instance.series_uid in out:
            continue
        url = f"{base_url}/studies/{instance.study_uid}/series/{instance.series_uid}"
        out[instance.series_uid] = {
            **_includes(instance.json, query),
            **_pick(instance.json, STUDY_KEYWORDS),
            **_pick(instance.json, SERIES_KEYWORDS),
            **_number("NumberOfSeriesRelatedInstances", counts[instance.series_uid]),
            tag_hex("RetrieveURL"): {"vr": "UR", "Value": [url]},
        }
    return list(out.values())


def instance_results(
    matching: list[Instance], everything: list[Instance], query: Query, base_url: str
) -> list[JSON]:
    out = []
    for instance in matching:
        url = (
            f"{base_url}/studies/{instance.study_uid}/series/{instance.series_uid}"
            f"/instances/{instance.sop_uid}"
        )
        out.append(
            {
                **_includes(instance.json, query),
                **_pick(instance.json, STUDY_KEYWORDS),
                **_pick(instance.json, SERIES_KEYWORDS),
                **_pick(instance.json, INSTANCE_KEYWORDS),
                tag_hex("RetrieveURL"): {"vr": "UR", "Value": [url]},
            }
        )
    return out


def sorted_json(data: JSON) -> JSON:
    """DICOM JSON objects list their attributes in tag order (PS3.18 F.2)."""
    return dict(sorted(data.items()))
