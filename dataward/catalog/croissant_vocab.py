"""Croissant's vocabulary as dataward's records use it: the 1.1 JSON-LD context, SPDX ids for
the Hub's license ids, media types by extension, access statements and the records' `@id`s.

Fixed tables, no I/O: the same catalog gives the same records on every machine.
"""

from __future__ import annotations

import posixpath
from typing import Any

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"

# The 1.1 context exactly as mlcroissant writes it (mlcroissant._src.core.rdf.make_context for
# 1.1; the same keys as mlcommons/croissant datasets/1.1/*): schema.org over https, which is
# what the validator matches properties against, and `containedIn` as cr:containedIn, which
# 1.1 requires. A context missing any of these keys makes the validator warn.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

SPDX_URL = "https://spdx.org/licenses/{}.html"
# Hugging Face license ids (dataward/data/hf_vocabulary.json) that name exactly one SPDX
# license. The GNU ids carry no "or later", which SPDX spells `-only` (its deprecated
# `GPL-3.0` meant the same). Families (`bsd`, `cc`, `gpl`, ...), the RAIL licenses and the
# model licenses (`llama2`, `gemma`, ...) have no SPDX id: they are written as a
# CreativeWork with the Hub's name for them.
SPDX: dict[str, str] = {
    "afl-3.0": "AFL-3.0",
    "agpl-3.0": "AGPL-3.0-only",
    "apache-2.0": "Apache-2.0",
    "artistic-2.0": "Artistic-2.0",
    "bsd-2-clause": "BSD-2-Clause",
    "bsd-3-clause": "BSD-3-Clause",
    "bsd-3-clause-clear": "BSD-3-Clause-Clear",
    "bsl-1.0": "BSL-1.0",
    "c-uda": "C-UDA-1.0",
    "cc-by-2.0": "CC-BY-2.0",
    "cc-by-2.5": "CC-BY-2.5",
    "cc-by-3.0": "CC-BY-3.0",
    "cc-by-4.0": "CC-BY-4.0",
    "cc-by-nc-2.0": "CC-BY-NC-2.0",
    "cc-by-nc-3.0": "CC-BY-NC-3.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0",
    "cc-by-nc-nd-3.0": "CC-BY-NC-ND-3.0",
    "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0",
    "cc-by-nc-sa-2.0": "CC-BY-NC-SA-2.0",
    "cc-by-nc-sa-3.0": "CC-BY-NC-SA-3.0",
    "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
    "cc-by-nd-4.0": "CC-BY-ND-4.0",
    "cc-by-sa-3.0": "CC-BY-SA-3.0",
    "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc0-1.0": "CC0-1.0",
    "cdla-permissive-1.0": "CDLA-Permissive-1.0",
    "cdla-permissive-2.0": "CDLA-Permissive-2.0",
    "cdla-sharing-1.0": "CDLA-Sharing-1.0",
    "ecl-2.0": "ECL-2.0",
    "epl-1.0": "EPL-1.0",
    "epl-2.0": "EPL-2.0",
    "etalab-2.0": "etalab-2.0",
    "eupl-1.1": "EUPL-1.1",
    "eupl-1.2": "EUPL-1.2",
    "gpl-2.0": "GPL-2.0-only",
    "gpl-3.0": "GPL-3.0-only",
    "isc": "ISC",
    "lgpl-2.1": "LGPL-2.1-only",
    "lgpl-3.0": "LGPL-3.0-only",
    "lgpl-lr": "LGPLLR",
    "lppl-1.3c": "LPPL-1.3c",
    "mit": "MIT",
    "mpl-2.0": "MPL-2.0",
    "ms-pl": "MS-PL",
    "ncsa": "NCSA",
    "odbl": "ODbL-1.0",
    "odc-by": "ODC-By-1.0",
    "ofl-1.1": "OFL-1.1",
    "osl-3.0": "OSL-3.0",
    "pddl": "PDDL-1.0",
    "postgresql": "PostgreSQL",
    "unlicense": "Unlicense",
    "wtfpl": "WTFPL",
    "zlib": "Zlib",
}

# By extension, fixed here rather than asked of `mimetypes` (whose answers depend on the
# machine's /etc/mime.types): the same catalog gives the same records everywhere. Values
# follow mlcroissant's EncodingFormat where it names one (Parquet, JSON Lines).
ENCODING_FORMATS: dict[str, str] = {
    ".arff": "https://ml.cms.waikato.ac.nz/weka/arff.html",
    ".avro": "application/avro",
    ".bmp": "image/bmp",
    ".bz2": "application/x-bzip2",
    ".csv": "text/csv",
    ".dcm": "image/dicom",
    ".feather": "application/vnd.apache.arrow.file",
    ".flac": "audio/flac",
    ".gif": "image/gif",
    ".gz": "application/gzip",
    ".h5": "application/x-hdf5",
    ".hdf5": "application/x-hdf5",
    ".html": "text/html",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".json": "application/json",
    ".jsonl": "application/jsonlines",
    ".md": "text/markdown",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".ndjson": "application/jsonlines",
    ".npy": "application/x-npy",
    ".npz": "application/x-npz",
    ".parquet": "application/x-parquet",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".tar": "application/x-tar",
    ".tgz": "application/gzip",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".tsv": "text/tab-separated-values",
    ".txt": "text/plain",
    ".wav": "audio/wav",
    ".webp": "image/webp",
    ".xml": "application/xml",
    ".xz": "application/x-xz",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".zip": "application/zip",
    ".zst": "application/zstd",
}
OCTET_STREAM = "application/octet-stream"

ACCESS = {
    "public": "Public: anyone may use the data under its license.",
    "lab": "Lab members only: the data is in the lab's DVC remote, which needs the lab's "
           "credentials.",
    "restricted": "Restricted: ask the maintainers before using the data.",
}

# `@id`s of the distribution, the same in every record (the spec forbids whitespace in them,
# and a dataset's own name may hold any character).
FILE_ID = "object"
MANIFEST_ID = "manifest"
FILES_ID = "files"


def encoding_format(path: str) -> str:
    """The MIME type of a file, from its extension; application/octet-stream if unknown."""
    ext = posixpath.splitext(posixpath.basename(path).lower())[1]
    return ENCODING_FORMATS.get(ext, OCTET_STREAM)
