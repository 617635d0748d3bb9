"""The catalog's versions through the histories real registries have: `.dvc` files re-spelt
in place, moved with `git mv`, moved by `dvc move`, removed and added in one commit.

The shapes come from iterative/dataset-registry (`get-started/data.xml.dvc` lost 3 of its
4 versions when `wdir: ..` became a plain `path:`; four `tutorials/*` datasets were dated at
a rewrite two years after their first version) and from a pokemon classifier (a removed
`data.dvc` lent its history to an unrelated `data/external.dvc`). A property test then checks
the catalog against a brute-force walk of every first-parent commit through the same reader.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from shlex import quote, split
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tests.test_catalog_html as html
from dataward.adapters.git import Repo
from dataward.catalog.build import build
from dataward.catalog.history import tagged
from dataward.catalog.model import Catalog
from dataward.formats.dvcfile import read
from dataward.policy import DatasetCardsPolicy
from dataward.report.catalog_text import commands, rev
from tests.harness.dvcrun import dvc
from tests.harness.repo import GitRepo
from tests.test_catalog import dataward

M = {n: f"{n:x}" * 32 for n in range(1, 10)}  # md5s: M[1] .. M[9]


def dvcfile(md5: str, path: str, wdir: str | None = None) -> str:
    head = f"wdir: {wdir}\n" if wdir is not None else ""
    return f"{head}outs:\n- md5: {md5[:32]}\n  size: 10\n  hash: md5\n  path: {path}\n"


def versions(repo: GitRepo) -> dict[str, list[tuple[str, str]]]:
    """Each dataset's versions as (md5, commit)."""
    catalog = build(Repo.discover(str(repo.path)), "HEAD", DatasetCardsPolicy())
    return {d.path: [(v.md5, v.commit) for v in d.versions] for d in catalog.datasets}


