"""Croissant 1.1 JSON-LD records, one per dataset of a catalog.

A record says what the dataset is (name, description, license, creators, dates, version) and
where its bytes are: DVC keeps every object content-addressed in the remote, so a file dataset
is one `cr:FileObject` at its object (`<remote>/files/md5/ab/cdef...`, DVC 2 at the root) and
a directory is the `cr:FileObject` of its `.dir` manifest plus a `cr:FileSet` of the files the
manifest lists. `mlcroissant validate --jsonld` accepts every record with no error. The
terms and fixed tables are in croissant_vocab.

Pure: the catalog in, JSON out; no DVC, no network, no disk.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from dataward.catalog.croissant_vocab import (
    ACCESS,
    CONFORMS_TO,
    CONTEXT,
    FILE_ID,
    FILES_ID,
    MANIFEST_ID,
    OCTET_STREAM,
    SPDX,
    SPDX_URL,
    encoding_format,
)
from dataward.catalog.model import Card, Catalog, Dataset, Maintainer
from dataward.formats.dvcfile import object_key
from dataward.report.catalog_text import size as human_size

# What a record's file name keeps of a dataset's name (`file_names`); the rest becomes `_`.
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_MAX_STEM = 200


def record(dataset: Dataset, catalog: Catalog, page_url: str | None = None) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD of one dataset at the catalog's commit.

    `page_url` is the dataset's human page, when one is published; without it, `url` is the
    dataset's card (else its .dvc file) in the registry's web view, at the catalog's commit.
    """
    card = dataset.card
    current = dataset.current
    web = web_url(catalog.registry)
    in_registry = (f"{web}/blob/{catalog.commit}/{quote(card.path if card else dataset.dvc_file)}"
                   if web else None)
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": dataset.name,
        "description": _description(dataset, catalog),
        "creator": _creators(dataset) or None,
        "datePublished": dataset.versions[0].date,
        "dateModified": current.date,
        "version": f"{current.version}.0.0",
        "identifier": {"@type": "sc:PropertyValue", "propertyID": "dvc-md5",
                       "value": dataset.md5},
        "distribution": distribution(dataset, catalog) or None,
    }
    doc = {k: v for k, v in doc.items() if v is not None}
    url = page_url or in_registry
    if url:
        doc["url"] = url
    if page_url and in_registry:
        doc["sameAs"] = in_registry
    if card:
        _add_card(doc, card, catalog, web)
    if dataset.imported:
        imp = dataset.imported
        source: dict[str, Any] = {"@type": "sc:CreativeWork", "name": imp.path,
                                  "description": f"`dvc import {public_url(imp.url)} "
                                                 f"{imp.path}`"}
        source_web = web_url(imp.url)
        if source_web:
            source["url"] = source_web
        if imp.rev_lock or imp.rev:
            source["version"] = imp.rev_lock or imp.rev
        doc["isBasedOn"] = [doc["isBasedOn"], source] if "isBasedOn" in doc else source
    return doc


def distribution(dataset: Dataset, catalog: Catalog) -> list[dict[str, Any]]:
    """Where the current version's bytes are: empty when no remote location is known."""
    url = object_url(dataset)
    if url is None:
        return []
    legacy = dataset.hash == "md5-dos2unix"
    get = f"`dvc import {public_url(catalog.registry)} {dataset.name}`" \
        if catalog.registry else None
    base = posixpath.basename(dataset.path.rstrip("/")) or dataset.path
    if not dataset.is_dir:
        obj: dict[str, Any] = {
            "@type": "cr:FileObject",
            "@id": FILE_ID,
            "name": base,
            "description": _sentences(
                f"DVC object of {dataset.path}, content-addressed by its md5.",
                "The md5 is DVC 2's: text files are hashed with CRLF line ends turned into "
                "LF, so it can differ from the md5 of the bytes." if legacy else None,
                f"Fetch it under its name with {get}." if get else None),
            "contentUrl": url,
            "encodingFormat": encoding_format(dataset.path),
            "md5": dataset.md5,
        }
        if dataset.size is not None:
            obj["contentSize"] = f"{dataset.size} B"
        return [obj]
    digest = dataset.md5.removesuffix(".dir")
    manifest = {
        "@type": "cr:FileObject",
        "@id": MANIFEST_ID,
        "name": dataset.md5,
        "description": f"DVC's manifest of the directory {dataset.path}: a JSON list of "
                       "{\"md5\", \"relpath\"} entries, one per file.",
        "contentUrl": url,
        "encodingFormat": "application/json",
        "md5": digest,
    }
    count = f"The {dataset.nfiles:,}" if dataset.nfiles is not None else "The"
    layout = f"{_remote_root(url, dataset)}/{'' if legacy else 'files/md5/'}"
    files: dict[str, Any] = {
        "@type": "cr:FileSet",
        "@id": FILES_ID,
        "name": base,
        "description": _sentences(
            f"{count} files of {dataset.path}, named by the manifest's relpaths.",
            "The remote keeps each file under its md5, not under its name: at "
            f"{layout}<first 2 hex digits of the md5>/<the other 30>.",
            "These are DVC 2 md5s: text files are hashed with CRLF line ends turned into "
            "LF." if legacy else None,
            f"Fetch them under their names with {get}." if get else None),
        "containedIn": {"@id": MANIFEST_ID},
        "encodingFormat": OCTET_STREAM,
        "includes": "**",
    }
    if dataset.size is not None:
        files["contentSize"] = f"{dataset.size} B"
    return [manifest, files]


