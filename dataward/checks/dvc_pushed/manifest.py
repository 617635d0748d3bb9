"""A `.dir` manifest in the remote, proven against the DVC file that names it: the bytes
must be the manifest (`formats.manifest.parse`: they hash to the key and parse as DVC writes
one) and list the folder the DVC file records, else the folder cannot be pulled.

A remote's (or a proxy's, or a captive portal's) answer to a GET is only bytes; a status code
proves nothing.
"""

from __future__ import annotations

from dataward.formats.dvcfile import DvcOut, object_key
from dataward.formats.manifest import parse


def verify(data: bytes, out: DvcOut) -> list[tuple[str, str]] | str:
    """The files of `out`'s manifest as (object key, relpath), or why `data` is not it."""
    files = parse(data, out.md5 or "", out.legacy)
    if isinstance(files, str):
        return files
    if not files and out.size:
        return f"it lists no files where {out.dvcfile} records {out.size} bytes"
    if out.nfiles is not None and len(files) != out.nfiles:
        return f"it lists {len(files)} files where {out.dvcfile} records nfiles: {out.nfiles}"
    return [(object_key(md5, out.legacy), rel) for rel, md5 in files.items()]
