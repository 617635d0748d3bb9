"""The catalog: every dataset of a registry and every version of it, from git history alone.

`catalog.json` is one `Catalog`; schemas/catalog.schema.json is generated from these models and
a test validates built catalogs against it. Field names are what a user reads in the file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from dataward.catalog.pull_cost import PullCost, pull_cost
from dataward.formats.urls import public


def _masked(url: str | None) -> str | None:
    return None if url is None else public(url)


# A URL the catalog holds: masked however the catalog was made (built here, or read from a
# catalog.json someone else wrote), so catalog.json, the page and the Croissant records never
# carry a password, a token or a signed query; user information is left out, not shown as
# `***@`, so the URL still works for a public remote and in a pasted `dvc import`.
PublicUrl = Annotated[str, AfterValidator(public)]
OptionalPublicUrl = Annotated[str | None, AfterValidator(_masked)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pull(_Model):
    """What `dvc pull` of a version transfers out of the remote (dataward.catalog.pull_cost)."""

    objects: int = Field(ge=1, description="Objects fetched: 1 for a file; a directory's files "
                                           "and its .dir manifest.")
    bytes: int | None = Field(ge=0, description="Bytes fetched (the version's size); null "
                                                "when the .dvc file records none.")
    usd_per_gb: float = Field(ge=0, allow_inf_nan=False, description=(
        "The price of a GB (10^9 bytes, as AWS bills) out of the remote: the registry policy's "
        "`[remote] transfer-usd-per-gb` at the catalog's commit (default 0.114: S3 transfer "
        "out, Tokyo)."))
    usd: float | None = Field(ge=0, allow_inf_nan=False, description=(
        "bytes / 10^9 x usd_per_gb; null when the size is unknown."))

    def cost(self) -> PullCost:
        return PullCost(self.objects, self.bytes, self.usd)


HashKind = Literal["md5", "md5-dos2unix"]


class Version(_Model):
    """One state of a dataset: a commit that changed its hash."""

    version: int = Field(ge=1, description="1 for the oldest; the newest is the current one.")
    md5: str = Field(description="The output's hash as DVC writes it (`<32 hex>.dir` for a "
                                 "directory).")
    size: int | None = Field(ge=0, description="Bytes, as the .dvc file records them.")
    nfiles: int | None = Field(ge=0, description="Files of a directory output; null for a "
                                                 "file.")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$", description="The commit that made this "
                                                               "version.")
    date: str = Field(description="The commit's author date, ISO 8601 with its offset.")
    author: str = Field(description="The commit's author name.")
    message: str = Field(description="The commit's subject line.")
    dvc_file: str = Field(description="The .dvc file (or dvc.lock) at that commit (it may "
                                      "have been renamed since).")
    stage: str | None = Field(default=None, description="The dvc.lock stage that wrote it; "
                                                        "null for a .dvc file's output.")
    hash: HashKind = Field(default="md5", description=(
        "How `md5` was computed: `md5` (DVC 3) or `md5-dos2unix` (a DVC 2 file: text files "
        "hashed with CRLF turned into LF). A registry's history may mix the two; absent in "
        "catalogs older than it, where it is the dataset's `hash`."))
    tags: list[str] = Field(default_factory=list, description=(
        "Git tags of main-line commits that hold this version (the first is the one `dvc "
        "import --rev` is given): those on the oldest such commit first, then later ones; "
        "on one commit, in version order (v2.9 before v2.10)."))
    pull: Pull | None = Field(default=None, description=(
        "What a pull of this version transfers and costs; null when a directory's file count "
        "is unknown, and in catalogs older than it."))

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")

    def pull_cost(self) -> tuple[PullCost | None, float | None]:
        """The pull's cost and the price it was reckoned at: as recorded, else (a catalog
        older than `pull`) the objects and bytes alone, the price unknown."""
        if self.pull is not None:
            return self.pull.cost(), self.pull.usd_per_gb
        return pull_cost(self.size, self.nfiles, self.is_dir, None), None


class Maintainer(_Model):
    name: str
    email: str | None = None
    github: str | None = None


class Card(_Model):
    """What the dataset's card says (its front matter, and the text after it)."""

    path: str = Field(description="The card's path in the registry.")
    pretty_name: str | None = None
    description: str = Field(description="The card's first paragraph of text.")
    text: str = Field(description="The card's Markdown after the front matter.")
    license: list[str] = Field(description="License ids (Hugging Face's list, or `other`).")
    license_name: str | None = None
    license_link: str | None = None
    maintainers: list[Maintainer]
    source: str | None = None
    access: Literal["public", "lab", "restricted"] | None = None
    personal_data: bool | None = None
    citation: str | None = None
    language: list[str]
    task_categories: list[str]
    size_categories: list[str]
    tags: list[str]
    front_matter: dict[str, Any] = Field(description="Every front-matter key, as written.")


