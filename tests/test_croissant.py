"""Croissant 1.1 records: what a user reads in them, and the real validator accepts each one.

The validator is mlcroissant (a test dependency): its Python API on every record, in this
process with every non-loopback connection refused, and its CLI (`mlcroissant validate
--jsonld`) as a user runs it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dataward.catalog import croissant, croissant_vocab
from dataward.catalog.model import Card, Catalog, Dataset, Import, Maintainer, Version
from dataward.formats.vocabulary import hub

REGISTRY = "https://github.com/Lab/datasets"
COMMIT = "e" * 40
REMOTE = "s3://lab-data/dvc"
DOGS_MD5 = "8d52124b0f3e1a2b3c4d5e6f708192a3"  # the current .dir, without `.dir`
REVIEWS_MD5 = "0123456789abcdef0123456789abcdef"
SCANS_MD5 = "5ca5aa11bb22cc33dd44ee55ff660077"
MNIST_MD5 = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
MLCROISSANT = str(Path(sys.executable).parent / "mlcroissant")


def _version(n: int, md5: str, date: str, author: str = "Ada Lovelace",
             size: int | None = 100, nfiles: int | None = None) -> Version:
    return Version(version=n, md5=md5, size=size, nfiles=nfiles, commit=f"{n:040x}",
                   date=date, author=author, message=f"version {n}", dvc_file="x.dvc")


def _card(path: str, **fields: Any) -> Card:
    base: dict[str, Any] = dict(
        path=path, pretty_name=None, description="", text="", license=[],
        license_name=None, license_link=None, maintainers=[], source=None, access=None,
        personal_data=None, citation=None, language=[], task_categories=[],
        size_categories=[], tags=[], front_matter={})
    return Card(**{**base, **fields})


def _dataset(name: str, md5: str, versions: list[Version], **fields: Any) -> Dataset:
    base: dict[str, Any] = dict(
        name=name, dvc_file=f"{name}.dvc", path=name, md5=md5, hash="md5", size=100,
        nfiles=None, is_dir=md5.endswith(".dir"), remote="storage", remote_url=REMOTE,
        object_url=None, imported=None, card=None, versions=versions)
    return Dataset(**{**base, **fields})


DOGS = _dataset(
    "dogs", f"{DOGS_MD5}.dir", size=52_300_000, nfiles=1204,
    card=_card("dogs.card.md", pretty_name="Dogs and cats", description="Photos of dogs "
               "and cats taken in the lab, one folder per class.", text="Photos ...",
               license=["cc-by-4.0"], citation="@misc{lab2024dogs, title={Dogs}}",
               maintainers=[Maintainer(name="Ada Lovelace", email="ada@lab.example",
                                       github="ada"),
                            Maintainer(name="Alan Turing")],
               access="public", personal_data=False, language=["en"],
               task_categories=["image-classification"], tags=["pets", "photos"]),
    versions=[_version(1, "a" * 32 + ".dir", "2024-01-05T10:00:00+09:00"),
              _version(2, "b" * 32 + ".dir", "2024-02-06T11:00:00+09:00",
                       author="Alan Turing"),
              _version(3, f"{DOGS_MD5}.dir", "2024-03-07T12:00:00+09:00")])
REVIEWS = _dataset(
    "reviews.csv", REVIEWS_MD5, size=123_456,
    versions=[_version(1, REVIEWS_MD5, "2023-05-01T08:30:00Z", author="Grace Hopper")])
SCANS = _dataset(  # DVC 2: objects at the remote's root, md5 of dos2unix text
    "raw/scans/2024", f"{SCANS_MD5}.dir", hash="md5-dos2unix", size=9_000, nfiles=3,
    card=_card("raw/scans/2024.card.md", description="MRI scans of volunteers.",
               license=["other"], license_name="lab-data-license-1.0",
               license_link="LICENSE.md", access="restricted", personal_data=True,
               maintainers=[Maintainer(name="Grace Hopper", github="ghopper")],
               citation="Hopper, G. (2024). Scans."),
    versions=[_version(1, f"{SCANS_MD5}.dir", "2024-04-01T09:00:00+02:00")])
MNIST = _dataset(
    "external/mnist", f"{MNIST_MD5}.dir", nfiles=2, remote=None, remote_url=None,
    imported=Import(url="git@github.com:Other/registry.git", path="mnist", rev="main",
                    rev_lock="c" * 40),
    versions=[_version(1, f"{MNIST_MD5}.dir", "2023-06-01T00:00:00Z", author="Lab Bot")])
CATALOG = Catalog(schema_version=1, generator="dataward 0.1.0", registry=REGISTRY,
                  commit=COMMIT, date="2024-04-02T00:00:00Z",
                  datasets=[DOGS, MNIST, SCANS, REVIEWS])
FILES = {"dogs": "dogs.json", "external/mnist": "external__mnist.json",
         "raw/scans/2024": "raw__scans__2024.json", "reviews.csv": "reviews.csv.json"}
# What the validator says beyond errors (none): it recommends citeAs and license, which a
# dataset without a card cannot give.
WARNINGS = {
    "dogs": set(),
    "raw/scans/2024": set(),
    "reviews.csv": {'Property "http://mlcommons.org/croissant/citeAs" is recommended',
                    'Property "https://schema.org/license" is recommended'},
    "external/mnist": {'Property "http://mlcommons.org/croissant/citeAs" is recommended',
                       'Property "https://schema.org/license" is recommended'},
}


def _write_all(folder: Path) -> list[str]:
    """The records as files, the way the catalog publishes them (`croissant.documents`)."""
    docs = croissant.documents(CATALOG)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")
    return list(docs)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("croissant")
    names = _write_all(folder)
    assert names == [FILES[d.name] for d in CATALOG.datasets]
    return {d.name: folder / FILES[d.name] for d in CATALOG.datasets}


def _load(written: dict[str, Path], name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(written[name].read_text(encoding="utf-8"))
    return doc


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond 127.0.0.1 fails the test: validation must need no network."""
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost") and self.family != socket.AF_UNIX:
            raise AssertionError(f"the validator tried to reach {address}")
        real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.mark.parametrize("name", list(FILES))
