"""`LocalGitHub`: the HTTP server, its state, fault injection and the accessors tests read."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from tests.harness.ghstandin.gitobjects import GitObjectError, Signature, TreeEntry, parse_date
from tests.harness.ghstandin.openapi import Operation, shared_spec
from tests.harness.ghstandin.operations import HANDLERS, Call, GitHubError, Reply, place_entry
from tests.harness.ghstandin.payloads import Renderer
from tests.harness.ghstandin.state import Comment, Issue, Pull, Repo, Token, now_iso

RATE_LIMIT = 5000
SECONDARY_DOCS = ("https://docs.github.com/free-pro-team@latest/rest/overview/"
                  "rate-limits-for-the-rest-api#about-secondary-rate-limits")
PRIMARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_ID_BASE = {"repo": 700_000_000, "user": 1_000, "check_run": 20_000_000_000,
            "suite": 22_000_000_000, "status": 30_000_000_000, "issue": 2_000_000_000,
            "comment": 1_800_000_000, "pull": 1_600_000_000}

# Called before an operation is served: (stand-in, the request). It may change state
# (move a ref under the client) or raise GitHubError to answer in the operation's place.
Hook = Callable[["LocalGitHub", "Request"], None]


class RequestRecord(NamedTuple):
    method: str
    path: str  # without the API prefix and the query
    status: int
    operation: str | None


@dataclass
class Request:
    """A request as it reached the stand-in (handed to `before` hooks)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    operation: str | None
    params: dict[str, str]


@dataclass
class _Fault:
    operation: str | None
    times: int | None  # None: every time
    status: int = 0
    message: str = ""
    headers: dict[str, str] | None = None
    delay: float = 0.0
    hook: Hook | None = None
    alter: Callable[[Any], Any] | None = None

    def applies(self, operation: str | None) -> bool:
        return (self.times is None or self.times > 0) and \
            (self.operation is None or self.operation == operation)

    def use(self) -> None:
        if self.times is not None:
            self.times -= 1


