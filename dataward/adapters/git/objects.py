"""Git objects and trees: blob sizes and heads, what a commit's tree holds, a file at a commit.

Each question is one `cat-file --batch(-check)`, `ls-tree` or `diff-tree` for all the
objects it names; blob sizes of loose objects are read from their headers here.
"""

import os
import subprocess
import zlib
from collections.abc import Iterable, Sequence
from typing import IO

from dataward.adapters.git.history import parse_raw
from dataward.adapters.git.process import GIT, Git, dec, enc
from dataward.errors import CouldNotCheck

# Enough to tell binary from text, as git does (FIRST_FEW_BYTES in git's xdiff-interface.c).
SNIFF_BYTES = 8000
EMPTY_TREE = {40: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
              64: "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"}


class Objects(Git):
    __slots__ = ()

    def blobs_at(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The blob id at each (commit, path) that exists, in one `cat-file --batch-check`."""
        wanted = [(c, p) for c, p in dict.fromkeys(pairs) if "\n" not in p]
        if not wanted:
            return {}
        feed = "".join(f"{c}:{p}\n" for c, p in wanted)
        out = self.run(["cat-file", "--batch-check=%(objecttype) %(objectname)", "--buffer"],
                       stdin=enc(feed))
        found = {}
        for pair, line in zip(wanted, dec(out).splitlines(), strict=False):
            kind, _, oid = line.partition(" ")
            if kind == "blob":
                found[pair] = oid
        return found

    def peel(self, oids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """What each object is once its tags (nested ones too) are peeled: oid -> (type, id)
        of the commit, tree or blob it ends at; objects this clone lacks are left out."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        out = self.run(["cat-file", "--batch-check=%(objecttype) %(objectname)", "--buffer"],
                       stdin=enc("".join(f"{oid}^{{}}\n" for oid in wanted)))
        found = {}
        for oid, line in zip(wanted, dec(out).splitlines(), strict=False):
            kind, _, peeled = line.partition(" ")
            if peeled != "missing" and kind in ("commit", "tree", "blob"):
                found[oid] = (kind, peeled)
        return found

    def tree_files(self, commit: str, pathspecs: Sequence[str]) -> list[tuple[str, str]]:
        """(path, blob id) of the files in a commit's (or a tree's) tree matching glob
        pathspecs.

        `ls-tree` cannot filter by glob; a diff against the empty tree can, inside git.
        """
        out = self.run(["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames",
                        EMPTY_TREE[len(commit)], commit, "--", *pathspecs])
        return [(c.path, c.oid) for c in parse_raw(dec(out).split("\0"), False)]

    def present_at(self, commit: str, paths: Iterable[str]) -> set[tuple[str, str]]:
        """Which of these literal paths exist in a commit's tree, as (path, blob id)."""
        wanted = set(paths)
        if not wanted:
            return set()
        out = self.run(["--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", commit,
                        "--", *sorted(wanted)])
        found = set()
        for rec in dec(out).split("\0"):
            meta, _, path = rec.partition("\t")
            if path in wanted:
                found.add((path, meta.split()[2]))
        return found

    def file_at(self, rev: str, path: str) -> bytes:
        """A file's bytes at `rev`; empty when `rev` has no such file."""
        return self.run(["show", f"{rev}:{path}"], ok=(0, 128))

    def object_sizes(self, oids: Iterable[str]) -> dict[str, int]:
        """Sizes of objects by id: a loose object's from its header, the rest (packed, in
        an alternate, or anything the header does not say plainly) from one
        `cat-file --batch-check`."""
        wanted = list(dict.fromkeys(oids))
        sizes = loose_sizes(self.common_dir, wanted)
        rest = [oid for oid in wanted if oid not in sizes]
        if not rest:
            return sizes
        out = self.run(["cat-file", "--batch-check=%(objectsize)", "--buffer"],
                       stdin=("\n".join(rest) + "\n").encode("ascii"))
        try:
            sizes.update(zip(rest, map(int, out.split()), strict=True))
        except ValueError:  # a line "<oid> missing" instead of a size
            missing = next(line for line in dec(out).splitlines() if line.endswith("missing"))
            raise CouldNotCheck(
                f"object {missing.split()[0]} is not in this clone (a partial or broken clone?)",
                "fetch the full history (git fetch --refetch, or a clone without --filter)",
            ) from None
        return sizes

    def object_heads(self, oids: Iterable[str], nbytes: int = SNIFF_BYTES) -> dict[str, bytes]:
        """The first `nbytes` of each blob, streamed through one `cat-file --batch`."""
        wanted = list(dict.fromkeys(oids))
        if not wanted:
            return {}
        import threading

        proc = subprocess.Popen(
            [*GIT, "cat-file", "--batch"], cwd=self.root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None and proc.stdout is not None
        feed = ("\n".join(wanted) + "\n").encode("ascii")
        writer = threading.Thread(target=_feed, args=(proc.stdin, feed), daemon=True)
        writer.start()
        heads: dict[str, bytes] = {}
        for oid in wanted:
            header = proc.stdout.readline().split()
            if len(header) < 3:
                proc.kill()
                raise CouldNotCheck(f"object {oid} could not be read", "run git fsck")
            size = int(header[2])
            heads[oid] = proc.stdout.read(min(size, nbytes))
            _skip(proc.stdout, size - min(size, nbytes) + 1)  # the rest, and the LF
        writer.join()
        proc.wait()
        return heads


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
    finally:
        pipe.close()


def _skip(stream: IO[bytes], n: int) -> None:
    while n > 0:
        chunk = stream.read(min(n, 1 << 20))
        if not chunk:
            return
        n -= len(chunk)


# A loose object is zlib("<type> <size>\0<content>"); its header is in the first bytes, after
# the deflate block's Huffman tables (a few hundred bytes at most).
_LOOSE_HEAD = 1024


def loose_sizes(common_dir: str, oids: Sequence[str]) -> dict[str, int]:
    """The sizes of the loose objects among `oids`, read from their headers: `git add` of
    10,000 files leaves 10,000 loose objects, and cat-file maps each one whole (about 20 us
    each, against 10 here). An object that is not loose, or whose header does not read
    plainly, is left out for git to answer; GIT_OBJECT_DIRECTORY leaves all to git."""
    return {oid: size for oid, (_, size) in loose_headers(common_dir, oids).items()}


def loose_headers(common_dir: str, oids: Sequence[str]) -> dict[str, tuple[bytes, int]]:
    """(type, size) of the loose objects among `oids`, as loose_sizes reads them."""
    if not oids or "GIT_OBJECT_DIRECTORY" in os.environ:
        return {}
    folder = os.path.join(common_dir, "objects", "")
    open_, read, close, inflater = os.open, os.read, os.close, zlib.decompressobj
    found: dict[str, tuple[bytes, int]] = {}
    for oid in oids:
        if len(oid) not in EMPTY_TREE or not oid.isalnum():
            continue
        try:
            fd = open_(f"{folder}{oid[:2]}/{oid[2:]}", os.O_RDONLY)
        except OSError:  # packed, in an alternate, or not there: git says which
            continue
        try:
            head = inflater().decompress(read(fd, _LOOSE_HEAD), 32)
        except (OSError, zlib.error):
            continue
        finally:
            close(fd)
        kind, _, rest = head.partition(b" ")
        size, nul, _ = rest.partition(b"\0")
        # As git reads a header: a known type, digits, no leading zero.
        if kind in (b"blob", b"tree", b"commit", b"tag") and nul and size.isdigit() \
                and (size[:1] != b"0" or size == b"0"):
            found[oid] = (kind, int(size))
    return found


def _own_objects(common_dir: str) -> str | None:
    """The repository's object folder; None when objects may live elsewhere too (alternates,
    GIT_OBJECT_DIRECTORY): then only git can list them."""
    folder = os.path.join(common_dir, "objects")
    if {"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"} & os.environ.keys() or \
            os.path.lexists(os.path.join(folder, "info", "alternates")):
        return None
    return folder


def pack_names(common_dir: str) -> tuple[str, ...] | None:
    """The names of the repository's packs. A pack's name is its checksum, so the same names
    mean the same packed objects; None when the objects are not all in this folder, or a
    pack has no index yet (git does not read it until it has: a fetch or a repack under way,
    or one that was cut short)."""
    folder = _own_objects(common_dir)
    if folder is None:
        return None
    try:
        names = os.listdir(os.path.join(folder, "pack"))
    except FileNotFoundError:
        names = []
    except OSError:
        return None
    packs = sorted(n.removesuffix(".pack") for n in names if n.endswith(".pack"))
    indexes = {n.removesuffix(".idx") for n in names if n.endswith(".idx")}
    return tuple(packs) if indexes.issuperset(packs) else None


def loose_oids(common_dir: str) -> list[str] | None:
    """The ids of the repository's loose objects; None when they cannot all be listed."""
    folder = _own_objects(common_dir)
    if folder is None:
        return None
    found = []
    try:
        for fan in os.listdir(folder):
            if len(fan) == 2 and fan.isalnum():
                found += [fan + rest for rest in os.listdir(os.path.join(folder, fan))
                          if len(rest) + 2 in EMPTY_TREE and rest.isalnum()]
    except OSError:
        return None
    return found
