"""Plant a synthetic cohort as consensus rows of a study (test set-up, not a write path)."""

from __future__ import annotations

from typing import Any

from adjudication.domain.metric_defs import READ_METRICS
from adjudication.models import Consensus, Subject
from tests.factories import PullbackFactory

METRICS = {m.name for m in READ_METRICS}


def plant_consensus(study: Any, rows: list[dict[str, Any]]) -> None:
    subjects: dict[str, Subject] = {}
    for row in rows:
        code = row["subject_code"]
        if code not in subjects:
            subjects[code] = Subject.objects.create(study=study, code=code)
        pullback = PullbackFactory(
            study=study,
            subject=subjects[code],
            timepoint=row.get("timepoint", "post"),
            lesion=row.get("lesion", "LAD"),
            status="consensus",
        )
        values = {k: v for k, v in row.items() if k in METRICS}
        if "fujino_calcium_score" in values and values["fujino_calcium_score"] is not None:
            values["fujino_calcium_score"] = int(values["fujino_calcium_score"])
        Consensus.objects.create(
            pullback=pullback,
            settings_used={},
            **values,
            **{f"{k}_source": "mean" for k in values},
        )
