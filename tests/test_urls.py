"""URLs as people write them: one key per repository, prefixes on path boundaries, masking."""

from __future__ import annotations

import pytest

from dataward.formats.urls import has_credentials, mask, remote_key, repo_key, within


@pytest.mark.parametrize("url", ["https://github.com/Lab/datasets.git",
                                 "git@github.com:Lab/datasets", "ssh://git@github.com/lab/datasets/",
                                 "https://token@github.com/lab/datasets"])
def test_one_key_per_repository(url: str) -> None:
    assert repo_key(url) == "github.com/lab/datasets"


def test_local_paths_stay_paths() -> None:
    assert repo_key("/srv/git/datasets.git/") == "/srv/git/datasets"
    assert repo_key("file:///srv/git/datasets") == "/srv/git/datasets"
    assert repo_key("C:/lab/datasets") == "C:/lab/datasets"


def test_prefixes_stop_at_path_boundaries() -> None:
    assert within("s3://lab-data/registry/x", "s3://lab-data")
    assert within("s3://lab-data", "s3://lab-data/")
    assert not within("s3://lab-data-copy", "s3://lab-data")
    assert remote_key("S3://Lab-Data/Registry/") == "s3://lab-data/Registry"


def test_user_information_is_masked_and_ssh_users_kept() -> None:
    assert mask("https://alice:p/ss@dav.example/x") == "https://***@dav.example/x"
    assert mask("ssh://git@host/x") == "ssh://git@host/x"
    assert has_credentials("https://alice:pw@host") and not has_credentials("ssh://git@host/x")
