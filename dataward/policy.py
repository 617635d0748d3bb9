"""The policy: `[tool.dataward]` in pyproject.toml, or a dataward.toml at the repository root.

The policy is plain NamedTuples so that hooks read it without importing pydantic or
dataclasses; pydantic validates it (strictly, unknown keys refused) only when the file's
bytes are new, and the validated policy is kept in the state cache keyed by those bytes.
"""

import math
import os
from typing import Annotated, Any, Literal, NamedTuple, NoReturn

from dataward.adapters.state import State
from dataward.errors import ConfigError

POLICY_FILES = ("dataward.toml", "pyproject.toml")
MAX_POLICY_BYTES = 4 << 20  # a pyproject.toml is kilobytes; /dev/zero must not fill memory
MAX_NESTING = 32  # a policy is three levels deep; deeper arrays exhaust the TOML reader
# Read by pydantic when it validates these NamedTuples: unknown keys are errors.
_PYDANTIC_CONFIG = {"extra": "forbid"}


def kebab(name: str) -> str:
    return name.replace("_", "-")


class LargeBinariesPolicy(NamedTuple):
    """`[no-large-binaries]`; sizes are in KB of 1024 bytes, as pre-commit-hooks' --maxkb."""

    max_kb: Annotated[int, "Largest binary allowed into git, in KB (1024 bytes)."] = 500
    text_max_kb: Annotated[int, "Largest text file allowed into git, in KB: lockfiles and "
                           "notebooks of a few MB are normal, a 40 MB CSV is data."] = 5120
    limits: Annotated[dict[str, int], "Glob -> KB, overriding max-kb and text-max-kb at "
                      "matching paths; later globs win (.gitattributes)."] = {}  # noqa: RUF012
    binary_max_kb: Annotated[int | None, "Binaries above this size are refused; 0 refuses "
                             "every binary. Unset: the size limits alone judge them."] = None
    binary_allow: Annotated[list[str], "Globs of binaries that binary-max-kb does not apply "
                            "to (icons, figures in docs)."] = []  # noqa: RUF012

    def problems(self) -> list[tuple[list[str], str]]:
        """Range errors that types alone do not catch, as (key path, message)."""
        sizes = [(["max-kb"], self.max_kb), (["text-max-kb"], self.text_max_kb),
                 (["binary-max-kb"], self.binary_max_kb),
                 *((["limits", pattern], kb) for pattern, kb in self.limits.items())]
        return [(loc, f"must be 0 or more KB, not {kb}")
                for loc, kb in sizes if kb is not None and kb < 0]


class DvcFilesPolicy(NamedTuple):
    """`[dvc-files]`."""

    unknown_keys: Annotated[Literal["warn", "error"], "What to make of keys in .dvc files "
                            "that this dataward does not know (a newer DVC wrote them)."] = "warn"
    import_urls: Annotated[list[str], "Repositories `dvc import` may come from (URL prefixes, "
                           "any scheme); empty allows any."] = []  # noqa: RUF012

    def problems(self) -> list[tuple[list[str], str]]:
        return [(["import-urls"], f"{u!r} is not a repository URL or path")
                for u in self.import_urls if not u.strip()]


class DvcConfigPolicy(NamedTuple):
    """`[dvc-config]`."""

    require_remote: Annotated[bool, "A missing default remote is an error (else a "
                              "warning)."] = False
    remote_schemes: Annotated[list[str], "Remote URL schemes allowed (s3, gs, azure, ssh, "
                              "...); empty allows any."] = []  # noqa: RUF012
    remote_urls: Annotated[list[str], "Remote URL prefixes allowed (s3://lab-data/registry); "
                           "empty allows any."] = []  # noqa: RUF012

    def problems(self) -> list[tuple[list[str], str]]:
        bad = [(["remote-urls"], f"{u!r} has no scheme (write it as s3://bucket/prefix)")
               for u in self.remote_urls if "://" not in u and not u.startswith("/")]
        return bad + [(["remote-schemes"], f"{s!r} is a scheme name like 's3', without '://'")
                      for s in self.remote_schemes if not s or ":" in s or "/" in s]


DATASHEET_SECTIONS = ("Motivation", "Composition", "Collection process", "Preprocessing",
                      "Uses", "Distribution", "Maintenance")
CARD_PLACEHOLDERS = ("{dir}", "{name}")


