"""Run a check's `main` in-process, the way its console script does, and capture what it prints."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def findings(self) -> list[dict[str, Any]]:
        return json.loads(self.out)["findings"]  # type: ignore[no-any-return]


def runner(main: Callable[[Sequence[str]], int], capsys: pytest.CaptureFixture[str]
           ) -> Callable[..., Result]:
    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run