def commit(repo: GitRepo, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        repo.write(name, text)
    repo.git("add", "-A")
    return repo.commit(message)


def test_a_dvc_file_respelt_in_place_keeps_every_version(repo: GitRepo) -> None:
    # dataset-registry's get-started/data.xml: md5 a, b, a, then `wdir: ..` dropped in the
    # commit that also changed the hash. Four versions; a hash going back is a new one.
    d = "get-started/data.xml.dvc"
    c1 = commit(repo, {d: dvcfile(M[1], "get-started/data.xml", "..")}, "v1")
    c2 = commit(repo, {d: dvcfile(M[2], "get-started/data.xml", "..")}, "v2")
    c3 = commit(repo, {d: dvcfile(M[1], "get-started/data.xml", "..")}, "back to v1")
    c4 = commit(repo, {d: dvcfile(M[3], "data.xml")}, "re-spelt, new data")
    assert versions(repo) == {"get-started/data.xml": [
        (M[1][:32], c1), (M[2][:32], c2), (M[1][:32], c3), (M[3][:32], c4)]}


def test_a_respelling_alone_is_no_new_version(repo: GitRepo) -> None:
    d = "d/x.dvc"
    c1 = commit(repo, {d: dvcfile(M[1], "d/x.csv", "..")}, "v1")
    c2 = commit(repo, {d: dvcfile(M[2], "d/x.csv", "..")}, "v2")
    commit(repo, {d: dvcfile(M[2], "./x.csv")}, "same data, re-spelt")
    assert versions(repo) == {"d/x.csv": [(M[1][:32], c1), (M[2][:32], c2)]}


def test_git_mv_then_a_path_rewrite_keeps_the_first_date(repo: GitRepo) -> None:
    # dataset-registry's tutorials/*: the .dvc files moved from tutorial/ (still naming the
    # data there through wdir), then their `path:` was rewritten when the data moved too.
    c1 = commit(repo, {"tutorial/x.zip.dvc": dvcfile(M[1], "tutorial/x.zip", "..")}, "v1")
    repo.git("mv", "tutorial", "tutorials")
    commit(repo, {}, "rename the folder")
    commit(repo, {"tutorials/x.zip.dvc": dvcfile(M[1], "x.zip")}, "the data moved too")
    assert versions(repo) == {"tutorials/x.zip": [(M[1][:32], c1)]}


def test_dvc_move_keeps_the_history(repo: GitRepo) -> None:
    c1 = commit(repo, {"raw/a.csv.dvc": dvcfile(M[1], "a.csv")}, "v1")
    c2 = commit(repo, {"raw/a.csv.dvc": dvcfile(M[2], "a.csv")}, "v2")
    repo.git("rm", "-q", "raw/a.csv.dvc")
    commit(repo, {"raw/b.csv.dvc": dvcfile(M[2], "b.csv")}, "dvc move raw/a.csv raw/b.csv")
    assert versions(repo) == {"raw/b.csv": [(M[1][:32], c1), (M[2][:32], c2)]}


def test_an_unrelated_dvc_file_added_as_another_is_removed_starts_its_own_history(
        repo: GitRepo) -> None:
    commit(repo, {"data.dvc": dvcfile(M[1] + ".dir", "data")}, "data v1")
    commit(repo, {"data.dvc": dvcfile(M[2] + ".dir", "data")}, "data v2")
    repo.git("rm", "-q", "data.dvc")
    c3 = commit(repo, {"data/external.dvc": dvcfile(M[3] + ".dir", "external")}, "external")
    assert versions(repo) == {"data/external": [(M[3][:32], c3)]}


def test_a_file_removed_and_one_of_its_name_added_in_one_commit_is_a_rename(
        repo: GitRepo) -> None:
    # git shows `git mv` plus an edit of a small .dvc file as a delete and an add; with the
    # same file name, the catalog takes it for the move it almost always is.
    c1 = commit(repo, {"d/a.dvc": dvcfile(M[1], "a")}, "v1")
    repo.git("rm", "-q", "d/a.dvc")
    c2 = commit(repo, {"a.dvc": dvcfile(M[2], "a")}, "moved up, new data")
    assert versions(repo) == {"a": [(M[1][:32], c1), (M[2][:32], c2)]}


# -- the property: the catalog equals a brute-force walk through the same reader ---------------

NAMES = ("a", "b", "c")
FOLDERS = ("", "d", "e/f")


def _spellings(folder: str, name: str) -> list[tuple[str | None, str]]:
    """Ways a .dvc file in `folder` can name `folder/name`: (wdir, path)."""
    depth = len(folder.split("/")) if folder else 0
    full = posixpath.join(folder, name)
    found: list[tuple[str | None, str]] = [(None, name), (None, f"./{name}"), (".", name)]
    if depth:
        found.append(("/".join([".."] * depth), full))
    return found


op = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(NAMES), st.sampled_from(FOLDERS),
              st.integers(1, 4)),
    st.tuples(st.just("hash"), st.integers(0, 5), st.integers(1, 4), st.integers(0, 3)),
    st.tuples(st.just("respell"), st.integers(0, 5), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("gitmv"), st.integers(0, 5), st.sampled_from(FOLDERS), st.booleans()),
    st.tuples(st.just("dvcmove"), st.integers(0, 5), st.sampled_from(NAMES), st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, 5), st.just(0), st.just(0)),
    st.tuples(st.just("branch"), st.integers(1, 3), st.just(0), st.just(0)),
)


