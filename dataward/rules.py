"""Every kind of finding, by its stable rule id (as ruff's rules and zizmor's audits).

A rule id never changes meaning once released: it is what a lab writes in its policy to
switch a rule off (`ignore`, `per-path-ignores`), what SARIF and code scanning key on, and the
anchor of its section in docs/checks.md (what, why, the fix). A test ties each id here to its
docs and to the code that reports it. Plain data: hooks that only need the ids pay nothing.
"""

from __future__ import annotations

from typing import NamedTuple

DOCS = "https://github.com/dataward/dataward/blob/main/docs/checks.md"


class Rule(NamedTuple):
    check: str  # the check id that reports it
    summary: str  # one line: what is wrong


def _rules(check: str, **summaries: str) -> dict[str, Rule]:
    return {rid.replace("_", "-"): Rule(check, text) for rid, text in summaries.items()}


RULES: dict[str, Rule] = {
    **_rules(
        "no-large-binaries",
        large_file="a blob over the size limit goes into git",
        binary_file="a binary file the policy forbids goes into git",
        lfs_not_pointer="a file marked filter=lfs goes into git whole, not as an LFS pointer",
        dvc_output_in_git="data that DVC tracks in that commit goes into git",
    ),
    **_rules(
        "dvc-files",
        dvcfile_merge_conflict="a .dvc file holds merge-conflict markers",
        dvcfile_not_yaml="a .dvc file is not YAML that DVC can read",
        dvcfile_empty="a .dvc file is empty",
        dvcfile_not_mapping="a .dvc file is not a mapping of DVC's fields",
        dvcfile_unknown_key="a .dvc file holds a key DVC does not write",
        dvcfile_invalid_value="a value in a .dvc file has the wrong type or form",
        dvcfile_unreadable="a .dvc file cannot be read from disk",
        no_outputs="a .dvc file declares no outputs",
        nfiles_without_dir="`nfiles` is set for an output whose hash is not a folder's",
        import_not_pinned="a `dvc import` is not pinned to a commit (no rev_lock)",
        import_not_allowed="a `dvc import` comes from a repository the policy does not allow",
        output_empty_path="an output has no usable path",
        output_url="an output is a URL, not a path in the repository",
        absolute_wdir="`wdir` is an absolute path",
        output_absolute_path="an output is an absolute path",
        output_outside_repo="an output resolves outside the repository",
        output_in_metadata_dir="an output lies inside .git/ or .dvc/",
        output_is_dvcfile="an output names a DVC file",
        output_kind_mismatch="an output's hash says folder (or file) and the workspace disagrees",
        output_symlink_outside="an output leads outside the repository through a symlink",
        output_through_symlink="an output is reached through a symlinked folder",
        output_committed="an output is committed to git as well as tracked by DVC",
        output_not_ignored="an output is not ignored by git",
        output_claimed_twice="two DVC files claim the same path, or one holds another's",
        output_path_stale="an output is neither there nor ignored, its `path:` left behind "
                          "by a move of its .dvc file",
        no_dvc_folder="a .dvc file is committed where no .dvc/ folder makes a DVC project",
    ),
    **_rules(
        "dvc-config",
        config_not_utf8="a DVC config file is not UTF-8 text",
        config_unparsable="a DVC config file cannot be parsed as DVC parses it",
        config_unreadable="a DVC config file cannot be read from disk",
        credential_in_config="a credential is in a DVC config file committed to git",
        password_in_url="a URL in a DVC config carries a credential (user, password, token or "
                        "signed query)",
        no_default_remote="no default remote: `dvc push` and `dvc pull` have nowhere to go",
        default_remote_undefined="the default remote names no defined remote",
        remote_without_url="a remote has no url",
        remote_scheme_not_allowed="a remote uses a storage the policy does not allow",
        remote_url_not_allowed="a remote's URL is outside the storage the policy allows",
        dvc_folder_is_file="`.dvc` is a file where DVC keeps its folder",
        config_local_committed="`.dvc/config.local` is committed to git",
        config_local_not_ignored="`.dvc/config.local` is not ignored by git",
    ),
    **_rules(
        "dataset-cards",
        card_missing="a dataset has no card",
        card_orphan="a card has no .dvc file",
        card_not_found="a file named on the command line does not exist",
        card_unreadable="a card cannot be read from disk",
        card_not_utf8="a card's text is not UTF-8",
        card_front_matter="a card has no front matter, or it is not closed",
        card_merge_conflict="a card holds merge-conflict markers",
        card_not_yaml="a card's front matter is not valid YAML",
        card_empty_front_matter="a card's front matter is empty",
        card_front_matter_not_mapping="a card's front matter is not a mapping",
        card_legacy_key="a card uses the old name of a key",
        card_unknown_key="a card key looks like a misspelt known key",
        card_version_number="`version` is read as a number, not a label",
        card_invalid_value="a card's value has the wrong type",
        card_value_not_allowed="a card's value is not one the Hub allows",
        card_deprecated_value="a card's value is one the Hub deprecated",
        card_license_unnamed="`license: other` without `license_name`",
        card_language_code="`language` is not an ISO 639 code",
        card_todo_value="a card's value is still TODO",
        card_missing_key="a key the lab requires is missing or empty",
        card_personal_data_basis="`personal_data: true` without `personal_data_basis`",
        card_todo_text="the card's text still has a TODO",
        card_no_description="the card has no description",
        card_missing_section="a section the policy requires is missing",
        card_empty_section="a section the policy requires is empty",
        card_datasheet_sections="the card lacks sections Datasheets for Datasets recommends",
        card_size_mismatch="`size_categories` disagrees with the .dvc file's file count",
    ),
    **_rules(
        "dvc-pushed",
        objects_not_in_remote="objects a `dvc pull` needs are not in the remote",
        objects_corrupt="objects in the remote are not the bytes DVC recorded",
        objects_archived="objects a `dvc pull` needs are archived and cannot be read",
        objects_restoring="archived objects are being restored, or readable only until a date",
        objects_unverified="objects whose bytes the remote's answer cannot prove",
        objects_unreferenced="`remote audit`: the remote holds objects nothing references",
        dvcfile_unpullable="a DVC file cannot be read, so nobody can pull from it",
    ),
    # Not a finding of the data: the check itself could not run (exit 3, or 2).
    **_rules("dataward", could_not_check="a check could not run"),
}


def docs_url(rule: str) -> str:
    return f"{DOCS}#{rule}"
