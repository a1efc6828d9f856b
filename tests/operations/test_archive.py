"""Issue 15, export/import: a pod moves with its types, ACLs and descriptions; URLs are rewritten."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pyoxigraph as ox
import pytest

from pod.cli import main
from pod.rdf import formats

BASE = "http://localhost:3000/"
PASSWORD = "correct horse battery"


def cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    code = main([*args, "--data-dir", str(data), "--base-url", BASE])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def exported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    data = tmp_path / "data"
    code, _, err = cli(
        capsys,
        data,
        "accounts",
        "create",
        "--email",
        "a@example.org",
        "--password",
        PASSWORD,
        "--pod",
        "alice",
    )
    assert code == 0, err
    notes = data / "alice" / "notes"
    notes.mkdir()
    (notes / "n1.ttl").write_text(
        f"<{BASE}alice/notes/n1.ttl#it> <{BASE}alice/p> <#other>, <https://x.org/y>."
    )
    (notes / "pic.png").write_bytes(b"\x89PNG....")
    (notes / "odd$.txt").write_text("plain text under a name without its extension")
    archive = tmp_path / "alice.tar"
    code, _, err = cli(capsys, data, "export", "alice", "-o", str(archive))
    assert code == 0, err
    return archive


def graph_of(path: Path, base: str) -> set[ox.Triple]:
    return set(formats.parse(path.read_bytes(), "text/turtle", base))


def test_import_recreates_the_pod_with_urls_rewritten(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exported: Path
) -> None:
    data = tmp_path / "data"
    code, out, err = cli(capsys, data, "import", str(exported), "--as", "bob")
    assert code == 0, err
    assert f"WebID: {BASE}bob/profile/card#me" in out
    note = graph_of(data / "bob" / "notes" / "n1.ttl", f"{BASE}bob/notes/n1.ttl")
    assert (
        ox.Triple(
            ox.NamedNode(f"{BASE}bob/notes/n1.ttl#it"),
            ox.NamedNode(f"{BASE}bob/p"),
            ox.NamedNode("https://x.org/y"),
        )
        in note
    )
    assert not any("/alice/" in str(t) for t in note)
    acl = (data / "bob" / ".acl").read_text()
    assert f"{BASE}bob/profile/card#me" in acl and "/alice/" not in acl
    assert (data / "bob" / "notes" / "pic.png").read_bytes() == b"\x89PNG...."
    assert (data / "bob" / "notes" / "odd$.txt").is_file()


def test_export_import_export_is_the_same_modulo_the_rewrite(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exported: Path
) -> None:
    data = tmp_path / "data"
    assert cli(capsys, data, "import", str(exported), "--as", "bob")[0] == 0
    again = tmp_path / "bob.tar"
    assert cli(capsys, data, "export", "bob", "-o", str(again))[0] == 0

    def contents(archive: Path, pod: str) -> dict[str, object]:
        found: dict[str, object] = {}
        with tarfile.open(archive) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
            types = {d["path"]: d["type"] for d in manifest["documents"]}
            for doc in manifest["documents"]:
                body = tar.extractfile("resources/" + doc["path"]).read()  # type: ignore[union-attr]
                if formats.is_rdf(doc["type"]):
                    graph = formats.parse(body, doc["type"], f"{BASE}{pod}/{doc['path']}")
                    found[doc["path"]] = {str(t).replace(f"{BASE}{pod}/", "POD/") for t in graph}
                else:
                    found[doc["path"]] = body
            found["$types"] = types
            found["$containers"] = sorted(manifest["containers"])
        return found

    assert contents(exported, "alice") == contents(again, "bob")


def _tamper(exported: Path, tmp_path: Path, change: str) -> Path:
    bad = tmp_path / f"{change}.tar"
    with tarfile.open(exported) as source, tarfile.open(bad, "w") as out:
        members = [(m, source.extractfile(m).read()) for m in source.getmembers()]  # type: ignore[union-attr]
        for member, body in members:
            if change == "checksum" and member.name.endswith("n1.ttl"):
                body = body.replace(b"x.org", b"evil")
                member.size = len(body)
            if change == "escape" and member.name.endswith("pic.png"):
                member.name = "resources/../../escape.png"
            if change == "symlink" and member.name.endswith("pic.png"):
                member.type = tarfile.SYMTYPE
                member.linkname = "/etc/passwd"
            out.addfile(member, io.BytesIO(body))
            if change == "duplicate" and member.name.endswith("pic.png"):
                out.addfile(member, io.BytesIO(body))
            if change == "unlisted" and member.name.endswith("pic.png"):
                member.name = "resources/notes/extra.png"
                out.addfile(member, io.BytesIO(body))
    return bad


@pytest.mark.parametrize("change", ["checksum", "escape", "symlink", "duplicate", "unlisted"])
def test_bad_archives_are_refused_and_leave_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exported: Path, change: str
) -> None:
    data = tmp_path / "data"
    code, _, err = cli(capsys, data, "import", str(_tamper(exported, tmp_path, change)), "--as", "bob")
    assert code == 1 and err
    assert not (data / "bob").exists()
    assert not (tmp_path / "escape.png").exists()
    assert not list((data / "$pod" / "imports").glob("*"))


def test_an_existing_pod_name_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, exported: Path
) -> None:
    code, _, err = cli(capsys, tmp_path / "data", "import", str(exported), "--as", "alice")
    assert code == 1 and "taken" in err
