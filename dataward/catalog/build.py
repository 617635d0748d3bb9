"""Build the catalog from the registry's git history alone: no DVC, no network.

One `git log` of the first-parent line (the registry's main as it was merged) lists every
commit that touched a `.dvc` file, a `dvc.lock` or a `dvc.yaml`, with renames; one `git
cat-file --batch` reads every version of each and of every card. The one reader of DVC files
turns each into datasets, and catalog.history follows each dataset (its workspace path)
through them. Git tags on that line then name the versions they hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from dataward import __version__
from dataward.adapters.git import Repo
from dataward.catalog.history import Staged, datasets_of, shown, tagged, version, versions
from dataward.catalog.model import Card, Catalog, Dataset, Import, Maintainer, Version
from dataward.errors import CouldNotCheck, UsageError
from dataward.formats.dvcfile import NO_STAGES, is_dvcfile, read, read_stages
from dataward.formats.globs import last_match
from dataward.formats.urls import public
from dataward.policy import DatasetCardsPolicy

DVC_FILES = ("*.dvc", "*dvc.lock", "*dvc.yaml")  # git pathspecs: any folder
MAX_FILE = 1 << 20  # .dvc files and cards are small; yamlsafe refuses more anyway


# -- build ------------------------------------------------------------------------------------

def build(repo: Repo, rev: str, policy: DatasetCardsPolicy,
          registry_url: str | None = None, usd_per_gb: float | None = None) -> Catalog:
    """`usd_per_gb`: what a GB pulled costs; None takes `[remote] transfer-usd-per-gb` from the
    registry's policy at `rev` (the price the registry stated when it held those versions)."""
    commit = repo.resolve_commit(rev)
    if commit is None:
        raise UsageError(f"{rev!r} is not a commit of {repo.root}",
                         "pass --rev a branch, tag or commit of the registry")
    if repo.shallow_commits():
        raise CouldNotCheck("this clone is shallow: the catalog needs every version from "
                            "history", "fetch the whole history (actions/checkout: "
                            "fetch-depth: 0; or git fetch --unshallow)")
    history = repo.first_parent_history(commit, DVC_FILES)
    tree = [(p, oid) for p, oid in repo.tree_files(commit, DVC_FILES) if is_dvcfile(p)]
    current = [(p, oid) for p, oid in tree if last_match(policy.exclude, p) is None
               and not p.endswith("dvc.yaml")]
    oids = {c.oid for _, changes in history for c in changes if c.status != "D"}
    contents = repo.object_heads(oids | {oid for _, oid in tree}, MAX_FILE)
    cache: dict[tuple[str, str, str | None], tuple[Staged, ...] | None] = {}

    def read_dvcfile(path: str, oid: str, stages: str | None) -> tuple[Staged, ...] | None:
        if (path, oid, stages) not in cache:
            cache[path, oid, stages] = _datasets_in(path, contents.get(oid, b""),
                                                    contents.get(stages or "", b""))
        return cache[path, oid, stages]

    lines = versions(history, read_dvcfile,
                     lambda merge: repo.merged_changes(merge, DVC_FILES))
    cards = _cards(repo, commit, [p for p, _ in current if p.endswith(".dvc")], policy.card)
    (default, remotes), stated = _committed(repo, commit)
    price = _price(commit, stated) if usd_per_gb is None else \
        finite_price(usd_per_gb, "the policy")
    entry, committed = repo.commit_entry(commit)
    yamls = dict(tree)

    datasets = []
    for path, oid in current:
        beside = yamls.get(path[: -len("dvc.lock")] + "dvc.yaml") \
            if path.endswith("dvc.lock") else None
        for out in read_dvcfile(path, oid, beside) or ():
            seen = lines.get(out.path) or []
            if not seen or seen[-1].md5 != out.md5:  # changed where the log cannot see it
                seen = [*seen, version(len(seen) + 1, out, entry)]
            datasets.append(_dataset(out, priced(seen, price), cards.get(path), default,
                                     remotes))
    datasets = tagged(sorted(datasets, key=lambda d: d.name), repo.first_parent_line(commit),
                      repo.tags())
    return Catalog(schema_version=1, generator=f"dataward {__version__}",
                   registry=public(registry_url) if registry_url else None,
                   commit=commit, date=committed, datasets=datasets)