class Registry:
    """A registry's datasets as the generator knows them: .dvc file -> (folder, name, md5)."""

    def __init__(self, repo: GitRepo) -> None:
        self.repo = repo
        self.live: dict[str, tuple[str, str, str]] = {}  # .dvc file -> (workspace path, ...)
        self.moves: list[dict[str, str]] = []  # per first-parent commit: old path -> new
        # What the current first-parent commit removes and adds, as .dvc file names and
        # hashes: one file removed and another added there with the same name, or alone
        # with the same data, reads as a rename (git mv with edits, dvc move), by design.
        # The generator leaves those to their own tests rather than guess intent.
        self.removed: set[str] = set()
        self.added: set[str] = set()

    def _clashes(self, name: str, md5: str, side: set[str]) -> bool:
        return name in side or f"md5:{md5}" in side

    def _mark(self, side: set[str], name: str, md5: str) -> None:
        side.update({name, f"md5:{md5}"})

    def paths(self) -> set[str]:
        return {v[0] for v in self.live.values()}

    def write(self, dvc: str, path: str, md5: str, spelling: int) -> None:
        folder, name = posixpath.dirname(dvc), posixpath.basename(path)
        options = _spellings(folder, name) if posixpath.dirname(path) == folder else \
            [(None, posixpath.relpath(path, folder or "."))]
        wdir, written = options[spelling % len(options)]
        self.repo.write(dvc, dvcfile(M[int(md5)], written, wdir))
        self.live[dvc] = (path, md5, str(spelling))

    def apply(self, step: tuple[Any, ...], moves: dict[str, str]) -> None:
        kind, a, b, c = step
        files = sorted(self.live)
        if kind == "add":
            dvc, path = posixpath.join(b, f"{a}.dvc"), posixpath.join(b, a)
            if dvc not in self.live and path not in self.paths() and \
                    not (self.repo.path / dvc).exists() and \
                    not self._clashes(f"{a}.dvc", str(c), self.removed):
                self.write(dvc, path, str(c), 0)
                self._mark(self.added, f"{a}.dvc", str(c))
            return
        if not files:
            return
        dvc = files[a % len(files)]
        path, md5, spelling = self.live[dvc]
        if kind == "hash":
            self.write(dvc, path, str(b), c)
        elif kind == "respell":
            self.write(dvc, path, str(int(md5) % 4 + 1) if c else md5, b)
        elif kind == "remove" and not self._clashes(posixpath.basename(dvc), md5, self.added):
            self.repo.git("rm", "-q", dvc)
            del self.live[dvc]
            self._mark(self.removed, posixpath.basename(dvc), md5)
        elif kind == "gitmv":  # the .dvc file moves; the data with it (c) or not
            new = posixpath.join(b, posixpath.basename(dvc))
            new_path = posixpath.join(b, posixpath.basename(path)) if c else path
            if new in self.live or (self.repo.path / new).exists() or \
                    (new_path != path and new_path in self.paths()):
                return
            (self.repo.path / new).parent.mkdir(parents=True, exist_ok=True)
            self.repo.git("mv", dvc, new)
            del self.live[dvc]
            self.write(new, new_path, md5, int(spelling))
            self._mark(self.removed, posixpath.basename(dvc), md5)
            self._mark(self.added, posixpath.basename(new), md5)
            if new_path != path:
                moves[path] = new_path
        elif kind == "dvcmove":  # `dvc move`: file and data renamed, the hash kept
            folder = posixpath.dirname(dvc)
            new, new_path = posixpath.join(folder, f"{b}.dvc"), posixpath.join(folder, b)
            if new in self.live or (self.repo.path / new).exists() or new_path in self.paths():
                return
            self.repo.git("rm", "-q", dvc)
            del self.live[dvc]
            self.write(new, new_path, md5, 0)
            self._mark(self.removed, posixpath.basename(dvc), md5)
            self._mark(self.added, posixpath.basename(new), md5)
            moves[path] = new_path


def _commit_all(repo: GitRepo, message: str) -> None:
    repo.git("add", "-A")
    repo.commit(message)


def make_history(repo: GitRepo, steps: list[tuple[Any, ...]]) -> Registry:
    reg = Registry(repo)
    i = 0
    while i < len(steps):
        moves: dict[str, str] = {}
        if steps[i][0] == "branch":  # the next steps on a branch, merged with --no-ff
            count = steps[i][1]
            repo.git("checkout", "-q", "-b", f"b{i}")
            repo.commit("branch start")  # so the merge is a commit even with no change
            for step in steps[i + 1:i + 1 + count]:
                if step[0] != "branch":
                    reg.apply(step, moves)
                    _commit_all(repo, f"branch {step[0]}")
            repo.git("checkout", "-q", "main")
            repo.git("merge", "-q", "--no-ff", "--no-edit", f"b{i}")
            i += 1 + count
        else:
            reg.apply(steps[i], moves)
            _commit_all(repo, steps[i][0])
            i += 1
        reg.moves.append(moves)
        reg.removed.clear()
        reg.added.clear()
    return reg


def brute_force(repo: GitRepo, reg: Registry) -> dict[str, list[tuple[str, str]]]:
    """Read every .dvc file of every first-parent commit; a path's history goes on while
    some file claims it (or it moved, as the generator knows), and gains a version at each
    commit where its hash differs from its last version's."""
    commits = repo.git("rev-list", "--first-parent", "--reverse", "HEAD").stdout.split()[1:]
    lines: dict[str, list[tuple[str, str]]] = {}
    for sha, moves in zip(commits, reg.moves, strict=True):
        now: dict[str, str] = {}
        listed = repo.git("ls-tree", "-r", "--name-only", sha).stdout.splitlines()
        for name in sorted(n for n in listed if n.endswith(".dvc")):
            content = repo.git("show", f"{sha}:{name}").stdout.encode()
            for out in read(name, content).outs:
                if out.md5:
                    now.setdefault(out.path, out.md5)
        for old, new in moves.items():
            if old in lines and new not in lines:
                lines[new] = lines.pop(old)
        lines = {p: seen for p, seen in lines.items() if p in now}
        for path, md5 in now.items():
            seen = lines.setdefault(path, [])
            if not seen or seen[-1][0] != md5:
                seen.append((md5, sha))
    return lines


