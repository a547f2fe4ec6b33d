"""What one save changed in an annotation document (SPEC §4): a compact, replayable diff.

A save replaces the whole document, but an autosave usually changes one frame. The audit row of
a save (``read.save_annotations``) keeps only what changed, so the trail lets a reviewer
reconstruct every version at a fraction of the cost of storing whole documents:

- ``set``: ``{path: new value}`` for each top-level key (``stent``, ``calcium_segments``) and
  each frame (``frames.<n>``) that was added or changed;
- ``unset``: the paths that were removed (sorted).

Paths are top-level keys, or ``frames.<n>`` for one frame when ``frames`` is an object on both
sides (frame keys are canonical integers and top-level keys hold no dot, so a path is
unambiguous); otherwise ``frames`` is one value like the others. :func:`apply_changes` replays a
diff: replaying a read's diffs in version order onto its version-1 document reproduces each
version exactly, which the SHA-256 of the canonical JSON (:func:`document_digest`) stored next
to each diff verifies.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

FRAMES = "frames"
_FRAME_PREFIX = FRAMES + "."


def canonical_json(document: Any) -> bytes:
    """The document's canonical JSON (sorted keys, no spaces): what its digest is taken of."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def document_digest(document: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def document_changes(before: Any, after: Any) -> dict[str, Any]:
    """The diff that turns ``before`` into ``after`` (both JSON objects; anything else, e.g. a
    legacy non-object, is replaced whole under the empty path ``""``)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return {"set": {"": after}, "unset": []} if before != after else {"set": {}, "unset": []}
    changed: dict[str, Any] = {}
    removed: list[str] = []
    old_frames, new_frames = before.get(FRAMES), after.get(FRAMES)
    per_frame = isinstance(old_frames, dict) and isinstance(new_frames, dict)
    for key, value in after.items():
        if key == FRAMES and per_frame:
            continue
        if key not in before or before[key] != value:
            changed[key] = value
    removed.extend(key for key in before if key not in after)
    if per_frame:
        assert isinstance(old_frames, dict) and isinstance(new_frames, dict)
        for index, frame in new_frames.items():
            # dict equality runs in C: an unchanged frame costs next to nothing
            if old_frames.get(index, _MISSING) != frame:
                changed[_FRAME_PREFIX + index] = frame
        removed.extend(_FRAME_PREFIX + index for index in old_frames if index not in new_frames)
    return {"set": changed, "unset": sorted(removed)}


_MISSING = object()


def apply_changes(document: Any, changes: dict[str, Any]) -> Any:
    """``document`` with ``changes`` (from :func:`document_changes`) applied; a new object, the
    argument is not modified."""
    changed: dict[str, Any] = changes.get("set") or {}
    if "" in changed:
        return copy.deepcopy(changed[""])
    out = copy.deepcopy(document) if isinstance(document, dict) else {}
    for path in changes.get("unset") or []:
        if path.startswith(_FRAME_PREFIX) and isinstance(out.get(FRAMES), dict):
            out[FRAMES].pop(path[len(_FRAME_PREFIX) :], None)
        else:
            out.pop(path, None)
    for path, value in changed.items():
        if path.startswith(_FRAME_PREFIX):
            frames = out.setdefault(FRAMES, {})
            frames[path[len(_FRAME_PREFIX) :]] = copy.deepcopy(value)
        else:
            out[path] = copy.deepcopy(value)
    return out