def test_mlcroissant_accepts_every_record(written: dict[str, Path], name: str,
                                          offline: None) -> None:
    import mlcroissant as mlc

    try:
        dataset = mlc.Dataset(jsonld=str(written[name]))
    except mlc.ValidationError as exc:
        pytest.fail(f"{FILES[name]} is not valid Croissant:\n{exc}")
    issues = dataset.metadata.ctx.issues
    assert issues.errors == set()
    warnings = {w.split("] ", 1)[1].split(", but")[0] for w in issues.warnings}
    assert warnings == WARNINGS[name]
    # The validator read what we meant, not a stray context: 1.1, with our values.
    metadata = dataset.metadata
    assert metadata.ctx.conforms_to.value == "http://mlcommons.org/croissant/1.1"
    assert metadata.name == name
    assert metadata.version == f"{CATALOG_BY_NAME[name].current.version}.0.0"
    assert metadata.date_published is not None
    doc = _load(written, name)
    read = {d.id: d for d in metadata.distribution}
    assert set(read) == {d["@id"] for d in doc.get("distribution", [])}
    for node in doc.get("distribution", []):
        if node["@type"] == "cr:FileObject":
            assert read[node["@id"]].content_url == node["contentUrl"]
            assert read[node["@id"]].md5 == node["md5"]
        else:  # 1.1's cr:containedIn, not schema.org's: the FileSet is in the manifest
            assert read[node["@id"]].contained_in == [node["containedIn"]["@id"]]
            assert read[node["@id"]].includes == [node["includes"]]


CATALOG_BY_NAME = {d.name: d for d in CATALOG.datasets}


def test_the_validator_is_not_vacuous(written: dict[str, Path], tmp_path: Path) -> None:
    import mlcroissant as mlc

    broken = _load(written, "reviews.csv")
    del broken["distribution"][0]["md5"]
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(mlc.ValidationError, match="md5"):
        mlc.Dataset(jsonld=str(tmp_path / "broken.json"))


