"""Build the catalog from the registry's git history alone: no DVC, no network.

One `git log` of the first-parent line (the registry's main as it was merged) lists every
commit that touched a `.dvc` file, with renames; one `git cat-file --batch` reads every version
of every `.dvc` file and card. A dataset's versions are the commits that changed its output's
hash, oldest first; a renamed `.dvc` file keeps its history, a deleted one ends it.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from dataward import __version__
from dataward.adapters.git import FileChange, LogEntry, Repo
from dataward.catalog.model import Card, Catalog, Dataset, Import, Maintainer, Version
from dataward.errors import CouldNotCheck, UsageError
from dataward.formats.globs import last_match
from dataward.formats.urls import without_credentials
from dataward.policy import DatasetCardsPolicy

DVC_FILES = ("*.dvc",)  # git pathspec: any folder
MAX_FILE = 1 << 20  # .dvc files and cards are small; yamlsafe refuses more anyway


class Out(NamedTuple):
    """One cached output as a `.dvc` file records it."""

    spec: str  # its `path:` as written (identity within the file)
    path: str  # repository-relative
    md5: str
    legacy: bool  # DVC 2 (md5 of dos2unix text)
    size: int | None
    nfiles: int | None
    remote: str | None


class DvcFile(NamedTuple):
    outs: list[Out]
    imported: Import | None


def parse_dvcfile(dvcfile: str, content: bytes) -> DvcFile | None:
    """The cached outputs of one `.dvc` file; None when it cannot be read (dvc-files says
    why). Outputs with no hash yet or `cache: false` are not datasets."""
    from dataward.formats.yamlsafe import YamlProblem, load

    try:
        doc = load(content).data
    except YamlProblem:
        return None
    if not isinstance(doc, dict):
        return None
    base = posixpath.join(posixpath.dirname(dvcfile),
                          doc["wdir"] if isinstance(doc.get("wdir"), str) else "")
    outs = []
    specs = doc.get("outs")
    for spec in specs if isinstance(specs, list) else []:
        if not isinstance(spec, dict) or spec.get("cache", True) is False:
            continue
        path, md5 = spec.get("path"), spec.get("md5")
        if not isinstance(path, str) or not isinstance(md5, str) \
                or not re.fullmatch(r"[0-9a-f]{32}(\.dir)?", md5):
            continue
        remote = spec.get("remote")
        outs.append(Out(path, posixpath.normpath(posixpath.join(base, path.replace("\\", "/"))),
                        md5, spec.get("hash") != "md5", _count(spec.get("size")),
                        _count(spec.get("nfiles")),
                        remote.lower() if isinstance(remote, str) and remote else None))
    return DvcFile(outs, _imported(doc))


def _imported(doc: dict[str, Any]) -> Import | None:
    deps = doc.get("deps")
    for dep in deps if isinstance(deps, list) else []:
        repo = dep.get("repo") if isinstance(dep, dict) else None
        if isinstance(repo, dict) and isinstance(repo.get("url"), str):
            return Import(url=without_credentials(repo["url"]), path=str(dep.get("path", "")),
                          rev=_str(repo.get("rev")), rev_lock=_str(repo.get("rev_lock")))
    return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def _str(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) \
        else None


# -- history ----------------------------------------------------------------------------------

Lines = dict[str, dict[str, list[Version]]]  # .dvc file -> output spec -> versions


def versions(history: Sequence[tuple[LogEntry, list[FileChange]]],
             parsed: dict[str, DvcFile | None]) -> Lines:
    """Each output's versions, following `.dvc` files through renames (`dvc move` renames the
    file and its output together); a deleted file's history ends with it."""
    lines: Lines = {}
    for entry, changes in history:
        for change in _paired(changes):
            if change.status == "D":
                lines.pop(change.path, None)
                continue
            carried: dict[str, list[Version]] = {}
            if change.status == "R" and change.old_path is not None:
                carried = lines.pop(change.old_path, {})
            dvcfile = parsed.get(change.oid)
            if dvcfile is None:
                if carried:
                    lines[change.path] = carried
                continue  # unreadable at this commit: no version from it
            outs = lines.setdefault(change.path, {})
            outs.update({spec: seen for spec, seen in carried.items()
                         if spec in {o.spec for o in dvcfile.outs}})
            orphans = {spec: seen for spec, seen in carried.items() if spec not in outs}
            for out in dvcfile.outs:
                if out.spec not in outs and orphans:
                    # the output was renamed too: the same data, or the only one
                    spec = next((k for k, v in orphans.items() if v[-1].md5 == out.md5),
                                next(iter(orphans)) if len(orphans) == 1 else None)
                    if spec is not None:
                        outs[out.spec] = orphans.pop(spec)
                seen = outs.setdefault(out.spec, [])
                if not seen or seen[-1].md5 != out.md5:
                    seen.append(_version(len(seen) + 1, out, entry, change.path))
    return lines


