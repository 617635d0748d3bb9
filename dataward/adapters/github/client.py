"""The one client of GitHub's API (github3.py): statuses, check runs, the sticky comment,
issues, files.

Everything dataward writes to GitHub goes through `Client`. Failures become errors of the
`dataward.errors` family: `NoPermission` when the token may not write (a pull request from a
fork gets a read-only token; callers degrade to annotations and the job summary), and
`GitHubUnavailable` (exit 3) when GitHub could not be reached or kept refusing. The token never
appears in a message.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from dataward.adapters.github.session import rate_limited, retrying_session
from dataward.errors import GitHubUnavailable, NoPermission, UsageError

# GitHub takes at most 50 annotations per check-run request.
ANNOTATIONS_PER_REQUEST = 50
# GitHub caps comment and issue bodies at 65,536 characters and check-run summaries at 65,535
# bytes; counting UTF-8 bytes keeps under both. Annotation messages take 64 KB.
MAX_BODY = 65_000
MAX_MESSAGE = 64_000


# -- the client -------------------------------------------------------------------------------

# (the branch's file paths, a reader of one file's bytes) -> the files to write
FileBuilder = Callable[[Sequence[str], Callable[[str], bytes]], Mapping[str, "bytes | None"]]


class Annotation(NamedTuple):
    path: str
    line: int
    level: str  # notice | warning | failure
    title: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "start_line": self.line, "end_line": self.line,
                "annotation_level": self.level, "title": self.title,
                "message": _cap(self.message, MAX_MESSAGE)}


class Client:
    """A repository on GitHub (or GitHub Enterprise Server: `api_url` ends in /api/v3)."""

    def __init__(self, api_url: str, token: str, repository: str, *, attempts: int = 4,
                 backoff: float = 1.0, max_wait: float = 60.0,
                 timeout: tuple[float, float] = (5.0, 30.0)) -> None:
        if not token:
            raise UsageError("no GitHub token", "pass one in GITHUB_TOKEN "
                             "(the action's `github-token` input, by default github.token)")
        owner, _, name = repository.partition("/")
        if not owner or not name:
            raise UsageError(f"GITHUB_REPOSITORY is {repository!r}, not OWNER/NAME",
                             "run inside GitHub Actions, or set GITHUB_REPOSITORY")
        import github3
        from github3.session import AppInstallationTokenAuth

        self._token = token
        self._settle = timeout[1]  # how long a request GitHub is still working on may take
        self.repository = repository
        session = retrying_session(attempts, backoff, max_wait, timeout)
        self._gh = github3.GitHub(session=session)
        session.base_url = api_url.rstrip("/")
        # github3.py refuses check-run calls unless the session holds an installation token;
        # the Actions token is one, valid for the job (at most a day).
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=24)
        session.auth = AppInstallationTokenAuth(token, expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
        with self._errors(f"read repository {repository}"):
            repo = _or_none(self._gh.repository, owner, name)
        if repo is None:
            raise GitHubUnavailable(f"repository {repository} not found at {api_url}",
                                    "check GITHUB_REPOSITORY and GITHUB_API_URL, and that the "
                                    "token may read the repository")
        self._repo = repo

    # -- statuses and check runs ---------------------------------------------------------------

    def status(self, sha: str, state: str, context: str, description: str,
               target_url: str = "") -> None:
        """Set a commit status (state: error, failure, pending or success)."""
        with self._errors(f"set status {context} on {sha[:12]}"):
            self._repo.create_status(sha, state, target_url=target_url or None,
                                     description=description[:140], context=context)

    def check_run(self, name: str, head_sha: str, conclusion: str, title: str, summary: str,
                  annotations: Sequence[Annotation] = (), details_url: str = "") -> int:
        """Create a completed check run; annotations go 50 per request. Returns its id."""
        batches = [list(annotations[i:i + ANNOTATIONS_PER_REQUEST])
                   for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)] or [[]]
        output: dict[str, Any] = {"title": title[:255], "summary": _cap(summary),
                                  "annotations": [a.as_dict() for a in batches[0]]}
        with self._errors(f"create check run {name!r}"):
            run = self._repo.create_check_run(
                name, head_sha, details_url=details_url or None, status="completed",
                conclusion=conclusion, completed_at=_now(), output=output)
            if run is None:
                raise GitHubUnavailable(f"GitHub did not create check run {name!r}")
            for batch in batches[1:]:
                run.update(output={"title": title[:255], "summary": _cap(summary),
                                   "annotations": [a.as_dict() for a in batch]})
        return int(run.id)

    # -- the sticky comment and issues ---------------------------------------------------------

    def sticky_comment(self, number: int, marker: str, body: str, create: bool = True) -> str:
        """Create or edit the one comment on pull request `number` that starts with `marker`.

        The marker is an HTML comment, invisible on GitHub. With `create` false an existing
        comment is still edited, but none is added. Returns the comment's URL ("" if none).
        """
        text = _with_marker(marker, body)
        for attempt in range(2):
            with self._errors(f"comment on #{number}"):
                issue = self._repo.issue(number)
                if issue is None:
                    raise GitHubUnavailable(f"pull request #{number} not found in "
                                            f"{self.repository}")
                for comment in issue.comments():
                    if (comment.body or "").startswith(_marker(marker)):
                        if comment.body != text:
                            comment.edit(text)
                        return str(comment.html_url)
                if not create:
                    return ""
                created = self._create_once(attempt, issue.create_comment, text)
                if created is not None:
                    return str(created.html_url)
        raise AssertionError("unreachable")

    def upsert_issue(self, marker: str, title: str, body: str, *, open_: bool = True,
                     labels: Sequence[str] = ()) -> int | None:
        """Keep one issue per marker: opened (or reopened) and updated while `open_`, closed
        with the final body when not. Returns its number, None when there is none to close."""
        text = _with_marker(marker, body)
        for attempt in range(2):
            with self._errors(f"update issue {title!r}"):
                found = None
                for issue in self._repo.issues(state="all", sort="created", direction="desc"):
                    if issue.pull_request_urls:
                        continue  # the issues list includes pull requests
                    if (issue.body or "").startswith(_marker(marker)):
                        found = issue
                        break
                if found is not None:
                    state = "open" if open_ else "closed"
                    if found.body != text or found.state != state or found.title != title:
                        found.edit(title=title, body=text, state=state)
                    return int(found.number)
                if not open_:
                    return None
                created = self._create_once(attempt, self._repo.create_issue, title, body=text,
                                            labels=list(labels) or None)
                if created is not None:
                    return int(created.number)
        raise AssertionError("unreachable")

    def _create_once(self, attempt: int, create: Any, *args: Any, **kwargs: Any) -> Any:
        """Create a comment or issue. GitHub may have made it even when the answer failed
        (a timeout, a 502): the first failure waits for such a request to land and returns
        None, so the caller looks again before a second try; the second failure is raised."""
        import github3.exceptions as gherr

        try:
            made = create(*args, **kwargs)
        except (gherr.ServerError, gherr.ConnectionError, gherr.TransportError):
            if attempt:
                raise
            time.sleep(self._settle)
            return None
        if made is None:
            raise GitHubUnavailable("GitHub answered a create with nothing")
        return made

    # -- files on a branch ---------------------------------------------------------------------

    def commit_files(self, branch: str, files: Mapping[str, bytes | None] | FileBuilder,
                     message: str, replace: Sequence[str] = (), attempts: int = 8
                     ) -> str | None:
        """Write several files (None deletes one) in one commit on `branch` through the git data
        API, creating the branch (with no history of its own) when it does not exist. Files
        under a `replace` folder ("croissant/") that `files` does not name are deleted. Files
        that already hold their content are left out; when nothing changes there is no new
        commit and None is returned. A ref that moved meanwhile is re-read and the commit
        rebuilt on top of it. `files` may be a function of the branch's files (their paths,
        and a reader of their bytes): it is called again on each rebuild, so a file derived
        from the others (a dashboard of every report) is never stale."""
        import github3.exceptions as gherr

        refused = ""
        seen: dict[str, bytes] = {}  # blobs by sha, read once whatever rebuilds read them
        for attempt in range(attempts):
            with self._errors(f"commit to {branch}"):
                ref = _or_none(self._repo.ref, f"heads/{branch}")
                parent, base_tree, existing = None, None, {}
                if ref is not None:
                    parent = ref.object.sha
                    base_tree = self._repo.git_commit(parent).tree.sha
                    tree = self._repo.tree(base_tree, recursive=True)
                    existing = {e.path: e.sha for e in tree.tree or () if e.type == "blob"}
                if callable(files):
                    shas = dict(existing)
                    wanted = files(sorted(shas), lambda p: self._blob_once(shas[p], seen))  # noqa: B023
                else:
                    wanted = files
                stale: dict[str, bytes | None] = {
                    p: None for p in existing
                    if p not in wanted and any(p.startswith(folder) for folder in replace)}
                entries = _tree_entries({**stale, **wanted}, existing, self._blob)
                if not entries:
                    if ref is not None:
                        return None
                    raise UsageError(f"nothing to commit to a new branch {branch}")
                new_tree = self._repo.create_tree(entries, base_tree)
                commit = self._repo.create_commit(message, new_tree.sha,
                                                  [parent] if parent else [])
                try:
                    if ref is None:
                        self._repo.create_ref(f"refs/heads/{branch}", commit.sha)
                    else:
                        ref.update(commit.sha)
                except (gherr.Conflict, gherr.UnprocessableEntity) as exc:
                    refused = f"{exc.code} {exc.msg}"
                    _jitter(attempt)
                    continue  # the branch moved (or appeared): rebuild on its new tip
            return str(commit.sha)
        raise GitHubUnavailable(f"could not move {branch}: GitHub answered "
                                f"{_mask(refused, self._token)} {attempts} times",
                                "other writers kept moving it, or the branch is protected")

    def _blob_once(self, sha: str, seen: dict[str, bytes]) -> bytes:
        """A blob's bytes, asked of GitHub once per `seen`: a blob never changes."""
        if sha not in seen:
            seen[sha] = self._read_blob(sha)
        return seen[sha]

    def _read_blob(self, sha: str) -> bytes:
        blob = self._repo.blob(sha)
        if blob is None:
            raise GitHubUnavailable(f"blob {sha} is missing")
        return base64.b64decode(blob.content) if blob.encoding == "base64" \
            else str(blob.content).encode()

    def _blob(self, data: bytes) -> str:
        sha = self._repo.create_blob(base64.b64encode(data).decode(), "base64")
        if not sha:
            raise GitHubUnavailable("GitHub did not store a blob")
        return str(sha)

    # -- errors --------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        import github3.exceptions as gherr

        try:
            yield
        except gherr.GitHubError as exc:
            detail = "; ".join(str(e.get("message") or e.get("code") or e) if isinstance(e, dict)
                               else str(e) for e in exc.errors or [])
            msg = _mask(str(exc.msg or exc.code) + (f": {detail}" if detail else ""), self._token)
            if exc.code == 401:
                raise GitHubUnavailable(f"could not {doing}: GitHub refused the token ({msg})",
                                        "check the github-token input") from None
            if exc.code in (403, 404) and not rate_limited(exc.response):
                raise NoPermission(f"could not {doing}: {msg} (HTTP {exc.code})",
                                   "give the job's token the permission (workflow "
                                   "`permissions:`); pull requests from forks get a read-only "
                                   "token") from None
            raise GitHubUnavailable(f"could not {doing}: GitHub answered {exc.code} ({msg})",
                                    "GitHub may be having trouble: run the job again"
                                    if exc.code >= 500 or rate_limited(exc.response) else
                                    "GitHub refused the request; this is a bug or a setting "
                                    "of the repository (a protected branch?)") from None
        except gherr.GitHubException as exc:  # connection errors, timeouts, expired token
            raise GitHubUnavailable(f"could not {doing}: {_mask(_reason(exc), self._token)}",
                                    "check GITHUB_API_URL and the network") from None