def test_the_mlcroissant_cli_validates_records(written: dict[str, Path]) -> None:
    """As a user runs it (a directory and a file: the CLI is `mlc.Dataset(path)` above, and
    each run costs a second of start-up)."""
    runs = [(name, subprocess.Popen([MLCROISSANT, "validate", "--jsonld", str(written[name])],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True))
            for name in ("dogs", "reviews.csv")]
    for name, run in runs:
        output, _ = run.communicate(timeout=120)
        assert run.returncode == 0, f"{FILES[name]}:\n{output}"
        assert "Done." in output, output


def test_a_directory_is_its_manifest_and_the_files_it_lists(written: dict[str, Path]) -> None:
    doc = _load(written, "dogs")
    manifest, files = doc["distribution"]
    assert manifest["@type"] == "cr:FileObject"
    assert manifest["contentUrl"] == f"{REMOTE}/files/md5/8d/{DOGS_MD5[2:]}.dir"
    assert manifest["md5"] == DOGS_MD5  # the manifest's own bytes
    assert manifest["encodingFormat"] == "application/json"
    assert files["@type"] == "cr:FileSet"
    assert files["containedIn"] == {"@id": manifest["@id"]}
    assert files["includes"] == "**"
    assert files["contentSize"] == "52300000 B"
    assert "1,204 files" in files["description"]
    assert f"{REMOTE}/files/md5/<first 2 hex digits" in files["description"]
    assert f"dvc import {REGISTRY} dogs" in files["description"]


def test_a_file_is_its_object_in_the_remote(written: dict[str, Path]) -> None:
    doc = _load(written, "reviews.csv")
    (obj,) = doc["distribution"]
    assert obj == {
        "@type": "cr:FileObject", "@id": "object", "name": "reviews.csv",
        "contentUrl": f"{REMOTE}/files/md5/01/{REVIEWS_MD5[2:]}", "md5": REVIEWS_MD5,
        "contentSize": "123456 B", "encodingFormat": "text/csv",
        "description": "DVC object of reviews.csv, content-addressed by its md5. Fetch it "
                       f"under its name with `dvc import {REGISTRY} reviews.csv`."}


def test_dvc_2_objects_are_at_the_remote_root(written: dict[str, Path]) -> None:
    manifest, files = _load(written, "raw/scans/2024")["distribution"]
    assert manifest["contentUrl"] == f"{REMOTE}/5c/{SCANS_MD5[2:]}.dir"
    assert f"at {REMOTE}/<first 2 hex digits" in files["description"]
    assert "DVC 2 md5s" in files["description"]


def test_what_the_card_says(written: dict[str, Path]) -> None:
    doc = _load(written, "dogs")
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert doc["name"] == "dogs" and doc["alternateName"] == "Dogs and cats"
    assert doc["description"].startswith("Photos of dogs and cats")
    assert doc["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert doc["creator"] == [
        {"@type": "sc:Person", "name": "Ada Lovelace", "email": "ada@lab.example",
         "url": "https://github.com/ada"},
        {"@type": "sc:Person", "name": "Alan Turing"}]
    assert doc["citeAs"] == "@misc{lab2024dogs, title={Dogs}}"
    assert doc["keywords"] == ["pets", "photos", "image-classification"]
    assert doc["inLanguage"] == ["en"]
    assert doc["conditionsOfAccess"].startswith("Public")
    assert "holds no personal data" in doc["rai:personalSensitiveInformation"]
    assert doc["url"] == f"{REGISTRY}/blob/{COMMIT}/dogs.card.md"


def test_versions_and_dates_come_from_history(written: dict[str, Path]) -> None:
    doc = _load(written, "dogs")
    assert doc["version"] == "3.0.0"
    assert doc["datePublished"] == "2024-01-05T10:00:00+09:00"
    assert doc["dateModified"] == "2024-03-07T12:00:00+09:00"
    assert doc["identifier"] == {"@type": "sc:PropertyValue", "propertyID": "dvc-md5",
                                 "value": f"{DOGS_MD5}.dir"}