class DatasetCardsPolicy(NamedTuple):
    """`[dataset-cards]`."""

    card: Annotated[str, "Where a .dvc file's card is: {dir} is the .dvc file's folder, "
                    "{name} its name without .dvc. `{dir}/README.md` keeps one dataset per "
                    "folder."] = "{dir}/{name}.card.md"
    required_keys: Annotated[list[str], "Front-matter keys every card must set in a "
                             "registry."] = ["pretty_name", "license",  # noqa: RUF012
                                            "size_categories", "maintainers", "source"]
    required_sections: Annotated[list[str], "Datasheets for Datasets sections that must be "
                                 "present and filled in (errors)."] = []  # noqa: RUF012
    recommend_sections: Annotated[bool, "Warn about datasheet sections that are missing or "
                                  "empty but not required."] = True
    exclude: Annotated[list[str], "Globs of .dvc files that are not datasets and need no card "
                       "(models, scratch data)."] = []  # noqa: RUF012
    strict: Annotated[bool, "Make everything the Hub only warns about an error."] = False
    strict_keys: Annotated[list[str], "Make what the Hub only warns about an error for these "
                           "keys (`annotations_creators`, ...)."] = []  # noqa: RUF012
    one_example_per_file: Annotated[bool, "Each file a .dvc file records is one example: "
                                    "size_categories is compared with the file count."] = False

    def problems(self) -> list[tuple[list[str], str]]:
        from dataward.formats.card import policy_problems

        return policy_problems(self)


class RemotePolicy(NamedTuple):
    """`[remote]`: the DVC remote's prices and how long dvc-pushed trusts what it saw there.
    The default prices are the lab's own (AWS S3, Tokyo region, 2024): S3 Standard storage
    for the first 50 TB and data transfer out to the internet."""

    storage_usd_per_gb_month: Annotated[float, "What a GB stored costs a month, for the "
                                        "audit's garbage-collection plan (default: S3 "
                                        "Standard, Tokyo)."] = 0.025
    transfer_usd_per_gb: Annotated[float, "What a GB pulled out of the remote costs, for "
                                   "what a pull will cost (default: S3 transfer out, "
                                   "Tokyo)."] = 0.114
    cache_days: Annotated[int, "Days dvc-pushed trusts that an object it saw intact is still "
                          "there and readable, before it asks the remote again (a lifecycle "
                          "rule can archive or delete it); 0 asks every time."] = 7

    def problems(self) -> list[tuple[list[str], str]]:
        bad = [([key], f"must be a number, 0 or more, not {value}")
               for key, value in (("storage-usd-per-gb-month", self.storage_usd_per_gb_month),
                                  ("transfer-usd-per-gb", self.transfer_usd_per_gb),
                                  ("cache-days", self.cache_days))
               if not math.isfinite(value) or value < 0]
        return bad


class Policy(NamedTuple):
    repository: Annotated[Literal["registry", "project"], "`registry`: the lab's dataset "
                          "registry, where every .dvc file is a dataset with a card; "
                          "`project`: a user's repository, where cards are optional."] = \
        "registry"
    ignore: Annotated[tuple[str, ...], "Rule ids (docs/checks.md) never reported, such as "
                      "`card-datasheet-sections`."] = ()
    per_path_ignores: Annotated[dict[str, tuple[str, ...]], "Glob -> rule ids not reported "
                                "for the paths it matches, as ruff's per-file-ignores; every "
                                "matching glob counts."] = {}  # noqa: RUF012
    no_large_binaries: LargeBinariesPolicy = LargeBinariesPolicy()
    dvc_files: DvcFilesPolicy = DvcFilesPolicy()
    dvc_config: DvcConfigPolicy = DvcConfigPolicy()
    dataset_cards: DatasetCardsPolicy = DatasetCardsPolicy()
    remote: RemotePolicy = RemotePolicy()

    @property
    def is_registry(self) -> bool:
        return self.repository == "registry"

    def ignores(self, rule: str, path: str) -> bool:
        """Whether the policy switches this rule off at this path."""
        if rule in self.ignore:
            return True
        if not self.per_path_ignores:
            return False
        from dataward.formats.globs import matches

        return any(rule in rules and matches(glob, path)
                   for glob, rules in self.per_path_ignores.items())

    def problems(self) -> list[tuple[list[str], str]]:
        from dataward.rules import RULES

        def unknown(rule: str) -> str:
            return f"{rule!r} is not a rule id (docs/checks.md lists them)"

        bad = [(["ignore"], unknown(r)) for r in self.ignore if r not in RULES]
        bad += [(["ignore"], f"{r!r} cannot be switched off: a check that could not run "
                 "fails closed") for r in self.ignore if r == "could-not-check"]
        bad += [(["per-path-ignores", glob], unknown(r))
                for glob, rules in self.per_path_ignores.items() for r in rules
                if r not in RULES]
        return bad


