from __future__ import annotations

import pytest

from dataward.formats.globs import last_match, matches


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("*.pt", "model.pt", True),
    ("*.pt", "runs/1/model.pt", True),  # no slash: any depth
    ("*.pt", "model.pth", False),
    ("data/*.csv", "data/a.csv", True),
    ("data/*.csv", "data/x/a.csv", False),  # * stops at /
    ("data/*.csv", "sub/data/a.csv", False),  # with a slash: anchored
    ("/data/*.csv", "data/a.csv", True),
    ("data/**", "data/x/y/z.bin", True),
    ("data/", "data/x.bin", True),
    ("**/fixtures/*.bin", "fixtures/a.bin", True),
    ("**/fixtures/*.bin", "a/b/fixtures/a.bin", True),
    ("img?.png", "img1.png", True),
    ("img[0-9].png", "img7.png", True),
    ("img[!0-9].png", "img7.png", False),
    ("a+b(c).txt", "a+b(c).txt", True),
])
def test_gitattributes_style_patterns(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


def test_later_patterns_win() -> None:
    assert last_match(["*.csv", "data/**"], "data/a.csv") == "data/**"
    assert last_match(["data/**", "*.csv"], "data/a.csv") == "*.csv"
    assert last_match(["*.csv"], "a.txt") is None