def _or_none(call: Any, *args: Any, **kwargs: Any) -> Any:
    """github3 raises on 404 for lookups; a missing file, branch or repository is None."""
    import github3.exceptions as gherr

    try:
        return call(*args, **kwargs)
    except gherr.NotFoundError:
        return None


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "exception", None)
    return type(inner or exc).__name__ + (f": {inner}" if inner else f": {exc}")


def _mask(text: str, token: str) -> str:
    """GitHub's or the network's words without the job's token, nor any credential in a URL
    they quote."""
    from dataward.formats.urls import mask_text

    return mask_text(text.replace(token, "***") if len(token) >= 8 else text)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cap(text: str, limit: int = MAX_BODY) -> str:
    """At most `limit` UTF-8 bytes, cut at a line where one is near."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = "\n\n... (cut here: GitHub takes no more)"
    kept = data[:limit - len(note.encode())].decode("utf-8", "ignore")
    head, sep, _ = kept.rpartition("\n")
    return (head if sep and len(head) > len(kept) // 2 else kept) + note


def _marker(marker: str) -> str:
    return f"<!-- {marker} -->"


def _with_marker(marker: str, body: str) -> str:
    return _cap(f"{_marker(marker)}\n{body}")


def _jitter(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + int.from_bytes(os.urandom(1), "big") / 255))


def git_blob_sha(data: bytes) -> str:
    """The sha git gives a blob, to tell unchanged files without sending them."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _tree_entries(files: Mapping[str, bytes | None], existing: Mapping[str, str],
                  blob: Callable[[bytes], str]) -> list[dict[str, Any]]:
    """Tree entries for what changed: text inline (GitHub writes the blob), binary files
    uploaded as blobs first, deletions as a null sha."""
    entries: list[dict[str, Any]] = []
    for path, data in sorted(files.items()):
        entry: dict[str, Any] = {"path": path, "mode": "100644", "type": "blob"}
        if data is None:
            if path in existing:
                entries.append({**entry, "sha": None})
        elif git_blob_sha(data) != existing.get(path):
            try:
                entries.append({**entry, "content": data.decode("utf-8")})
            except UnicodeDecodeError:
                entries.append({**entry, "sha": blob(data)})
    return entries