def _paired(changes: list[FileChange]) -> list[FileChange]:
    """Renames git did not see: a `.dvc` file is small, so a move that also changes its hash
    lines falls under git's similarity threshold and shows as a delete and an add. One
    delete and one add in a commit, or a pair with the same file name, are a rename."""
    deleted = [c for c in changes if c.status == "D"]
    added = [c for c in changes if c.status == "A"]
    pairs: dict[str, str] = {}  # added path -> deleted path
    if len(deleted) == 1 and len(added) == 1:
        pairs[added[0].path] = deleted[0].path
    else:
        by_name: dict[str, list[str]] = {}
        for c in deleted:
            by_name.setdefault(posixpath.basename(c.path), []).append(c.path)
        for c in added:
            olds = by_name.get(posixpath.basename(c.path), [])
            if len(olds) == 1:
                pairs[c.path] = olds.pop()
    if not pairs:
        return changes
    gone = set(pairs.values())
    return [FileChange(c.path, c.oid, "R", pairs[c.path]) if c.path in pairs else c
            for c in changes if not (c.status == "D" and c.path in gone)]


def _version(number: int, out: Out, entry: LogEntry, dvcfile: str) -> Version:
    return Version(version=number, md5=out.md5, size=out.size, nfiles=out.nfiles,
                   commit=entry.sha, date=entry.date, author=_shown(entry.author),
                   message=_shown(entry.subject), dvc_file=_shown(dvcfile))


