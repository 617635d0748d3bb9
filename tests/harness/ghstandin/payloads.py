"""GitHub's JSON for the stand-in's records: complete objects, as the REST API returns them.

Every `url` and `*_url` points back at the stand-in: API URLs at `api` (which carries the
GHES prefix, if any), web URLs at `web` (the server's root).
"""

from __future__ import annotations

import base64
import html
import zlib
from collections.abc import Callable
from typing import Any

from tests.harness.ghstandin.gitobjects import Commit, GitStore, TreeEntry
from tests.harness.ghstandin.state import CheckRun, Comment, Issue, Repo, Status

# GitHub's own app, owner of the check runs an Actions GITHUB_TOKEN creates.
ACTIONS_APP_ID = 15368
GITHUB_ORG_ID = 9919
APP_CREATED = "2018-07-30T09:30:17Z"
EPOCH = "2024-01-01T00:00:00Z"
# GitHub's Contents API returns no content above this size (encoding "none").
CONTENTS_MAX = 1024 * 1024


def node_id(kind: str, ident: object) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode()


def b64_lines(data: bytes) -> str:
    """Base64 as GitHub sends file and blob content: lines of 60 characters."""
    text = base64.b64encode(data).decode()
    return "".join(text[i:i + 60] + "\n" for i in range(0, len(text), 60))


