"""The catalog in a terminal: `dataward ls` (one table) and `dataward show` (one dataset).

Tables are drawn with rich when it is installed (it comes with dvc), else as aligned text.
Every value (names, card fields, commit messages, authors) is a user's: it goes through
dataward.report.escape.terminal, so none can colour, move the cursor or start a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dataward.catalog.model import Catalog, Dataset, Version
from dataward.report.escape import terminal, terminal_text
from dataward.report.text import count

if TYPE_CHECKING:
    from dataward.catalog.pullable import RemoteState


def size(n: int | None) -> str:
    """Bytes, 1024-based as DVC counts them, labelled so (KiB), one decimal."""
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def commands(catalog: Catalog, dataset: Dataset, rev: str | None = None) -> list[str]:
    """How to use it: `dvc import` (tracked, updatable) and `dvc get` (a plain copy)."""
    from shlex import quote

    registry = quote(catalog.registry) if catalog.registry else "<registry url>"
    pin = f" --rev {quote(rev)}" if rev else ""
    return [f"dvc import {registry} {quote(dataset.path)}{pin}",
            f"dvc get {registry} {quote(dataset.path)}{pin}"]


def rev(version: Version) -> str:
    """What `dvc import --rev` names a version by: its first tag (a name a person reads and
    that git keeps however history is shown), else its commit."""
    return version.tags[0] if version.tags else version.commit


def declared_by(dataset: Dataset) -> str:
    """The .dvc file, or `dvc.lock` and the stage that writes the output."""
    return dataset.dvc_file + (f" (stage {dataset.stage})" if dataset.stage else "")


def print_list(catalog: Catalog) -> None:
    rows = [(d.name, str(d.current.version), size(d.size),
             "" if d.nfiles is None else str(d.nfiles),
             ", ".join(d.card.license) if d.card else "",
             ", ".join(m.name for m in d.card.maintainers) if d.card else "",
             d.current.date[:10]) for d in catalog.datasets]
    _table(f"{count(len(rows), 'dataset')} at {catalog.commit[:12]}",
           ("name", "version", "size", "files", "license", "maintainers", "changed"), rows)


def print_dataset(catalog: Catalog, dataset: Dataset, remote: RemoteState | None = None
                  ) -> None:
    """`remote`: what `show --remote` learnt of the current version's objects."""
    card = dataset.card
    title = card.pretty_name if card and card.pretty_name else dataset.name
    lines = [f"{title} ({dataset.name}), version {dataset.current.version}",
             f"  {declared_by(dataset)}: {dataset.md5}, {size(dataset.size)}"
             + (f", {dataset.nfiles} files" if dataset.nfiles is not None else ""),
             f"  {pull_line(dataset.current, remote.archived if remote else None)}"]
    if remote is not None:
        from dataward.catalog.pullable import describe

        lines.append(f"  {describe(remote)}")
    if dataset.imported:
        lines.append(f"  imported from {dataset.imported.url} {dataset.imported.path}")
    elif dataset.remote_url:
        lines.append(f"  data in {dataset.remote_url} (remote {dataset.remote})")
    if card:
        if card.description:
            lines.append(f"  {card.description}")
        lines.append(f"  license: {', '.join(card.license) or '?'}; maintainers: "
                     + (", ".join(m.name + (f" <{m.email}>" if m.email else "")
                                  for m in card.maintainers) or "?"))
        if card.source:
            lines.append(f"  source: {card.source}")
    else:
        lines.append("  no card")
    lines += ["", "Use it:"] + [f"  {c}" for c in commands(catalog, dataset)]
    lines += ["", "One version of it:"] + [
        f"  v{v.version}: {commands(catalog, dataset, rev(v))[0]}"
        for v in reversed(dataset.versions)]
    print(terminal_text("\n".join(terminal(line) for line in lines)) + "\n")
    rows = [(str(v.version), _tags(v.tags), v.date[:10], v.author, v.message,
             size(v.size), v.commit[:12]) for v in reversed(dataset.versions)]
    _table("versions", ("version", "tags", "date", "author", "message", "size", "commit"),
           rows)


def pull_line(version: Version, archived: int | None = None) -> str:
    """What a pull of the version transfers and costs (dataward.catalog.pull_cost), and how
    many of its objects are archived, when the remote was asked."""
    from dataward.catalog.pull_cost import describe

    cost, price = version.pull_cost()
    return describe(cost._replace(archived=archived) if cost else cost, price)


def _tags(tags: Sequence[str]) -> str:
    """The tags of a version, two at most: a registry tagging every tutorial step gives one
    version twenty tags, which would leave the other columns no room (catalog.json has all)."""
    shown = ", ".join(tags[:2])
    return shown + (f" +{len(tags) - 2}" if len(tags) > 2 else "")


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    title = terminal_text(terminal(title))
    rows = [[terminal_text(terminal(c)) for c in row] for row in rows]
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
        print(title)
        for row in (header, *rows):
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
        return
    import sys

    table = Table(title=title, title_justify="left")
    for i, name in enumerate(header):  # the first and the free-text columns may wrap
        table.add_column(name, overflow="fold", no_wrap=0 < i < len(header) - 3)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # names and messages are not markup
    # Piped, rich would assume 80 columns; a wider table reads better in a file or a log.
    Console(width=None if sys.stdout.isatty() else 120).print(table)