def test_a_dataset_without_a_card_still_says_what_it_is(written: dict[str, Path]) -> None:
    doc = _load(written, "reviews.csv")
    assert doc["description"] == (
        f"File reviews.csv in the DVC registry {REGISTRY}: 120.6 KiB. Tracked by "
        "reviews.csv.dvc; version 1 (1 version since 2023-05-01). It has no dataset card yet.")
    assert doc["creator"] == [{"@type": "sc:Person", "name": "Grace Hopper"}]
    assert "license" not in doc and "citeAs" not in doc
    assert doc["url"] == f"{REGISTRY}/blob/{COMMIT}/reviews.csv.dvc"


def test_license_other_links_its_text(written: dict[str, Path]) -> None:
    doc = _load(written, "raw/scans/2024")
    assert doc["license"] == {"@type": "sc:CreativeWork", "name": "lab-data-license-1.0",
                              "url": f"{REGISTRY}/blob/{COMMIT}/LICENSE.md"}
    assert doc["conditionsOfAccess"].startswith("Restricted")
    assert "holds personal data" in doc["rai:personalSensitiveInformation"]


def test_an_import_points_at_its_source(written: dict[str, Path]) -> None:
    doc = _load(written, "external/mnist")
    # Its objects are in the source registry's remote, which the catalog does not know:
    # no contentUrl is better than a wrong one.
    assert "distribution" not in doc
    assert doc["isBasedOn"] == {
        "@type": "sc:CreativeWork", "name": "mnist", "url": "https://github.com/Other/registry",
        "version": "c" * 40, "description": "`dvc import git@github.com:Other/registry.git mnist`"}
    assert "creator" not in doc  # who ran `dvc import` did not make the data
    assert "Imported with `dvc import git@github.com:Other/registry.git mnist`" in (
        doc["description"])


def test_records_are_deterministic(written: dict[str, Path], tmp_path: Path) -> None:
    again = _write_all(tmp_path)
    for name, path in written.items():
        text = path.read_text(encoding="utf-8")
        assert (tmp_path / FILES[name]).read_text(encoding="utf-8") == text
        assert text.endswith("}\n") and not text.endswith("\n\n")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True,
                                  ensure_ascii=False) + "\n"
    assert again == list(croissant.documents(CATALOG))


def test_page_url_becomes_url_and_the_registry_same_as() -> None:
    doc = croissant.record(DOGS, CATALOG, "https://lab.github.io/datasets/#dogs")
    assert doc["url"] == "https://lab.github.io/datasets/#dogs"
    assert doc["sameAs"] == f"{REGISTRY}/blob/{COMMIT}/dogs.card.md"


def test_file_names_are_safe_and_never_collide() -> None:
    names = ["images/dogs", "images__dogs", "Images/Dogs", "a b:c", "x" * 300, "plain"]
    catalog = CATALOG.model_copy(update={"datasets": [
        _dataset(n, REVIEWS_MD5, [_version(1, REVIEWS_MD5, "2024-01-01T00:00:00Z")])
        for n in names]})
    files = dict(zip(names, croissant.file_names(catalog), strict=True))
    assert files["plain"] == "plain.json"
    assert files["a b:c"] == "a_b_c.json"
    assert len(set(files.values())) == len(names)
    assert len({f.lower() for f in files.values()}) == len(names)  # case-insensitive disks
    for name in names[:3]:
        assert files[name].startswith(("images__dogs-", "Images__Dogs-"))
    assert all(len(f) < 255 and "/" not in f for f in files.values())


def test_a_path_two_dvc_files_claim_gets_a_record_per_file(tmp_path: Path,
                                                            offline: None) -> None:
    """`a.dvc` and `sub/b.dvc` (with `path: ../reviews.csv`) both claim reviews.csv:
    dvc-files reports it; the catalog publishes what each says, never one over the other."""
    import mlcroissant as mlc

    other = REVIEWS.model_copy(update={"dvc_file": "sub/b.dvc", "md5": SCANS_MD5})
    catalog = CATALOG.model_copy(update={"datasets": [REVIEWS, other]})
    docs = croissant.documents(catalog)
    assert len(docs) == 2 and all(n.startswith("reviews.csv-") for n in docs)
    urls = set()
    for name, text in docs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        doc = json.loads(text)
        dataset = mlc.Dataset(jsonld=str(tmp_path / name))
        assert dataset.metadata.ctx.issues.errors == set()
        mine = "sub/b.dvc" if doc["identifier"]["value"] == SCANS_MD5 else "reviews.csv.dvc"
        theirs = "reviews.csv.dvc" if mine == "sub/b.dvc" else "sub/b.dvc"
        assert f"This record is {mine}'s: {theirs} also claims reviews.csv" in (
            doc["description"])
        urls.add(doc["url"])
    assert urls == {f"{REGISTRY}/blob/{COMMIT}/reviews.csv.dvc",
                    f"{REGISTRY}/blob/{COMMIT}/sub/b.dvc"}