SECTIONS = (LargeBinariesPolicy, DvcFilesPolicy, DvcConfigPolicy, DatasetCardsPolicy,
            RemotePolicy)
for _cls in (*SECTIONS, Policy):
    _cls.__pydantic_config__ = _PYDANTIC_CONFIG  # type: ignore[union-attr]


class LoadedPolicy(NamedTuple):
    policy: Policy
    source: str | None  # the file it came from; None for the defaults


def load(root: str, explicit: str | None = None, state: State | None = None) -> LoadedPolicy:
    """The policy for the repository at `root`; raises ConfigError (exit 2) when invalid."""
    found = _read(root, explicit)
    if found is None:
        return LoadedPolicy(Policy(), None)
    path, raw = found
    # The bytes themselves are the key (a policy is a few lines): no digest to import.
    key = os.path.basename(path).encode() + b"\0" + raw
    state = state or State(None)
    cached = state.load("policy.pickle", key)
    if isinstance(cached, Policy):
        return LoadedPolicy(cached, path)
    policy = parse(path, raw)
    state.save("policy.pickle", key, policy)
    return LoadedPolicy(policy, path)


def _read(root: str, explicit: str | None) -> tuple[str, bytes] | None:
    """--config, else the first of POLICY_FILES at the root: regular files only, bounded,
    never blocking, never through a link out of the repository (a pull request must not make
    CI quote the runner's files in policy errors)."""
    from dataward.adapters.files import Refused, fix_for, read_given

    for path in [explicit] if explicit else [os.path.join(root, f) for f in POLICY_FILES]:
        try:
            return path, read_given(path, MAX_POLICY_BYTES, root)
        except FileNotFoundError:
            if explicit:
                raise ConfigError(f"{path}: cannot read the policy: no such file",
                                  "check the path given to --config") from None
        except OSError as exc:
            refused = isinstance(exc, Refused)
            raise ConfigError(f"{path}: {exc.strerror}" if refused else
                              f"{path}: cannot read the policy: {exc.strerror}",
                              "pass --config a regular policy file" if explicit and refused
                              else fix_for(path, exc)) from None
    return None


def toml() -> Any:
    """tomllib, or tomli on Python 3.10."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    return tomllib


def parse(path: str, raw: bytes) -> Policy:
    """The policy in a file's bytes (`path` names it in messages); ConfigError when invalid."""
    tomllib = toml()
    name = os.path.basename(path)
    text = _decode(name, path, raw)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _line_of_toml_error(str(exc), text)
        raise ConfigError(f"{name}:{line}: not valid TOML: {exc}",
                          "fix the syntax on that line") from None
    except RecursionError:
        data = None  # nested deeper than the reader's stack
    if data is None or _depth(data) > MAX_NESTING:
        raise ConfigError(f"{name}: nested over {MAX_NESTING} levels deep: not a policy",
                          f"a policy is `key = value` lines in [sections]: is {path} right?")
    in_pyproject = name == "pyproject.toml"
    if in_pyproject:
        tool = data.get("tool", {})
        data = tool.get("dataward", {}) if isinstance(tool, dict) else tool
        if not isinstance(data, dict):
            at = _line_of_key(text, "", ["tool", "dataward"] if isinstance(tool, dict)
                              else ["tool"])
            raise ConfigError(f"{name}:{at or 1}: [tool.dataward] must be a table",
                              "write it as a [tool.dataward] section")
    return _validate(name, text, data, "tool.dataward" if in_pyproject else "")


def _decode(name: str, path: str, raw: bytes) -> str:
    """TOML is UTF-8: a Latin-1 policy is refused, not read with replacement characters."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        from shlex import quote

        q, new = quote(path), quote(path + ".utf8")
        raise ConfigError(f"{name}:{line}: not UTF-8 text (byte {exc.start} is "
                          f"0x{raw[exc.start]:02X}); TOML is UTF-8",
                          f"convert it: `iconv -f latin1 -t utf-8 {q} > {new} && mv {new} {q}`"
                          ) from None


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest (up to MAX_NESTING + 1), counted without recursion."""
    deepest, todo = 0, [(data, 1)]
    while todo and deepest <= MAX_NESTING:
        value, level = todo.pop()
        deepest = max(deepest, level)
        children = value.values() if isinstance(value, dict) else value
        todo += [(c, level + 1) for c in children if isinstance(c, (dict, list))]
    return deepest


