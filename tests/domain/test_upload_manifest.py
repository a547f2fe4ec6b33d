"""Upload manifests: every bad row is reported, and every file must match exactly one row."""

from __future__ import annotations

import pytest

from adjudication.domain.manifest import ManifestInvalid, match_manifest, parse_manifest

TIMEPOINTS = ["baseline", "post", "follow_up"]


def test_rows_are_read_with_optional_lesion_and_any_header_case() -> None:
    rows = parse_manifest(
        "\ufeffFile,Subject_Code,Timepoint,Lesion\r\na.dcm,S-1,post,LAD\r\n\r\nb.dcm,S-2,baseline,\r\n",
        timepoints=TIMEPOINTS,
    )
    assert [(r.line, r.file, r.subject_code, r.timepoint, r.lesion) for r in rows] == [
        (2, "a.dcm", "S-1", "post", "LAD"),
        (4, "b.dcm", "S-2", "baseline", ""),
    ]


def test_semicolon_separated_sheets_are_read_too() -> None:
    [row] = parse_manifest("file;subject_code;timepoint\nx.dcm;S-9;post\n", timepoints=TIMEPOINTS)
    assert (row.file, row.subject_code) == ("x.dcm", "S-9")


def test_every_bad_row_is_reported_with_its_line_number() -> None:
    text = (
        "file,subject_code,timepoint,lesion\n"
        "a.dcm,S-1,post,\n"
        "b.dcm,bad code!,fu,\n"
        "a.dcm,S-3,post,\n"
        ",S-4,post,\n"
    )
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, timepoints=TIMEPOINTS)
    problems = caught.value.problems
    assert caught.value.field == "manifest"
    assert len(problems) == 3
    assert problems[0].startswith("row 3: subject_code 'bad code!'")
    assert "timepoint 'fu' is not one of baseline, post, follow_up" in problems[0]
    assert problems[1] == "row 4: file 'a.dcm' is already listed on row 2"
    assert problems[2] == "row 5: file is empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the manifest is empty"),
        ("file,subject_code\na.dcm,S-1\n", "the header lacks column(s) timepoint"),
        ("file,subject_code,timepoint,site\n", "unknown column(s) site"),
        ("file,subject_code,timepoint\n", "the manifest lists no file"),
    ],
)
def test_unusable_manifests_say_why(text: str, expected: str) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, timepoints=TIMEPOINTS)
    assert expected in caught.value.message


def rows(*files: str) -> list:
    text = "file,subject_code,timepoint\n" + "".join(
        f"{f},S-{i},post\n" for i, f in enumerate(files)
    )
    return parse_manifest(text, timepoints=TIMEPOINTS)


def test_zip_members_match_by_path_in_archive_or_unique_base_name() -> None:
    names = ["one.dcm", "batch.zip/runs/two.dcm", "batch.zip/runs/three.dcm"]
    matched = match_manifest(rows("runs/three.dcm", "one.dcm", "two.dcm"), names)
    assert [r.file for r in matched] == ["one.dcm", "two.dcm", "runs/three.dcm"]


def test_missing_extra_and_ambiguous_files_are_each_reported() -> None:
    names = ["a.zip/x/run.dcm", "a.zip/y/run.dcm", "listed.dcm", "unlisted.dcm"]
    with pytest.raises(ManifestInvalid) as caught:
        match_manifest(rows("run.dcm", "listed.dcm", "ghost.dcm", "x/run.dcm"), names)
    assert caught.value.code == "manifest_mismatch"
    assert caught.value.problems == [
        "row 2: 'run.dcm' names 2 uploaded files; give the path inside the archive",
        "row 4: no uploaded file is named 'ghost.dcm'",
        "file 'a.zip/y/run.dcm' is not listed in the manifest",
        "file 'unlisted.dcm' is not listed in the manifest",
    ]
