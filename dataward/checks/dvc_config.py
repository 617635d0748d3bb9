"""`dvc-config`: `.dvc/config` holds no credentials and names a remote the policy allows.

The file is read as DVC reads it, with configobj (the plain form DVC writes without importing
it). Secret values are never printed: findings name the section, the key and the line, and
configobj's own parse errors (which quote the offending line) are replaced by messages that
do not.
"""

import argparse
import posixpath
import re
import shlex
from collections.abc import Sequence
from typing import Any, NamedTuple

from dataward import runner
from dataward.adapters.files import read_capped
from dataward.adapters.git import Repo
from dataward.findings import Finding, Outcome, Severity
from dataward.formats.dvc_config import MAX_CONFIG, Unreadable, configobj_dict, is_secret
from dataward.formats.urls import has_credentials, mask, mask_text, remote_key, scheme, within
from dataward.policy import DvcConfigPolicy, Policy
from dataward.runner import Request, add_common_options

CHECK_ID = "dvc-config"
_SECTION = re.compile(r"^\s*\[+\s*(.*?)\s*\]+\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([^=\s\[#][^=]*?)\s*=")
_REMOTE = re.compile(r"""^remote\s+["'](.+)["']$""")


class ConfigFile(NamedTuple):
    path: str  # repository-relative, e.g. .dvc/config
    sections: dict[str, dict[str, Any]]  # DVC's view: lower-cased keys
    lines: dict[tuple[str, str], int]  # (section, key) -> line; (section, "") the header


def finding(path: str, line: int | None, message: str, hint: str,
            severity: Severity = "error", *, rule: str) -> Finding:
    # Section names, keys and values come from the file: any URL in them is shown masked.
    return Finding(path, line, CHECK_ID, mask_text(message), mask_text(hint), severity, rule)


# -- parse ------------------------------------------------------------------------------------

def parse(path: str, content: bytes) -> ConfigFile | Finding:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return finding(path, content.count(b"\n", 0, exc.start) + 1, "is not UTF-8 text",
                       "DVC reads its config as UTF-8; restore the file from git",
                       rule="config-not-utf8")
    try:
        data = configobj_dict(text)
    except Unreadable as exc:
        line = exc.line
        kind = "a duplicate key or section" if exc.duplicate else \
            "neither a [section] header nor `key = value`"
        where = f"line {line}" if line else "a line"
        return finding(path, line, f"cannot be read by DVC: {where} is {kind}",
                       "fix that line (`dvc config --list` shows what DVC reads)",
                       rule="config-unparsable")
    sections = {str(name): _lower_keys(value) for name, value in data.items()
                if isinstance(value, dict)}
    return ConfigFile(path, sections, _locate(text))


def _lower_keys(section: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in section.items()}


def _locate(text: str) -> dict[tuple[str, str], int]:
    lines: dict[tuple[str, str], int] = {}
    section = ""
    for number, line in enumerate(text.splitlines(), 1):
        m = _SECTION.match(line)
        if m:
            section = _unquote(m.group(1))
            lines.setdefault((section, ""), number)
            continue
        k = _KEY.match(line)
        if k:
            lines.setdefault((section, _unquote(k.group(1)).lower()), number)
    return lines


def _unquote(name: str) -> str:
    quoted = len(name) > 1 and name[0] == name[-1] and name[0] in "'\""
    return name[1:-1] if quoted else name


# -- judge ------------------------------------------------------------------------------------

def judge(cfg: ConfigFile, policy: DvcConfigPolicy) -> list[Finding]:
    found = []
    remotes = {}
    for name, options in cfg.sections.items():
        m = _REMOTE.match(name)
        if m:
            remotes[m.group(1)] = name
        found += _credentials(cfg, name, options, m.group(1) if m else None)
    found += _judge_remotes(cfg, remotes, policy)
    return found


def _credentials(cfg: ConfigFile, name: str, options: dict[str, Any],
                 remote: str | None) -> list[Finding]:
    """Every secret of one section and of the sections nested in it (`[[sub]]`): an option
    that holds one, and any value that is a URL with a user, a password or a secret in its
    query (configobj reads `a, b` as a list: each item counts)."""
    found = []
    for key, value in options.items():
        line = cfg.lines.get((name, key))
        if isinstance(value, dict):
            found += _credentials(cfg, str(key), _lower_keys(value), remote)
        elif is_secret(key) and value not in ("", None):
            found.append(finding(cfg.path, line, f"[{name}] holds `{key}`, a credential, "
                                 "in a file committed to git", _move_hint(remote, key),
                                 rule="credential-in-config"))
        elif any(has_credentials(v) for v in _texts(value)):
            shown = ", ".join(mask(v) for v in _texts(value))
            found.append(finding(cfg.path, line, f"[{name}] {key} {shown} carries a credential "
                                 "(a user, password or token in the URL, or a secret in its "
                                 "query), in a file committed to git", _url_hint(remote, key),
                                 rule="password-in-url"))
    return found


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str)]


def _url_hint(remote: str | None, key: str) -> str:
    name = shlex.quote(remote) if remote else "NAME"
    return (f"give the URL without it (`dvc remote modify {name} {key} URL`) and keep the "
            f"credential in .dvc/config.local (`dvc remote modify --local {name} password "
            "...`, or user, token, sas_token, access_key_id: what the remote takes); revoke "
            "it if it was ever pushed")


