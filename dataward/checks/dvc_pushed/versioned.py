"""dvc-pushed for version-aware remotes (`version_aware = true`, or `worktree`): the remote
keeps each file at its workspace path, and the DVC file records the version a pull fetches
(`cloud: {REMOTE: {etag, version_id}}`). So the question is not "is the object for this md5
there?" but "is this version of this key still there, with the ETag and size recorded, and
readable?": a newer version of the key does not matter (that is what versioning is for), a
deleted version, or one a lifecycle rule expired, makes `dvc pull` fail.

One paged listing of versions per output (adapters/object_versions.py), never a request per
file; formats/remote_object.py judges each version as it judges a content-addressed object.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from dataward.checks.dvc_pushed.judge import CHECK_ID
from dataward.checks.dvc_pushed.restore import aws_restore_command
from dataward.errors import CouldNotCheck
from dataward.findings import Finding
from dataward.formats.dvcfile import CloudVersion, DvcOut
from dataward.formats.remote_object import ObjectInfo, Verdict, judge
from dataward.formats.urls import mask
from dataward.runner import Request

if TYPE_CHECKING:
    from dataward.formats.dvc_config import DvcSettings

TRUE = ("true", "yes", "1", "on")  # how DVC's config schema reads a boolean
NEVER = "no version of it is recorded for this remote: never pushed there"


class Wanted(NamedTuple):
    """One file a pull of an output fetches: where, and the version recorded."""

    label: str  # OUT/relpath, or OUT for a file output
    key: str  # relative to the remote's root: the workspace path
    size: int | None
    version: CloudVersion | None  # None: the DVC file records no version in this remote


def split(settings: DvcSettings, outs: Iterable[DvcOut]) -> tuple[list[DvcOut], list[DvcOut]]:
    """(outputs checked by hash, outputs checked by version): those whose remote is
    version-aware in the project's DVC config (`settings`), and any that record versions and
    have no md5 to check by."""
    aware = {name.lower() for name, options in settings.remotes.items()
             if any(str(options.get(k, "")).strip().lower() in TRUE
                    for k in ("version_aware", "worktree"))}
    plain: list[DvcOut] = []
    versioned: list[DvcOut] = []
    for out in outs:
        name = (out.remote or settings.default_remote or "").lower()
        (versioned if name in aware or (out.versioned and not out.md5) else plain).append(out)
    return plain, versioned


def check(root: str, outs: list[DvcOut], request: Request,
          default: str | None) -> list[Finding]:
    """Findings for the outputs of version-aware remotes, one per output and kind of gap
    (`default`: the project's default remote)."""
    by_remote: dict[str | None, dict[tuple[object, ...], DvcOut]] = {}
    for out in outs:  # each recorded state once: several refs may push the same
        same = (out.path, out.dvcfile, out.md5, out.files, out.cloud)
        by_remote.setdefault(out.remote or default, {}).setdefault(same, out)
    findings: list[Finding] = []
    for name, group in sorted(by_remote.items(), key=lambda kv: kv[0] or ""):
        findings += _check_remote(root, name, list(group.values()), request)
    return findings


def _check_remote(root: str, name: str | None, outs: list[DvcOut],
                  request: Request) -> list[Finding]:
    from dataward.adapters import object_versions
    from dataward.adapters.dvc import open_remote

    remote = open_remote(root, name, request.timeout, request.jobs, versions=True)
    where = f"remote '{remote.name}' ({mask(remote.url)})"
    if not getattr(remote, "version_aware", False):
        raise CouldNotCheck(
            f"{outs[0].dvcfile} records cloud versions of {outs[0].path}, but {where} is not "
            "version-aware, so what `dvc pull` fetches from it cannot be told",
            f"dvc remote modify {shlex.quote(remote.name)} version_aware true")
    status = object_versions.versioning(remote)
    if status in (None, "Suspended"):
        bucket, _ = object_versions.bucket_of(remote)
        # Without versioning every upload replaces the key's only copy: no version id the
        # DVC files record stays what a pull gets, so nothing here can vouch for them.
        raise CouldNotCheck(
            f"{where} is version-aware but versioning is {'suspended' if status else 'off'} "
            f"on bucket {bucket!r}: an upload replaces the copy the DVC files record",
            "aws s3api put-bucket-versioning --bucket " + shlex.quote(bucket) +
            " --versioning-configuration Status=Enabled")
    wanted = {out: _wanted(out, remote.name) for out in outs}
    prefixes = [out.path + "/" if out.files else out.path for out, files in wanted.items()
                if any(w.version and w.version.version_id for w in files)]
    listed = object_versions.list_versions(remote, prefixes)
    bucket, root_prefix = object_versions.bucket_of(remote)
    findings: list[Finding] = []
    for out, files in wanted.items():
        gaps: dict[str, list[tuple[str, str]]] = {}
        fix = ""
        for want in files:
            kind, why = _judged(want, listed.versions, listed.latest_deleted)
            if kind != "ok":
                gaps.setdefault(kind, []).append((want.label, why))
            if kind == "archived" and not fix and want.version and want.version.version_id:
                info = listed.versions.get((want.key, want.version.version_id))
                fix = aws_restore_command(bucket, root_prefix + want.key,
                                          info.storage_class if info else None,
                                          remote.options, want.version.version_id)
        findings += [_finding(out, kind, items, len(files), where, fix)
                     for kind, items in sorted(gaps.items())]
    return findings


def _wanted(out: DvcOut, remote: str) -> list[Wanted]:
    if out.files:
        return [Wanted(f"{out.path}/{f.relpath}", f"{out.path}/{f.relpath}", f.size,
                       pick(f.cloud, remote) or (CloudVersion(None, f.etag, f.version_id)
                                                 if f.version_id else None))
                for f in out.files]
    return [Wanted(out.path, out.path, out.size, pick(out.cloud, remote))]


def pick(cloud: tuple[CloudVersion, ...], remote: str | None) -> CloudVersion | None:
    """The version `remote` holds; else the older form's (recorded for no remote by name)."""
    named = {entry.remote: entry for entry in cloud}
    return named.get(remote.lower() if remote else None) or named.get(None)


def _judged(want: Wanted, versions: dict[tuple[str, str], ObjectInfo],
            deleted: frozenset[str]) -> tuple[str, str]:
    """(ok | missing | corrupt | archived | restoring | unverified, why)."""
    if want.version is None or not want.version.version_id:
        return "missing", NEVER
    vid = want.version.version_id
    info = versions.get((want.key, vid))
    if info is None:
        gone = "the key's latest version is a delete marker" if want.key in deleted else \
            "deleted, or expired by a lifecycle rule"
        return "missing", f"version {vid} is gone: {gone}"
    recorded = (want.version.etag or "").strip('"').lower()
    if recorded and info.etag and recorded != info.etag:
        return "corrupt", f"version {vid} has ETag {info.etag}, not the {recorded} recorded"
    # The ETag matches (or is not said): judge what is left, size and storage class.
    verdict: Verdict = judge(info, info.etag or "", False, want.size)
    if verdict.state == "archived":
        return "archived", f"version {vid} is in {info.storage_class or 'an archive tier'}"
    if verdict.state == "ok":
        return "ok", ""
    if verdict.state == "restored":
        return "restoring", f"version {vid} restored until {verdict.until or 'a date S3 sets'}"
    if verdict.state == "restoring":
        return "restoring", f"version {vid}: a restore is in progress"
    return verdict.state, f"version {vid}: {verdict.why}"


def _finding(out: DvcOut, kind: str, items: list[tuple[str, str]], total: int,
             where: str, fix: str) -> Finding:
    shown = "; ".join(f"{label} ({why})" for label, why in items[:5]) + \
        (f"; and {len(items) - 5} more" if len(items) > 5 else "")
    are = (f"{len(items)} of {total} files {'is' if len(items) == 1 else 'are'}"
           if out.files else "its file is")
    at = f"at the version{'s' if len(items) > 1 else ''} {out.dvcfile} records"
    push = f"dvc push {shlex.quote(out.target)}"
    # dvc push keeps a version id the file records even when it uploads the file again, so
    # only a file with no `cloud:` entry gets its new version recorded.
    again = (f"where the DVC cache has the data: delete the `cloud:` entry of each of them "
             f"from {out.dvcfile}, run `{push}` (it uploads them and records their new "
             f"versions), then commit {out.dvcfile}")
    if kind == "missing":
        never = all(why == NEVER for _, why in items)
        return Finding(out.dvcfile, out.line, CHECK_ID,
                       f"{out.path}: {are} not in {where} {at}, so `dvc pull` fails: {shown}",
                       f"`{push}`, then commit {out.dvcfile}" if never else again,
                       rule="objects-not-in-remote")
    if kind == "corrupt":
        return Finding(out.dvcfile, out.line, CHECK_ID,
                       f"{out.path}: {are} in {where} {at} with other bytes than recorded, so "
                       f"`dvc pull` fails or brings wrong data: {shown}", again,
                       rule="objects-corrupt")
    if kind == "archived":
        return Finding(out.dvcfile, out.line, CHECK_ID,
                       f"{out.path}: {are} archived in {where} {at} and cannot be read until "
                       f"restored, so `dvc pull` fails: {shown}",
                       f"restore each version, then pull when the restore is done (minutes "
                       f"to 48 hours); the first: `{fix}`", rule="objects-archived")
    if kind == "restoring":
        return Finding(out.dvcfile, out.line, CHECK_ID,
                       f"{out.path}: {are} archived in {where} {at}, and can be pulled only "
                       f"for now or only soon: {shown}", "pull while the restored copies "
                       "last; a restore of the same version extends it", "warning",
                       rule="objects-restoring")
    return Finding(out.dvcfile, out.line, CHECK_ID,
                   f"{out.path}: {are} in {where} {at} but could not be proven intact: "
                   f"{shown}", f"`dvc pull {shlex.quote(out.target)}` in a fresh clone tells",
                   "warning", rule="objects-unverified")
