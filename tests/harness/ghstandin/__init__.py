"""A local stand-in for GitHub's REST API, for tests that drive the real github3.py client.

    from tests.harness.ghstandin import LocalGitHub

    with LocalGitHub() as gh:                      # or LocalGitHub(prefix="/api/v3") (GHES)
        gh.add_token("t1", write=True)
        base = gh.add_repo("lab/registry")         # SHA of the initial commit on main
        client = github3.GitHub()
        client.session.base_url = gh.api_url
        client.session.auth = github3.session.AppInstallationTokenAuth("t1", "2099-01-01T00:00:00Z")
        ...
        assert gh.violations == []                 # or gh.check() for a readable failure

Modules: `server` (LocalGitHub: HTTP, state, faults, accessors), `operations` (what each
operation does), `payloads` (GitHub's JSON for the records), `state` (the records),
`gitobjects` (blobs, trees and commits with git's own SHA-1s), `openapi` (routing and
validation against `api.github.com.trimmed.json`, made by `scripts/trim_openapi.py`).

How requests and answers are judged (each problem is one line in `gh.violations`):
- a request no operation of the description matches (method and path): 404;
- path and query parameters against their schemas; a query parameter the operation does
  not declare; a body against the operation's requestBody (GitHub answers 422 as it does);
- a body member the description does not declare (GitHub ignores it, so the client
  believes in an effect that never happens): a violation, but the request is served;
- every answer: its status must be declared for the operation, or be one GitHub sends on
  any endpoint (400, 401, 403, 404, 409, 422, 429, 5xx) with GitHub's error body; its
  body must match the declared schema (OAS 3.0 validators of openapi-schema-validator,
  plus a `uri` format check: every URL must be absolute).
Two readings of GitHub's description differ from a strict OAS 3.0.3 validator: `nullable:
true` admits null next to `enum`/`oneOf` (GitHub sends and takes null there), and `oneOf`
without a discriminator passes when one or more alternatives match (GitHub's error bodies
match both of its overlapping alternatives).

GitHub behaviour followed without a confirmed message (status codes are GitHub's, texts
best guesses): 404 "Branch X not found" (contents PUT to a missing branch), 404 "No commit
found for the ref X" (contents GET), 422 "content is not valid Base64", 422 "Object does not
exist" (refs), 422 '"conclusion" wasn't supplied.' (a completed check run without one), the
"For 'properties/x', ..." form of body-schema 422s. Simplifications: no anonymous access
(no token: 401 "Requires authentication"); deleting a missing path in create-tree is a
no-op; a contents `url` carries no `?ref=`.
"""

from tests.harness.ghstandin.operations import GitHubError
from tests.harness.ghstandin.server import LocalGitHub, Request, RequestRecord

__all__ = ["GitHubError", "LocalGitHub", "Request", "RequestRecord"]
