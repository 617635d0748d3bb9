"""What each GitHub operation does to the stand-in's state, and what it answers.

One function per operationId. GitHub's rules are enforced with GitHub's status codes and
messages (where a message could not be confirmed, the module docs of `tests/harness/ghstandin`
say so).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.harness.ghstandin.gitobjects import (
    BLOB_MODES,
    COMMIT_MODE,
    TREE_MODE,
    GitObjectError,
    Signature,
    TreeEntry,
    parse_date,
)
from tests.harness.ghstandin.payloads import Renderer
from tests.harness.ghstandin.state import CheckRun, Comment, Issue, Repo, Status, Token, now_iso

MAX_ANNOTATIONS = 50


class GitHubError(Exception):
    """An error answer: GitHub's status and message (and, for 422, optional `errors`)."""

    def __init__(self, status: int, message: str, *, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


def not_found() -> GitHubError:
    return GitHubError(404, "Not Found")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One served request, as the operations see it."""

    operation: str
    repo: Repo
    token: Token
    params: dict[str, Any]  # path and query parameters, typed as the description says
    body: Any
    render: Renderer
    new_id: Callable[[str], int]
    paginate: Callable[[list[Any]], tuple[list[Any], dict[str, str]]]
    identity: Signature  # the token's user, as git author/committer

    def field(self, name: str, default: Any = None) -> Any:
        return self.body.get(name, default) if isinstance(self.body, dict) else default


def _created(body: dict[str, Any], location: str | None = None) -> Reply:
    return Reply(201, body, {"Location": location or body.get("url", "")})


def _signature(given: dict[str, Any] | None, default: Signature) -> Signature:
    if not given:
        return default
    return Signature(given["name"], given["email"], parse_date(given.get("date")))


# repositories
def repos_get(c: Call) -> Reply:
    perms = {"admin": False, "maintain": False, "push": c.token.write,
             "triage": c.token.write, "pull": True}
    return Reply(200, c.render.repository(c.repo, permissions=perms))


def repos_create_commit_status(c: Call) -> Reply:
    sha = c.params["sha"]
    if not c.repo.known_commit(sha):
        raise GitHubError(422, f"No commit found for SHA: {sha}")
    status = Status(id=c.new_id("status"), sha=sha, state=c.field("state"),
                    context=c.field("context") or "default",
                    description=c.field("description"), target_url=c.field("target_url"),
                    creator=c.token.login, created_at=now_iso())
    c.repo.statuses.append(status)
    return _created(c.render.status(c.repo, status))


# check runs
def _add_annotations(run: CheckRun, output: dict[str, Any] | None) -> None:
    notes = (output or {}).get("annotations") or []
    if len(notes) > MAX_ANNOTATIONS:
        raise GitHubError(422, f"Invalid request.\n\nNo more than {MAX_ANNOTATIONS} items are "
                               f"allowed; {len(notes)} were supplied.")
    run.annotations.extend(dict(n) for n in notes)


def _apply_check_fields(c: Call, run: CheckRun) -> None:
    for name in ("name", "details_url", "external_id", "started_at", "completed_at"):
        if name in c.body:
            setattr(run, name, c.body[name])
    if "status" in c.body:
        run.status = c.body["status"]
    if c.field("conclusion") is not None:
        run.conclusion = c.body["conclusion"]
        run.status = "completed"  # GitHub: a conclusion completes the run
    if run.status == "completed":
        if run.conclusion is None:
            raise GitHubError(422, "Invalid request.\n\n\"conclusion\" wasn't supplied.")
        run.completed_at = run.completed_at or now_iso()
    output = c.field("output")
    if output:
        _add_annotations(run, output)
        for name in ("title", "summary", "text"):
            if name in output:
                setattr(run, name, output[name])


def checks_create(c: Call) -> Reply:
    head_sha = c.body["head_sha"]
    if not c.repo.known_commit(head_sha):
        raise GitHubError(422, f"No commit found for SHA: {head_sha}")
    suite = c.repo.suites.setdefault(head_sha, c.new_id("suite"))
    run = CheckRun(id=c.new_id("check_run"), name=c.body["name"], head_sha=head_sha,
                   suite_id=suite, started_at=now_iso())
    _apply_check_fields(c, run)
    c.repo.check_runs[run.id] = run
    return _created(c.render.check_run(c.repo, run))


def _run(c: Call) -> CheckRun:
    run = c.repo.check_runs.get(c.params["check_run_id"])
    if run is None:
        raise not_found()
    return run


def checks_update(c: Call) -> Reply:
    run = _run(c)
    _apply_check_fields(c, run)
    return Reply(200, c.render.check_run(c.repo, run))


def checks_get(c: Call) -> Reply:
    return Reply(200, c.render.check_run(c.repo, _run(c)))


def checks_list_annotations(c: Call) -> Reply:
    run = _run(c)
    items, headers = c.paginate([c.render.annotation(c.repo, run, n) for n in run.annotations])
    return Reply(200, items, headers)


# issues and comments
def _issue(c: Call) -> Issue:
    issue = c.repo.issues.get(c.params["issue_number"])
    if issue is None:
        raise not_found()
    return issue


def _labels(given: list[Any]) -> list[str]:
    return [g if isinstance(g, str) else g.get("name", "") for g in given]


def _assignees(c: Call) -> list[str] | None:
    if "assignees" in c.body:
        return [a if isinstance(a, str) else a.get("login", "") for a in c.body["assignees"]]
    if "assignee" in c.body:
        return [c.body["assignee"]] if c.body["assignee"] else []
    return None


def _no_milestone(c: Call) -> None:
    if c.field("milestone") is not None:
        raise GitHubError(422, "Validation Failed", errors=[
            {"value": c.body["milestone"], "resource": "Issue", "field": "milestone",
             "code": "invalid"}])


def issues_get(c: Call) -> Reply:
    return Reply(200, c.render.issue(c.repo, _issue(c)))


def issues_list_for_repo(c: Call) -> Reply:
    p = c.params
    state = p.get("state", "open")
    issues = [i for i in c.repo.issues.values() if state == "all" or i.state == state]
    if "creator" in p:
        issues = [i for i in issues if i.user == p["creator"]]
    if "assignee" in p:
        who = p["assignee"]
        issues = [i for i in issues if (who == "*" and i.assignees)
                  or (who == "none" and not i.assignees) or who in i.assignees]
    if "labels" in p:
        wanted = {x.strip() for x in p["labels"].split(",") if x.strip()}
        issues = [i for i in issues if wanted <= set(i.labels)]
    if "since" in p:
        issues = [i for i in issues if parse_date(i.updated_at) >= parse_date(p["since"])]
    sort = p.get("sort", "created")
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: sum(1 for x in c.repo.comments.values()
                                  if x.issue_number == i.number),
    }
    issues.sort(key=keys.get(sort, keys["created"]), reverse=p.get("direction", "desc") == "desc")
    items, headers = c.paginate([c.render.issue(c.repo, i) for i in issues])
    return Reply(200, items, headers)


def issues_create(c: Call) -> Reply:
    _no_milestone(c)
    stamp = now_iso()
    number = max(c.repo.issues, default=0) + 1
    issue = Issue(number=number, id=c.new_id("issue"), title=str(c.body["title"]),
                  body=c.field("body"), user=c.token.login, created_at=stamp,
                  updated_at=stamp, labels=_labels(c.field("labels", [])),
                  assignees=_assignees(c) or [])
    c.repo.issues[number] = issue
    return _created(c.render.issue(c.repo, issue))


def issues_update(c: Call) -> Reply:
    issue = _issue(c)
    _no_milestone(c)
    if c.field("title") is not None:
        issue.title = str(c.body["title"])
    if "body" in c.body:
        issue.body = c.body["body"]
    if "labels" in c.body:
        issue.labels = _labels(c.body["labels"])
    assignees = _assignees(c)
    if assignees is not None:
        issue.assignees = assignees
    state = c.field("state")
    if state == "closed" and issue.state != "closed":
        issue.state, issue.closed_at, issue.closed_by = "closed", now_iso(), c.token.login
        issue.state_reason = c.field("state_reason") or "completed"
    elif state == "open" and issue.state != "open":
        issue.state, issue.closed_at, issue.closed_by = "open", None, None
        issue.state_reason = "reopened"
    issue.updated_at = now_iso()
    return Reply(200, c.render.issue(c.repo, issue))


def issues_list_comments(c: Call) -> Reply:
    issue = _issue(c)
    comments = [x for x in c.repo.comments.values() if x.issue_number == issue.number]
    if "since" in c.params:
        since = parse_date(c.params["since"])
        comments = [x for x in comments if parse_date(x.updated_at) >= since]
    items, headers = c.paginate([c.render.comment(c.repo, x) for x in comments])
    return Reply(200, items, headers)


def issues_create_comment(c: Call) -> Reply:
    issue = _issue(c)
    if issue.locked:
        raise GitHubError(403, "Unable to create comment because issue is locked.")
    stamp = now_iso()
    comment = Comment(id=c.new_id("comment"), issue_number=issue.number, body=c.body["body"],
                      user=c.token.login, created_at=stamp, updated_at=stamp)
    c.repo.comments[comment.id] = comment
    issue.updated_at = stamp
    return _created(c.render.comment(c.repo, comment))


def issues_update_comment(c: Call) -> Reply:
    comment = c.repo.comments.get(c.params["comment_id"])
    if comment is None:
        raise not_found()
    comment.body = c.body["body"]
    comment.updated_at = now_iso()
    return Reply(200, c.render.comment(c.repo, comment))


def pulls_get(c: Call) -> Reply:
    issue = c.repo.issues.get(c.params["pull_number"])
    if issue is None or issue.pull is None:
        raise not_found()
    return Reply(200, c.render.pull(c.repo, issue))


# contents
def _ref_commit(c: Call, ref: str | None) -> tuple[str, str]:
    ref = ref or c.repo.default_branch
    sha = c.repo.resolve(ref)
    if sha is None:
        raise GitHubError(404, f"No commit found for the ref {ref}")
    return ref, sha


def repos_get_content(c: Call) -> Reply:
    path = c.params["path"].strip("/")
    ref, sha = _ref_commit(c, c.params.get("ref"))
    git = c.repo.git
    entry = git.lookup(git.commit(sha).tree, path)
    if entry is None:
        raise not_found()
    if entry.type == "tree":
        listing = [c.render.content(c.repo, ref, f"{path}/{e.name}" if path else e.name, e,
                                    with_data=False) for e in git.tree(entry.sha)]
        return Reply(200, listing)
    return Reply(200, c.render.content(c.repo, ref, path, entry, with_data=True))


def repos_create_or_update_file_contents(c: Call) -> Reply:
    path = c.params["path"].strip("/")
    branch = c.field("branch") or c.repo.default_branch
    head = c.repo.refs.get(f"refs/heads/{branch}")
    if head is None:
        raise GitHubError(404, f"Branch {branch} not found")
    try:
        data = base64.b64decode(c.body["content"], validate=True)
    except (binascii.Error, ValueError):
        raise GitHubError(422, "content is not valid Base64") from None
    git = c.repo.git
    tree = git.commit(head).tree
    files = git.flatten(tree)
    current = git.lookup(tree, path)
    if current is not None:
        if c.field("sha") is None:
            raise GitHubError(422, "Invalid request.\n\n\"sha\" wasn't supplied.")
        if c.body["sha"] != current.sha:
            raise GitHubError(409, f"{path} does not match {c.body['sha']}")
    mode = current.mode if current is not None and current.type == "blob" else "100644"
    place_entry(files, path, TreeEntry(mode, "blob", git.write_blob(data), path.rsplit("/", 1)[-1]))
    committer = _signature(c.field("committer"), c.identity)
    author = _signature(c.field("author"), committer)
    commit_sha = git.write_commit(git.build_tree(files), [head], author, committer,
                                  c.body["message"])
    c.repo.refs[f"refs/heads/{branch}"] = commit_sha
    c.repo.pushed_at = now_iso()
    entry = git.lookup(git.commit(commit_sha).tree, path)
    assert entry is not None
    content = c.render.content(c.repo, branch, path, entry, with_data=False)
    body = {"content": content, "commit": c.render.git_commit(c.repo, git.commit(commit_sha))}
    if current is None:
        return _created(body, content["url"])
    return Reply(200, body)


def place_entry(files: dict[str, TreeEntry], path: str, entry: TreeEntry | None) -> None:
    """Put `entry` at `path` (None: remove what is there, file or directory)."""
    for existing in list(files):
        if existing == path or existing.startswith(path + "/"):
            del files[existing]
    parts = path.split("/")
    for i in range(1, len(parts)):
        files.pop("/".join(parts[:i]), None)  # a file where a directory must go
    if entry is not None:
        files[path] = entry


# git database
def git_get_ref(c: Call) -> Reply:
    ref = f"refs/{c.params['ref']}"
    sha = c.repo.refs.get(ref)
    if sha is None:
        raise not_found()
    return Reply(200, c.render.git_ref(c.repo, ref, sha))


def git_create_ref(c: Call) -> Reply:
    ref, sha = c.body["ref"], c.body["sha"]
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise GitHubError(422, "Reference name must contain at least three slash-separated "
                               "components.")
    if ref in c.repo.refs:
        raise GitHubError(422, "Reference already exists")
    if c.repo.git.kind(sha) is None:
        raise GitHubError(422, "Object does not exist")
    c.repo.refs[ref] = sha
    return _created(c.render.git_ref(c.repo, ref, sha))


def git_update_ref(c: Call) -> Reply:
    ref = f"refs/{c.params['ref']}"
    sha, force = c.body["sha"], bool(c.field("force", False))
    current = c.repo.refs.get(ref)
    if current is None:
        raise GitHubError(422, "Reference does not exist")
    if c.repo.git.kind(sha) is None:
        raise GitHubError(422, "Object does not exist")
    if not force and not c.repo.git.is_ancestor(current, sha):
        raise GitHubError(422, "Update is not a fast forward")
    c.repo.refs[ref] = sha
    c.repo.pushed_at = now_iso()
    return Reply(200, c.render.git_ref(c.repo, ref, sha))


def git_create_blob(c: Call) -> Reply:
    encoding = c.field("encoding", "utf-8")
    content = c.body["content"]
    if encoding == "base64":
        try:
            data = base64.b64decode(content)
        except (binascii.Error, ValueError):
            raise GitHubError(422, "content is not valid Base64") from None
    elif encoding in ("utf-8", "utf8"):
        data = content.encode()
    else:
        raise GitHubError(422, f"encoding must be \"utf-8\" or \"base64\", not {encoding!r}")
    sha = c.repo.git.write_blob(data)
    url = f"{c.render.repo_url(c.repo)}/git/blobs/{sha}"
    return _created({"url": url, "sha": sha}, url)


def git_get_blob(c: Call) -> Reply:
    sha = c.params["file_sha"]
    if c.repo.git.kind(sha) != "blob":
        raise not_found()
    return Reply(200, c.render.blob(c.repo, sha))


def git_create_tree(c: Call) -> Reply:
    git = c.repo.git
    base = c.field("base_tree")
    files: dict[str, TreeEntry] = {}
    if base is not None:
        if git.kind(base) != "tree":
            raise GitHubError(422, "base_tree is not a valid tree oid")
        files = git.flatten(base)
    for item in c.body["tree"]:
        path = str(item.get("path", "")).strip("/")
        if not path:
            raise GitHubError(422, "Invalid request.\n\n\"path\" wasn't supplied.")
        mode = item.get("mode") or "100644"
        kind = item.get("type") or ("tree" if mode == TREE_MODE else
                                    "commit" if mode == COMMIT_MODE else "blob")
        if "content" in item and item.get("sha") is not None:
            raise GitHubError(422, "Invalid request.\n\nOnly one of \"content\" or \"sha\" "
                                   "may be supplied.")
        name = path.rsplit("/", 1)[-1]
        if "content" in item:
            place_entry(files, path, TreeEntry(mode, "blob",
                                          git.write_blob(str(item["content"]).encode()), name))
            continue
        sha = item.get("sha")
        if sha is None:
            place_entry(files, path, None)
            continue
        if kind == "tree":
            if git.kind(sha) != "tree":
                raise GitHubError(422, f"tree.sha {sha} is not a valid tree")
            place_entry(files, path, None)
            files.update({f"{path}/{p}": e for p, e in git.flatten(sha).items()})
        elif kind == "blob":
            if git.kind(sha) != "blob" or mode not in BLOB_MODES:
                raise GitHubError(422, f"tree.sha {sha} is not a valid blob")
            place_entry(files, path, TreeEntry(mode, "blob", sha, name))
        else:
            place_entry(files, path, TreeEntry(COMMIT_MODE, "commit", sha, name))
    tree = git.build_tree(files)
    body = c.render.tree(c.repo, tree, recursive=False)
    return _created(body, body["url"])


def git_get_tree(c: Call) -> Reply:
    git = c.repo.git
    wanted = c.params["tree_sha"]
    sha: str | None = wanted if git.kind(wanted) == "tree" else None
    if sha is None:
        commit = c.repo.resolve(wanted)
        sha = git.commit(commit).tree if commit else None
    if sha is None:
        raise not_found()
    # GitHub: any value of `recursive` (even "0" or "false") asks for the whole tree
    return Reply(200, c.render.tree(c.repo, sha, recursive="recursive" in c.params))


def git_create_commit(c: Call) -> Reply:
    git = c.repo.git
    tree = c.body["tree"]
    if git.kind(tree) != "tree":
        raise GitHubError(422, "Tree SHA does not exist")
    parents = list(c.field("parents", []))
    if any(not git.is_commit(p) for p in parents):
        raise GitHubError(422, "Parent SHA does not exist or is not a commit object")
    author = _signature(c.field("author"), c.identity)
    committer = _signature(c.field("committer"), author)
    try:
        sha = git.write_commit(tree, parents, author, committer, c.body["message"])
    except GitObjectError as exc:  # pragma: no cover - checked above
        raise GitHubError(422, str(exc)) from None
    return _created(c.render.git_commit(c.repo, git.commit(sha)))


def git_get_commit(c: Call) -> Reply:
    sha = c.params["commit_sha"]
    if not c.repo.git.is_commit(sha):
        raise not_found()
    return Reply(200, c.render.git_commit(c.repo, c.repo.git.commit(sha)))


HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "repos/get": repos_get,
    "repos/create-commit-status": repos_create_commit_status,
    "checks/create": checks_create,
    "checks/update": checks_update,
    "checks/get": checks_get,
    "checks/list-annotations": checks_list_annotations,
    "issues/get": issues_get,
    "issues/list-comments": issues_list_comments,
    "issues/create-comment": issues_create_comment,
    "issues/update-comment": issues_update_comment,
    "issues/list-for-repo": issues_list_for_repo,
    "issues/create": issues_create,
    "issues/update": issues_update,
    "repos/get-content": repos_get_content,
    "repos/create-or-update-file-contents": repos_create_or_update_file_contents,
    "git/get-ref": git_get_ref,
    "git/create-ref": git_create_ref,
    "git/update-ref": git_update_ref,
    "git/create-blob": git_create_blob,
    "git/get-blob": git_get_blob,
    "git/create-tree": git_create_tree,
    "git/get-tree": git_get_tree,
    "git/create-commit": git_create_commit,
    "git/get-commit": git_get_commit,
    "pulls/get": pulls_get,
}