class LocalGitHub:
    """A stateful stand-in for GitHub's REST API on 127.0.0.1 and a free port.

    Every request and response is checked against GitHub's OpenAPI description; problems
    land in `violations`. Use as a context manager (or `start()` / `stop()`)::

        with LocalGitHub() as gh:
            gh.add_token("t1", write=True)
            gh.add_repo("lab/registry")
            ... github3 with session.base_url = gh.api_url ...
            assert gh.violations == []
    """

    def __init__(self, prefix: str = "", host: str = "127.0.0.1") -> None:
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.spec = shared_spec()
        self.lock = threading.RLock()
        self.violations: list[str] = []
        self.requests: list[RequestRecord] = []
        self.errors: list[str] = []  # tracebacks of the stand-in's own failures
        self._tokens: dict[str, Token] = {}
        self._repos: dict[str, Repo] = {}
        self._users: dict[str, int] = {}
        self._counters: dict[str, Iterator[int]] = {k: itertools.count(v + 1)
                                                    for k, v in _ID_BASE.items()}
        self._faults: list[_Fault] = []
        self._remaining: dict[str, int] = {}
        self._reset = int(time.time()) + 3600
        self._request_ids = itertools.count(1)
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server = _Server((host, 0), _make_handler(self))
        self._thread: threading.Thread | None = None
        port = self._server.server_address[1]
        self.web_url = f"http://{host}:{port}"
        self.api_url = self.web_url + self.prefix
        self._render = Renderer(self.api_url, self.web_url, self._user_id)

    # lifecycle
    def start(self) -> LocalGitHub:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.01},
                                            name="ghstandin", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # delayed answers stop waiting
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        with self.lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:  # idle keep-alive connections of clients still around
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> LocalGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # set-up
    def add_token(self, token: str, write: bool = True, login: str = "github-actions[bot]",
                  app: bool = True) -> str:
        """A token GitHub accepts. `write=False` is what a pull request from a fork gets;
        `app=False` is a personal token (the Checks API refuses those)."""
        with self.lock:
            self._tokens[token] = Token(token, write, login, app)
            self._user_id(login)
        return token

    def add_repo(self, full_name: str, default_branch: str = "main", private: bool = False,
                 files: Mapping[str, bytes] | None = None,
                 owner_type: str = "Organization") -> str:
        """A repository with one commit on `default_branch` (holding `files`, or a README);
        returns that commit's SHA."""
        owner, name = full_name.split("/")
        with self.lock:
            if full_name in self._repos:
                raise ValueError(f"{full_name} exists")
            repo = Repo(owner=owner, name=name, id=self._new_id("repo"),
                        default_branch=default_branch, private=private,
                        owner_type=owner_type, created_at=now_iso())
            self._repos[full_name] = repo
            self._user_id(owner)
            content = dict(files) if files is not None else {"README.md": f"# {name}\n".encode()}
            git = repo.git
            tree = git.build_tree({p: TreeEntry("100644", "blob", git.write_blob(d), p)
                                   for p, d in content.items()})
            sha = git.write_commit(tree, [], self._identity(owner), self._identity(owner),
                                   "Initial commit")
            repo.refs[f"refs/heads/{default_branch}"] = sha
            return sha

    def commit_files(self, repo: str, branch: str, files: Mapping[str, bytes | None],
                     message: str = "Update files", author: str = "lab-member",
                     parent: str | None = None) -> str:
        """A commit on `branch` (created from `parent` if it does not exist) that writes
        (or, for None, deletes) `files`; moves the branch; returns the commit's SHA."""
        with self.lock:
            r = self._repo(repo)
            ref = f"refs/heads/{branch}"
            head = r.refs.get(ref) or parent or r.refs[f"refs/heads/{r.default_branch}"]
            git = r.git
            tree_files = git.flatten(git.commit(head).tree)
            for path, data in files.items():
                entry = None if data is None else TreeEntry(
                    "100644", "blob", git.write_blob(data), path.rsplit("/", 1)[-1])
                place_entry(tree_files, path.strip("/"), entry)
            who = self._identity(author)
            sha = git.write_commit(git.build_tree(tree_files), [head], who, who, message)
            r.refs[ref] = sha
            r.pushed_at = now_iso()
            return sha

    def set_ref(self, repo: str, ref: str, sha: str | None) -> None:
        """Point `ref` ("refs/heads/x" or "heads/x") at `sha`, or delete it (None)."""
        with self.lock:
            r = self._repo(repo)
            full = ref if ref.startswith("refs/") else f"refs/{ref}"
            if sha is None:
                r.refs.pop(full, None)
            else:
                r.refs[full] = sha

    def add_pull(self, repo: str, number: int, base_sha: str, head_sha: str,
                 base_ref: str = "main", head_ref: str = "feature", *,
                 title: str = "A pull request", body: str | None = None,
                 user: str = "lab-member", head_repo: str | None = None,
                 draft: bool = False) -> None:
        """A pull request (and so an issue) `number`; `head_repo` ("owner/name") makes it a
        pull request from a fork."""
        with self.lock:
            r = self._repo(repo)
            if number in r.issues:
                raise ValueError(f"{repo}#{number} exists")
            stamp = now_iso()
            pull = Pull(id=self._new_id("pull"), base_sha=base_sha, head_sha=head_sha,
                        base_ref=base_ref, head_ref=head_ref, head_repo=head_repo, draft=draft)
            r.issues[number] = Issue(number=number, id=self._new_id("issue"), title=title,
                                     body=body, user=user, created_at=stamp,
                                     updated_at=stamp, pull=pull)
            self._user_id(user)
            if r.git.is_commit(head_sha):
                r.refs[f"refs/pull/{number}/head"] = head_sha

    def add_issue(self, repo: str, title: str, body: str | None = None,
                  user: str = "lab-member", labels: tuple[str, ...] = ()) -> int:
        with self.lock:
            r = self._repo(repo)
            number = max(r.issues, default=0) + 1
            stamp = now_iso()
            r.issues[number] = Issue(number=number, id=self._new_id("issue"), title=title,
                                     body=body, user=user, created_at=stamp,
                                     updated_at=stamp, labels=list(labels))
            self._user_id(user)
            return number

    def add_comment(self, repo: str, number: int, body: str, user: str = "lab-member") -> int:
        with self.lock:
            r = self._repo(repo)
            if number not in r.issues:
                raise KeyError(f"{repo}#{number}")
            stamp = now_iso()
            comment = Comment(id=self._new_id("comment"), issue_number=number, body=body,
                              user=user, created_at=stamp, updated_at=stamp)
            r.comments[comment.id] = comment
            self._user_id(user)
            return comment.id

    # what GitHub received: plain data, shaped as GitHub's API shows it
    def check_runs(self, repo: str) -> list[dict[str, Any]]:
        with self.lock:
            r = self._repo(repo)
            return [self._render.check_run(r, run) for run in r.check_runs.values()]

    def annotations(self, repo: str, run_id: int) -> list[dict[str, Any]]:
        with self.lock:
            r = self._repo(repo)
            run = r.check_runs[run_id]
            return [self._render.annotation(r, run, n) for n in run.annotations]

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """Issues and pull requests, by number (raw bodies)."""
        with self.lock:
            r = self._repo(repo)
            return [self._render.issue(r, r.issues[n]) for n in sorted(r.issues)]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self.lock:
            r = self._repo(repo)
            return [self._render.comment(r, c) for c in r.comments.values()
                    if c.issue_number == number]

    def statuses(self, repo: str, sha: str) -> list[dict[str, Any]]:
        """Commit statuses on `sha`, newest first (as GitHub lists them)."""
        with self.lock:
            r = self._repo(repo)
            return [self._render.status(r, s) for s in reversed(r.statuses) if s.sha == sha]

    def ref(self, repo: str, ref: str) -> str | None:
        with self.lock:
            full = ref if ref.startswith("refs/") else f"refs/{ref}"
            return self._repo(repo).refs.get(full)

    def file(self, repo: str, branch: str, path: str) -> bytes | None:
        """The file at `path` on `branch` (or any ref or commit), None if there is none."""
        with self.lock:
            r = self._repo(repo)
            sha = r.resolve(branch)
            if sha is None:
                return None
            entry = r.git.lookup(r.git.commit(sha).tree, path.strip("/"))
            return r.git.blob(entry.sha) if entry and entry.type == "blob" else None

    def files(self, repo: str, branch: str) -> dict[str, bytes]:
        """Every file on `branch`, by path."""
        with self.lock:
            r = self._repo(repo)
            sha = r.resolve(branch)
            if sha is None:
                return {}
            return {p: r.git.blob(e.sha)
                    for p, e in r.git.flatten(r.git.commit(sha).tree).items()
                    if e.type == "blob"}

    def commits(self, repo: str, branch: str) -> list[dict[str, Any]]:
        """First-parent history of `branch`, newest first, as git-commit objects."""
        with self.lock:
            r = self._repo(repo)
            sha = r.resolve(branch)
            history = r.git.first_parent_history(sha) if sha else []
            return [self._render.git_commit(r, c) for c in history]

    def check(self) -> None:
        """Raise AssertionError listing every violation (for a readable test failure)."""
        with self.lock:
            if self.violations:
                raise AssertionError("GitHub API violations:\n  " + "\n  ".join(self.violations))

    # faults
    def _op(self, operation: str | None) -> str | None:
        if operation is not None and operation not in self.spec.operations:
            raise ValueError(f"unknown operation {operation!r}")
        return operation

    def fail(self, times: int | None = 1, status: int = 500, operation: str | None = None,
             message: str | None = None) -> None:
        """The next `times` requests (of `operation`, or any; None: all of them) answer
        `status` with GitHub's error body."""
        default = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                   504: "We couldn't respond to your request in time. Sorry about that. "
                        "Please try resubmitting your request and contact us if the "
                        "problem persists."}
        with self.lock:
            self._faults.append(_Fault(self._op(operation), times, status,
                                       message or default.get(status, "Server Error")))

    def rate_limit(self, times: int | None = 1, status: int = 403, retry_after: int | None = 60,
                   operation: str | None = None, primary: bool = False,
                   reset_in: int = 60) -> None:
        """The next `times` requests hit a rate limit: the secondary one (`status` 403 or
        429, `Retry-After`) or, with `primary=True`, the primary one
        (`x-ratelimit-remaining: 0`, `x-ratelimit-reset`)."""
        headers: dict[str, str] = {}
        if primary:
            headers["x-ratelimit-remaining"] = "0"
            headers["x-ratelimit-reset"] = str(int(time.time()) + reset_in)
            message = "API rate limit exceeded for installation ID 1."
        else:
            message = ("You have exceeded a secondary rate limit. Please wait a few minutes "
                       "before you try again. If you reach out to GitHub Support for help, "
                       "please include the request ID {request_id}.")
        if retry_after is not None and not primary:
            headers["Retry-After"] = str(retry_after)
        with self.lock:
            self._faults.append(_Fault(self._op(operation), times, status, message, headers))

    def delay(self, seconds: float, times: int | None = 1, operation: str | None = None) -> None:
        """The next `times` requests (of `operation`, or any) wait `seconds` before any
        answer."""
        with self.lock:
            self._faults.append(_Fault(self._op(operation), times, delay=seconds))

    def before(self, operation: str | None, hook: Hook, times: int | None = None) -> None:
        """Run `hook(gh, request)` before `operation` is served (after authentication):
        e.g. move a ref under the client. It may raise GitHubError to answer instead."""
        with self.lock:
            self._faults.append(_Fault(self._op(operation), times, hook=hook))

    def alter_response(self, operation: str, alter: Callable[[Any], Any],
                       times: int | None = 1) -> None:
        """Pass the next successful answer of `operation` through `alter` (body in, body
        out) before it is validated and sent: how tests prove a broken answer is caught."""
        with self.lock:
            self._faults.append(_Fault(self._op(operation), times, alter=alter))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    # internals
    def _new_id(self, kind: str) -> int:
        return next(self._counters[kind])

    def _user_id(self, login: str) -> int:
        if login not in self._users:
            self._users[login] = 41898282 if login == "github-actions[bot]" \
                else self._new_id("user")
        return self._users[login]

    def _identity(self, login: str) -> Signature:
        return Signature(login, f"{self._user_id(login)}+{login}@users.noreply.github.com",
                         parse_date(None))

    def _repo(self, full_name: str) -> Repo:
        try:
            return self._repos[full_name]
        except KeyError:
            raise KeyError(f"no repository {full_name!r} (add_repo first)") from None

    def _error_body(self, op: Operation | None, status: int, message: str,
                    errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message,
                                "documentation_url": op.docs_url if op else
                                "https://docs.github.com/rest", "status": str(status)}
        if errors is not None:
            body["errors"] = errors
        return body

    def _paginate(self, path: str, query: dict[str, list[str]], params: Mapping[str, Any]
                  ) -> Callable[[list[Any]], tuple[list[Any], dict[str, str]]]:
        def paginate(items: list[Any]) -> tuple[list[Any], dict[str, str]]:
            per_page = min(max(int(params.get("per_page", 30)), 1), 100)
            page = max(int(params.get("page", 1)), 1)
            last = max((len(items) + per_page - 1) // per_page, 1)

            def url(n: int) -> str:
                q = {k: v[-1] for k, v in query.items()}
                q.update(per_page=str(per_page), page=str(n))
                return f"{self.api_url}{path}?{urlencode(q)}"

            links = []
            if page > 1:
                links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
            if page < last:
                links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
            if page > 1:
                links.append(f'<{url(1)}>; rel="first"')
            headers = {"Link": ", ".join(links)} if links else {}
            return items[(page - 1) * per_page: page * per_page], headers
        return paginate

    def serve(self, method: str, target: str, headers: Mapping[str, str], raw: bytes
              ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (status, headers, body). The HTTP handler calls this."""
        split = urlsplit(target)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            request_id = f"{next(self._request_ids):04X}:{self._server.server_address[1]:04X}"
        if self.prefix and not (path == self.prefix or path.startswith(self.prefix + "/")):
            match = None
        else:
            path = path[len(self.prefix):]
            match = self.spec.match(method, path)
        if match is None:
            with self.lock:
                self.violations.append(f"{method} {split.path}: no operation of GitHub's "
                                       "description matches this request")
            return self._finish(None, method, path, 404, self._error_body(
                None, 404, "Not Found"), {}, request_id, None)
        op, raw_params = match
        path_params = {k: unquote(v) for k, v in raw_params.items()}
        problems: list[str] = []
        param_errors, params = self.spec.parameter_errors(op, path_params, query)
        problems += param_errors
        body: Any = None
        bad_json = False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
                problems.append(f"{op.operation_id} request body: not JSON")
        body_problems = [] if bad_json else self.spec.body_problems(
            op, headers.get("content-type"), raw, body)
        problems += [p.line for p in body_problems]
        with self.lock:
            self.violations.extend(problems)
            delays = [f for f in self._faults if f.delay and f.applies(op.operation_id)]
            for f in delays:
                f.use()
        for f in delays:
            self._stopping.wait(f.delay)
        request = Request(method, path, query, headers, body, op.operation_id, path_params)
        token = self._authenticate(headers.get("authorization"))
        with self.lock:
            try:
                if token is None:
                    message = ("Requires authentication" if not headers.get("authorization")
                               else "Bad credentials")
                    raise GitHubError(401, message)
                reply = self._dispatch(op, request, token, params, bad_json, body_problems,
                                       headers)
            except GitHubError as exc:
                message = exc.message.replace("{request_id}", request_id)
                reply = Reply(exc.status, self._error_body(op, exc.status, message, exc.errors),
                              dict(exc.headers))
            except Exception as exc:  # a bug in the stand-in or in a test's hook: say so
                self.errors.append(traceback.format_exc())
                self.violations.append(f"{op.operation_id}: the stand-in itself failed: "
                                       f"{type(exc).__name__}: {exc} (see gh.errors)")
                reply = Reply(500, self._error_body(op, 500, "Server Error"))
            return self._finish(op, method, path, reply.status, reply.body, reply.headers,
                                request_id, token, headers.get("accept", ""))

    def _authenticate(self, header: str | None) -> Token | None:
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        with self.lock:
            return self._tokens.get(value.strip())

    def _dispatch(self, op: Operation, request: Request, token: Token, params: dict[str, Any],
                  bad_json: bool, body_problems: list[Any], headers: Mapping[str, str]
                  ) -> Reply:
        alters = []
        for fault in list(self._faults):
            if not fault.applies(op.operation_id) or fault.delay:
                continue
            if fault.status:
                fault.use()
                raise GitHubError(fault.status, fault.message, headers=dict(fault.headers or {}))
            if fault.hook is not None:
                fault.use()
                fault.hook(self, request)
            if fault.alter is not None:
                alters.append(fault)
        if op.method != "GET" and not token.write:
            raise GitHubError(403, "Resource not accessible by integration")
        if op.operation_id.startswith("checks/") and op.method != "GET" and not token.app:
            raise GitHubError(403, "You must authenticate via a GitHub App.")
        repo = self._repos.get(f"{request.params.get('owner')}/{request.params.get('repo')}")
        if repo is None:
            raise GitHubError(404, "Not Found")
        if bad_json:
            raise GitHubError(400, "Problems parsing JSON")
        rejected = [p for p in body_problems if p.github]  # what GitHub refuses
        if rejected:
            raise GitHubError(422, rejected[0].github)
        if any(p.location == "path" and p.name not in params for p in op.parameters):
            raise GitHubError(404, "Not Found")  # e.g. a check run id that is no integer
        render = self._render.with_media(_media(headers.get("accept", "")))
        call = Call(operation=op.operation_id, repo=repo, token=token, params=params,
                    body=request.body if request.body is not None else {}, render=render,
                    new_id=self._new_id,
                    paginate=self._paginate(request.path, request.query, params),
                    identity=self._identity(token.login))
        try:
            reply = HANDLERS[op.operation_id](call)
        except GitObjectError as exc:
            raise GitHubError(422, str(exc)) from None
        for fault in alters:
            if fault.applies(op.operation_id) and fault.alter is not None:
                fault.use()
                reply.body = fault.alter(reply.body)
        return reply

    def _finish(self, op: Operation | None, method: str, path: str, status: int, body: Any,
                headers: dict[str, str], request_id: str, token: Token | None,
                accept: str = "") -> tuple[int, dict[str, str], bytes]:
        # caller holds no lock or the (re-entrant) lock
        with self.lock:
            if op is not None:
                self.violations.extend(self.spec.response_errors(op, status, body, headers))
            self.requests.append(RequestRecord(method, path, status,
                                               op.operation_id if op else None))
            out = {"Content-Type": "application/json; charset=utf-8",
                   "X-GitHub-Request-Id": request_id,
                   "X-GitHub-Api-Version-Selected": "2022-11-28",
                   "X-GitHub-Media-Type": _media_header(accept)}
            if token is not None:
                remaining = self._remaining.get(token.value, RATE_LIMIT) - 1
                self._remaining[token.value] = max(remaining, 0)
                out.update({"X-RateLimit-Limit": str(RATE_LIMIT),
                            "X-RateLimit-Remaining": str(max(remaining, 0)),
                            "X-RateLimit-Reset": str(self._reset),
                            "X-RateLimit-Used": str(RATE_LIMIT - max(remaining, 0)),
                            "X-RateLimit-Resource": "core"})
            for name, value in headers.items():  # a fault's headers win
                for existing in [k for k in out if k.lower() == name.lower()]:
                    del out[existing]
                out[name] = value
        data = b"" if body is None else json.dumps(body).encode()
        return status, out, data


def _media(accept: str) -> str:
    """GitHub's media type parameter from an Accept header: full, html, text, raw or ''."""
    for part in accept.split(","):
        part = part.strip().split(";")[0]
        if part.startswith("application/vnd.github"):
            rest = part.split("+")[0].split(".")
            for param in ("full", "html", "text", "raw"):
                if param in rest:
                    return param
    return ""


def _media_header(accept: str) -> str:
    media = _media(accept)
    return f"github.v3; param={media}; format=json" if media else "github.v3; format=json"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that hung up (a timeout test) or a stand-in that stopped: nothing to say
        pass


def _make_handler(gh: LocalGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "GitHub.com"
        sys_version = ""
        timeout = 30

        def setup(self) -> None:
            super().setup()
            with gh.lock:
                gh._connections.add(self.connection)

        def finish(self) -> None:
            with gh.lock:
                gh._connections.discard(self.connection)
            super().finish()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, data = gh.serve(self.command, self.path, dict(self.headers), raw)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