def _datasets_in(path: str, content: bytes, stages: bytes) -> tuple[Staged, ...] | None:
    """The datasets of one DVC file; a dvc.lock's with their stage names, read with its
    dvc.yaml's `stages` (its wdirs). None when it cannot be read."""
    from dataward.formats.yamlsafe import load

    if not is_dvcfile(path) or path.endswith("dvc.yaml"):  # (dvc.yaml: nothing hashed)
        return ()
    context = read_stages(path[: -len("lock")] + "yaml", stages) if stages else NO_STAGES
    found = read(path, content, context)
    if found.problem:
        return None
    if not path.endswith("dvc.lock"):
        return datasets_of(found.outs)
    doc = load(content).data  # read() has just loaded it
    entries = doc.get("stages") if "schema" in doc else doc  # DVC 1 had no `stages:`
    staged: list[Staged] = []
    for name, body in entries.items() if isinstance(entries, dict) else ():
        # One stage at a time through the one reader: which stage wrote which path.
        try:
            alone = json.dumps({"schema": "2.0", "stages": {str(name): body}}, default=str)
        except (TypeError, ValueError):
            continue
        staged += datasets_of(read(path, alone.encode(), context).outs, str(name))
    return tuple(staged)


def _dataset(staged: Staged, seen: list[Version], card: Card | None, default: str | None,
             remotes: dict[str, dict[str, str]]) -> Dataset:
    out = staged.out
    remote = None if out.imported else (out.remote or default)
    url = remotes.get(remote, {}).get("url") if remote else None
    url = public(url) if url else None
    source = out.imported
    return Dataset(
        name=shown(out.path), dvc_file=shown(out.dvcfile),
        stage=None if staged.stage is None else shown(staged.stage), path=shown(out.path),
        md5=out.md5 or "", hash="md5-dos2unix" if out.legacy else "md5", size=out.size,
        nfiles=out.nfiles, is_dir=out.is_dir, remote=remote, remote_url=url,
        object_url=f"{url.rstrip('/')}/{out.key}" if url else None,
        imported=Import(url=public(source.url), path=source.path,
                        rev=source.rev, rev_lock=source.rev_lock) if source else None,
        card=card, versions=seen)


def _committed(repo: Repo, commit: str) -> tuple[tuple[str | None, dict[str, dict[str, str]]],
                                                 tuple[str, bytes] | None]:
    """The default remote and the remotes, from `.dvc/config` as committed (never
    config.local: that is one machine's, and may hold keys); and the policy file committed
    there (dataward.toml, else pyproject.toml), read in the same two git runs."""
    from dataward.formats.dvc_config import remotes_of
    from dataward.policy import MAX_POLICY_BYTES, POLICY_FILES

    found = dict(repo.present_at(commit, [".dvc/config", *POLICY_FILES]))
    contents = repo.object_heads(found.values(), max(MAX_FILE, MAX_POLICY_BYTES))
    config = contents.get(found.get(".dvc/config", ""))
    remotes = remotes_of(config) if config is not None else (None, {})
    policy = next(((name, contents[found[name]]) for name in POLICY_FILES if name in found),
                  None)
    return remotes, policy


def _price(commit: str, stated: tuple[str, bytes] | None) -> float:
    """The policy's transfer price at the catalog's commit; its default when no policy file
    is committed there."""
    from dataward.errors import ConfigError
    from dataward.policy import RemotePolicy, parse

    if stated is None:
        return RemotePolicy().transfer_usd_per_gb
    name, raw = stated
    try:
        policy = parse(name, raw)
    except ConfigError as exc:
        raise ConfigError(f"{exc.message} (as committed at {commit[:12]}, where the catalog "
                          "takes the transfer price from)", exc.hint + "; or pass --config a "
                          "policy file to price pulls with") from None
    return finite_price(policy.remote.transfer_usd_per_gb, name)


def finite_price(usd_per_gb: float, where: str) -> float:
    """TOML can write nan and inf, which pass a `>= 0` check: a price must be a number."""
    import math

    from dataward.errors import ConfigError

    if not math.isfinite(usd_per_gb) or usd_per_gb < 0:
        raise ConfigError(f"{where}: [remote] transfer-usd-per-gb is {usd_per_gb}: not a price",
                          "set it to the remote's USD per GB transferred out (the default, "
                          "0.114, is S3 out of Tokyo)")
    return usd_per_gb


def priced(seen: list[Version], usd_per_gb: float) -> list[Version]:
    """Each version with what a pull of it transfers and costs at this price."""
    from dataward.catalog.model import Pull
    from dataward.catalog.pull_cost import pull_cost

    out = []
    for v in seen:
        cost = pull_cost(v.size, v.nfiles, v.is_dir, usd_per_gb)
        pull = None if cost is None else Pull(objects=cost.objects, bytes=cost.bytes,
                                              usd_per_gb=usd_per_gb, usd=cost.usd)
        out.append(v.model_copy(update={"pull": pull}))
    return out


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
