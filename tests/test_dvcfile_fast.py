"""The pydantic-free check of `.dvc` files accepts only what the strict model accepts, and
reads the same fields from it; the model still explains every file it refuses."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from dataward.checks.dvc_files import parse
from dataward.checks.dvc_files.judge import judge
from dataward.checks.dvc_files.parse import Parsed, Workspace
from dataward.formats import dvcfile_fast
from dataward.formats.dvcfile_model import DvcFile
from dataward.formats.yamlsafe import Document
from dataward.policy import DvcFilesPolicy
from tests.test_yamlfast import GOOD

POLICY = DvcFilesPolicy(import_urls=["https://github.com/lab/"])
NOWHERE = Workspace([], set(), {}, {}, {})

_HEX = st.binary(max_size=16).map(lambda b: hashlib.md5(b).hexdigest())
_SHA = st.binary(max_size=8).map(lambda b: hashlib.sha1(b).hexdigest())
_STR = st.sampled_from(["data", "set-1/x.csv", "md5", "", "../up"])
_COUNT = st.integers(0, 2**40)
_OPTIONAL_STR = _STR | st.none()
# Files as DVC writes them: every key and value one the model accepts.
_OUT = st.fixed_dictionaries({"path": _STR}, optional={
    "md5": _HEX | _HEX.map("{}.dir".format) | st.just(""), "size": _COUNT, "nfiles": _COUNT,
    "hash": st.just("md5"), "cache": st.booleans(), "push": st.booleans(),
    "persist": st.booleans(), "remote": _OPTIONAL_STR, "desc": _OPTIONAL_STR,
    "type": _OPTIONAL_STR, "labels": st.lists(_STR, max_size=2), "meta": st.just({"a": 1}),
    "isexec": st.booleans(), "version_id": _OPTIONAL_STR})
_REPO = st.fixed_dictionaries({"url": st.sampled_from(
    ["https://github.com/lab/data", "git@x:y.git"])}, optional={"rev": _STR, "rev_lock": _SHA})
_DEP = st.fixed_dictionaries({"path": _STR}, optional={
    "md5": _HEX, "size": _COUNT, "nfiles": _COUNT, "hash": st.just("md5"), "repo": _REPO})
VALID = st.fixed_dictionaries({"outs": st.lists(_OUT, max_size=3)}, optional={
    "deps": st.lists(_DEP, max_size=2), "md5": _HEX, "frozen": st.booleans(),
    "wdir": _STR, "desc": _STR, "meta": st.just([1]), "locked": st.booleans(),
    "always_changed": st.booleans()})

# Near misses: a wrong type, a bool for an int, a negative or huge size, an odd md5 (upper
# case, `.DIR`, too short, not hex), None where none is allowed, a key the model knows but the
# fast check leaves to it, an unknown key, a required key removed.
NEAR_MISSES = [None, True, False, 0, -1, 1.5, "", "x", "12", [], {}, ["a"], [1],
                       {"a": 1}, 2**63, 2**70, -(2**65), "0" * 31, "0" * 33, "g" * 32,
                       "0" * 32 + ".DIR", "A" * 32, "0" * 32 + ".dir\n", " " + "0" * 32,
                       "F" * 40, "0" * 64, "https://github.com/lab/x", "md5"]
ODD = st.sampled_from(NEAR_MISSES)
KEY_NAMES = ["path", "md5", "size", "nfiles", "hash", "cache", "push", "persist",
                        "remote", "desc", "labels", "meta", "isexec", "version_id", "etag",
                        "checksum", "files", "cloud", "metric", "repo", "url", "rev",
                        "rev_lock", "config", "outs", "deps", "frozen", "wdir", "cmd",
                        "unknown"]
KEYS = st.sampled_from(KEY_NAMES)


def _mappings(data: Any) -> list[dict[str, Any]]:
    """Every mapping in the document: where a mutation may strike."""
    found = [data] if isinstance(data, dict) else []
    children = data.values() if isinstance(data, dict) else data if isinstance(data, list) \
        else []
    return found + [m for c in children for m in _mappings(c)]


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """A valid file with one value changed (to a near miss, mostly), or a key removed."""
    data = copy.deepcopy(draw(VALID))
    target = draw(st.sampled_from(_mappings(data)))
    key = draw(st.sampled_from(sorted(target)) | st.sampled_from(sorted(target)) | KEYS
               if target else KEYS)
    if key in target and draw(st.integers(0, 4)) == 0:
        del target[key]
    else:
        target[key] = copy.deepcopy(draw(ODD | ODD | ODD | VALID | _REPO))
    return data


DOCS = VALID | near_valid()


def strict(data: Any) -> DvcFile | None:
    try:
        return DvcFile.model_validate(data)
    except ValidationError:
        return None


def read(model: Any) -> Any:
    """Every field dvc-files reads from a file's model (judge, and the tests' `o.path`)."""
    return (model.md5, model.cmd, bool(model.outs),
            [(o.path, o.md5, o.nfiles, o.cache, o.is_dir) for o in model.outs or ()],
            None if model.deps is None else
            [(d.path, d.repo and (d.repo.url, d.repo.rev_lock)) for d in model.deps])


def verdicts(data: Any, model: Any) -> Any:
    return judge(Parsed("x.dvc", Document(data, None), model, []), [], NOWHERE, POLICY)


def agrees(data: Any) -> bool:
    """The fast check accepts only what the model accepts, and reads the same; True when it
    accepted."""
    fast, model = dvcfile_fast.check(data), strict(data)
    if fast is not None:
        assert model is not None, data
        assert read(fast) == read(model), data
        assert verdicts(data, fast) == verdicts(data, model), data
    return fast is not None


def test_what_the_fast_check_accepts_the_model_accepts_with_the_same_fields() -> None:
    seen = {"fast": 0, "model": 0}

    @settings(max_examples=1500, deadline=None, derandomize=True)
    @given(DOCS)
    def agree(data: dict[str, Any]) -> None:
        seen["fast"] += agrees(data)
        seen["model"] += strict(data) is not None

    agree()
    # Not vacuous: most files are accepted fast, and some the model accepts are not.
    assert seen["fast"] >= 600 and seen["model"] > seen["fast"], seen


# Every file DVC writes whose shape the fast check knows: each key it reads, set.
BASES = [
    {"outs": [{"md5": "0" * 32 + ".dir", "size": 9, "nfiles": 2, "hash": "md5", "path": "d",
               "cache": True, "push": False, "persist": False, "remote": "r", "desc": "x",
               "type": "t", "labels": ["a"], "meta": {"k": 1}, "isexec": True,
               "version_id": "v"}],
     "md5": "1" * 32, "frozen": True, "wdir": ".", "desc": "x", "meta": {"k": 1},
     "locked": False, "always_changed": False},
    {"md5": "2" * 32, "frozen": True,
     "deps": [{"path": "p", "md5": "3" * 32, "size": 1, "nfiles": 1, "hash": "md5",
               "repo": {"url": "https://github.com/lab/data", "rev": "main",
                        "rev_lock": "4" * 40}}],
     "outs": [{"md5": "5" * 32, "size": 1, "hash": "md5", "path": "p"}]},
]


def test_every_single_change_to_a_dvc_written_file() -> None:
    """Each key of each mapping set to each near miss, or removed; each other key added."""
    accepted = changes = 0
    for base in BASES:
        assert agrees(base)
        for n, target in enumerate(_mappings(base)):
            for key in sorted({*KEY_NAMES, *target}):
                for value in [*NEAR_MISSES, "removed"]:
                    data = copy.deepcopy(base)
                    where = _mappings(data)[n]
                    if value == "removed":
                        where.pop(key, None)
                    else:
                        where[key] = copy.deepcopy(value)
                    changes += 1
                    accepted += agrees(data)
    assert changes > 5000 and 0 < accepted < changes // 2, (accepted, changes)


def test_what_dvc_writes_is_checked_fast_and_judged_as_the_model_judges_it() -> None:
    fast = 0
    for name, text in GOOD.items():
        parsed = parse(name, text.encode(), POLICY)
        if isinstance(parsed.model, dvcfile_fast.DvcFile):
            fast += 1
            model = DvcFile.model_validate(parsed.doc.data)  # type: ignore[union-attr]
            assert read(parsed.model) == read(model), name
    assert fast >= 20  # DVC 2 and 3 files, `dvc add` of files and folders, imports


def test_a_broken_file_still_gets_the_model_s_message() -> None:
    text = b"outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: -4\n  path: data\n"
    parsed = parse("data.dvc", text, POLICY)
    assert parsed.model is None
    assert [(f.line, f.message) for f in parsed.findings] == \
        [(3, "`outs[0].size` is negative (-4)")]
    unknown = parse("data.dvc", text.replace(b"-4", b"4") + b"  color: red\n", POLICY)
    assert [(f.line, f.severity, f.message) for f in unknown.findings] == \
        [(5, "warning", "`outs[0].color` is not a key DVC writes")]
    assert unknown.model is not None and not isinstance(unknown.model, dvcfile_fast.DvcFile)