def _shown(text: str) -> str:
    """Text as it can be published: bytes that are not UTF-8 (git keeps them in names and
    messages) as backslash escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# -- build ------------------------------------------------------------------------------------

def build(repo: Repo, rev: str, policy: DatasetCardsPolicy,
          registry_url: str | None = None) -> Catalog:
    commit = repo.resolve_commit(rev)
    if commit is None:
        raise UsageError(f"{rev!r} is not a commit of {repo.root}",
                         "pass --rev a branch, tag or commit of the registry")
    if repo.shallow_commits():
        raise CouldNotCheck("this clone is shallow: the catalog needs every version from "
                            "history", "fetch the whole history (actions/checkout: "
                            "fetch-depth: 0; or git fetch --unshallow)")
    history = repo.first_parent_history(commit, DVC_FILES)
    current = [(p, oid) for p, oid in repo.tree_files(commit, DVC_FILES)
               if last_match(policy.exclude, p) is None]
    oids = {c.oid for _, changes in history for c in changes if c.status != "D"}
    contents = repo.object_heads(oids | {oid for _, oid in current}, MAX_FILE)
    parsed = {oid: parse_dvcfile("", data) for oid, data in contents.items()}
    lines = versions(history, parsed)
    cards = _cards(repo, commit, [p for p, _ in current], policy.card)
    default, remotes = _remotes(repo, commit)
    entry, committed = _commit_entry(repo, commit)

    datasets = []
    for path, oid in current:
        dvcfile = parse_dvcfile(path, contents[oid])
        for out in dvcfile.outs if dvcfile else []:
            seen = lines.get(path, {}).get(out.spec) or []
            if not seen or seen[-1].md5 != out.md5:  # changed where the log cannot see it
                seen = [*seen, _version(len(seen) + 1, out, entry, path)]
            remote = None if dvcfile and dvcfile.imported else (out.remote or default)
            url = remotes.get(remote, {}).get("url") if remote else None
            url = without_credentials(url) if url else None
            datasets.append(Dataset(
                name=_shown(out.path), dvc_file=_shown(path), path=_shown(out.path),
                md5=out.md5,
                hash="md5-dos2unix" if out.legacy else "md5", size=out.size,
                nfiles=out.nfiles, is_dir=out.md5.endswith(".dir"), remote=remote,
                remote_url=url, object_url=_object_url(url, out) if url else None,
                imported=dvcfile.imported if dvcfile else None,
                card=cards.get(path), versions=seen))
    datasets.sort(key=lambda d: d.name)
    return Catalog(schema_version=1, generator=f"dataward {__version__}",
                   registry=without_credentials(registry_url) if registry_url else None,
                   commit=commit, date=committed, datasets=datasets)


def _object_url(remote_url: str, out: Out) -> str:
    from dataward.pushed_outputs import object_key

    return f"{remote_url.rstrip('/')}/{object_key(out.md5, out.legacy)}"


def _commit_entry(repo: Repo, commit: str) -> tuple[LogEntry, str]:
    """The commit as a version would name it, and its committer date."""
    out = repo.run(["log", "-1", "-z", "--format=%H%x00%aI%x00%an%x00%s%x00%cI", commit])
    sha, date, author, subject, committed = out.decode("utf-8", "replace").split("\0")[:5]
    return LogEntry(sha, date, author, subject), committed

def _remotes(repo: Repo, commit: str) -> tuple[str | None, dict[str, dict[str, str]]]:
    """The default remote and the remotes, from `.dvc/config` as committed (never
    config.local: that is one machine's, and may hold keys)."""
    from dataward.formats.dvc_config import remotes_of

    found = repo.present_at(commit, [".dvc/config"])
    if not found:
        return None, {}
    (_, oid), = found
    return remotes_of(repo.object_heads([oid], MAX_FILE)[oid])


# -- cards ------------------------------------------------------------------------------------

def _cards(repo: Repo, commit: str, dvcfiles: Iterable[str], pattern: str) -> dict[str, Card]:
    from dataward.checks.dataset_cards import card_path

    wanted = {card_path(d, pattern): d for d in dvcfiles}
    found = repo.present_at(commit, wanted)
    contents = repo.object_heads([oid for _, oid in found], MAX_FILE)
    cards = {}
    for path, oid in found:
        card = read_card(path, contents[oid])
        if card is not None:
            cards[wanted[path]] = card
    return cards


def read_card(path: str, content: bytes) -> Card | None:
    """What a card says, leniently: the catalog shows what is there, the dataset-cards check
    judges it. None when it has no readable front matter."""
    from dataward.formats.frontmatter import Unsplit, split
    from dataward.formats.yamlsafe import CARD, YamlProblem, load

    parts = split(content)
    if isinstance(parts, Unsplit):
        return None
    try:
        data = load(parts.yaml, CARD).data
    except YamlProblem:
        return None
    if not isinstance(data, dict):
        return None
    data = json.loads(json.dumps(data, default=_plain))  # YAML dates and sets, as JSON
    access = data.get("access")
    personal = data.get("personal_data")
    return Card(
        path=path, pretty_name=_text(data.get("pretty_name")),
        description=_first_paragraph(parts.body), text=parts.body.strip("\n"),
        license=_texts(data.get("license")), license_name=_text(data.get("license_name")),
        license_link=_text(data.get("license_link")),
        maintainers=_maintainers(data.get("maintainers")), source=_text(data.get("source")),
        access=access if access in ("public", "lab", "restricted") else None,
        personal_data=personal if isinstance(personal, bool) else None,
        citation=_text(data.get("citation")), language=_texts(data.get("language")),
        task_categories=_texts(data.get("task_categories")),
        size_categories=_texts(data.get("size_categories")), tags=_texts(data.get("tags")),
        front_matter=data)


def _plain(value: Any) -> Any:
    """YAML values JSON lacks: sets as sorted lists (stable across runs), the rest as text."""
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return str(value)


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
        and str(value).strip() else None


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [t for t in map(_text, items) if t is not None]


def _maintainers(value: Any) -> list[Maintainer]:
    people = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and _text(item.get("name")):
            people.append(Maintainer(name=str(item["name"]), email=_text(item.get("email")),
                                     github=_text(item.get("github"))))
        elif _text(item):
            people.append(Maintainer(name=str(item)))
    return people


def _first_paragraph(body: str) -> str:
    """The card's first paragraph of prose (headings, HTML comments and blank lines skipped)."""
    body = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    paragraph: list[str] = []
    for line in body.splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            if paragraph:
                break
            continue
        paragraph.append(text)
    return " ".join(paragraph)


def to_json(catalog: Catalog) -> str:
    return catalog.model_dump_json(indent=2) + "\n"