class Renderer:
    def __init__(self, api: str, web: str, user_id: Callable[[str], int],
                 media: str = "") -> None:
        self.api = api
        self.web = web
        self.user_id = user_id
        # the Accept header's GitHub media type parameter: "full", "html", "text", "raw" or ""
        self.media = media

    def with_media(self, media: str) -> Renderer:
        return Renderer(self.api, self.web, self.user_id, media)

    # people
    def user(self, login: str, kind: str | None = None) -> dict[str, Any]:
        uid = self.user_id(login)
        kind = kind or ("Bot" if login.endswith("[bot]") else "User")
        u = f"{self.api}/users/{login}"
        return {
            "login": login, "id": uid, "node_id": node_id("User", uid),
            "avatar_url": f"{self.web}/avatars/u/{uid}?v=4", "gravatar_id": "",
            "url": u, "html_url": f"{self.web}/{login}",
            "followers_url": f"{u}/followers", "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}", "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions", "organizations_url": f"{u}/orgs",
            "repos_url": f"{u}/repos", "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events", "type": kind,
            "user_view_type": "public", "site_admin": False,
        }

    def app(self) -> dict[str, Any]:
        return {
            "id": ACTIONS_APP_ID, "slug": "github-actions", "node_id": node_id("App", 15368),
            "client_id": "Iv1.0000000000000000",
            "owner": self.user("github", "Organization"), "name": "GitHub Actions",
            "description": "Automate your workflow from idea to production",
            "external_url": f"{self.web}/features/actions",
            "html_url": f"{self.web}/apps/github-actions",
            "created_at": APP_CREATED, "updated_at": APP_CREATED,
            "permissions": {"actions": "write", "checks": "write", "contents": "write",
                            "issues": "write", "metadata": "read",
                            "pull_requests": "write", "statuses": "write"},
            "events": ["check_run", "check_suite", "pull_request", "push"],
        }

    # repositories
    def repo_url(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_html(self, repo: Repo) -> str:
        return f"{self.web}/{repo.full_name}"

    def repository(self, repo: Repo, *, full: bool = True,
                   permissions: dict[str, bool] | None = None) -> dict[str, Any]:
        r = self.repo_url(repo)
        host = self.web.split("://", 1)[1]
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open")
        out: dict[str, Any] = {
            "id": repo.id, "node_id": node_id("Repository", repo.id), "name": repo.name,
            "full_name": repo.full_name, "private": repo.private,
            "owner": self.user(repo.owner, repo.owner_type),
            "html_url": self.repo_html(repo), "description": None, "fork": False, "url": r,
            "archive_url": f"{r}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{r}/assignees{{/user}}", "blobs_url": f"{r}/git/blobs{{/sha}}",
            "branches_url": f"{r}/branches{{/branch}}",
            "collaborators_url": f"{r}/collaborators{{/collaborator}}",
            "comments_url": f"{r}/comments{{/number}}", "commits_url": f"{r}/commits{{/sha}}",
            "compare_url": f"{r}/compare/{{base}}...{{head}}",
            "contents_url": f"{r}/contents/{{+path}}", "contributors_url": f"{r}/contributors",
            "deployments_url": f"{r}/deployments", "downloads_url": f"{r}/downloads",
            "events_url": f"{r}/events", "forks_url": f"{r}/forks",
            "git_commits_url": f"{r}/git/commits{{/sha}}",
            "git_refs_url": f"{r}/git/refs{{/sha}}", "git_tags_url": f"{r}/git/tags{{/sha}}",
            "git_url": f"git://{host}/{repo.full_name}.git",
            "issue_comment_url": f"{r}/issues/comments{{/number}}",
            "issue_events_url": f"{r}/issues/events{{/number}}",
            "issues_url": f"{r}/issues{{/number}}", "keys_url": f"{r}/keys{{/key_id}}",
            "labels_url": f"{r}/labels{{/name}}", "languages_url": f"{r}/languages",
            "merges_url": f"{r}/merges", "milestones_url": f"{r}/milestones{{/number}}",
            "notifications_url": f"{r}/notifications{{?since,all,participating}}",
            "pulls_url": f"{r}/pulls{{/number}}", "releases_url": f"{r}/releases{{/id}}",
            "ssh_url": f"git@{host}:{repo.full_name}.git",
            "stargazers_url": f"{r}/stargazers", "statuses_url": f"{r}/statuses/{{sha}}",
            "subscribers_url": f"{r}/subscribers", "subscription_url": f"{r}/subscription",
            "tags_url": f"{r}/tags", "teams_url": f"{r}/teams",
            "trees_url": f"{r}/git/trees{{/sha}}",
            "clone_url": f"{self.repo_html(repo)}.git", "mirror_url": None,
            "hooks_url": f"{r}/hooks", "svn_url": self.repo_html(repo), "homepage": None,
            "language": None, "forks_count": 0, "stargazers_count": 0, "watchers_count": 0,
            "size": 0, "default_branch": repo.default_branch,
            "open_issues_count": open_issues, "is_template": False, "topics": [],
            "has_issues": True, "has_projects": True, "has_wiki": True, "has_pages": False,
            "has_downloads": True, "has_discussions": False, "archived": False,
            "disabled": False, "visibility": "private" if repo.private else "public",
            "pushed_at": repo.pushed_at, "created_at": repo.created_at,
            "updated_at": repo.pushed_at, "allow_forking": True,
            "web_commit_signoff_required": False, "license": None,
            "forks": 0, "open_issues": open_issues, "watchers": 0,
        }
        if permissions is not None:
            out["permissions"] = permissions
        if full:
            out.update({"network_count": 0, "subscribers_count": 0, "temp_clone_token": None,
                        "allow_squash_merge": True, "allow_merge_commit": True,
                        "allow_rebase_merge": True, "allow_auto_merge": False,
                        "delete_branch_on_merge": False, "allow_update_branch": False,
                        "use_squash_pr_title_as_default": False})
        return out

    def foreign_repository(self, full_name: str, base: Repo) -> dict[str, Any]:
        """A fork's repository, as the head of a pull request names it."""
        owner, name = full_name.split("/", 1)
        fork = Repo(owner=owner, name=name, id=base.id + 10_000_000,
                    default_branch=base.default_branch, private=base.private,
                    owner_type="User", created_at=base.created_at)
        out = self.repository(fork, full=False)
        out["fork"] = True
        return out

    # bodies of issues, pull requests and comments, as the Accept header asks
    def bodies(self, body: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        media = self.media
        if media in ("", "raw", "full"):
            out["body"] = body
        if media in ("html", "full"):
            out["body_html"] = "" if body is None else f"<p>{html.escape(body)}</p>"
        if media in ("text", "full"):
            out["body_text"] = body or ""
        return out

    # checks
    def check_run(self, repo: Repo, run: CheckRun) -> dict[str, Any]:
        url = f"{self.repo_url(repo)}/check-runs/{run.id}"
        pulls = [self.pull_minimal(repo, i) for i in repo.issues.values()
                 if i.pull and i.pull.head_sha == run.head_sha and i.state == "open"
                 and i.pull.head_repo is None]
        return {
            "id": run.id, "node_id": node_id("CheckRun", run.id), "head_sha": run.head_sha,
            "external_id": run.external_id if run.external_id is not None else "",
            "url": url, "html_url": f"{self.repo_html(repo)}/runs/{run.id}",
            # GitHub: without a details_url, the app's homepage
            "details_url": run.details_url or f"{self.web}/features/actions",
            "status": run.status, "conclusion": run.conclusion,
            "started_at": run.started_at, "completed_at": run.completed_at,
            "output": {"title": run.title, "summary": run.summary, "text": run.text,
                       "annotations_count": len(run.annotations),
                       "annotations_url": f"{url}/annotations"},
            "name": run.name, "check_suite": {"id": run.suite_id}, "app": self.app(),
            "pull_requests": pulls,
        }

    def annotation(self, repo: Repo, run: CheckRun, note: dict[str, Any]) -> dict[str, Any]:
        return {
            "path": note["path"],
            "blob_href": f"{self.repo_html(repo)}/blob/{run.head_sha}/{note['path']}",
            "start_line": note["start_line"], "end_line": note["end_line"],
            "start_column": note.get("start_column"), "end_column": note.get("end_column"),
            "annotation_level": note["annotation_level"], "title": note.get("title", ""),
            "message": note["message"], "raw_details": note.get("raw_details", ""),
        }

    # statuses
    def status(self, repo: Repo, status: Status) -> dict[str, Any]:
        creator = self.user(status.creator)
        return {
            "url": f"{self.repo_url(repo)}/statuses/{status.sha}",
            "avatar_url": creator["avatar_url"], "id": status.id,
            "node_id": node_id("StatusContext", status.id), "state": status.state,
            "description": status.description, "target_url": status.target_url,
            "context": status.context, "created_at": status.created_at,
            "updated_at": status.created_at, "creator": creator,
        }

    # issues and pull requests
    def label(self, repo: Repo, name: str) -> dict[str, Any]:
        ident = zlib.crc32(f"{repo.id}:{name}".encode())
        return {"id": ident, "node_id": node_id("Label", ident),
                "url": f"{self.repo_url(repo)}/labels/{name}", "name": name,
                "color": "ededed", "default": False, "description": None}

    def issue_url(self, repo: Repo, number: int) -> str:
        return f"{self.repo_url(repo)}/issues/{number}"

    def issue_html(self, repo: Repo, issue: Issue) -> str:
        kind = "pull" if issue.pull else "issues"
        return f"{self.repo_html(repo)}/{kind}/{issue.number}"

    def reactions(self, url: str) -> dict[str, Any]:
        return {"url": f"{url}/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0,
                "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}

    def association(self, repo: Repo, login: str) -> str:
        if login == repo.owner:
            return "OWNER"
        return "NONE" if login.endswith("[bot]") else "MEMBER"

    def issue(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        url = self.issue_url(repo, issue.number)
        assignees = [self.user(a) for a in issue.assignees]
        comments = sum(1 for c in repo.comments.values() if c.issue_number == issue.number)
        out: dict[str, Any] = {
            "url": url, "repository_url": self.repo_url(repo),
            "labels_url": f"{url}/labels{{/name}}", "comments_url": f"{url}/comments",
            "events_url": f"{url}/events", "html_url": self.issue_html(repo, issue),
            "id": issue.id, "node_id": node_id("Issue", issue.id), "number": issue.number,
            "title": issue.title, "user": self.user(issue.user),
            "labels": [self.label(repo, n) for n in issue.labels], "state": issue.state,
            "locked": issue.locked, "assignee": assignees[0] if assignees else None,
            "assignees": assignees, "milestone": None, "comments": comments,
            "created_at": issue.created_at, "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "closed_by": self.user(issue.closed_by) if issue.closed_by else None,
            "author_association": self.association(repo, issue.user),
            "active_lock_reason": None, "state_reason": issue.state_reason,
            "timeline_url": f"{url}/timeline", "performed_via_github_app": None,
            "reactions": self.reactions(url), **self.bodies(issue.body),
        }
        if issue.pull is not None:
            html_url = self.issue_html(repo, issue)
            out["draft"] = issue.pull.draft
            out["pull_request"] = {
                "url": f"{self.repo_url(repo)}/pulls/{issue.number}", "html_url": html_url,
                "diff_url": f"{html_url}.diff", "patch_url": f"{html_url}.patch",
                "merged_at": None}
        return out

    def comment(self, repo: Repo, comment: Comment) -> dict[str, Any]:
        url = f"{self.repo_url(repo)}/issues/comments/{comment.id}"
        issue = repo.issues[comment.issue_number]
        return {
            "id": comment.id, "node_id": node_id("IssueComment", comment.id), "url": url,
            "html_url": f"{self.issue_html(repo, issue)}#issuecomment-{comment.id}",
            "issue_url": self.issue_url(repo, comment.issue_number),
            "user": self.user(comment.user), "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "author_association": self.association(repo, comment.user),
            "performed_via_github_app": None, "reactions": self.reactions(url),
            **self.bodies(comment.body),
        }

    def pull_minimal(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        assert issue.pull is not None
        short = {"id": repo.id, "url": self.repo_url(repo), "name": repo.name}
        return {"id": issue.pull.id, "number": issue.number,
                "url": f"{self.repo_url(repo)}/pulls/{issue.number}",
                "head": {"ref": issue.pull.head_ref, "sha": issue.pull.head_sha, "repo": short},
                "base": {"ref": issue.pull.base_ref, "sha": issue.pull.base_sha,
                         "repo": short}}

    def pull(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        pull = issue.pull
        assert pull is not None
        r = self.repo_url(repo)
        url = f"{r}/pulls/{issue.number}"
        html_url = self.issue_html(repo, issue)
        issue_url = self.issue_url(repo, issue.number)
        head_repo = (self.foreign_repository(pull.head_repo, repo) if pull.head_repo
                     else self.repository(repo, full=False))
        head_owner = head_repo["owner"]["login"]
        changed, commits = self._pull_diff(repo.git, pull.base_sha, pull.head_sha)
        comments = sum(1 for c in repo.comments.values() if c.issue_number == issue.number)
        assignees = [self.user(a) for a in issue.assignees]

        def link(href: str) -> dict[str, str]:
            return {"href": href}

        return {
            "url": url, "id": pull.id, "node_id": node_id("PullRequest", pull.id),
            "html_url": html_url, "diff_url": f"{html_url}.diff",
            "patch_url": f"{html_url}.patch", "issue_url": issue_url,
            "number": issue.number, "state": issue.state, "locked": issue.locked,
            "title": issue.title, "user": self.user(issue.user),
            "created_at": issue.created_at, "updated_at": issue.updated_at,
            "closed_at": issue.closed_at, "merged_at": None,
            "merge_commit_sha": None, "assignee": assignees[0] if assignees else None,
            "assignees": assignees, "requested_reviewers": [], "requested_teams": [],
            "labels": [self.label(repo, n) for n in issue.labels], "milestone": None,
            "draft": pull.draft, "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{r}/pulls/comments{{/number}}",
            "comments_url": f"{issue_url}/comments",
            "statuses_url": f"{r}/statuses/{pull.head_sha}",
            "head": {"label": f"{head_owner}:{pull.head_ref}", "ref": pull.head_ref,
                     "sha": pull.head_sha, "user": head_repo["owner"], "repo": head_repo},
            "base": {"label": f"{repo.owner}:{pull.base_ref}", "ref": pull.base_ref,
                     "sha": pull.base_sha, "user": self.user(repo.owner, repo.owner_type),
                     "repo": self.repository(repo, full=False)},
            "_links": {"self": link(url), "html": link(html_url), "issue": link(issue_url),
                       "comments": link(f"{issue_url}/comments"),
                       "review_comments": link(f"{url}/comments"),
                       "review_comment": link(f"{r}/pulls/comments{{/number}}"),
                       "commits": link(f"{url}/commits"),
                       "statuses": link(f"{r}/statuses/{pull.head_sha}")},
            "author_association": self.association(repo, issue.user), "auto_merge": None,
            "active_lock_reason": None, "merged": pull.merged, "mergeable": True,
            "rebaseable": True, "mergeable_state": "clean", "merged_by": None,
            "comments": comments, "review_comments": 0, "maintainer_can_modify": False,
            "commits": commits, "additions": 0, "deletions": 0, "changed_files": changed,
            **self.bodies(issue.body),
        }

    @staticmethod
    def _pull_diff(git: GitStore, base: str, head: str) -> tuple[int, int]:
        """(files changed, commits) between base and head, where both are known."""
        if not (git.is_commit(base) and git.is_commit(head)):
            return 0, 1
        old = git.flatten(git.commit(base).tree)
        new = git.flatten(git.commit(head).tree)
        changed = sum(1 for p in old.keys() | new.keys() if old.get(p) != new.get(p))
        commits = 0
        for c in git.first_parent_history(head):
            if c.sha == base or git.is_ancestor(c.sha, base):
                break
            commits += 1
        return changed, max(commits, 1)

    # git objects
    def git_ref(self, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
        kind = repo.git.kind(sha) or "commit"
        return {"ref": ref, "node_id": node_id("Ref", f"{repo.id}:{ref}"),
                "url": f"{self.repo_url(repo)}/git/{ref}",
                "object": {"type": kind, "sha": sha,
                           "url": f"{self.repo_url(repo)}/git/{kind}s/{sha}"}}

    def git_commit(self, repo: Repo, commit: Commit) -> dict[str, Any]:
        r = self.repo_url(repo)
        return {
            "sha": commit.sha, "node_id": node_id("Commit", commit.sha),
            "url": f"{r}/git/commits/{commit.sha}",
            "html_url": f"{self.repo_html(repo)}/commit/{commit.sha}",
            "author": {"name": commit.author.name, "email": commit.author.email,
                       "date": commit.author.iso()},
            "committer": {"name": commit.committer.name, "email": commit.committer.email,
                          "date": commit.committer.iso()},
            "tree": {"sha": commit.tree, "url": f"{r}/git/trees/{commit.tree}"},
            "message": commit.message,
            "parents": [{"sha": p, "url": f"{r}/git/commits/{p}",
                         "html_url": f"{self.repo_html(repo)}/commit/{p}"}
                        for p in commit.parents],
            "verification": {"verified": False, "reason": "unsigned", "signature": None,
                             "payload": None, "verified_at": None},
        }

    def blob(self, repo: Repo, sha: str) -> dict[str, Any]:
        data = repo.git.blob(sha)
        return {"sha": sha, "node_id": node_id("Blob", sha), "size": len(data),
                "url": f"{self.repo_url(repo)}/git/blobs/{sha}",
                "content": b64_lines(data), "encoding": "base64"}

    def tree_entry(self, repo: Repo, path: str, entry: TreeEntry) -> dict[str, Any]:
        out: dict[str, Any] = {"path": path, "mode": entry.mode, "type": entry.type,
                               "sha": entry.sha}
        if entry.type == "blob":
            out["size"] = len(repo.git.blob(entry.sha))
        if entry.type != "commit":
            out["url"] = f"{self.repo_url(repo)}/git/{entry.type}s/{entry.sha}"
        return out

    def tree(self, repo: Repo, sha: str, recursive: bool) -> dict[str, Any]:
        if recursive:
            entries = [self.tree_entry(repo, p, e) for p, e in repo.git.walk(sha)]
        else:
            entries = [self.tree_entry(repo, e.name, e) for e in repo.git.tree(sha)]
        return {"sha": sha, "url": f"{self.repo_url(repo)}/git/trees/{sha}",
                "tree": entries, "truncated": False}

    # contents
    def content(self, repo: Repo, ref: str, path: str, entry: TreeEntry,
                with_data: bool) -> dict[str, Any]:
        name = path.rsplit("/", 1)[-1]
        kinds = {"blob": "file", "tree": "dir", "commit": "submodule"}
        kind = "symlink" if entry.mode == "120000" else kinds[entry.type]
        url = f"{self.repo_url(repo)}/contents/{path}"
        git_kind = "trees" if entry.type in ("tree", "commit") else "blobs"
        git_url = f"{self.repo_url(repo)}/git/{git_kind}/{entry.sha}"
        view = "tree" if kind == "dir" else "blob"
        html_url = f"{self.repo_html(repo)}/{view}/{ref}/{path}"
        data = repo.git.blob(entry.sha) if entry.type == "blob" else b""
        out: dict[str, Any] = {
            "type": kind, "size": len(data), "name": name, "path": path, "sha": entry.sha,
            "url": url, "git_url": git_url, "html_url": html_url,
            "download_url": (f"{self.repo_html(repo)}/raw/{ref}/{path}"
                             if entry.type == "blob" else None),
            "_links": {"self": url, "git": git_url, "html": html_url},
        }
        if kind == "symlink":
            out["target"] = data.decode("utf-8", "replace")
        if kind == "submodule":
            out["submodule_git_url"] = f"{self.web}/{name}.git"
        if with_data and kind == "file":
            if len(data) > CONTENTS_MAX:
                out.update(content="", encoding="none")
            else:
                out.update(content=b64_lines(data), encoding="base64")
        return out
