"""`dvc-pushed --restore`: ask S3 to restore the archived objects a pull needs.

A restore takes minutes (Expedited) to 48 hours (Bulk, DEEP_ARCHIVE); the check that follows
says "a restore is in progress", and a later one "restored until <date>". Only S3 has
restores: other remotes' archived objects are not something dvc-pushed can see.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping

from dataward.checks.dvc_pushed.judge import CHECK_ID, Gap
from dataward.checks.dvc_pushed.remote import RemoteCheck, Verifier
from dataward.errors import CouldNotCheck
from dataward.formats.urls import mask, scheme


def restore(verifier: Verifier, gaps: list[Gap], days: int, tier: str) -> None:
    """Requests a restore of each archived object of `gaps`, per remote; prints what S3 said."""
    by_check: dict[int, tuple[RemoteCheck, dict[str, str]]] = {}
    for gap in gaps:
        if gap.kind not in ("archived", "restoring"):
            continue
        check = verifier.check_of(gap)
        if scheme(check.url) != "s3":
            raise CouldNotCheck(f"remote '{check.name}' ({mask(check.url)}) is not S3: "
                                "dvc-pushed restores only S3's archive classes",
                                "restore the objects with your storage's own tools")
        keys = by_check.setdefault(id(check), (check, {}))[1]
        for key, _ in gap.missing:
            keys[key] = gap.why.get(key, "")
    for check, keys in by_check.values():
        remote = check.remote()
        classes = remote.stat(keys)
        said = remote.restore({k: classes[k].storage_class for k in keys if k in classes},
                              days, tier)
        for outcome in sorted(set(said.values())):
            count = sum(1 for v in said.values() if v == outcome)
            print(f"{CHECK_ID}: {outcome} for {count} object{'s' if count != 1 else ''} "
                  f"in remote '{check.name}' ({tier}, {days} days)", file=sys.stderr)


def aws_restore_command(bucket: str, key: str, storage_class: str | None,
                        options: Mapping[str, str], version_id: str | None = None) -> str:
    """The AWS CLI line that restores one object (one version) for a week, as a user would
    paste it: the request its storage class takes, and the remote's endpoint, profile and
    region; "" when an option would show a credential."""
    import json

    from dataward.adapters.object_store import restore_request

    argv = ["aws", "s3api", "restore-object", "--bucket", bucket, "--key", key]
    argv += ["--version-id", version_id] if version_id else []
    argv += ["--restore-request", json.dumps(restore_request(storage_class, 7, "Standard"))]
    for option, flag in (("endpointurl", "--endpoint-url"), ("profile", "--profile"),
                         ("region", "--region")):
        if options.get(option):
            argv += [flag, str(options[option])]
    return "" if any(mask(a) != a for a in argv) else shlex.join(argv)
