"""What `dataward init` leaves to do by hand, fitted to the default DVC remote's storage.

The dvc-pushed job on GitHub needs read access to the remote, and how it gets it depends on
the storage: S3 takes keys as secrets (or OIDC), GCS and Azure their own credentials, SSH a
key, HTTP(S) a login or nothing, and a local folder is out of reach of GitHub's runners. An
SSH remote must never be told to add AWS secrets.
"""

from __future__ import annotations

import os
import re
import shlex

from dataward.adopt.precommit_config import Kind
from dataward.formats import dvc_config
from dataward.formats.urls import mask

WORKFLOW = ".github/workflows/dataward.yml"
_AWS_LINES = (f"and drop the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY lines of the "
              f"verify-pushed step in {WORKFLOW}")
_CHECKS = "`dataward check` and `dvc-pushed` as required status checks of main"


def storage(url: str) -> str:
    """The kind of storage a DVC remote's URL names: s3, gs, azure, ssh, http, local, or
    the URL's own scheme for the rest (hdfs, oss, gdrive, ...)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if match is None or re.match(r"[A-Za-z]:[\\/]", url):  # a path, C:\ included
        return "local"
    scheme = match.group(1).lower()
    return {"gcs": "gs", "https": "http", "webdav": "http", "webdavs": "http",
            "file": "local"}.get(scheme, scheme)


def _base(remotes: dict[str, dict[str, str]], name: str) -> tuple[str, dict[str, str]] | None:
    """The remote's URL and options, following `remote://OTHER/path` to the storage."""
    seen: set[str] = set()
    while name in remotes and name not in seen:
        seen.add(name)
        options = remotes[name]
        url = options.get("url", "")
        match = re.match(r"remote://([^/]+)(/.*)?$", url)
        if match is None:
            return url, options
        name = match.group(1)
    return None


def steps(root: str, kind: Kind) -> list[str]:
    settings = dvc_config.load(os.path.join(root, ".dvc"))
    default = settings.default_remote
    found = _base(settings.remotes, default) if default is not None else None
    out: list[str] = []
    if default is None:
        out.append("the DVC remote: dvc remote add -d storage s3://BUCKET/PATH (or gs://, "
                   "azure://, ssh://, https://), its keys in .dvc/config.local only: dvc "
                   "remote modify --local storage access_key_id ... (dvc-config refuses them "
                   "in .dvc/config); run dataward init --dry-run again for the GitHub steps "
                   "that fit it")
        out.append(f"on GitHub: {_CHECKS}")
    elif found is None or not found[0]:
        out.append(f"the default DVC remote {default!r} is not defined (or has no url): "
                   "dvc remote add -d -f storage s3://BUCKET/PATH")
        out.append(f"on GitHub: {_CHECKS}")
    else:
        out.append(f"on GitHub: {_access(default, *found)}, and {_CHECKS}")
    if kind == "registry":
        out.append("a card per dataset: `dataward card new NAME.dvc` writes one to fill in")
        out.append("the runner labels and dataset folders in "
                   ".github/workflows/dataward-drift.yml (docs/operations.md)")
    return out


def _access(name: str, url: str, options: dict[str, str]) -> str:
    """How the dvc-pushed job reads remote `name` (its URL masked: it may carry a login)."""
    where = f"remote {name!r} ({mask(url)})"
    kind = storage(url)
    if kind == "s3" and options.get("endpointurl"):
        return (f"{where} is S3-compatible storage at {mask(options['endpointurl'])}: its "
                "read-only keys as secrets DVC_AWS_ACCESS_KEY_ID and DVC_AWS_SECRET_ACCESS_KEY "
                "(the endpoint stays in .dvc/config)")
    if kind == "s3":
        return (f"{where}: its read-only keys as secrets DVC_AWS_ACCESS_KEY_ID and "
                "DVC_AWS_SECRET_ACCESS_KEY, or OIDC with a read-only role (docs/operations.md)")
    if kind == "gs":
        return (f"{where} is Google Cloud Storage: a google-github-actions/auth step before "
                "verify-pushed (Workload Identity Federation, or a read-only service "
                f"account's key as a secret), {_AWS_LINES}")
    if kind == "azure":
        return (f"{where} is Azure Blob Storage: an azure/login step (OIDC) before "
                "verify-pushed, or a read-only connection string as the secret "
                f"AZURE_STORAGE_CONNECTION_STRING in its env, {_AWS_LINES}")
    if kind == "ssh":
        return (f"{where} is an SSH server: a read-only SSH key as a secret, written to "
                "~/.ssh with the server in ~/.ssh/known_hosts by a step before verify-pushed "
                f"(no AWS secrets), {_AWS_LINES}")
    if kind == "http":
        return (f"{where} is an HTTP(S) server: nothing if it needs no login; else its user "
                "and password as secrets, set by a step before verify-pushed (dvc remote "
                f"modify --local {shlex.quote(name)} user ..., then password), {_AWS_LINES}")
    if kind == "local":
        return (f"{where} is a folder on this machine: GitHub's hosted runners cannot read "
                "it; run the dvc-pushed job on a self-hosted runner that mounts it (no "
                f"secrets), {_AWS_LINES}, or move the data to shared storage")
    return (f"{where} ({kind}): the credentials `dvc pull` needs for it, given to the "
            f"verify-pushed step (never in .dvc/config), {_AWS_LINES}")