def test_remote_urls_are_published_without_credentials_or_relative_paths() -> None:
    assert croissant.object_url(REVIEWS.model_copy(update={
        "remote_url": "https://alice:p/ss@dav.example/dvc/"})) == (
        f"https://dav.example/dvc/files/md5/01/{REVIEWS_MD5[2:]}")
    assert croissant.object_url(REVIEWS.model_copy(update={
        "remote_url": "/srv/dvc-remote"})) == f"file:///srv/dvc-remote/files/md5/01/{REVIEWS_MD5[2:]}"
    # A local remote relative to .dvc/ names no place outside a checkout.
    relative = REVIEWS.model_copy(update={"remote_url": "../remote",
                                          "object_url": "../remote/files/md5/01/x"})
    assert croissant.object_url(relative) is None
    assert "distribution" not in croissant.record(relative, CATALOG)
    # The catalog's own object_url wins.
    given = REVIEWS.model_copy(update={"object_url": "s3://other/files/md5/01/y"})
    assert croissant.object_url(given) == "s3://other/files/md5/01/y"


@pytest.mark.parametrize(("repo", "web"), [
    ("https://github.com/Lab/datasets.git", "https://github.com/Lab/datasets"),
    ("git@github.com:Lab/datasets.git", "https://github.com/Lab/datasets"),
    ("ssh://git@gitlab.example/lab/datasets/", "https://gitlab.example/lab/datasets"),
    ("https://token@github.com/Lab/datasets", "https://github.com/Lab/datasets"),
    ("/srv/git/datasets", None), ("file:///srv/git/datasets", None), (None, None)])
def test_web_urls_of_registries(repo: str | None, web: str | None) -> None:
    assert croissant.web_url(repo) == web


def test_every_hub_license_maps_to_spdx_or_is_known_not_to() -> None:
    from packaging.licenses import canonicalize_license_expression

    for spdx in croissant_vocab.SPDX.values():  # real, current SPDX ids (packaging's SPDX list)
        assert canonicalize_license_expression(spdx) == spdx
    no_spdx = {"apple-amlr", "apple-ascl", "bigcode-openrail-m", "bigscience-bloom-rail-1.0",
               "bigscience-openrail-m", "bsd", "cc", "creativeml-openrail-m",
               "deepfloyd-if-license", "fair-noncommercial-research-license", "gemma", "gfdl",
               "gpl", "grok2-community", "h-research", "intel-research", "lgpl", "llama2",
               "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "openmdw-1.0",
               "openmdw-1.1", "openrail", "openrail++", "other", "unknown"}
    assert set(croissant_vocab.SPDX) | no_spdx == set(hub("license").values)
    card = _card("x.card.md", license=["llama2", "mit", "unknown"])
    assert croissant.license_value(card, COMMIT, None) == [
        {"@type": "sc:CreativeWork", "name": "Llama 2 Community License Agreement",
         "identifier": "llama2"},
        "https://spdx.org/licenses/MIT.html"]


@pytest.mark.parametrize(("path", "fmt"), [
    ("a/train.parquet", "application/x-parquet"), ("x.JSONL", "application/jsonlines"),
    ("b.tar.gz", "application/gzip"), ("weights.bin", "application/octet-stream"),
    ("noext", "application/octet-stream")])
def test_encoding_formats(path: str, fmt: str) -> None:
    assert croissant_vocab.encoding_format(path) == fmt
