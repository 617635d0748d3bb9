"""Regenerate the allowed values of Hugging Face card keys from their published sources.

    python scripts/update_vocabulary.py [--licenses-md FILE] [--tasks-version X.Y.Z]

Writes dataward/data/hf_vocabulary.json and dataward/data/iso639.json, each entry noting
where its values came from and which version:

- task_categories, task_ids: the npm package @huggingface/tasks (PIPELINE_DATA, read with
  node). Values found in an earlier minor release but not in this one are `deprecated`.
- license: the table in the Hub documentation (hub-docs, docs/hub/repositories-licenses.md),
  fetched from GitHub or given as a file with --licenses-md.
- size_categories, annotations_creators, language_creators, multilinguality,
  source_datasets: the `DatasetCardData` docstring of the PyPI package huggingface_hub.
- deprecated values: in the lists of the PyPI package datasets (1.18.4, 2.3.2) or of an
  earlier @huggingface/tasks, but not in today's.
- language: ISO 639-1, 639-2 (bibliographic and collective) and 639-3 codes from the PyPI
  package pycountry (the Debian iso-codes data).

Needs network access to the npm registry, PyPI and (without --licenses-md) GitHub, and node.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "dataward" / "data"
NPM = "https://registry.npmjs.org/@huggingface/tasks"
LICENSES_URL = ("https://raw.githubusercontent.com/huggingface/hub-docs/{ref}/"
                "docs/hub/repositories-licenses.md")
DOCSTRING_KEYS = ("annotations_creators", "language_creators", "multilinguality",
                  "size_categories", "source_datasets")
# Releases of the datasets library whose lists (datasets/utils/resources) cards were once
# validated against: values there but not in today's lists are deprecated.
DATASETS_RELEASES = ("1.18.4", "2.3.2")
# What the Hub moved cards to when it retired the datasets library's task taxonomy.
REPLACEMENTS = {
    "task_categories": {
        "conversational": "text-generation", "conditional-text-generation": "text-"
        "generation, translation or summarization", "sequence-modeling": "text-generation or "
        "fill-mask", "structure-prediction": "token-classification", "text-scoring":
        "text-classification", "speech-processing": "automatic-speech-recognition",
        "text2text-generation": "text-generation"},
    "task_ids": {"speech-recognition": "automatic-speech-recognition (a task category)",
                 "machine-translation": "translation (a task category)",
                 "summarization": "summarization (a task category)"},
    "size_categories": {"unknown": "other"},
}
# Not ISO codes, yet the Hub documents them as values of `language`.
SPECIAL_LANGUAGES = ("code", "multilingual")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        data: bytes = response.read()
        return data


def fetch_json(url: str) -> Any:
    return json.loads(fetch(url))


# -- @huggingface/tasks ------------------------------------------------------------------------

_DUMP = """
const P = require(process.argv[1]).PIPELINE_DATA;
const out = {};
for (const [k, v] of Object.entries(P)) out[k] = (v.subtasks || []).map(s => s.type);
console.log(JSON.stringify(out));
"""


def pipeline_data(version: str, meta: dict[str, Any]) -> dict[str, list[str]]:
    tarball = fetch(meta["versions"][version]["dist"]["tarball"])
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
            tar.extractall(tmp, filter="data")
        entry = next((p for p in (Path(tmp, "package", "dist", "commonjs", "index.js"),
                                  Path(tmp, "package", "dist", "index.cjs")) if p.exists()), None)
        if entry is None:
            raise SystemExit(f"@huggingface/tasks {version}: no dist/index.js")
        out = subprocess.run(["node", "-e", _DUMP, str(entry)], check=True,
                             capture_output=True, text=True).stdout
    data: dict[str, list[str]] = json.loads(out)
    return data


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", v)[:3])


def tasks(version: str | None) -> dict[str, Any]:
    meta = fetch_json(NPM)
    stable = sorted((v for v in meta["versions"] if re.fullmatch(r"\d+\.\d+\.\d+", v)),
                    key=_version_key)
    current = version or meta["dist-tags"]["latest"]
    # The last release of each earlier minor version: what the Hub once accepted.
    last_of_minor: dict[tuple[int, ...], str] = {}
    for v in stable:
        if _version_key(v) < _version_key(current):
            last_of_minor[_version_key(v)[:2]] = v
    now = pipeline_data(current, meta)
    categories, ids = set(now), {t for subs in now.values() for t in subs}
    old_categories: dict[str, str] = {}
    old_ids: dict[str, str] = {}
    for v in sorted(last_of_minor.values(), key=_version_key):
        try:
            before = pipeline_data(v, meta)
        except (subprocess.CalledProcessError, SystemExit):
            continue  # an early release that cannot be read this way
        for k, subs in before.items():
            if k not in categories:
                old_categories[k] = f"in @huggingface/tasks {v}, not in {current}"
            for s in subs:
                if s not in ids:
                    old_ids[s] = f"in @huggingface/tasks {v}, not in {current}"
    source = {"source": "npm @huggingface/tasks (PIPELINE_DATA)", "version": current}
    return {
        "task_categories": {**source, "values": sorted(categories),
                            "deprecated": dict(sorted(old_categories.items()))},
        "task_ids": {**source, "values": sorted(ids), "deprecated": dict(sorted(old_ids.items()))},
    }


# -- Hub documentation: licenses -----------------------------------------------------------------

def licenses(markdown: str, source: str, ref: str) -> dict[str, Any]:
    region = re.search(r"<!-- region licenses -->(.*?)<!-- endregion -->", markdown, re.S)
    table = region.group(1) if region else markdown
    names: dict[str, str] = {}
    for row in table.splitlines():
        # a row may end in an HTML comment (`| Llama 3 | `llama3` | <!-- license: ... -->`)
        m = re.match(r"\s*\|?\s*(.+?)\s*\|\s*`([^`]+)`\s*\|?(?:\s*<!--.*?-->)?\s*$", row)
        if m:
            names[m.group(2)] = m.group(1).replace("\\*", "*")
    if len(names) < 20:
        raise SystemExit(f"{source}: found {len(names)} license ids; has the table moved?")
    return {"source": f"Hub documentation, {source}", "version": ref,
            "values": sorted(names), "deprecated": {}, "names": dict(sorted(names.items()))}


# -- PyPI wheels -------------------------------------------------------------------------------

def wheel(project: str, release: str | None = None) -> tuple[str, zipfile.ZipFile]:
    index = f"https://pypi.org/pypi/{project}/json"
    meta = fetch_json(index)
    version = release or meta["info"]["version"]
    files = meta["releases"][version] if release else meta["urls"]
    url = next(f["url"] for f in files if f["filename"].endswith(".whl"))
    url = urllib.parse.urljoin(index, url)  # mirrors may answer with relative links
    return version, zipfile.ZipFile(io.BytesIO(fetch(url)))


def docstring_options() -> dict[str, Any]:
    version, whl = wheel("huggingface_hub")
    text = whl.read("huggingface_hub/repocard_data.py").decode()
    doc = text[text.index("class DatasetCardData"):]
    out = {}
    for key in DOCSTRING_KEYS:
        m = re.search(rf"\n\s+{key} \(.*?\n(.*?)(?=\n\s+\w+ \(|\n\s*\"\"\")", doc, re.S)
        options = re.search(r"Options are:?(.*)", m.group(1), re.S) if m else None
        if options is None:
            raise SystemExit(f"huggingface_hub {version}: no options listed for {key}")
        values = re.findall(r"'([^']+)'", options.group(1))
        out[key] = {"source": "PyPI huggingface_hub, DatasetCardData docstring",
                    "version": version, "values": values, "deprecated": {}}
    return out


def datasets_lists(release: str) -> dict[str, set[str]]:
    _, whl = wheel("datasets", release)

    def read(name: str) -> Any:
        return json.loads(whl.read(f"datasets/utils/resources/{name}"))

    tasks = read("tasks.json")
    creators = read("creators.json")
    ids = {t for v in tasks.values() for t in v.get("subtasks", v.get("options", []))}
    return {"task_categories": set(tasks), "task_ids": ids - {"other"},
            "size_categories": set(read("size_categories.json")),
            "multilinguality": set(read("multilingualities.json")),
            "annotations_creators": set(creators["annotations"]),
            "language_creators": set(creators["language"])}


def deprecate(vocabulary: dict[str, Any]) -> None:
    for release in DATASETS_RELEASES:
        for key, old in datasets_lists(release).items():
            entry = vocabulary[key]
            for value in sorted(old - set(entry["values"])):
                entry["deprecated"].setdefault(
                    value, f"in the datasets library {release}'s list, not the Hub's today")
    for key, entry in vocabulary.items():
        moves = REPLACEMENTS.get(key, {})
        entry["replaced_by"] = {v: moves[v] for v in entry["deprecated"] if v in moves}


def languages() -> dict[str, Any]:
    version, whl = wheel("pycountry")
    part3 = json.loads(whl.read("pycountry/databases/iso639-3.json"))["639-3"]
    part5 = json.loads(whl.read("pycountry/databases/iso639-5.json"))["639-5"]
    two = sorted(e["alpha_2"] for e in part3 if "alpha_2" in e)
    three = {e["alpha_3"] for e in part3} | {e["bibliographic"] for e in part3
                                               if "bibliographic" in e}
    three |= {e["alpha_3"] for e in part5}  # collective codes, part of ISO 639-2
    return {"source": "PyPI pycountry (iso-codes: ISO 639-3 and 639-5 databases)",
            "version": version, "special": list(SPECIAL_LANGUAGES),
            "alpha_2": two, "alpha_3": sorted(three)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licenses-md", type=Path, help="the Hub's licenses page as Markdown")
    parser.add_argument("--licenses-ref", default="main",
                        help="the hub-docs commit or branch the licenses come from")
    parser.add_argument("--tasks-version", help="@huggingface/tasks version (default: latest)")
    args = parser.parse_args()
    md = (args.licenses_md.read_text() if args.licenses_md
          else fetch(LICENSES_URL.format(ref=args.licenses_ref)).decode())
    where = "hub-docs docs/hub/repositories-licenses.md"
    vocabulary = {"license": licenses(md, where, f"hub-docs@{args.licenses_ref}"),
                  **docstring_options(), **tasks(args.tasks_version)}
    deprecate(vocabulary)
    OUT.mkdir(exist_ok=True)
    for name, data in (("hf_vocabulary.json", vocabulary), ("iso639.json", languages())):
        (OUT / name).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
