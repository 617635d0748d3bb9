"""GitHub's OpenAPI description (trimmed): routing and validation of requests and responses.

Every check uses openapi-schema-validator's OAS 3.0 validators (`nullable`, OAS formats):
the write flavour for request bodies, the read flavour for responses. Each problem comes
back as one readable line: operation, request/response, JSON path, message.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator

SPEC_PATH = Path(__file__).with_name("api.github.com.trimmed.json")
JSON = "application/json"

# Statuses GitHub answers on any endpoint although most operations do not declare them
# (authentication, permissions, rate limits, validation, outages). An undeclared status
# outside this table is a violation; one inside it must still carry GitHub's error body.
GENERIC_STATUSES: dict[int, str] = {
    400: "basic-error", 401: "basic-error", 403: "basic-error", 404: "basic-error",
    409: "basic-error", 422: "validation-error", 429: "basic-error", 500: "basic-error",
    502: "basic-error", 503: "basic-error", 504: "basic-error",
}


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in {"mailto", "urn"}) \
        and not any(c.isspace() for c in value)


def _nullable(check: Any) -> Any:
    def keyword(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        if instance is None and schema.get("nullable") is True:
            return
        yield from check(validator, value, instance, schema)
    return keyword


def _admit_null(cls: Any) -> Any:
    """`cls` where `nullable: true` admits null whatever else the schema object says.

    openapi-schema-validator reads OAS 3.0.3 strictly: `nullable` only widens `type`, so
    `{"nullable": true, "enum": [...]}` (a check run's `conclusion`) or `{"nullable": true,
    "oneOf": [...]}` (an issue's `milestone`) would reject the null GitHub sends and takes.
    GitHub's description means null there, as Octokit's generated types read it."""
    return extend(cls, {k: _nullable(cls.VALIDATORS[k])
                        for k in ("enum", "oneOf", "anyOf", "allOf") if k in cls.VALIDATORS})


def _overlapping_one_of(cls: Any) -> Any:
    """`cls` where `oneOf` (without a discriminator) passes when one or more alternatives do.

    GitHub's description uses `oneOf` for alternatives that overlap: a 409 body is
    `oneOf: [basic-error, repository-rule-violation-error]`, both all-optional objects, so
    every error GitHub sends matches both and a strict `oneOf` could never pass."""
    one_of, any_of = cls.VALIDATORS["oneOf"], cls.VALIDATORS["anyOf"]

    def keyword(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Any:
        check = one_of if "discriminator" in schema else any_of
        yield from check(validator, value, instance, schema)
    return extend(cls, {"oneOf": keyword})


RequestValidator = _admit_null(_overlapping_one_of(OAS30WriteValidator))
ResponseValidator = _admit_null(_overlapping_one_of(OAS30ReadValidator))

FORMATS = FormatChecker()
FORMATS.checkers = dict(OAS30Validator.FORMAT_CHECKER.checkers)
FORMATS.checks("uri")(_is_uri)


@dataclass(frozen=True)
class Problem:
    line: str  # for `violations`: operation, request/response, JSON path, message
    github: str  # what GitHub answers with its 422 ("": GitHub accepts the request)


@dataclass
class Parameter:
    name: str
    location: str  # path or query
    required: bool
    schema: dict[str, Any]
    multi_segment: bool = False


@dataclass
class Operation:
    operation_id: str
    method: str
    template: str
    parameters: list[Parameter]
    request_body: dict[str, Any] | None
    responses: dict[str, Any]
    docs_url: str
    paginated: bool = field(default=False)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        out = "^"
        for literal, name in re.findall(r"([^{]*)(?:\{([^}]+)\})?", self.template):
            out += re.escape(literal)
            if name:
                multi = any(p.name == name and p.multi_segment for p in self.parameters)
                out += f"(?P<{name}>{'.+' if multi else '[^/]+'})"
        return re.compile(out + "$")

    @property
    def specificity(self) -> int:
        """Literal characters in the template: the more, the more specific a match."""
        return len(re.sub(r"\{[^}]+\}", "", self.template))


def _truncate(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(error: ValidationError) -> str:
    """jsonschema's message with a long leading instance shortened, so the part that says
    what is wrong ("is too long", "is not valid under any...") survives."""
    message, shown = error.message, repr(error.instance)
    if message.startswith(shown) and len(shown) > 80:
        message = _truncate(shown, 60) + message[len(shown):]
    return _truncate(message)


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class Spec:
    """The trimmed description, its operations, and validators for their messages."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.components = self.document["components"]
        self.operations: dict[str, Operation] = {}
        for template, item in self.document["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method == "parameters":
                    continue
                params = [self._parameter(p) for p in [*shared, *op.get("parameters", [])]]
                self.operations[op["operationId"]] = Operation(
                    operation_id=op["operationId"], method=method.upper(), template=template,
                    parameters=params, request_body=op.get("requestBody"),
                    responses=op["responses"],
                    docs_url=op.get("externalDocs", {}).get("url", "https://docs.github.com/rest"),
                    paginated=any(p.name == "page" for p in params))
        self._validators: dict[tuple[str, str], Any] = {}

    # $ref handling
    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            _, _, kind, name = node["$ref"].split("/")
            node = self.components[kind][name]
        return node

    def _parameter(self, node: dict[str, Any]) -> Parameter:
        p = self.resolve(node)
        return Parameter(p["name"], p["in"], bool(p.get("required")), p.get("schema", {}),
                         bool(p.get("x-multi-segment")))

    def _validator(self, key: tuple[str, str], schema: dict[str, Any], write: bool) -> Any:
        if key not in self._validators:
            cls = RequestValidator if write else ResponseValidator
            # A root holding `components`, so `#/components/...` resolves; the extra key
            # is no schema keyword and changes nothing else.
            root = {**schema, "components": self.components}
            self._validators[key] = cls(root, format_checker=FORMATS)
        return self._validators[key]

    # routing
    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        found = [(op, m) for op in self.operations.values()
                 if op.method == method and (m := op.pattern.match(path))]
        if not found:
            return None
        op, m = max(found, key=lambda pair: pair[0].specificity)
        return op, m.groupdict()

    # validation
    def _schema_errors(self, key: tuple[str, str], schema: dict[str, Any], instance: Any,
                       write: bool, where: str) -> list[Problem]:
        chosen = self._discriminated(schema, instance)
        if chosen is not schema:
            key, schema = (key[0], f"{key[1]}:{chosen['$ref']}"), chosen
        validator = self._validator(key, schema, write)
        out = []
        for error in validator.iter_errors(instance):
            detail = best_match([error]) or error
            out.append(Problem(f"{where} at {_json_path(detail)}: {_message(detail)}",
                               github_message(detail)))
        return out

    def _discriminated(self, schema: dict[str, Any], instance: Any) -> dict[str, Any]:
        # GitHub's get-content maps a directory listing (a JSON array) with discriminator
        # value "array"; a discriminator can only read objects, so pick that branch here.
        disc = schema.get("discriminator")
        if isinstance(instance, list) and disc and "array" in disc.get("mapping", {}):
            return {"$ref": disc["mapping"]["array"]}
        return schema

    def parameter_errors(self, op: Operation, path_params: Mapping[str, str],
                         query: Mapping[str, list[str]]) -> tuple[list[str], dict[str, Any]]:
        """Problems with path and query parameters, and the parameters as typed values."""
        errors: list[str] = []
        values: dict[str, Any] = {}
        declared = {(p.location, p.name): p for p in op.parameters}
        for name in query:
            if ("query", name) not in declared:
                errors.append(f"{op.operation_id} request: query parameter {name!r} is not "
                              "declared for this operation")
        for param in op.parameters:
            if param.location == "path":
                raw: list[str] | None = [path_params[param.name]] \
                    if param.name in path_params else None
            elif param.location == "query":
                raw = list(query[param.name]) if param.name in query else None
            else:
                continue
            if raw is None:
                if param.required:
                    errors.append(f"{op.operation_id} request: required {param.location} "
                                  f"parameter {param.name!r} is missing")
                continue
            if len(raw) > 1 and param.schema.get("type") != "array":
                errors.append(f"{op.operation_id} request: {param.location} parameter "
                              f"{param.name!r} given {len(raw)} times")
            value = _coerce(raw[-1], param.schema)
            where = f"{op.operation_id} request {param.location} parameter {param.name!r}"
            problems = self._schema_errors((op.operation_id, f"param:{param.name}"),
                                           param.schema, value, True, where)
            errors.extend(p.line for p in problems)
            if not problems:
                values[param.name] = value
        return errors, values

    def body_problems(self, op: Operation, content_type: str | None, raw: bytes,
                      body: Any) -> list[Problem]:
        """Problems with a request body (already parsed from JSON: `body`)."""
        name = f"{op.operation_id} request body"
        if op.request_body is None:
            return [Problem(f"{name}: this operation takes no body",
                            "Problems parsing JSON")] if raw.strip() else []
        rb = self.resolve(op.request_body)
        if not raw.strip():
            return [Problem(f"{name}: missing (required)", "Invalid request.\n\n"
                            "Request body is required.")] if rb.get("required") else []
        media = (content_type or "").split(";")[0].strip().lower()
        if media != JSON:
            return [Problem(f"{name}: Content-Type {content_type!r} is not {JSON}",
                            "Problems parsing JSON")]
        schema = rb["content"][JSON]["schema"]
        problems = self._schema_errors((op.operation_id, "request"), schema, body, True, name)
        # GitHub ignores what its description does not name: a client sending it believes
        # in an effect that never happens (a violation, though GitHub answers as usual)
        problems += [Problem(f"{name} at {where}: property {key!r} is not in GitHub's "
                             "description (GitHub ignores it)", "")
                     for where, key in self.undeclared(schema, body)]
        return problems

    def undeclared(self, schema: dict[str, Any], instance: Any, where: str = "$"
                   ) -> list[tuple[str, str]]:
        """(JSON path, key) of object members no schema (branch) declares."""
        schema = self.resolve(schema)
        every = [schema] + [self.resolve(s) for s in schema.get("allOf", [])]
        some = [self.resolve(s) for k in ("anyOf", "oneOf") for s in schema.get(k, [])]
        branches = every + some
        out: list[tuple[str, str]] = []
        if isinstance(instance, dict):
            declared: dict[str, dict[str, Any]] = {}
            for branch in branches:
                declared.update(branch.get("properties", {}))
            # members beyond `properties` are declared by an `additionalProperties` of a
            # schema that always applies, or by an object schema that names no properties
            open_ended = any(b.get("additionalProperties") not in (None, False)
                             for b in every) or not declared
            for key, value in instance.items():
                if key in declared:
                    out += self.undeclared(declared[key], value, f"{where}.{key}")
                elif not open_ended:
                    out.append((where, key))
        elif isinstance(instance, list):
            for branch in branches:
                if "items" in branch:
                    for i, item in enumerate(instance):
                        out += self.undeclared(branch["items"], item, f"{where}[{i}]")
                    break
        return out

    def response_errors(self, op: Operation, status: int, body: Any,
                        headers: Mapping[str, str]) -> list[str]:
        name = f"{op.operation_id} response {status}"
        declared = op.responses.get(str(status))
        if declared is None:
            generic = GENERIC_STATUSES.get(status)
            if generic is None:
                return [f"{name}: status {status} is not declared for this operation"]
            schema: dict[str, Any] | None = {"$ref": f"#/components/schemas/{generic}"}
            key = f"generic:{generic}"
        else:
            response = self.resolve(declared)
            content = response.get("content", {})
            schema = content[JSON]["schema"] if JSON in content else None
            key = f"response:{status}"
            for header, spec in response.get("headers", {}).items():
                if self.resolve(spec).get("required") and \
                        header.lower() not in {h.lower() for h in headers}:
                    return [f"{name}: required header {header!r} is missing"]
        if schema is None:
            return [f"{name}: this response has no body"] if body is not None else []
        if body is None:
            return [f"{name}: body missing"]
        return [p.line for p in self._schema_errors((op.operation_id, key), schema, body,
                                                    False, f"{name} body")]


