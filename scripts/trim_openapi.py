"""Trim GitHub's OpenAPI description down to the operations dataward talks to.

The tests' local GitHub stand-in (`tests/harness/ghstandin`) validates every request and response
against the file this script writes. It keeps the operations in `OPERATIONS`, every
`components` entry they reach through `$ref` (transitively), and nothing that never affects
validation (examples, descriptions, summaries, GitHub's `x-github` metadata and breaking-change
notes). Response objects keep their `description`, which OpenAPI requires; operations keep
`externalDocs` (the stand-in answers errors with it as `documentation_url`, as GitHub does).
Output is deterministic: sorted keys, one trailing newline, so a regeneration from the same
package is byte-identical.

Regenerate (the version is pinned: bump it on purpose, then rerun the tests):

    tmp="$(mktemp -d)" && (cd "$tmp" && npm pack @octokit/openapi@23.0.2)
    python scripts/trim_openapi.py "$tmp/octokit-openapi-23.0.2.tgz" \
        -o tests/harness/ghstandin/api.github.com.trimmed.json

The tarball of the pinned version must have the pinned npm integrity (`PINNED`); to move to
another version, run `npm pack` for it and add its version and integrity (`npm pack --json`
prints it) to `PINNED`.

SRC may also be the extracted `generated/api.github.com.json`; then pass the tarball's
npm integrity (`npm pack --json` prints it) with `--integrity`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi"
MEMBER = "package/generated/api.github.com.json"
# version -> npm integrity of its tarball
PINNED = {
    "23.0.2": "sha512-pV8M7L9GY23AybNvTmo2nyjmpmnt6+2sRE/tqr0ZLQcPS4lnw7u5eZGNmwRNkBC3D7gZ"
              "XbFx5AHzLUVRBXGDhg==",
}

# GitHub operationIds the stand-in serves: what dataward (through github3.py) calls.
OPERATIONS: tuple[str, ...] = (
    "repos/get",
    "repos/create-commit-status",
    "checks/create",
    "checks/update",
    "checks/get",
    "checks/list-annotations",
    "issues/get",
    "issues/list-comments",
    "issues/create-comment",
    "issues/update-comment",
    "issues/list-for-repo",
    "issues/create",
    "issues/update",
    "repos/get-content",
    "repos/create-or-update-file-contents",
    "git/get-ref",
    "git/create-ref",
    "git/update-ref",
    "git/create-blob",
    "git/get-blob",
    "git/create-tree",
    "git/get-tree",
    "git/create-commit",
    "git/get-commit",
    "pulls/get",
)

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Keys that never affect validation, dropped from every OpenAPI/schema object.
DROPPED = frozenset({"example", "examples", "description", "summary", "x-github",
                     "x-github-breaking-changes"})
# Objects whose keys are names (of properties, components, media types, status codes...):
# their keys are kept whatever they are, their values are objects again.
NAME_MAPS = frozenset({"properties", "paths", "schemas", "parameters", "responses", "headers",
                       "content", "links", "callbacks", "encoding", "requestBodies",
                       "securitySchemes", "variables", "patternProperties"})
# Values that are data, not OpenAPI objects: copied as they are.
DATA = frozenset({"enum", "default", "const", "mapping", "required"})


def _strip(node: Any, key: str | None = None, in_name_map: bool = False,
           parent: str | None = None) -> Any:
    """`node` without the DROPPED keys; `key` is the key `node` sits under, `parent` the
    key of the name map holding it, when it does."""
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    if key in NAME_MAPS and isinstance(node, dict) and not in_name_map:
        return {name: _strip(value, name, True, key) for name, value in node.items()}
    out: dict[str, Any] = {}
    response_object = in_name_map and parent == "responses"
    for name, value in node.items():
        if name in DROPPED and not (name == "description" and response_object):
            continue
        if name in DATA:
            out[name] = value
        else:
            out[name] = _strip(value, name)
    return out


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def trim(spec: dict[str, Any], operations: Sequence[str] = OPERATIONS) -> dict[str, Any]:
    """The spec with only `operations` and the components they reach."""
    wanted = set(operations)
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        kept = {m: op for m, op in item.items()
                if m in HTTP_METHODS and op.get("operationId") in wanted}
        if kept:
            if "parameters" in item:
                kept["parameters"] = item["parameters"]
            paths[path] = kept
            wanted -= {op["operationId"] for m, op in kept.items() if m in HTTP_METHODS}
    if wanted:
        raise KeyError(f"operations not in the spec: {', '.join(sorted(wanted))}")
    paths = _strip(paths, "paths")

    components: dict[str, dict[str, Any]] = {}
    todo = sorted(_refs(paths))
    seen: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"]:
            raise ValueError(f"unsupported $ref {ref!r}")
        kind, name = parts[2], parts[3]
        value = _strip({name: spec["components"][kind][name]}, kind)[name]
        components.setdefault(kind, {})[name] = value
        todo.extend(sorted(_refs(value) - seen))

    return {
        "openapi": spec["openapi"],
        "info": {k: v for k, v in spec["info"].items() if k not in DROPPED},
        "servers": _strip(spec.get("servers", [])),
        "paths": paths,
        "components": components,
    }


def npm_integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path,
                        help="the npm tarball (octokit-openapi-X.Y.Z.tgz) or its "
                             "generated/api.github.com.json")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--integrity", help="npm integrity of the tarball (sha512-...); "
                                            "only when SRC is the extracted JSON")
    args = parser.parse_args(argv)

    if args.src.name.endswith((".tgz", ".tar.gz")):
        data = args.src.read_bytes()
        integrity = npm_integrity(data)
        if args.integrity and args.integrity != integrity:
            print(f"error: {args.src} has integrity {integrity}, not {args.integrity}",
                  file=sys.stderr)
            return 1
        with tarfile.open(args.src) as tar:
            member = tar.extractfile(MEMBER)
            if member is None:
                print(f"error: {args.src} has no {MEMBER}", file=sys.stderr)
                return 1
            spec = json.load(member)
    else:
        if not args.integrity:
            print("error: --integrity is required when SRC is not the tarball", file=sys.stderr)
            return 2
        integrity = args.integrity
        spec = json.loads(args.src.read_text(encoding="utf-8"))

    try:
        trimmed = trim(spec)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    version = spec["info"]["version"]
    if version in PINNED and PINNED[version] != integrity:
        print(f"error: {PACKAGE}@{version} should have integrity {PINNED[version]}, "
              f"{args.src} has {integrity}", file=sys.stderr)
        return 1
    trimmed["info"]["x-trimmed-from"] = {
        "package": PACKAGE,
        "version": version,
        "file": MEMBER.removeprefix("package/"),
        "integrity": integrity,
        "regenerate": f"npm pack {PACKAGE}@{version}; python scripts/trim_openapi.py "
                      f"octokit-openapi-{version}.tgz -o tests/harness/ghstandin/"
                      "api.github.com.trimmed.json",
        "operations": sorted(OPERATIONS),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(trimmed, indent=1, sort_keys=True, ensure_ascii=False)
                           + "\n", encoding="utf-8")
    print(f"{args.output}: {len(trimmed['paths'])} paths, "
          f"{sum(len(v) for v in trimmed['components'].values())} components")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