def object_url(dataset: Dataset) -> str | None:
    """The current object's URL (a directory's `.dir` manifest): the catalog's, else the
    remote's URL joined with DVC's object key; None when the remote is unknown."""
    if dataset.object_url:
        return _locatable(dataset.object_url)
    root = _locatable(dataset.remote_url)
    if root is None:
        return None
    return f"{root}/{object_key(dataset.md5, dataset.hash == 'md5-dos2unix')}"


def public_url(url: str) -> str:
    """A URL fit to publish: user information left out and secret query values masked
    (`***`); an absolute local path as a file: URL."""
    if url.startswith("/"):
        return "file://" + quote(url)
    if re.match(r"^[A-Za-z]:[\\/]", url):
        return "file:///" + quote(url.replace("\\", "/"), safe="/:")
    from dataward.formats.urls import public

    return public(url)


def web_url(repo: str | None) -> str | None:
    """A git repository's web address (`git@github.com:Lab/datasets.git` ->
    `https://github.com/Lab/datasets`); None for a local path or an unknown form."""
    if not repo:
        return None
    repo = public_url(repo.strip())
    scp = re.match(r"^(?:[^@/:]+@)?([^:/]+):(?!//)(.+)$", repo)
    if scp and len(scp.group(1)) > 1:
        host, path = scp.group(1), "/" + scp.group(2)
    else:
        parts = urlsplit(repo)
        if parts.scheme not in ("http", "https", "ssh", "git", "git+ssh", "git+https"):
            return None
        host, path = parts.hostname or "", parts.path
        if parts.scheme in ("http", "https") and parts.port is not None:
            host += f":{parts.port}"
        if parts.scheme == "http":
            return f"http://{host}{path.rstrip('/').removesuffix('.git')}"
    if not host:
        return None
    return f"https://{host}{path.rstrip('/').removesuffix('.git')}"


def license_value(card: Card, commit: str, web: str | None) -> list[Any]:
    """The card's licenses as Croissant wants them: SPDX license URLs where an SPDX id
    exists, else a schema.org CreativeWork (`other` with license_name and license_link)."""
    from dataward.formats.vocabulary import license_names

    names = license_names()
    out: list[Any] = []
    for lic in card.license:
        if lic in SPDX:
            out.append(SPDX_URL.format(SPDX[lic]))
        elif lic == "other":
            work: dict[str, Any] = {"@type": "sc:CreativeWork",
                                    "name": card.license_name or "other"}
            link = card.license_link
            inside = posixpath.normpath(link).lstrip("/") if link else ".."
            if link and re.match(r"^https?://", link):
                work["url"] = public_url(link)
            elif link and web and not inside.startswith(".."):
                work["url"] = f"{web}/blob/{commit}/{quote(inside)}"
            elif link:
                work["description"] = f"The license text is {link} in the registry."
            out.append(work)
        elif lic != "unknown":
            out.append({"@type": "sc:CreativeWork", "name": names.get(lic, lic),
                        "identifier": lic})
    return out


def file_names(catalog: Catalog) -> list[str]:
    """Each dataset's record file name, in the catalog's order: `images/dogs` ->
    `images__dogs.json`.

    Characters other than letters, digits, `.`, `_` and `-` become `_` (`/` becomes `__`).
    Names that would collide, on a case-insensitive file system too, each get `-` and the
    first 8 hex digits of the sha1 of the dataset's name; so does a name too long for a file.
    A name that several `.dvc` files claim (dvc-files reports that) gives one record per
    `.dvc` file: the sha1 is then of the `.dvc` file's path and the name.
    """
    claims: dict[str, int] = {}
    for d in catalog.datasets:
        claims[d.name] = claims.get(d.name, 0) + 1
    stems = [_stem(d.name) for d in catalog.datasets]
    seen: dict[str, int] = {}
    for stem in stems:
        seen[stem.lower()] = seen.get(stem.lower(), 0) + 1
    out = []
    for d, stem in zip(catalog.datasets, stems, strict=True):
        if seen[stem.lower()] > 1 or len(stem) > _MAX_STEM:
            which = d.name if claims[d.name] == 1 else f"{d.dvc_file}\n{d.name}"
            stem = f"{stem[:_MAX_STEM]}-{hashlib.sha1(which.encode()).hexdigest()[:8]}"
        out.append(f"{stem}.json")
    return out