def _validate(name: str, text: str, data: dict[str, Any], prefix: str) -> Policy:
    import json

    from pydantic import TypeAdapter, ValidationError

    problems = _snake_keys(Policy, data, [])
    if problems:
        _refuse(name, text, prefix, problems)
    try:
        # JSON mode: strict about types (no "500" for 500) yet builds tuples from tables.
        policy = TypeAdapter(Policy).validate_json(
            json.dumps(_field_names(Policy, data), default=str), strict=True)
    except ValidationError as exc:
        problems = [([kebab(str(p)) for p in err["loc"]], _explain(err))
                    for err in exc.errors(include_url=False)]
    else:
        problems = policy.problems() + [
            ([kebab(section), *loc], msg)
            for section, part in zip(Policy._fields, policy, strict=True)
            if isinstance(part, SECTIONS) for loc, msg in part.problems()]
    if not problems:
        return policy
    _refuse(name, text, prefix, problems)


def _snake_keys(cls: Any, data: Any, loc: list[str]) -> list[tuple[list[str], str]]:
    """`max_kb` for `max-kb`: pydantic would take the field name; the policy is kebab-case."""
    if not isinstance(data, dict):
        return []
    from typing import get_type_hints

    hints = get_type_hints(cls)
    found = []
    for key, value in data.items():
        if isinstance(key, str) and "_" in key and key in cls._fields:
            found.append(([*loc, key], f"write it `{kebab(key)}` (keys are kebab-case)"))
        elif isinstance(key, str) and hasattr(hints.get(key.replace("-", "_")), "_fields"):
            found += _snake_keys(hints[key.replace("-", "_")], value, [*loc, key])
    return found


def _refuse(name: str, text: str, prefix: str,
            problems: list[tuple[list[str], str]]) -> NoReturn:
    lines = []
    for loc, msg in problems:
        line = _line_of_key(text, prefix, loc)
        lines.append(f"{name}:{line}: {'.'.join(loc)}: {msg}" if line
                     else f"{name}: {'.'.join(loc)}: {msg}")
    # One problem a line, beneath the message (a message is one line wherever it is shown).
    raise ConfigError("invalid policy", "\n".join(
        [*lines, "fix the value (docs/configuration.md lists every key)"]))


def _field_names(cls: Any, data: Any) -> Any:
    """Kebab-case keys to field names, for this section's fields only (glob keys stay)."""
    if not isinstance(data, dict):
        return data
    from typing import get_type_hints

    hints = get_type_hints(cls)
    out = {}
    for key, value in data.items():
        field = key.replace("-", "_") if isinstance(key, str) else key
        if field in cls._fields:
            section = hints[field] if hasattr(hints[field], "_fields") else None
            out[field] = _field_names(section, value) if section else value
        else:
            out[key] = value  # unknown: pydantic refuses it under the name the user wrote
    return out


def _explain(err: Any) -> str:
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"unknown key; known keys here: {', '.join(_known_keys(err['loc']))}"
    given = err.get("input")
    return str(err["msg"]) + ("" if isinstance(given, dict) else f" (got {given!r})")


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    from typing import get_type_hints

    cls: Any = Policy
    for part in loc[:-1]:
        sub = get_type_hints(cls).get(str(part).replace("-", "_"))
        if not hasattr(sub, "_fields"):
            break
        cls = sub
    return [kebab(f) for f in cls._fields]


def _line_of_key(text: str, prefix: str, loc: list[str]) -> int | None:
    """The line that sets the offending key, found by reading the TOML as text."""
    import re

    section = ".".join(p for p in [prefix, *loc[:-1]] if p)
    key = loc[-1] if loc else ""
    table = ".".join(p for p in [prefix, *loc] if p)
    in_section = section == ""
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
    for number, line in enumerate(text.splitlines(), 1):
        m = header.match(line)
        if m:
            name = m.group(1).replace('"', "").replace(" ", "")
            if name == table:  # the offending key is a whole [table]
                return number
            in_section = name == section
            continue
        if in_section and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    # An inline table (limits = {"*.csv" = 1}) or a whole section: look one level up.
    return _line_of_key(text, prefix, loc[:-1]) if len(loc) > 1 else None


def _line_of_toml_error(message: str, text: str) -> int:
    import re

    m = re.search(r"line (\d+)", message)
    return int(m.group(1)) if m else max(1, len(text.splitlines()))
