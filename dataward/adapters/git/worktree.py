"""The working tree, the index and the repository's config, as git sees them.

What is staged, what is tracked, ignored or uncommitted, git attributes, config values and
remotes: each one batched git process.
"""

from collections.abc import Iterable, Sequence

from dataward.adapters.git.history import GITLINK, Change, parse_raw
from dataward.adapters.git.process import Git, dec, enc


class WorkTree(Git):
    __slots__ = ()

    def staged_changes(self, moves: bool = False) -> list[Change]:
        """Blobs the index adds or changes against HEAD (all of them before the first commit).

        A file moved or renamed unchanged adds no blob to history: it is left out, unless
        `moves` asks for it (its `moved_from` says where it was).
        """
        out = self.run([
            "diff", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", "--no-color",
            "--no-ext-diff", "--diff-filter=AMTD",
        ])
        changes = parse_raw(dec(out).split("\0"), with_commits=False)
        return changes if moves else [c for c in changes if c.moved_from is None]

    def index_sizes(self, paths: Sequence[str]) -> list[int] | None:
        """Sizes of the stage-0 index blobs at these literal paths, in one `cat-file`; None
        when any has none (deleted, conflicted, a submodule) or cannot be named to cat-file
        (a newline in it, or a name git would read relative to the current folder)."""
        if any("\n" in p or not p or p.startswith(("./", "../")) or p in (".", "..")
               for p in paths):
            return None
        out = self.ask(["cat-file", "--batch-check=%(objecttype) %(objectsize)", "--buffer"],
                       stdin=b"".join(b":0:" + enc(p) + b"\n" for p in paths))
        lines = out.split(b"\n")[:-1] if out is not None else []
        sizes = [line[5:] for line in lines if line.startswith(b"blob ")]
        if len(sizes) != len(paths) or not all(s.isdigit() for s in sizes):
            return None
        return [int(s) for s in sizes]

    def check_attr(self, paths: Iterable[str], attrs: Sequence[str]) -> dict[str, dict[str, str]]:
        """Git attributes of each path (values: 'set', 'unset', 'unspecified' or a string)."""
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return {}
        out = self.run(
            ["check-attr", "-z", "--stdin", *attrs],
            stdin=b"\0".join(enc(p) for p in wanted) + b"\0",
        )
        result: dict[str, dict[str, str]] = {p: {} for p in wanted}
        fields = dec(out).split("\0")
        for i in range(0, len(fields) - 2, 3):
            result.setdefault(fields[i], {})[fields[i + 1]] = fields[i + 2]
        return result

    def ls_files(self, pathspecs: Sequence[str] = (), untracked: bool = False) -> list[str]:
        """Paths in the index (and, with `untracked`, new files git does not ignore)."""
        extra = ["--others", "--exclude-standard"] if untracked else []
        out = self.run(["ls-files", "-z", "--cached", *extra, "--", *pathspecs])
        return list(dict.fromkeys(dec(out).split("\0")[:-1]))

    def check_ignore(self, paths: Iterable[str]) -> set[str]:
        """Which paths .gitignore rules ignore, tracked or not (a trailing / asks as a folder)."""
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return set()
        out = self.run(["check-ignore", "-z", "--stdin", "--no-index"],
                       stdin=b"\0".join(enc(p) for p in wanted) + b"\0", ok=(0, 1))
        return set(dec(out).split("\0")[:-1])

    def index_entries(self, pathspecs: Sequence[str]) -> list[tuple[str, str]]:
        """(path, blob id) of index entries matching the (glob) pathspecs."""
        return [(c.path, c.oid) for c in self._ls_files(pathspecs, literal=False)]

    def index_changes(self, paths: Sequence[str]) -> list[Change]:
        """The index blobs of these literal paths (every entry when none are given)."""
        return self._ls_files(paths, literal=True)

    def index_entries_ahead(self, pathspecs: Sequence[str]) -> None:
        """Start the git process of `index_entries(pathspecs)` now, to overlap others."""
        self.ahead(["ls-files", "-s", "-z", "--", *pathspecs])

    def _ls_files(self, pathspecs: Sequence[str], literal: bool) -> list[Change]:
        flags = ["--literal-pathspecs"] if literal else []
        out = self.run([*flags, "ls-files", "-s", "-z", "--", *pathspecs])
        entries = []
        for rec in dec(out).split("\0"):
            if rec:
                meta, _, path = rec.partition("\t")
                mode, oid, _stage = meta.split()
                if mode != GITLINK:
                    entries.append(Change(path, oid, mode))
        return entries

    def status(self, paths: Sequence[str]) -> list[tuple[str, str]]:
        """(XY status, path) of each of these paths that differs from HEAD or is untracked,
        as `git status --porcelain` says it. --no-optional-locks: asking must not rewrite
        the index."""
        out = self.run(["--no-optional-locks", "status", "--porcelain", "-z",
                        "--untracked-files=all", "--", *paths])
        return [(entry[:2], entry[3:])
                for entry in out.decode("utf-8", "replace").split("\0") if entry]

    def config_value(self, key: str, local: bool = False) -> str:
        """The value git reads for `key` (only this repository's own config with `local`);
        empty when unset."""
        scope = ["--local"] if local else []
        return self.run(["config", *scope, "--get", key], ok=(0, 1)).decode().strip()

    def remote_url(self, name: str = "origin") -> str | None:
        """The URL of a remote as configured (a local path stays as written); None when
        there is no such remote."""
        out = self.ask(["remote", "get-url", name])
        if out is None:
            return None
        return dec(out).strip() or None
