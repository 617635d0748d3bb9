"""An example Kubeflow pipeline: verify the mounted dataset, then train on it.

Compile it (needs `kfp` and `kfp-kubernetes`) and upload the YAML in the Kubeflow UI:

    python examples/kubeflow/pipeline.py train-pets.yaml

The dataset lives on a PersistentVolumeClaim (an NFS or EFS share) that both steps mount at
/data/datasets. `mount_pvc` has no read-only switch: make the claim itself read-only
(`accessModes: [ReadOnlyMany]`, or `readOnly: true` on its PersistentVolume's NFS source).

Caching: the verify step never comes from Kubeflow's cache (its inputs are only names and a
path, so a cached result would say nothing about today's files). The training step does, and
its cache key holds the fingerprint: the same data trains once, changed data trains again.
The lineage record is not an input of training on purpose: it holds the time and host of
each check, so it would make every run's key new.
"""

# No `from __future__ import annotations`: kfp reads the annotations when it decorates.
import sys

from kfp import compiler, dsl, kubernetes
from verify_component import verify_dataset

TRAIN_IMAGE = "registry.example.ac.jp/lab/train:2024.1"  # the lab's own training image
MOUNT = "/data/datasets"  # where the dataset claim is mounted in both steps


@dsl.container_component
def train(
    data: str,
    dataset_fingerprint: str,
    model: dsl.Output[dsl.Model],
) -> dsl.ContainerSpec:
    """The lab's training step; it may also log the fingerprint with its metrics."""
    return dsl.ContainerSpec(
        image=TRAIN_IMAGE,
        command=["python", "train.py"],
        args=["--data", data, "--dataset-fingerprint", dataset_fingerprint,
              "--out", model.path],
    )


@dsl.pipeline(name="train-on-verified-data")
def train_on_verified_data(
    dataset: str = "pets",
    version: str = "",
    catalog: str = "https://org.github.io/datasets/catalog.json",
    data_path: str = MOUNT + "/pets",
    claim: str = "lab-datasets",
) -> None:
    check = verify_dataset(path=data_path, dataset=dataset, version=version, catalog=catalog)
    check.set_caching_options(False)
    check.set_display_name("verify and fingerprint the dataset")
    kubernetes.mount_pvc(check, pvc_name=claim, mount_path=MOUNT)
    # Only for a catalog behind Basic auth: the Secret's key `userinfo` holds user:password.
    kubernetes.use_secret_as_env(check, secret_name="dataward-catalog",
                                 secret_key_to_env={"userinfo": "CATALOG_USERINFO"},
                                 optional=True)

    fit = train(data=data_path, dataset_fingerprint=check.outputs["fingerprint"])
    fit.set_caching_options(True)
    kubernetes.mount_pvc(fit, pvc_name=claim, mount_path=MOUNT)


if __name__ == "__main__":
    compiler.Compiler().compile(train_on_verified_data,
                                sys.argv[1] if len(sys.argv) > 1 else "train-pets.yaml")
