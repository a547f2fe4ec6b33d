"""Exports (SPEC §10): CSV, XLSX, JSON and zip at every level, each with its data dictionary
and the settings used; UTF-8; one header row; formula cells neutralised (strings only)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook

from adjudication.domain.metric_defs import FRAME_METRICS, READ_METRICS
from adjudication.exports import tabular
from adjudication.exports.dictionary import data_dictionary
from adjudication.models import Consensus, FrameMetrics, ReadMetrics
from tests.conftest import sample_document
from tests.factories import SubjectFactory
from tests.metrics_pipeline.pipeline import document_with_mla, read_and_compare, resolve

DANGEROUS_LESION = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def exported(world: Any) -> dict[str, Any]:
    """Two consensus pullbacks: one agreed directly, one adjudicated with the adjudicator's
    own read for the lumen group; labels with a formula and non-ASCII text."""
    direct = read_and_compare(
        world,
        sample_document(150),
        sample_document(150),
        subject=SubjectFactory(study=world.study, code="S-Ø001"),
        lesion=DANGEROUS_LESION,
    )
    adjudicated = read_and_compare(
        world,
        sample_document(150),
        document_with_mla(100),
        subject=SubjectFactory(study=world.study, code="S-0002"),
        lesion="-LAD @ostium",
    )
    resolve(world, adjudicated, {"lumen": "adjudicator"}, document_with_mla(120))
    return {"direct": direct, "adjudicated": adjudicated}


def get(api: Any, world: Any, query: str) -> Any:
    r = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/export/?{query}")
    assert r.status_code == 200, r.content
    return r


def read_csv(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = body.decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows = [dict(zip(header, line, strict=True)) for line in reader]
    return header, rows


def test_pullback_csv_has_one_header_row_and_each_metric_followed_by_its_source(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    r = get(api, world, "format=csv&level=pullback")
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"] == 'attachment; filename="trial-pullback.csv"'
    header, rows = read_csv(r.content)
    assert header == [c["name"] for c in data_dictionary("pullback")]
    for metric in READ_METRICS:
        assert header[header.index(metric.name) + 1] == f"{metric.name}_source"
    assert len(rows) == 2  # one per pullback: no repeated header, no trailing parts
    direct, adjudicated = rows
    assert direct["subject_code"] == "S-Ø001"  # UTF-8 round trip
    consensus = Consensus.objects.get(pullback=exported["adjudicated"])
    assert adjudicated["mla_mm2_source"] == "adjudicator"
    assert float(adjudicated["mla_mm2"]) == consensus.mla_mm2
    assert direct["msa_mm2_source"] == "mean"
    assert direct["underexpansion"] == "False" and direct["underexpansion_source"] == "agreed"


def test_formula_cells_are_neutralised_in_csv_but_numbers_stay_numbers(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    # A negative number in a metric column must reach the spreadsheet as a number.
    Consensus.objects.filter(pullback=exported["direct"]).update(stent_expansion_pct=-12.5)
    _, rows = read_csv(get(api, world, "format=csv").content)
    assert rows[0]["lesion"] == "'" + DANGEROUS_LESION
    assert rows[1]["lesion"] == "'-LAD @ostium"
    assert rows[0]["stent_expansion_pct"] == "-12.5"


def test_the_writers_neutralise_strings_only() -> None:
    rows = [{"a": "=1+2", "b": "+x", "c": "-x", "d": "@x", "e": -3.5, "f": -2, "g": "ok"}]
    text = tabular.to_csv(list("abcdefg"), rows)
    assert text.splitlines()[1] == "'=1+2,'+x,'-x,'@x,-3.5,-2,ok"


def test_dictionary_part_documents_every_column_from_the_metric_catalogue(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    for level, metric_defs in [
        ("pullback", READ_METRICS),
        ("frame", FRAME_METRICS),
        ("reader", READ_METRICS),
    ]:
        data_header, _ = read_csv(get(api, world, f"format=csv&level={level}").content)
        r = get(api, world, f"format=csv&level={level}&part=dictionary")
        header, rows = read_csv(r.content)
        assert header == ["name", "unit", "definition"]
        assert [row["name"] for row in rows] == data_header
        by_name = {row["name"]: row for row in rows}
        for metric in metric_defs:
            assert by_name[metric.name]["unit"] == metric.unit
            assert by_name[metric.name]["definition"] == metric.definition
        assert all(row["definition"] for row in rows)


def test_settings_part_lists_the_settings_each_row_was_computed_with(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    _, rows = read_csv(get(api, world, "format=csv").content)
    used = {row["settings_ref"] for row in rows}
    assert used == {tabular.settings_ref(world.study.settings)}
    header, settings_rows = read_csv(get(api, world, "format=csv&part=settings").content)
    assert header == ["settings_ref", "is_current", "setting", "value"]
    values = {row["setting"]: row["value"] for row in settings_rows}
    assert values["strut_threshold_um"] == "100.0"
    assert values["tolerances.mla_mm2.abs"] == "0.5"
    assert {row["settings_ref"] for row in settings_rows} == used
    assert {row["is_current"] for row in settings_rows} == {"True"}


def test_zip_bundles_data_dictionary_and_settings(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    r = get(api, world, "format=zip&level=frame")
    assert r["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert sorted(archive.namelist()) == [
        "data.csv",
        "dictionary.csv",
        "settings.csv",
        "settings.json",
    ]
    assert archive.read("data.csv") == get(api, world, "format=csv&level=frame").content
    assert (
        archive.read("dictionary.csv")
        == get(api, world, "format=csv&level=frame&part=dictionary").content
    )
    settings = json.loads(archive.read("settings.json"))
    assert settings["current"]["settings"] == world.study.settings
    assert list(settings["used"].values()) == [world.study.settings]


def test_xlsx_has_data_dictionary_and_settings_sheets_with_neutralised_strings(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    Consensus.objects.filter(pullback=exported["direct"]).update(stent_expansion_pct=-12.5)
    r = get(api, world, "format=xlsx&level=pullback")
    assert r["Content-Type"] == tabular.XLSX_CONTENT_TYPE
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["data", "dictionary", "settings"]
    data = list(book["data"].iter_rows())
    header = [c.value for c in data[0]]
    assert header == [c["name"] for c in data_dictionary("pullback")]
    assert len(data) == 3
    first = {name: cell for name, cell in zip(header, data[1], strict=True)}
    assert first["lesion"].value == "'" + DANGEROUS_LESION
    assert first["lesion"].data_type == "s"  # a string, never a formula
    assert first["subject_code"].value == "S-Ø001"
    assert first["stent_expansion_pct"].value == -12.5
    assert first["stent_expansion_pct"].data_type == "n"
    assert first["underexpansion"].value is False
    dictionary = [[c.value for c in row] for row in book["dictionary"].iter_rows()]
    assert dictionary[0] == ["name", "unit", "definition"]
    assert [row[0] for row in dictionary[1:]] == header
    settings = [[c.value for c in row] for row in book["settings"].iter_rows()]
    assert settings[0] == ["settings_ref", "is_current", "setting", "value"]
    assert ["strut_threshold_um", 100] in [row[2:] for row in settings]


def test_json_carries_rows_dictionary_and_settings(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    body = get(api, world, "format=json&level=reader").json()
    assert body["level"] == "reader"
    assert body["columns"] == [c["name"] for c in body["dictionary"]]
    assert body["settings"]["current"]["settings"] == world.study.settings
    ref = tabular.settings_ref(world.study.settings)
    assert body["settings"]["used"] == {ref: world.study.settings}
    rows = body["rows"]
    # Reader level: the two readers of each pullback, never the adjudicator's own read.
    assert [(row["pullback"], row["reader"]) for row in rows] == [
        (exported["direct"].pk, "Reader 1"),
        (exported["direct"].pk, "Reader 2"),
        (exported["adjudicated"].pk, "Reader 1"),
        (exported["adjudicated"].pk, "Reader 2"),
    ]
    assert rows[0]["analyst"] == "reader_a"
    metrics = ReadMetrics.objects.get(read__pullback=exported["direct"], read__slot=1)
    assert rows[0]["mla_mm2"] == metrics.mla_mm2
    assert rows[0]["lesion"] == DANGEROUS_LESION  # JSON is data, not a spreadsheet


def test_frame_level_labels_reader_1_reader_2_and_the_adjudicator(
    world: Any, api: Any, exported: dict[str, Any]
) -> None:
    _, rows = read_csv(get(api, world, "format=csv&level=frame").content)
    labels = {(int(row["pullback"]), row["reader"]) for row in rows}
    direct, adjudicated = exported["direct"].pk, exported["adjudicated"].pk
    assert labels == {
        (direct, "Reader 1"),
        (direct, "Reader 2"),
        (adjudicated, "Reader 1"),
        (adjudicated, "Reader 2"),
        (adjudicated, "Adjudicator"),
    }
    assert len(rows) == FrameMetrics.objects.count()
    frame80 = next(
        row
        for row in rows
        if int(row["pullback"]) == adjudicated
        and row["reader"] == "Adjudicator"
        and row["frame"] == "80"
    )
    assert float(frame80["lumen_area_mm2"]) == pytest.approx(3.1416 * 1.2**2, rel=0.01)
    assert frame80["is_analysis_frame"] in ("True", "False")


@pytest.mark.parametrize(
    "query",
    ["format=pdf", "level=subject", "part=everything", "format=json&part=dictionary"],
)
def test_unknown_options_are_refused(world: Any, api: Any, query: str) -> None:
    r = api(world.coordinator).get(f"/api/v1/studies/{world.study.pk}/export/?{query}")
    assert r.status_code == 400


def test_every_study_setting_and_metric_is_defined_in_the_exports() -> None:
    # Issue 11: protocol choices (rule, references, device table, frame tolerance) and the new
    # ref_count are documented with the data, so a reader of the dataset knows what was used.
    from adjudication.domain.settings import StudySettings
    from adjudication.exports.dictionary import settings_dictionary

    assert [r["name"] for r in settings_dictionary()] == list(StudySettings().to_dict())
    rows = {r["name"]: r["definition"] for r in data_dictionary("pullback")}
    assert "ref_count" in rows and "ref_count_source" in rows
    assert (
        "cubic spline"
        in {r["name"]: r for r in data_dictionary("frame")}["stent_area_mm2"]["definition"]
    )
    assert "1.5 sampling intervals" in rows["malapposition_length_mm"]
    assert "never merged" in rows["calcium_length_mm"]
    assert "never averaged" in rows["mla_frame"]


def test_the_settings_part_of_the_dictionary_is_the_settings_definition() -> None:
    # Issue 15: the export reads the same definition the coordinator's settings form shows.
    from adjudication.domain.settings import SETTING_DEF_BY_NAME
    from adjudication.exports.dictionary import settings_dictionary

    rows = settings_dictionary()
    assert rows, "the settings part has rows"
    for row in rows:
        definition = SETTING_DEF_BY_NAME[row["name"]]
        assert row == {
            "name": definition.name,
            "unit": definition.unit,
            "definition": definition.definition,
        }
    assert {r["name"]: r["unit"] for r in rows}["strut_threshold_um"] == "um"
