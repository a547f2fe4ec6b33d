"""Zip uploads: members escaping their folder or expanding past the limit are refused."""

from __future__ import annotations

import stat
import zipfile

import pytest

from adjudication.dicom.archives import ByteBudget, iter_upload_members
from adjudication.dicom.inspect import DicomRefused
from adjudication.dicom.synthetic import make_synthetic_pullback

MB = 1024 * 1024


def _zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _refusal(path, **kwargs) -> DicomRefused:
    with pytest.raises(DicomRefused) as info:
        for _, fh in iter_upload_members(path, **{"budget": ByteBudget(10 * MB), **kwargs}):
            fh.read()
    return info.value


def test_it_yields_each_regular_member_of_a_zip(tmp_path):
    dcm = tmp_path / "a.dcm"
    make_synthetic_pullback(dcm, n_frames=2, rows=64, columns=64)
    other = tmp_path / "b.dcm"
    make_synthetic_pullback(other, n_frames=3, rows=64, columns=64)
    archive = _zip(
        tmp_path / "up.zip",
        [
            ("run1/a.dcm", dcm.read_bytes()),
            ("run1/b.dcm", other.read_bytes()),
            ("__MACOSX/run1/._a.dcm", b"junk"),
            ("run1/.DS_Store", b"junk"),
        ],
    )
    got = {name: fh.read() for name, fh in iter_upload_members(archive, budget=ByteBudget(10 * MB))}
    assert got == {"run1/a.dcm": dcm.read_bytes(), "run1/b.dcm": other.read_bytes()}


def test_a_member_that_is_not_dicom_is_refused_before_it_is_expanded(tmp_path, monkeypatch):
    """Finding 8: the DICM check reads 132 bytes of the member, never the whole of it."""
    big = b"%PDF-1.4 " + b"A" * (20 * MB)  # compresses to almost nothing
    archive = _zip(tmp_path / "up.zip", [("report.pdf", big)])
    reads: list[int] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, *args, **kwargs):
        stream = real_open(self, *args, **kwargs)
        real_read = stream.read

        def read(n=-1):
            data = real_read(n)
            reads.append(len(data))
            return data

        stream.read = read
        return stream

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    with pytest.raises(DicomRefused) as info:
        list(iter_upload_members(archive, budget=ByteBudget(100 * MB)))
    assert info.value.code == "not_dicom" and "report.pdf" in info.value.message
    assert sum(reads) <= 132


def test_an_empty_member_is_named(tmp_path):
    archive = _zip(tmp_path / "up.zip", [("empty.dcm", b"")])
    with pytest.raises(DicomRefused) as info:
        list(iter_upload_members(archive, budget=ByteBudget(MB)))
    assert info.value.code == "empty" and "empty.dcm" in info.value.message


def test_it_yields_a_plain_file_as_itself(tmp_path):
    dcm = tmp_path / "a.dcm"
    make_synthetic_pullback(dcm, n_frames=2, rows=64, columns=64)
    got = [(name, fh.read()) for name, fh in iter_upload_members(dcm, budget=ByteBudget(10 * MB))]
    assert got == [("a.dcm", dcm.read_bytes())]


@pytest.mark.parametrize(
    "name", ["../evil.dcm", "run/../../evil.dcm", "/etc/evil.dcm", "C:/evil.dcm", "..\\evil.dcm"]
)
def test_it_refuses_members_escaping_their_folder(tmp_path, name):
    archive = _zip(tmp_path / "up.zip", [("ok.dcm", b"fine"), (name, b"evil")])
    refusal = _refusal(archive)
    assert refusal.code == "archive_unsafe"


def test_it_refuses_before_yielding_anything(tmp_path):
    archive = _zip(tmp_path / "up.zip", [("ok.dcm", b"fine"), ("../evil.dcm", b"evil")])
    yielded = []
    with pytest.raises(DicomRefused):
        for name, _ in iter_upload_members(archive, budget=ByteBudget(MB)):
            yielded.append(name)
    assert yielded == []


def test_it_refuses_symlink_members(tmp_path):
    archive = tmp_path / "up.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link.dcm")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert _refusal(archive).code == "archive_unsafe"


def test_it_refuses_a_zip_bomb(tmp_path):
    # 40 MB of zeros compresses to a few dozen kB; the declared size already gives it away.
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.dcm", "w") as out:
            chunk = b"\x00" * MB
            for _ in range(40):
                out.write(chunk)
    assert archive.stat().st_size < MB
    assert _refusal(archive, budget=ByteBudget(10 * MB)).code == "archive_too_large"


def test_it_enforces_the_limit_while_streaming_when_sizes_lie(tmp_path):
    # Declared sizes are rewritten to claim 100 bytes; reading must still stop the member.
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.dcm", b"\x00" * (3 * MB))
    data = bytearray(archive.read_bytes())
    real = (3 * MB).to_bytes(4, "little")
    fake = (100).to_bytes(4, "little")
    assert data.count(real) == 2  # local header and central directory
    archive.write_bytes(bytes(data).replace(real, fake))
    refusal = _refusal(archive, budget=ByteBudget(MB))
    assert refusal.code in {"archive_unsafe", "archive_too_large"}


def test_it_counts_bytes_across_members(tmp_path):
    archive = _zip(tmp_path / "up.zip", [(f"{i}.dcm", b"x" * 1000) for i in range(5)])
    assert _refusal(archive, budget=ByteBudget(4500)).code == "archive_too_large"


def test_it_refuses_too_many_members(tmp_path):
    archive = _zip(tmp_path / "up.zip", [(f"{i}.dcm", b"x") for i in range(20)])
    assert _refusal(archive, max_members=10).code == "archive_too_large"


def test_successive_archives_draw_on_one_budget(tmp_path) -> None:
    # Issue 15: the budget is an object shared by everything one upload expands.
    member = b"\x00" * 128 + b"DICM" + b"\x00" * 3000
    first = _zip(tmp_path / "first.zip", [("a.dcm", member)])
    second = _zip(tmp_path / "second.zip", [("b.dcm", member)])
    budget = ByteBudget(len(member) + len(member) // 2)
    assert [fh.read() for _, fh in iter_upload_members(first, budget=budget)] == [member]
    assert budget.used == len(member)
    with pytest.raises(DicomRefused) as info:
        for _, fh in iter_upload_members(second, budget=budget):
            fh.read()
    assert info.value.code == "archive_too_large"
