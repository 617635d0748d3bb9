"""What a `dvc pull` of one dataset version transfers out of the remote, and what that costs.

Pure: the numbers come from what the catalog records per version (size, nfiles, whether the
output is a directory) and the policy's price (`[remote] transfer-usd-per-gb`, whose default is
the lab's own quote for S3 out of Tokyo: see dataward.policy.RemotePolicy). `describe` is the one
sentence `dataward show`, the catalog page and drift's "behind" entries all print.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# A GB as AWS bills transfer: 10**9 bytes, not the GiB (2**30) that DVC's sizes are shown in.
GB = 10**9


class PullCost(NamedTuple):
    """`objects`: what the remote serves, one request each; `bytes`: None when the .dvc file
    records no size (DVC 1); `usd`: None when the size or the price is unknown; `archived`:
    how many of the objects sit in an archive storage class (the remote audit fills it)."""

    objects: int
    bytes: int | None
    usd: float | None
    archived: int | None = None


def pull_cost(size: int | None, nfiles: int | None, is_dir: bool,
              usd_per_gb: float | None) -> PullCost | None:
    """A file output is one object; a directory is its files and its `.dir` manifest. None when
    a directory's file count is unknown (DVC 1 recorded neither nfiles nor size)."""
    if is_dir and (nfiles is None or nfiles < 0):
        return None
    objects = nfiles + 1 if is_dir and nfiles is not None else 1
    known = size if size is not None and size >= 0 else None
    return PullCost(objects, known, cost(known, usd_per_gb))


def cost(size: int | None, usd_per_gb: float | None) -> float | None:
    """USD for `size` bytes at the price; None when either is unknown or the product is not a
    finite amount (a NaN or infinite price, a size no float holds)."""
    if size is None or usd_per_gb is None or not math.isfinite(usd_per_gb) or usd_per_gb < 0:
        return None
    try:
        usd = size / GB * usd_per_gb
    except OverflowError:
        return None
    return usd + 0.0 if math.isfinite(usd) else None  # + 0.0: -0.0 becomes 0.0


def describe(pull: PullCost | None, usd_per_gb: float | None) -> str:
    """`a pull transfers 2,501 objects, 1.3 GB: about 0.15 USD at 0.114 USD/GB`."""
    if pull is None:
        return "a pull transfers a directory of unknown size (its .dvc file records no file count)"
    said = f"a pull transfers {_objects(pull.objects)}"
    said += ", size unknown" if pull.bytes is None else f", {decimal_size(pull.bytes)}"
    if pull.archived is not None:
        said += f", {max(pull.archived, 0):,} of them archived"
    if pull.usd is not None and usd_per_gb is not None and math.isfinite(pull.usd) \
            and pull.usd >= 0:
        said += f": {_usd(pull.usd)} at {price(usd_per_gb)}"
    return said


def _objects(n: int) -> str:
    n = max(n, 0)
    return f"{n:,} object" + ("" if n == 1 else "s")


def decimal_size(n: int) -> str:
    """Bytes in the 1000-based units transfer is billed in (kB, MB, GB, TB), one decimal; in
    integers, so no size is too large to print."""
    n = max(n, 0)
    if n < 1000:
        return f"{n} B"
    for power, unit in ((4, "TB"), (3, "GB"), (2, "MB"), (1, "kB")):
        scale = 1000**power
        if n >= scale or unit == "kB":
            tenths = (n * 10 + scale // 2) // scale
            return f"{tenths // 10:,}.{tenths % 10} {unit}"
    raise AssertionError("unreachable")


def _usd(usd: float) -> str:
    if usd == 0:
        return "0 USD"
    if usd < 0.005:
        return "under 0.01 USD"
    return f"about {usd:,.2f} USD"


def price(usd_per_gb: float) -> str:
    """`0.114 USD/GB`: up to six decimals, no trailing zeros."""
    if not math.isfinite(usd_per_gb) or usd_per_gb < 0:
        return "an unknown price"
    if 0 < usd_per_gb < 1e-6:
        return f"{usd_per_gb:.3g} USD/GB"
    text = f"{usd_per_gb + 0.0:,.6f}".rstrip("0").rstrip(".")
    return f"{text} USD/GB"
