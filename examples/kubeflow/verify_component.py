"""A Kubeflow Pipelines (v2) component that checks a mounted dataset before training.

It runs two dataward commands in an image that has dataward installed:

1. `dataward verify PATH --dataset NAME --catalog URL`: the step fails (exit 1, and the log says
   what the folder holds instead) unless PATH holds exactly the version asked for, so a
   training step after it never starts on the wrong data. The lineage record is an output
   artifact: Kubeflow keeps it with the run.
2. `dataward fingerprint PATH`: the md5 `dvc add PATH` would record, written to the output
   parameter `fingerprint`. Pass it to the training step as an input parameter: Kubeflow's
   step cache keys on inputs, and a path alone stays the same when the files behind it change.

The image needs only the base install (`--catalog` needs no git and no DVC), e.g.:

    FROM python:3.12-slim
    RUN pip install --no-cache-dir "dataward @ git+https://github.com/dataward/dataward@v0.1.0"
    USER 10001

The hash cache is a file on the container's own disk, shared by the two commands, so the
fingerprint reads nothing that verify has just hashed. Never point it at the dataset's volume:
SQLite's locking is unreliable over NFS (docs/operations.md, "Where the hash cache lives").
"""

# No `from __future__ import annotations`: kfp reads the annotations when it decorates.
from kfp import dsl

# Build and push the image above, then put its name here.
DATAWARD_IMAGE = "registry.example.ac.jp/lab/dataward:0.1.0"

# POSIX sh, arguments by position: Kubeflow fills them in, nothing is parsed from a string.
# An empty VERSION means "the registry's current version". For a catalog behind Basic auth,
# give the step CATALOG_USERINFO=user:password from a Kubernetes Secret (see pipeline.py):
# a password in a pipeline parameter would be stored and shown with the run. The user and
# password go into the URL percent-encoded byte by byte (dataward decodes them into the Basic
# auth header), so `@ / : # % ?` in a password cannot move the URL's host or path; `printf`
# is a shell builtin, so the password is in no process's arguments while it is encoded.
VERIFY_SCRIPT = r"""set -eu
path=$1 dataset=$2 version=$3 catalog=$4 lineage=$5 fingerprint=$6
state="${TMPDIR:-/tmp}/dataward-hashes.sqlite3"
encoded() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
if [ -n "${CATALOG_USERINFO:-}" ]; then
  case $CATALOG_USERINFO in
    *:*) userinfo="$(encoded "${CATALOG_USERINFO%%:*}"):$(encoded "${CATALOG_USERINFO#*:}")" ;;
    *) userinfo=$(encoded "$CATALOG_USERINFO") ;;
  esac
  case $catalog in
    https://*) catalog="https://$userinfo@${catalog#https://}" ;;
    *) echo "verify-dataset: CATALOG_USERINFO is ignored: it is sent only over https://" >&2 ;;
  esac
fi
if [ -n "$version" ]; then set -- --version "$version"; else set --; fi
mkdir -p "$(dirname "$lineage")" "$(dirname "$fingerprint")"
dataward verify "$path" --dataset "$dataset" "$@" --catalog "$catalog" \
  --state "$state" --json "$lineage"
fp=$(dataward fingerprint "$path" --state "$state")
printf '%s' "$fp" > "$fingerprint"
"""


@dsl.container_component
def verify_dataset(
    path: str,
    dataset: str,
    catalog: str,
    lineage: dsl.Output[dsl.Artifact],
    fingerprint: dsl.OutputPath(str),  # type: ignore[valid-type]
    version: str = "",
) -> dsl.ContainerSpec:
    """Fail unless PATH holds DATASET (VERSION, or the current one); output its fingerprint."""
    return dsl.ContainerSpec(
        image=DATAWARD_IMAGE,
        command=["sh", "-c", VERIFY_SCRIPT, "verify-dataset"],
        args=[path, dataset, version, catalog, lineage.path, fingerprint],
    )
