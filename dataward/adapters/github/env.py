"""What GitHub Actions tells a job's steps: the environment, the event, and the files
(`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`) a step answers through. No network here."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from dataward.errors import UsageError

DEFAULT_API = "https://api.github.com"


# -- the Actions environment ------------------------------------------------------------------

class PullRequest(NamedTuple):
    number: int
    base_sha: str
    head_sha: str
    base_ref: str
    head_ref: str
    from_fork: bool


class Actions(NamedTuple):
    """What a GitHub Actions job tells its steps through the environment."""

    token: str
    repository: str  # owner/name
    api_url: str
    server_url: str
    sha: str
    run_url: str
    pull_request: PullRequest | None
    step_summary: str  # file paths; "" outside Actions
    output: str
    push_range: str = ""  # BEFORE..AFTER of a push event ("" for a new branch)

    def __repr__(self) -> str:  # never the token
        return f"Actions(repository={self.repository!r}, api_url={self.api_url!r}, " \
               f"sha={self.sha!r}, pull_request={self.pull_request!r})"

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> Actions:
        env = os.environ if env is None else env
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repository = env.get("GITHUB_REPOSITORY", "")
        run_id = env.get("GITHUB_RUN_ID", "")
        event = _event(env.get("GITHUB_EVENT_PATH", ""))
        return cls(
            token=env.get("GITHUB_TOKEN", ""),
            repository=repository,
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/"),
            server_url=server,
            sha=env.get("GITHUB_SHA", ""),
            run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id and repository
            else "",
            pull_request=_pull_request(event, env.get("GITHUB_EVENT_PATH", "")),
            step_summary=env.get("GITHUB_STEP_SUMMARY", ""),
            output=env.get("GITHUB_OUTPUT", ""),
            push_range=_push_range(event),
        )

    def blob_url(self, sha: str, path: str, line: int | None) -> str:
        if not self.repository or not sha:
            return ""
        from urllib.parse import quote

        # A name git holds that is not UTF-8 comes as surrogate escapes: its raw bytes are
        # what GitHub's URL needs, percent-encoded.
        raw = quote(path.encode("utf-8", "surrogateescape"))
        return f"{self.server_url}/{self.repository}/blob/{sha}/{raw}" + (
            f"#L{line}" if line else "")


def _event(event_path: str) -> dict[str, Any]:
    if not event_path:
        return {}
    try:
        with open(event_path, encoding="utf-8") as fh:
            event = json.load(fh)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{event_path}: cannot read the workflow's event ({exc})",
                         "GITHUB_EVENT_PATH must name the JSON file GitHub Actions writes") from exc
    return event if isinstance(event, dict) else {}


def _push_range(event: dict[str, Any]) -> str:
    """The commits a push event brought; "" for a new branch (no `before`) or another event."""
    before, after = event.get("before"), event.get("after")
    if not isinstance(before, str) or not isinstance(after, str) or set(before) <= {"0"}:
        return ""
    return f"{before}..{after}"


def _pull_request(event: dict[str, Any], event_path: str) -> PullRequest | None:
    pr = event.get("pull_request")
    if not isinstance(pr, dict):
        return None
    try:
        head_repo = (pr["head"].get("repo") or {}).get("full_name")
        base_repo = (pr["base"].get("repo") or {}).get("full_name")
        return PullRequest(int(pr["number"]), pr["base"]["sha"], pr["head"]["sha"],
                           pr["base"].get("ref", ""), pr["head"].get("ref", ""),
                           bool(head_repo and base_repo and head_repo != base_repo))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{event_path}: the pull_request event lacks {exc}",
                         "run the action on pull_request or pull_request_target events") from exc


def write_output(path: str, values: Mapping[str, str]) -> None:
    """Append step outputs to $GITHUB_OUTPUT (multi-line values use a delimiter)."""
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        for key, value in values.items():
            if "\n" in value:
                delimiter = "dataward_" + hashlib.sha1(value.encode()).hexdigest()
                fh.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                fh.write(f"{key}={value}\n")


def append_summary(path: str, markdown: str) -> None:
    """Append to the job summary, which everyone who can read the run sees: any URL in it is
    masked (a remote's password, a signed query), whatever report wrote it."""
    from dataward.formats.urls import mask_text

    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(mask_text(markdown.rstrip("\n")) + "\n")