@functools.cache
def shared_spec() -> Spec:
    """One Spec per process: it is read-only once loaded (validators are cached in it)."""
    return Spec()


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """A query/path string as the value its schema's type names (unchanged if it is no
    such value, so validation reports it)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def github_message(error: ValidationError) -> str:
    """The message GitHub sends with a 422 for a body that fails its schema."""
    where = "/".join(f"properties/{p}" if isinstance(p, str) else f"items/{p}"
                     for p in error.absolute_path)
    prefix = f"For '{where}', " if where else ""
    if error.validator == "required":
        missing = [name for name in error.validator_value
                   if isinstance(error.instance, dict) and name not in error.instance]
        detail = f'"{missing[0] if missing else "?"}" wasn\'t supplied.'
        return f"Invalid request.\n\n{detail}"
    if error.validator == "maxItems" and isinstance(error.instance, list):
        return (f"Invalid request.\n\nNo more than {error.validator_value} items are allowed; "
                f"{len(error.instance)} were supplied.")
    if error.validator == "type":
        return (f"Invalid request.\n\n{prefix}{json.dumps(error.instance)[:80]} is not "
                f"{'an' if str(error.validator_value)[0] in 'aeiou' else 'a'} "
                f"{error.validator_value}.")
    if error.validator == "enum":
        return (f"Invalid request.\n\n{prefix}{json.dumps(error.instance)[:80]} is not a "
                "member of enum.")
    return f"Invalid request.\n\n{prefix}{_truncate(error.message, 160)}."
