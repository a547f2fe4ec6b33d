"""``manage.py study_statistics --consensus CSV [--clinical CSV] --out DIR`` (SPEC §13).

Runs the app's statistics code on exported files: the pullback-level consensus export
(booleans True/False, yes/no or 1/0) and the clinical covariate CSV. Writes
``statistics.json`` (byte for byte what the app's download gives for the same data and
options), ``statistics.xlsx`` and every figure as SVG and PNG under ``figures/``. Touches no
database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from adjudication.statistics import (
    RULE_CHOSEN,
    RULE_P_LT,
    ClinicalTable,
    InputInvalid,
    StatisticsOptions,
    compute_statistics,
    parse_clinical_csv,
    parse_consensus_csv,
    to_json_text,
)
from adjudication.statistics import figures as figure_module
from adjudication.statistics.workbook import to_xlsx


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: {exc}") from None


def _invalid(path: str, exc: InputInvalid) -> CommandError:
    lines = [
        f"  row {e['row'] or '-'}{', ' + e['column'] if e.get('column') else ''}: {e['message']}"
        for e in exc.errors
    ]
    return CommandError(f"{path} is refused:\n" + "\n".join(lines))


class Command(BaseCommand):
    help = "Study statistics (SPEC §13) from an exported consensus CSV and a clinical CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--consensus", required=True, help="pullback-level export CSV")
        parser.add_argument("--clinical", help="clinical covariates CSV (subject_code,...)")
        parser.add_argument("--out", required=True, help="output folder (created)")
        parser.add_argument(
            "--options",
            help="the app's options as JSON (e.g. copied from statistics.json 'settings')",
        )
        parser.add_argument("--predictor-rule", choices=[RULE_CHOSEN, RULE_P_LT])
        parser.add_argument("--predictors", help="comma-separated multivariable predictors")
        parser.add_argument("--entry-p", type=float)
        parser.add_argument("--timepoint", choices=["pre", "post", "followup", "all"])
        parser.add_argument("--no-png", action="store_true", help="write SVG figures only")

    def _options(self, opts: dict[str, Any]) -> StatisticsOptions:
        data: dict[str, Any] = {}
        if opts["options"]:
            try:
                data.update(json.loads(opts["options"]))
            except json.JSONDecodeError as exc:
                raise CommandError(f"--options is not JSON: {exc}") from None
        if opts["predictor_rule"]:
            data["predictor_rule"] = opts["predictor_rule"]
        if opts["predictors"] is not None:
            data["predictors"] = [p.strip() for p in opts["predictors"].split(",") if p.strip()]
        if opts["entry_p"] is not None:
            data["entry_p"] = opts["entry_p"]
        if opts["timepoint"]:
            data["timepoint"] = opts["timepoint"]
        try:
            return StatisticsOptions.from_dict(data)
        except (TypeError, ValueError) as exc:
            raise CommandError(f"options: {exc}") from None

    def handle(self, *args: Any, **opts: Any) -> None:
        options = self._options(opts)
        try:
            consensus = parse_consensus_csv(_read(opts["consensus"]))
        except InputInvalid as exc:
            raise _invalid(opts["consensus"], exc) from None
        clinical = ClinicalTable()
        if opts["clinical"]:
            try:
                clinical = parse_clinical_csv(_read(opts["clinical"]))
            except InputInvalid as exc:
                raise _invalid(opts["clinical"], exc) from None
        result = compute_statistics(consensus, clinical, options)
        out = Path(opts["out"])
        (out / "figures").mkdir(parents=True, exist_ok=True)
        (out / "statistics.json").write_text(to_json_text(result), encoding="utf-8")
        (out / "statistics.xlsx").write_bytes(to_xlsx(result))
        formats = ["svg"] if opts["no_png"] else ["svg", "png"]
        names = figure_module.figure_names(result)
        for name in names:
            for fmt in formats:
                (out / "figures" / f"{name}.{fmt}").write_bytes(
                    figure_module.render(result, name, fmt)
                )
        self.stdout.write(
            f"{result['n_pullbacks']} pullbacks, {result['n_subjects']} subjects; "
            f"wrote statistics.json, statistics.xlsx and {len(names)} figures to {out}"
        )
