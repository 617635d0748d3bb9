"""Which paths are DVC outputs, read from `.dvc` files and `dvc.yaml` without importing dvc.

Hooks that only need git use this; the full `.dvc` model (and dvc itself) stays out of their
start-up. Malformed files are skipped here: the `dvc-files` check reports them.
"""

import posixpath
from collections.abc import Iterable
from typing import Any, NamedTuple

from dataward.adapters.git import Repo
from dataward.adapters.state import State


class Output(NamedTuple):
    path: str  # repository-relative, '/'-separated
    dvcfile: str  # the .dvc file or dvc.yaml that declares it


def is_dvcfile(path: str) -> bool:
    name = posixpath.basename(path)
    return (name.endswith(".dvc") and name != ".dvc") or name == "dvc.yaml"


def parse_outputs(dvcfile: str, content: bytes) -> list[Output]:
    """Cached outputs declared by one file (outputs with `cache: false` belong in git)."""
    from dataward.formats.yamlsafe import YamlProblem, load

    try:
        doc = load(content).data  # bounded: a hostile file cannot crash or hang the hook
    except YamlProblem:
        return []
    if not isinstance(doc, dict):
        return []
    base = posixpath.dirname(dvcfile)
    if posixpath.basename(dvcfile) == "dvc.yaml":
        specs = []
        stages = doc.get("stages")
        for stage in stages.values() if isinstance(stages, dict) else []:
            if isinstance(stage, dict):
                wdir = _str(stage.get("wdir"))
                for key in ("outs", "metrics", "plots"):
                    specs += [(wdir, s) for s in _as_list(stage.get(key))]
    else:
        wdir = _str(doc.get("wdir"))
        specs = [(wdir, s) for s in _as_list(doc.get("outs"))]
    outputs = []
    for wdir, spec in specs:
        path, cached = _out_spec(spec)
        if not path or not cached or "${" in path:
            continue
        resolved = posixpath.normpath(posixpath.join(base, wdir, path.replace("\\", "/")))
        if not resolved.startswith("../") and resolved not in ("..", ".") \
                and not posixpath.isabs(resolved):
            outputs.append(Output(resolved, dvcfile))
    return outputs


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _out_spec(spec: Any) -> tuple[str | None, bool]:
    # .dvc: {path: x, cache: false}; dvc.yaml: "x" or {x: {cache: false}}
    if isinstance(spec, str):
        return spec, True
    if isinstance(spec, dict):
        if isinstance(spec.get("path"), str):
            return spec["path"], spec.get("cache", True) is not False
        if len(spec) == 1:
            (path, opts), = spec.items()
            cached = not (isinstance(opts, dict) and opts.get("cache") is False)
            return (path if isinstance(path, str) else None), cached
    return None, False


class OutputIndex:
    """Cached DVC outputs of a set of DVC files, answering "which output holds this path?"."""

    def __init__(self, outputs: Iterable[Output]) -> None:
        self.by_path = {o.path: o for o in outputs}

    def owner(self, path: str) -> Output | None:
        """The output that is `path` or a folder holding it."""
        by_path = self.by_path
        if not by_path:
            return None
        probe = path
        while True:
            if probe in by_path:
                return by_path[probe]
            cut = probe.rfind("/")
            if cut < 0:
                return None
            probe = probe[:cut]

    @classmethod
    def load(cls, repo: Repo, dvcfiles: list[tuple[str, str]], state: State) -> "OutputIndex":
        """Outputs of the given (path, blob id) DVC files; parses only blobs not seen before."""
        cached = state.load("dvc-outs.pickle", "outputs")
        known: dict[tuple[str, str], list[Output]] = cached if isinstance(cached, dict) else {}
        todo = [(p, oid) for p, oid in dvcfiles if (p, oid) not in known]
        if todo:
            from dataward.formats.yamlsafe import MAX_BYTES

            heads = repo.object_heads((oid for _, oid in todo), MAX_BYTES + 1)
            for p, oid in todo:
                known[(p, oid)] = parse_outputs(p, heads.get(oid, b""))
        current = {k: known[k] for k in dvcfiles}
        if todo or len(current) != len(known):
            state.save("dvc-outs.pickle", "outputs", current)
        return cls(o for outs in current.values() for o in outs)
