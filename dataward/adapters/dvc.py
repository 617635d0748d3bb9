"""The one adapter to DVC: its remotes (through DVC's own config and filesystems) and its CLI.

Whatever makes `dvc push` work makes this work: `.dvc/config`, `config.local`, the global and
system configs, environment credentials, `endpointurl`, AWS profiles. Every call is bounded by
a deadline, and every failure becomes `CouldNotCheck` (exit 3) with a reason that names the
remote but never a credential.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence

from dataward.adapters.object_store import Remote
from dataward.adapters.remote_errors import first_line, translate
from dataward.errors import ConfigError, CouldNotCheck
from dataward.formats.dvc_config import SECRET_KEYS

SECRET_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def open_remote(root: str, name: str | None, timeout: float, jobs: int, *,
                versions: bool = False) -> Remote:
    """The remote `name` (None: the default remote) of the DVC project at `root`.

    A version-aware remote (`version_aware` or `worktree`) keeps files at their workspace
    paths, by version id, not by hash: opened only for a caller that asks by version
    (`versions`), and then its `version_aware` attribute is True."""
    try:
        from dvc.config import Config, NoRemoteError
        from dvc.config import ConfigError as DvcConfigError
        from dvc.fs import get_cloud_fs
    except ImportError:
        raise ConfigError(
            "dvc-pushed needs dvc and the plugin for the remote's storage",
            "pip install 'dataward[dvc]' (dvc and dvc-s3), or dvc-gs / dvc-azure") from None
    try:
        config = Config(dvc_dir=os.path.join(root, ".dvc"))
        if not name:
            name = config["core"].get("remote")
        if not name:
            raise NoRemoteError("no default remote")
        remote_conf = config["remote"].get(name.lower())
        cls, conf, path = get_cloud_fs(config, name=name)
    except NoRemoteError:
        raise ConfigError("the DVC project has no default remote, so `dvc pull` has nowhere "
                          "to fetch from", "dvc remote add -d storage s3://BUCKET/PATH") from None
    except DvcConfigError as exc:
        raise ConfigError(f"dvc cannot use its remote configuration: {first_line(exc)}",
                          "`dvc remote list` shows the remotes; `dvc config --list` the rest"
                          ) from None
    except ImportError as exc:  # the storage plugin (dvc-s3, dvc-gs, ...) is not installed
        raise ConfigError(f"remote '{name}' needs a dvc plugin: {first_line(exc)}",
                          _plugin_hint(str(exc))) from None
    aware = bool(conf.get("version_aware") or conf.get("worktree"))
    if aware and not versions:  # a check by hash would find none of its files
        raise CouldNotCheck(f"remote '{name}' is version-aware (cloud versioning): its files "
                            "are not stored by hash, which dvc-pushed checks",
                            "check this remote with `dvc status -c` instead")
    url = str(remote_conf.get("url", path)) if remote_conf else path
    if cls.protocol in ("s3", "http", "https"):
        # DVC's own options; bounded, so a silent server cannot outlast the deadline.
        conf.setdefault("connect_timeout", max(1, int(timeout / 2)))
        conf.setdefault("read_timeout", max(1, int(timeout / 2)))
    fs = cls(**conf)
    secrets = [str(conf.get(k) or "") for k in SECRET_KEYS] + \
        [os.environ.get(k, "") for k in SECRET_ENV]
    remote = Remote(name, fs, path, url, {k: str(v) for k, v in (remote_conf or {}).items()},
                    secrets, timeout, jobs)
    remote.version_aware = aware
    if cls.protocol == "s3":
        # Fewer retries than dvc's: botocore's, then s3fs's own on top of them. A gate on
        # every push should say "unreachable" in seconds; `dvc push` will retry at length.
        fs.fs_args.setdefault("config_kwargs", {})["retries"] = {"max_attempts": 2,
                                                                "mode": "standard"}
        try:
            fs.fs.retries = 2  # makes the client: credentials are read here
        except Exception as exc:
            raise translate(exc, remote) from None
    return remote


def _plugin_hint(said: str) -> str:
    """The pip command for the plugin dvc names ("webdavs is supported, but requires
    'dvc-webdav' to be installed"), else the usual ones."""
    import re

    named = re.search(r"requires '(dvc-[a-z0-9]+)'", said)
    return f"pip install {named.group(1)}" if named else \
        "pip install dvc-s3 (or dvc-gs, dvc-azure, dvc-ssh)"


def push(root: str, targets: Sequence[str]) -> int:
    """`dvc push` of exactly these targets (each output goes to its own `remote:` or the
    default, as dvc decides); dvc's own output shows, and its exit code is returned."""
    print("$ " + shlex.join(["dvc", "push", *targets]), file=sys.stderr, flush=True)
    argv = [sys.executable, "-m", "dvc", "push", *targets]
    return subprocess.run(argv, cwd=root, check=False, stdout=sys.stderr).returncode