def _move_hint(remote: str | None, key: str) -> str:
    if remote is None:
        return f"remove `{key}` and keep it in .dvc/config.local (`dvc config --local`); " \
               "revoke it if it was ever pushed"
    return (f"dvc remote modify --unset {remote} {key} && "
            f"dvc remote modify --local {remote} {key} VALUE; revoke it if it was ever pushed")


def _judge_remotes(cfg: ConfigFile, remotes: dict[str, str],
                   policy: DvcConfigPolicy) -> list[Finding]:
    found = []
    severity: Severity = "error" if policy.require_remote else "warning"
    default = cfg.sections.get("core", {}).get("remote")
    core_line = cfg.lines.get(("core", "remote"))
    if not default:
        found.append(finding(cfg.path, cfg.lines.get(("core", "")), "names no default remote, "
                             "so `dvc push` and `dvc pull` have nowhere to go",
                             "dvc remote add -d NAME URL", severity, rule="no-default-remote"))
    elif default not in remotes:
        known = ", ".join(sorted(remotes)) or "none"
        found.append(finding(cfg.path, core_line, f"the default remote `{default}` has no "
                             f"['remote \"{default}\"'] section (remotes here: {known})",
                             f"dvc remote add -d {default} URL, or `dvc remote default NAME`",
                             severity, rule="default-remote-undefined"))
    for remote, section in remotes.items():
        url = cfg.sections[section].get("url")
        line = cfg.lines.get((section, "url")) or cfg.lines.get((section, ""))
        if not isinstance(url, str) or not url.strip():
            found.append(finding(cfg.path, line, f"remote `{remote}` has no url",
                                 f"dvc remote modify {remote} url URL", rule="remote-without-url"))
            continue
        shown = mask(url)
        if policy.remote_schemes and scheme(url) not in {s.lower() for s in policy.remote_schemes}:
            found.append(finding(cfg.path, line, f"remote `{remote}` uses {scheme(url)} "
                                 f"({shown}); the policy allows "
                                 f"{', '.join(policy.remote_schemes)}",
                                 "point it at the lab's storage (`dvc remote modify "
                                 f"{remote} url URL`), or change remote-schemes in [dvc-config]",
                                 rule="remote-scheme-not-allowed"))
        elif policy.remote_urls and not any(within(remote_key(url), remote_key(u))
                                            for u in policy.remote_urls):
            found.append(finding(cfg.path, line, f"remote `{remote}` ({shown}) is outside the "
                                 f"allowed storage: {', '.join(policy.remote_urls)}",
                                 f"dvc remote modify {remote} url URL, with a URL under one "
                                 "of those (remote-urls in [dvc-config])",
                                 rule="remote-url-not-allowed"))
    return found


# -- collect ----------------------------------------------------------------------------------

def check(repo: Repo, policy: DvcConfigPolicy) -> list[Finding]:
    found = []
    specs = [":(glob)**/.dvc", ":(glob)**/.dvc/config", ":(glob)**/.dvc/config.local"]
    committed = set(repo.ls_files(specs))
    present = repo.ls_files(specs, untracked=True)
    for path in present:
        folder = posixpath.dirname(path)
        if posixpath.basename(path) == "config.local":
            found.append(_config_local(path, folder, path in committed))
        elif posixpath.basename(path) == ".dvc":
            found.append(finding(path, None, "is a file, where DVC keeps its folder",
                                 f"git rm --cached {path}, move the file aside, then `dvc init`",
                                 rule="dvc-folder-is-file"))
    for path in (p for p in present if posixpath.basename(p) == "config"):
        content = read_capped(repo.root, path, MAX_CONFIG + 1)
        if content is None:
            continue  # deleted, not yet staged as deleted
        if isinstance(content, OSError):
            found.append(finding(path, None, f"cannot be read: {content.strerror}",
                                 "check the file's permissions (DVC reads a regular file "
                                 "here)", rule="config-unreadable"))
        elif len(content) > MAX_CONFIG:
            # DVC reads the whole file: judging a part could pass a key that follows it.
            found.append(finding(path, None, f"is larger than {MAX_CONFIG >> 20} MiB, so it "
                                 "is not checked", "a DVC config is a few lines: restore it "
                                 f"(git checkout -- {shlex.quote(path)}) and redo the change "
                                 "with `dvc remote` or `dvc config`", rule="config-unreadable"))
        else:
            parsed = parse(path, content)
            found += [parsed] if isinstance(parsed, Finding) else judge(parsed, policy)
    return found


def _config_local(path: str, folder: str, committed: bool) -> Finding:
    if committed:
        return finding(path, None, "is committed to git; it is DVC's place for credentials "
                       "and machine-local settings", f"git rm --cached {path} (the file stays), "
                       f"check that {folder}/.gitignore lists /config.local, and revoke any "
                       "credential in it if it was ever pushed", rule="config-local-committed")
    return finding(path, None, "is not ignored by git, so `git add` would commit its "
                   "credentials", f"add `/config.local` to {folder}/.gitignore (`dvc init` "
                   "writes it)", rule="config-local-not-ignored")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=CHECK_ID,
        description="Check that .dvc/config holds no credentials and names an allowed "
                    "default remote, and that .dvc/config.local is not committed.")
    p.add_argument("filenames", nargs="*", help="ignored: every DVC config in the repository "
                   "is checked (pre-commit may pass the changed ones)")
    add_common_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return runner.main(CHECK_ID, run, Request(), args.format, args.config)


def run(repo: Repo, policy: Policy, request: Request) -> Outcome:
    return runner.outcome(CHECK_ID, check(repo, policy.dvc_config))


if __name__ == "__main__":
    raise SystemExit(main())
