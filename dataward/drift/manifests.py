"""`.dir` manifests for drift: which files of a changed folder differ needs the manifest of
each version, read from a DVC cache here or fetched from the registry's remote."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dataward.adapters.files import read_given
from dataward.formats.manifest import MAX_MANIFEST, read_manifest

if TYPE_CHECKING:
    from dataward.catalog.model import Dataset
    from dataward.drift.judge import Found


class ManifestCache:
    """`.dir` manifests by hash: from DVC cache folders (DVC 3 and 2 layouts), read once each,
    or stored after a fetch from the remote."""

    def __init__(self, cache_dirs: Sequence[str]) -> None:
        self.cache_dirs = list(cache_dirs)
        self.known: dict[str, Mapping[str, str] | None] = {}

    def __call__(self, md5: str) -> Mapping[str, str] | None:
        if md5 not in self.known:
            self.known[md5] = None
            for folder in self.cache_dirs:
                for sub in (("files", "md5"), ()):
                    try:  # a regular file only (a FIFO in a shared cache must not hang)
                        found = read_manifest(read_given(
                            os.path.join(folder, *sub, md5[:2], md5[2:]), MAX_MANIFEST), md5)
                    except OSError:
                        continue
                    if found is not None:
                        self.known[md5] = found
                        return found
        return self.known[md5]

    def store(self, md5: str, manifest: Mapping[str, str]) -> None:
        self.known[md5] = manifest


def fetch_manifests(datasets: Sequence[Dataset], found: Mapping[str, Found],
                     manifests: ManifestCache, project: str) -> None:
    """`.dir` manifests no local cache holds, for directories that match no version, read
    from the DVC remote (the registry's, through dvc): the changed files need them."""
    from dataward.formats.dvcfile import object_key

    wanted: dict[str | None, set[tuple[str, bool]]] = {}
    for d in datasets:
        f = found[d.name]
        if f.kind != "dir" or any(f.holds(v) for v in d.versions) or d.imported:
            continue
        for v in d.versions:  # a DVC 2 version's object is where DVC 2 put it
            if v.md5.endswith(".dir") and manifests(v.md5) is None:
                wanted.setdefault(d.remote, set()).add((v.md5, v.hash == "md5-dos2unix"))
    import importlib.util
    import sys

    if wanted and importlib.util.find_spec("dvc") is None:
        print("dataward drift: changed folders are reported without which files changed: their "
              "manifests are in no local DVC cache, and reading them from the remote needs dvc "
              "(pip install 'dataward[dvc]')", file=sys.stderr)
        return
    for remote_name, objects in wanted.items():
        try:
            from dataward.adapters.dvc import open_remote

            remote = open_remote(project, remote_name, timeout=30, jobs=8)
            keys = {object_key(md5, legacy): md5 for md5, legacy in objects}
            for key, data in remote.read(sorted(keys)).items():
                files = read_manifest(data, keys[key]) if data is not None else None
                if files is not None:
                    manifests.store(keys[key], files)
        except Exception as exc:
            from dataward.formats.urls import mask_text
            from dataward.report.escape import terminal

            said = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            print(f"dataward drift: could not read manifests from remote "
                  f"{terminal(remote_name or '(default)')}: {terminal(mask_text(said))}",
                  file=sys.stderr)
