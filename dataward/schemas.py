"""JSON Schemas (2020-12) of everything dataward reads or writes, generated from its models.

`dataward schema --write` regenerates schemas/; `--check` exits 1 when a file there is not
what the models say (a test runs it). Editors use them for completion: the card schema for
`*.card.md` front matter, the policy schema for dataward.toml.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from pydantic import BaseModel, Field, TypeAdapter

from dataward.adapters.files import read_given, write_replacing

BASE_URL = "https://github.com/dataward/dataward/raw/main/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class FindingRecord(BaseModel):
    """One problem, located, with the fix."""

    check: str = Field(description="The check id (docs/checks.md#<id>).")
    rule: str = Field(description="The stable rule id (docs/checks.md#<rule>), which a policy "
                                  "can switch off with `ignore` or `per-path-ignores`.")
    severity: Literal["error", "warning"] = Field(description="Errors fail the check.")
    path: str = Field(description="Repository-relative path, or `.` for the repository.")
    line: int | None = Field(ge=1, description="1-based line; null when it has none.")
    message: str = Field(description="What is wrong.")
    hint: str = Field(description="The command or edit that fixes it.")


class FindingsDocument(BaseModel):
    """`--format json`: every finding of one run."""

    schema_version: Literal[1] = Field(description="Changes when the format changes.")
    findings: list[FindingRecord]


def _card() -> dict[str, Any]:
    from dataward.formats.card import LabCard

    return LabCard.model_json_schema()


def _dvc_file() -> dict[str, Any]:
    from dataward.formats.dvcfile_model import DvcFile

    return DvcFile.model_json_schema()


def _findings() -> dict[str, Any]:
    return FindingsDocument.model_json_schema()


def _catalog() -> dict[str, Any]:
    from dataward.catalog.model import Catalog

    return Catalog.model_json_schema()


def _drift_report() -> dict[str, Any]:
    from dataward.drift.model import DriftReport

    return DriftReport.model_json_schema()


def _policy() -> dict[str, Any]:
    from dataward.policy import Policy

    return _namedtuple_schema(Policy)


def _namedtuple_schema(cls: Any) -> dict[str, Any]:
    """A policy table: kebab-case keys, each with its type, default and description."""
    props: dict[str, Any] = {}
    for field, hint in get_type_hints(cls, include_extras=True).items():
        description = ""
        if get_origin(hint) is Annotated:
            hint, *meta = get_args(hint)
            description = next((m for m in meta if isinstance(m, str)), "")
        if hasattr(hint, "_fields"):
            schema = _namedtuple_schema(hint)
        else:
            schema = TypeAdapter(hint).json_schema()
            schema["default"] = cls._field_defaults[field]
        if description:
            schema["description"] = description
        props[field.replace("_", "-")] = schema
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        out["description"] = cls.__doc__.strip()
    return out


# file name -> (title, description, generator)
SCHEMAS: dict[str, tuple[str, str, Callable[[], dict[str, Any]]]] = {
    "dataset-card.schema.json": (
        "dataset card front matter",
        "The YAML front matter of a dataset card (*.card.md): Hugging Face keys with the Hub's "
        "allowed values, and the lab's keys.", _card),
    "dvc-file.schema.json": (
        ".dvc file", "A DVC pointer file (DVC 0.x to 3, imports included), as dataward reads "
        "it.", _dvc_file),
    "policy.schema.json": (
        "dataward policy", "dataward.toml, or [tool.dataward] in pyproject.toml.", _policy),
    "findings.schema.json": (
        "dataward findings", "The output of any check with --format json.", _findings),
    "catalog.schema.json": (
        "dataward catalog", "catalog.json: every dataset of a registry at one commit, with every "
        "version from git history (`dataward catalog build`).", _catalog),
    "drift-report.schema.json": (
        "dataward drift report", "`dataward drift scan -o`: which version of each registry "
        "dataset one environment holds.", _drift_report),
}


def generate(name: str) -> dict[str, Any]:
    title, description, build = SCHEMAS[name]
    body = build()
    body.pop("title", None)
    body.pop("description", None)
    return {"$schema": DIALECT, "$id": BASE_URL + name, "title": title,
            "description": description, **body}


def render(name: str) -> str:
    return json.dumps(generate(name), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write(folder: str) -> list[str]:
    os.makedirs(folder, exist_ok=True)
    written = []
    for name in SCHEMAS:
        path = os.path.join(folder, name)
        text = render(name)
        if _read(path) != text:
            try:
                write_replacing(path, text.encode())
            except OSError as exc:
                from dataward.errors import UsageError

                raise UsageError(f"{path}: {exc.strerror}", "remove it, or pass --dir a "
                                 "folder of regular files") from None
            written.append(path)
    return written


def stale(folder: str) -> list[str]:
    return [os.path.join(folder, n) for n in SCHEMAS
            if _read(os.path.join(folder, n)) != render(n)]


def _read(path: str) -> str | None:
    """The schema file's text; None when missing, or when it is no regular UTF-8 file of a
    sane size (a FIFO there must not hang `--check`: it is stale, and `--write` refuses it)."""
    try:
        return read_given(path, 16 << 20).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
