"""A synthetic 384-subject cohort with planted odds ratios (the reference study's size).

``sm_significant`` follows a logistic model with known ORs for calcium arc > 270°,
thickness > 1 mm and diabetes; ``mace`` is more frequent with significant malapposition.
The continuous metrics agree with their dichotomies, as real consensus rows do.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

PLANTED_OR = {"calcium_arc_gt_270": 3.0, "calcium_thickness_gt_1mm": 2.5, "diabetes": 2.0}
INTERCEPT = -1.6


def cohort(
    n_subjects: int = 384, *, seed: int = 2024, lesions_per_subject: int = 1
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(consensus rows, clinical rows) with canonical Python values."""
    rng = np.random.default_rng(seed)
    consensus: list[dict[str, Any]] = []
    clinical: list[dict[str, Any]] = []
    pullback = 0
    for i in range(n_subjects):
        code = f"S-{i + 1:04d}"
        diabetes = bool(rng.random() < 0.3)
        age = float(np.round(rng.normal(66, 9), 0))
        sex = "female" if rng.random() < 0.25 else "male"
        any_sm = False
        for lesion in range(lesions_per_subject):
            pullback += 1
            arc_gt = bool(rng.random() < 0.4)
            thick_gt = bool(rng.random() < 0.35)
            logit = (
                INTERCEPT
                + math.log(PLANTED_OR["calcium_arc_gt_270"]) * arc_gt
                + math.log(PLANTED_OR["calcium_thickness_gt_1mm"]) * thick_gt
                + math.log(PLANTED_OR["diabetes"]) * diabetes
            )
            sm = bool(rng.random() < 1 / (1 + math.exp(-logit)))
            any_sm |= sm
            arc = float(rng.uniform(271, 360) if arc_gt else rng.uniform(40, 269))
            thick = float(rng.uniform(1.01, 1.6) if thick_gt else rng.uniform(0.3, 0.99))
            length = float(rng.uniform(3, 25))
            max_mal = float(
                rng.uniform(410, 900) if sm else rng.choice([0.0, rng.uniform(110, 390)])
            )
            msa = float(rng.normal(5.8, 1.2))
            consensus.append(
                {
                    "pullback": pullback,
                    "subject_code": code,
                    "timepoint": "post",
                    "lesion": f"L{lesion + 1}",
                    "msa_mm2": msa,
                    "stent_expansion_pct": float(rng.normal(82, 9)),
                    "underexpansion": msa < 5.0,
                    "calcium_max_arc_deg": arc,
                    "calcium_max_thickness_mm": thick,
                    "calcium_length_mm": length,
                    "calcium_arc_gt_270": arc_gt,
                    "calcium_thickness_gt_1mm": thick_gt,
                    "calcium_length_gt_15mm": length > 15,
                    "fujino_calcium_score": float(2 * (arc > 180) + (thick > 0.5) + (length > 5)),
                    "max_malapposition_um": max_mal,
                    "malapposition_length_mm": float(rng.uniform(0.5, 3) if max_mal else 0.0),
                    "sm_present": max_mal > 0,
                    "sm_significant": sm,
                }
            )
        hazard = 1 / 2400 * (2.5 if any_sm else 1.0)
        event_days = float(rng.exponential(1 / hazard))
        follow_up = float(rng.uniform(300, 730))
        clinical.append(
            {
                "subject_code": code,
                "age": age,
                "sex": sex,
                "diabetes": diabetes,
                "hypertension": bool(rng.random() < 0.6),
                "mace": event_days <= follow_up,
                "mace_days": float(round(min(event_days, follow_up), 1)),
            }
        )
    return consensus, clinical


def to_csv(rows: list[dict[str, Any]], *, yes_no: bool = False) -> str:
    """CSV text; booleans as True/False (the export's form) or yes/no (a clinician's form)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ("yes" if v else "no") if yes_no and isinstance(v, bool) else v
                for k, v in row.items()
            }
        )
    return out.getvalue()
