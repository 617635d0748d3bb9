"""`.dir` manifests, the one parser: a folder's list of files, proven, not trusted.

A remote, a proxy, a captive portal or a shared folder can hold anything under a key. DVC
names a manifest by the md5 of its bytes (dvc-data's Tree: `json.dumps` of the sorted
entries, written as they were hashed), so bytes that hash to the key are that manifest and
nothing else. What they hold is then checked as `dvc pull` needs it: a list of
{md5, relpath} entries whose paths stay inside the folder. The parse is bounded: nesting
too deep is an answer, not a crash.
"""

from __future__ import annotations

import hashlib
import json
import re

# A manifest lists every file of a folder: a million files is about 100 MB of JSON.
MAX_MANIFEST = 1 << 30
_MD5 = re.compile(r"[0-9a-f]{32}")
_DRIVE = re.compile(r"^[A-Za-z]:")


def parse(data: bytes, md5: str | None = None, legacy: bool = True) -> dict[str, str] | str:
    """The manifest's files, relpath -> md5 (DVC 2 or 3; extra keys such as size or isexec
    are ignored), or why `data` is not the manifest stored under `md5` (when given)."""
    if md5 is not None:
        want = md5.removesuffix(".dir")
        # DVC 2 hashed text as md5-dos2unix; a manifest is JSON with no raw CR, so both
        # agree for what DVC wrote, and either is accepted.
        sums = {hashlib.md5(data).hexdigest()}
        if legacy:
            sums.add(hashlib.md5(data.replace(b"\r\n", b"\n")).hexdigest())
        if want not in sums:
            return (f"its {len(data)} bytes do not hash to {want} (a page from a proxy or a "
                    "login portal, a truncated or overwritten upload?)")
    fast = _dvc_written(data)
    if fast is not None:
        return fast
    try:
        entries = json.loads(data)
    except RecursionError:
        return "it is JSON nested too deep to be a manifest"
    except ValueError:  # UnicodeDecodeError and JSONDecodeError both
        return "it is not JSON"
    if not isinstance(entries, list):
        return "it is not a list of files"
    files: dict[str, str] = {}
    for entry in entries:
        why = _bad_entry(entry)
        if why:
            return why
        if entry["relpath"] in files:
            return f"it lists {entry['relpath']!r} twice"
        files[entry["relpath"]] = entry["md5"]
    return files


# One entry exactly as DVC writes it (json.dumps with sort_keys, the default separators).
_ENTRY = re.compile(rb'\{"md5": "([0-9a-f]{32})", "relpath": "((?:[^"\\\x00-\x1f]|\\.)*)"\}'
                    rb'(, |\]\Z)')


def _dvc_written(data: bytes) -> dict[str, str] | str | None:
    """The files of a manifest in exactly DVC's own format, read entry by entry: json.loads
    of a million-file manifest builds a million dicts first (400 MB for a moment). None when
    the bytes are in any other form (the full JSON parse then reads them)."""
    if not data.startswith(b'[{"md5": "'):
        return None
    files: dict[str, str] = {}
    end = 1
    for m in _ENTRY.finditer(data, 1):
        if m.start() != end:
            return None
        end = m.end()
        raw = m.group(2)
        try:
            rel = json.loads(b'"' + raw + b'"') if b"\\" in raw else raw.decode("utf-8")
        except ValueError:
            return None
        md5 = m.group(1).decode("ascii")
        why = _bad_entry({"md5": md5, "relpath": rel})
        if why:
            return why
        if rel in files:
            return f"it lists {rel!r} twice"
        files[rel] = md5
    return files if end == len(data) else None


def read_manifest(data: bytes, md5: str | None = None) -> dict[str, str] | None:
    """`parse`, with None for anything that is not the manifest."""
    found = parse(data, md5)
    return None if isinstance(found, str) else found


def _bad_entry(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return "an entry is not a {md5, relpath} object"
    md5, rel = entry.get("md5"), entry.get("relpath")
    if not isinstance(md5, str) or not _MD5.fullmatch(md5):
        return "an entry has no md5 hash"
    if not isinstance(rel, str) or not rel:
        return "an entry has no relpath"
    # `dvc pull` (and drift, hashing a folder) goes to folder/relpath: only a path inside
    # the folder is one, on Windows too (where `\` separates and `C:` roots a path).
    if rel.startswith(("/", "\\")) or _DRIVE.match(rel) or "\x00" in rel or \
            any(p in ("", ".") for p in rel.split("/")) or ".." in re.split(r"[/\\]", rel):
        return f"an entry's relpath {rel[:80]!r} is not a path inside the folder"
    return None
