"""What a `dvc pull` of a revision needs from the remote, read from git alone through the
one reader of DVC files: no dvc, so an unchanged re-check stays fast enough for every push."""

from __future__ import annotations

from dataward import scope
from dataward.adapters.git import Repo
from dataward.formats.dvcfile import (
    DVCFILE_PATHSPECS,
    NO_STAGES,
    DvcFile,
    is_dvcfile,
    read,
    read_stages,
)


def outputs_at(repo: Repo, tip: str, only: set[str] | None) -> list[DvcFile]:
    """What the DVC files at `tip` record (`only` these files, when given): each file's
    outputs, or why it cannot be read."""
    every = {p: oid for p, oid in repo.tree_files(tip, DVCFILE_PATHSPECS) if is_dvcfile(p)}
    files = every
    if only is not None:
        wanted = set(only)
        # A changed dvc.yaml can change its lock's outputs' options (push, remote).
        wanted |= {p[:-len("dvc.yaml")] + "dvc.lock" for p in only if p.endswith("dvc.yaml")}
        files = {p: oid for p, oid in every.items() if p in wanted}
    lock_dirs = {p[:-len("dvc.lock")] for p in files if p.endswith("dvc.lock")}
    yamls = {p: oid for p, oid in every.items()
             if p.endswith("dvc.yaml") and p[:-len("dvc.yaml")] in lock_dirs}
    from dataward.formats.yamlsafe import MAX_BYTES

    heads = repo.object_heads([*files.values(), *yamls.values()], MAX_BYTES + 1)
    result: list[DvcFile] = []
    for path, oid in sorted(files.items()):
        if path.endswith("dvc.yaml"):
            continue  # its outputs are hashed in the dvc.lock beside it
        stages = NO_STAGES
        if path.endswith("dvc.lock"):
            yaml_path = path[:-len("dvc.lock")] + "dvc.yaml"
            if yaml_path in yamls:
                stages = read_stages(yaml_path, heads[yamls[yaml_path]])
        result.append(read(path, heads.get(oid, b""), stages))
    return result


def changed_dvc_files(repo: Repo, sc: scope.Scope) -> set[str]:
    return {c.path for c in sc.changes(repo, DVCFILE_PATHSPECS) if is_dvcfile(c.path)}