@contextmanager
def _fresh_repo(tmp: Path) -> Iterator[GitRepo]:
    path = tmp / f"r{len(list(tmp.iterdir()))}"
    repo = GitRepo.init(path, "-b", "main")
    repo.commit("root")
    yield repo


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(op, min_size=1, max_size=12))
# Found by this test: a new hash and a `dvc move` on one merged branch are, against the
# merge's first parent, a delete and an add sharing neither name nor hash.
@example(steps=[("add", "a", "", 2), ("branch", 2, 0, 0), ("hash", 0, 1, 0),
                ("dvcmove", 0, "b", False)])
def test_catalog_versions_equal_a_brute_force_walk(tmp_path: Path,
                                                   steps: list[tuple[Any, ...]]) -> None:
    with _fresh_repo(tmp_path) as repo:
        reg = make_history(repo, steps)
        expected = brute_force(repo, reg)
        assert versions(repo) == expected
        assert set(expected) == reg.paths()


def test_the_brute_force_walk_is_not_vacuous(tmp_path: Path) -> None:
    # The oracle itself: a move it is told of carries history; one it is not told of ends it.
    with _fresh_repo(tmp_path) as repo:
        reg = make_history(repo, [("add", "a", "d", 1), ("hash", 0, 2, 0),
                                  ("dvcmove", 0, "b", False), ("hash", 0, 3, 1)])
        assert [len(v) for v in brute_force(repo, reg).values()] == [3]
        reg.moves[2] = {}
        assert [len(v) for v in brute_force(repo, reg).values()] == [2]


def test_a_machine_holding_the_first_version_is_behind_not_modified(repo: GitRepo) -> None:
    # What drift said of dataset-registry's get-started/data.xml before: the first version,
    # lost from the catalog by the re-spelling, "matched no version".
    from dataward.drift.judge import Found, judge

    d = "get-started/data.xml.dvc"
    commit(repo, {d: dvcfile(M[1], "get-started/data.xml", "..")}, "v1")
    commit(repo, {d: dvcfile(M[2], "data.xml")}, "re-spelt, new data")
    catalog = build(Repo.discover(str(repo.path)), "HEAD", DatasetCardsPolicy())
    (dataset,) = catalog.datasets
    entry = judge(dataset, Found("file", M[1][:32]), lambda md5: None)
    assert (entry.status, entry.matched_version, entry.versions_behind) == ("behind", 1, 1)


# -- dvc.lock: pipeline outputs are datasets too ------------------------------------------------

LOCK = ("schema: '2.0'\nstages:\n  testset:\n    cmd: make\n    outs:\n    - path: ./raw/testset/\n"
        "      md5: {}.dir\n      size: 10\n      nfiles: 1\n      hash: md5\n")
YAML = "stages:\n  testset:\n    wdir: {}\n    cmd: make\n    outs: [./raw/testset/]\n"


def test_a_dvc_yaml_changed_alone_moves_its_lock_outputs_with_their_history(
        repo: GitRepo) -> None:
    c1 = commit(repo, {"p/dvc.yaml": YAML.format("data"), "p/dvc.lock": LOCK.format(M[1])}, "v1")
    c2 = commit(repo, {"p/dvc.yaml": YAML.format("../data")}, "the stage now writes at the top")
    assert versions(repo) == {"data/raw/testset": [(M[1][:32] + ".dir", c1)]}, c2
    c3 = commit(repo, {"p/dvc.lock": LOCK.format(M[2])}, "v2")
    catalog = build(Repo.discover(str(repo.path)), "HEAD", DatasetCardsPolicy())
    assert [(d.name, d.dvc_file, d.stage, [(v.md5, v.commit, v.stage) for v in d.versions])
            for d in catalog.datasets] == [("data/raw/testset", "p/dvc.lock", "testset", [
                (M[1][:32] + ".dir", c1, "testset"), (M[2][:32] + ".dir", c3, "testset")])]


PIPELINE = ("stages:\n  testset:\n    wdir: data\n    cmd: mkdir -p raw/testset && cp ../source"
            ".txt raw/testset/a.txt\n    deps: [../source.txt]\n    outs: [./raw/testset/]\n")


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._'$`;&|!*-]{0,20}", fullmatch=True),
                      min_size=1, max_size=4, unique=True))
