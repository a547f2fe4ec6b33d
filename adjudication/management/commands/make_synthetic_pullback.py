"""Write a synthetic IVOCT-like pullback (``adjudication.dicom.synthetic``) and its ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from adjudication.dicom.synthetic import (
    ENCODINGS,
    PHOTOMETRICS,
    SOP_CLASSES,
    SPACING_LOCATIONS,
    EncoderUnavailable,
    make_synthetic_pullback,
)


class Command(BaseCommand):
    help = (
        "Write a synthetic multi-frame IVOCT DICOM (lumen, wall with speckle, catheter, "
        "guidewire shadow, stent struts, calcium) and optionally its ground-truth JSON "
        "(per frame: lumen contour, calcium arc and thickness, strut positions)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", help="the DICOM file to write")
        parser.add_argument("--frames", type=int, default=60)
        parser.add_argument("--rows", type=int, default=512)
        parser.add_argument("--columns", type=int, default=512)
        parser.add_argument("--encoding", choices=sorted(ENCODINGS), default="explicit_little")
        parser.add_argument("--photometric", choices=PHOTOMETRICS, default="MONOCHROME2")
        parser.add_argument(
            "--sop-class", choices=sorted(SOP_CLASSES), default="ivoct_presentation"
        )
        parser.add_argument(
            "--spacing-location", choices=SPACING_LOCATIONS, default="shared_functional_group"
        )
        parser.add_argument("--bits", type=int, choices=[8, 16], default=8)
        parser.add_argument("--pixel-spacing-mm", type=float, default=0.01)
        parser.add_argument("--frame-spacing-mm", type=float, default=0.2)
        parser.add_argument("--patient-name", default="DOE^JANE")
        parser.add_argument("--patient-id", default="PHI-12345")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--ground-truth", metavar="OUT.json", help="write the ground truth")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            truth = make_synthetic_pullback(
                options["path"],
                n_frames=options["frames"],
                rows=options["rows"],
                columns=options["columns"],
                encoding=options["encoding"],
                photometric=options["photometric"],
                sop_class=options["sop_class"],
                spacing_location=options["spacing_location"],
                bits_allocated=options["bits"],
                pixel_spacing_mm=options["pixel_spacing_mm"],
                frame_spacing_mm=options["frame_spacing_mm"],
                patient_name=options["patient_name"],
                patient_id=options["patient_id"],
                seed=options["seed"],
            )
        except (ValueError, EncoderUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        if options["ground_truth"]:
            Path(options["ground_truth"]).write_text(json.dumps(truth, indent=1))
        size = Path(options["path"]).stat().st_size
        self.stdout.write(
            f"{options['path']}: {truth['n_frames']} frames of {truth['columns']}×{truth['rows']} "
            f"{truth['photometric']}, {options['encoding']}, {size} bytes"
        )