class Import(_Model):
    """Where an imported dataset comes from (`dvc import`)."""

    url: PublicUrl
    path: str
    rev: str | None = None
    rev_lock: str | None = None


class Dataset(_Model):
    """One cached output of a .dvc file at the catalog's commit."""

    name: str = Field(description="The output's path in the registry (what `dvc import` "
                                  "takes).")
    dvc_file: str = Field(description="The .dvc file, or the dvc.lock of the pipeline stage "
                                      "that writes it.")
    stage: str | None = Field(default=None, description="The dvc.lock stage that writes it "
                                                        "(`name`, or `name@key` for a foreach "
                                                        "stage); null for a .dvc file's "
                                                        "output.")
    path: str = Field(description="The output's path, repository-relative.")
    md5: str = Field(description="The current hash as DVC writes it.")
    hash: HashKind = Field(
        description="`md5` (DVC 3) or `md5-dos2unix` (DVC 2: text files hashed with CRLF "
                    "turned into LF), as the current version records it.")
    size: int | None = Field(ge=0)
    nfiles: int | None = Field(ge=0)
    is_dir: bool
    remote: str | None = Field(description="The DVC remote's name (the output's own, else the "
                                           "default); null for an import.")
    remote_url: OptionalPublicUrl = Field(description="The remote's URL; null when unknown.")
    object_url: OptionalPublicUrl = Field(description="Where the current object (a "
                                                      "directory's .dir manifest) is in the "
                                                      "remote.")
    imported: Import | None = Field(description="Set when the dataset is a `dvc import`.")
    card: Card | None = Field(description="The dataset's card; null when it has none.")
    versions: list[Version] = Field(min_length=1, description="Oldest first; the last is the "
                                                              "current one.")

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @model_validator(mode="before")
    @classmethod
    def _versions_hash(cls, data: Any) -> Any:
        """A catalog older than `Version.hash` recorded one kind for the whole dataset: its
        versions take it (their hashes were all read as that kind then)."""
        if not isinstance(data, dict) or data.get("hash") not in ("md5", "md5-dos2unix"):
            return data
        versions = data.get("versions")
        if not isinstance(versions, list):
            return data
        kind = data["hash"]
        filled = [{**v, "hash": kind} if isinstance(v, dict) and "hash" not in v else
                  v.model_copy(update={"hash": kind}) if isinstance(v, Version)
                  and "hash" not in v.model_fields_set else v for v in versions]
        return {**data, "versions": filled}


class Catalog(_Model):
    """`dataward catalog build`: the registry's datasets at one commit."""

    schema_version: Literal[1] = Field(description="Changes when the format changes.")
    generator: str = Field(description="`dataward <version>`.")
    registry: OptionalPublicUrl = Field(description="The registry's URL (for `dvc import`); null "
                                             "when unknown.")
    commit: str = Field(pattern=r"^[0-9a-f]{40}$", description="The registry commit "
                                                               "described.")
    date: str = Field(description="That commit's committer date, ISO 8601.")
    datasets: list[Dataset] = Field(description="By name.")