def test_any_tag_name_is_pasted_back_as_itself(names: list[str]) -> None:
    c, date = html.sha(1), "2024-01-01T00:00:00+00:00"
    (d,) = tagged([html.dataset("a b", [html.version(1, 1, 1, None, date, "m", "x.dvc")])], [c],
                  {c: names})
    catalog = Catalog(schema_version=1, generator="dataward", registry="/srv/my reg", commit=c,
                      date=date, datasets=[d])
    assert sorted(d.current.tags) == sorted(names)
    assert split(commands(catalog, d, rev(d.current))[0]) == [
        "dvc", "import", "/srv/my reg", "a b", "--rev", d.current.tags[0]]


def test_real_dvc_repro_outputs_and_tags_name_what_dvc_import_gets(repo: GitRepo,
                                                                   tmp_path: Path) -> None:
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "store", str(tmp_path / "store"))
    made = {}
    for n, text in enumerate(["one\n", "two\n"], 1):
        commit(repo, {"source.txt": text, "dvc.yaml": PIPELINE, "data/.keep": ""}, "inputs")
        dvc(repo.path, "repro", "-q")
        dvc(repo.path, "push", "-q")
        made[n] = commit(repo, {}, f"testset v{n}")
        if n == 1:  # several tags on v1: the oldest commit's first, each in version order
            repo.git("tag", "v1.0.0-final")
            repo.git("tag", "v1.0.0")
            commit(repo, {"README.md": "the registry\n"}, "unrelated")
            repo.git("tag", "-a", "-m", "release", "v1.10.0")
            repo.git("tag", "v1.9.0")
    repo.git("tag", "-a", "-m", "release", "v2.0.0")
    repo.git("switch", "-q", "-c", "side")
    commit(repo, {"source.txt": "side\n"}, "off the main line")
    repo.git("tag", "side-tag")
    repo.git("switch", "-q", "main")
    # DVC wrote the output where the catalog says it is, and holds it as the lock says.
    assert (repo.path / "data/raw/testset/a.txt").read_text() == "two\n"
    assert "up to date" in dvc(repo.path, "status")
    (d,) = build(Repo.discover(str(repo.path)), "HEAD", DatasetCardsPolicy()).datasets
    assert (d.name, d.dvc_file, d.stage) == ("data/raw/testset", "dvc.lock", "testset")
    assert [(v.version, v.commit, v.tags) for v in d.versions] == [
        (1, made[1], ["v1.0.0", "v1.0.0-final", "v1.9.0", "v1.10.0"]),
        (2, made[2], ["v2.0.0"])]
    url = str(repo.path)
    shown = dataward(repo.path, "show", "data/raw/testset", "--registry-url", url)
    assert shown.returncode == 0 and "  dvc.lock (stage testset): " in shown.stdout, shown.stderr
    assert f"  v2: dvc import {quote(url)} data/raw/testset --rev v2.0.0\n" \
           f"  v1: dvc import {quote(url)} data/raw/testset --rev v1.0.0\n" in shown.stdout
    # the table shows two tags and how many more, so its other columns keep their room
    assert "v1.0.0, v1.0.0-final +2" in shown.stdout and "v1.9.0" not in shown.stdout
    # The command, pasted in a user's project, gets version 1's bytes.
    dvc(GitRepo.init(tmp_path / "user").path, "init", "-q")
    dvc(tmp_path / "user", "import", "-q", url, "data/raw/testset", "--rev", "v1.0.0")
    assert (tmp_path / "user/testset/a.txt").read_text() == "one\n"


@pytest.mark.xfail(strict=True, reason="known bug, present before issue 20 (d7a2441): a .dvc "
                   "file with the same content as one in a folder (d/a.dvc, then a.dvc) is "
                   "taken for its rename on a merged branch; found by the test above")
def test_a_copy_of_a_dvc_file_beside_its_folder_is_not_its_rename(tmp_path: Path) -> None:
    steps = [("add", "a", "d", 1), ("add", "b", "d", 2), ("branch", 3, 0, 0),
             ("add", "a", "", 1), ("remove", 2, 0, 0), ("hash", 0, 2, 0)]
    with _fresh_repo(tmp_path) as repo:
        reg = make_history(repo, steps)
        assert versions(repo) == brute_force(repo, reg)