def dumps(doc: Mapping[str, Any]) -> str:
    """The published form: sorted keys, two-space indent, UTF-8 as is, a final newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def documents(catalog: Catalog, page_urls: Mapping[str, str] | None = None
              ) -> dict[str, str]:
    """Every dataset's record as published, by file name (see `file_names`), in the
    catalog's order. `page_urls` maps a dataset's name to its human page."""
    return {name: dumps(record(d, catalog, (page_urls or {}).get(d.name)))
            for name, d in zip(file_names(catalog), catalog.datasets, strict=True)}


def _stem(name: str) -> str:
    return _SAFE.sub("_", name.strip("/").replace("/", "__")) or "_"


def _locatable(url: str | None) -> str | None:
    """`url` fit to publish; None when it is no location on its own (empty, or a local
    remote's path relative to .dvc/, which means something only inside a checkout)."""
    if not url:
        return None
    url = url.rstrip("/")
    if not (url.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", url)
            or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url)):
        return None
    return public_url(url)


def _remote_root(url: str, dataset: Dataset) -> str:
    key = object_key(dataset.md5, dataset.hash == "md5-dos2unix")
    return url[:-len(key) - 1] if url.endswith("/" + key) else "<remote>"


def _creators(dataset: Dataset) -> list[dict[str, Any]]:
    """The card's maintainers; without any, the authors of the commits that made the
    versions (who put the data in the registry), unless the data was imported from
    elsewhere: those authors did not make it."""
    if dataset.card and dataset.card.maintainers:
        return [_person(m) for m in dataset.card.maintainers]
    if dataset.imported:
        return []
    authors = list(dict.fromkeys(v.author for v in dataset.versions))
    return [{"@type": "sc:Person", "name": a} for a in authors]


def _person(m: Maintainer) -> dict[str, Any]:
    person: dict[str, Any] = {"@type": "sc:Person", "name": m.name}
    if m.email:
        person["email"] = m.email
    if m.github:
        person["url"] = f"https://github.com/{m.github}"
    return person


def _add_card(doc: dict[str, Any], card: Card, catalog: Catalog, web: str | None) -> None:
    licenses = license_value(card, catalog.commit, web)
    if licenses:
        doc["license"] = licenses[0] if len(licenses) == 1 else licenses
    if card.pretty_name:
        doc["alternateName"] = card.pretty_name
    if card.citation:
        doc["citeAs"] = card.citation
    keywords = list(dict.fromkeys([*card.tags, *card.task_categories]))
    if keywords:
        doc["keywords"] = keywords
    if card.language:
        doc["inLanguage"] = card.language
    if card.access:
        doc["conditionsOfAccess"] = ACCESS[card.access]
    if card.personal_data is not None:
        doc["rai:personalSensitiveInformation"] = (
            "The dataset's card declares that it holds personal data."
            if card.personal_data else
            "The dataset's card declares that it holds no personal data.")
    if card.source:
        source = card.source.strip()
        doc["isBasedOn"] = (public_url(source) if re.match(r"^https?://\S+$", source)
                            else {"@type": "sc:CreativeWork", "description": source})


def _description(dataset: Dataset, catalog: Catalog) -> str:
    if dataset.card and dataset.card.description.strip():
        return _sentences(dataset.card.description.strip(), _shared(dataset, catalog))
    where = f" in the DVC registry {public_url(catalog.registry)}" if catalog.registry else ""
    what = (f"Directory {dataset.path}{where}" if dataset.is_dir
            else f"File {dataset.path}{where}")
    facts = []
    if dataset.nfiles is not None:
        facts.append(f"{dataset.nfiles:,} file{'s' if dataset.nfiles != 1 else ''}")
    if dataset.size is not None:
        facts.append(human_size(dataset.size))
    n = len(dataset.versions)
    return _sentences(
        what + (f": {', '.join(facts)}." if facts else "."),
        f"Tracked by {dataset.dvc_file}; version {dataset.current.version} "
        f"({n} version{'s' if n != 1 else ''} since {dataset.versions[0].date[:10]}).",
        f"Imported with `dvc import {public_url(dataset.imported.url)} "
        f"{dataset.imported.path}`; its "
        "bytes are in that repository's DVC remote." if dataset.imported else None,
        "It has no dataset card yet." if dataset.card is None else None,
        _shared(dataset, catalog))


def _shared(dataset: Dataset, catalog: Catalog) -> str | None:
    """A path several `.dvc` files claim has one record per file: say which this is."""
    others = sorted(d.dvc_file for d in catalog.datasets
                    if d.name == dataset.name and d.dvc_file != dataset.dvc_file)
    if not others:
        return None
    return (f"This record is {dataset.dvc_file}'s: {', '.join(others)} also "
            f"claim{'s' if len(others) == 1 else ''} {dataset.path} (dvc-files reports it).")


def _sentences(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)
