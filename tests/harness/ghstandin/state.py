"""What the stand-in GitHub holds: tokens, repositories and everything in them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tests.harness.ghstandin.gitobjects import GitStore


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Token:
    value: str
    write: bool
    login: str
    app: bool  # an app installation token (GITHUB_TOKEN is one); False: a personal token


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    suite_id: int
    status: str = "queued"
    conclusion: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Pull:
    id: int
    base_sha: str
    head_sha: str
    base_ref: str
    head_ref: str
    head_repo: str | None = None  # "owner/name" of a fork; None: the same repository
    draft: bool = False
    merged: bool = False


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    created_at: str
    updated_at: str
    state: str = "open"
    state_reason: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    locked: bool = False
    pull: Pull | None = None


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: str


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str
    private: bool
    owner_type: str
    created_at: str
    git: GitStore = field(default_factory=GitStore)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> sha
    statuses: list[Status] = field(default_factory=list)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    suites: dict[str, int] = field(default_factory=dict)  # head sha -> check suite id
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    pushed_at: str = field(default_factory=now_iso)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def resolve(self, ref: str) -> str | None:
        """A commit SHA from a branch or tag name, a full ref, or a commit SHA."""
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}", f"refs/{ref}"):
            if candidate.startswith("refs/") and candidate in self.refs:
                return self.refs[candidate]
        if self.git.is_commit(ref):
            return ref
        return None

    def known_commit(self, sha: str) -> bool:
        """A commit GitHub knows here: in the object store, or the head or base of a pull
        request (a fork's commits live in the base repository too)."""
        if self.git.is_commit(sha):
            return True
        return any(i.pull is not None and sha in (i.pull.head_sha, i.pull.base_sha)
                   for i in self.issues.values())
