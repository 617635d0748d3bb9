"""The job examples in examples/ (Kubeflow, OpenPAI, Slurm; the CronJob and cron are in
test_job_cron.py) do what docs/operations.md says: the Kubeflow pipeline is compiled by the real
kfp SDK and its verify step's compiled command is run against a real registry's catalog; the
Slurm script and the OpenPAI command are run with bash; the YAML files are parsed and their
shell checked."""

from __future__ import annotations

import base64
import importlib.util
import ipaddress
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import BIN, _hermetic
from tests.test_drift import put
from tests.test_verify import V1, V2, Registry
from tests.test_verify import registry as registry  # the module-scoped fixture, reused

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PLACEHOLDER = re.compile(r"\{\{\$\.inputs\.parameters\['(\w+)'\]\}\}")
# A stand-in for the lab's train.py: it leaves its "model" where --out says.
TRAIN_PY = """import pathlib, sys
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
pathlib.Path(args["--out"], "model.txt").write_text(args["--data"])
"""


@pytest.fixture(scope="module")
def catalog(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry's catalog.json, as its CI publishes it."""
    out = tmp_path_factory.mktemp("jobs-catalog") / "catalog.json"
    with pytest.MonkeyPatch.context() as mp:
        _hermetic(tmp_path_factory.mktemp("jobs-home"), mp)
        built = subprocess.run([f"{BIN}/dataward", "catalog", "build", "-o", str(out)],
                               cwd=registry.path, capture_output=True, text=True,
                               timeout=120, check=False)
    assert built.returncode == 0, built.stderr
    return out


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """examples/kubeflow/pipeline.py compiled by kfp: (pipeline spec, Kubernetes platform)."""
    from kfp import compiler

    out = tmp_path_factory.mktemp("kfp") / "pipeline.yaml"
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(EXAMPLES / "kubeflow"))  # as `python pipeline.py` would
        spec = importlib.util.spec_from_file_location("kfp_example_pipeline",
                                                      EXAMPLES / "kubeflow" / "pipeline.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        compiler.Compiler().compile(module.train_on_verified_data, str(out))
        sys.modules.pop("verify_component", None)
    pipeline, platform = yaml.safe_load_all(out.read_text())
    return pipeline, platform["platforms"]["kubernetes"]


def executor(pipeline: dict[str, Any], task: str) -> dict[str, Any]:
    ref = pipeline["root"]["dag"]["tasks"][task]["componentRef"]["name"]
    label = pipeline["components"][ref]["executorLabel"]
    container: dict[str, Any] = pipeline["deploymentSpec"]["executors"][label]["container"]
    return container


def shell_ok(script: str, shell: str = "bash") -> None:
    checked = subprocess.run([shell, "-n"], input=script, capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, f"{shell} -n: {checked.stderr}\n{script}"


def test_kubeflow_verifies_then_fingerprints_the_mounted_path(
        compiled: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pipeline, platform = compiled
    tasks = pipeline["root"]["dag"]["tasks"]
    verify = executor(pipeline, "verify-dataset")
    assert verify["command"][:2] == ["sh", "-c"]
    script = verify["command"][2]
    shell_ok(script, "sh")
    assert re.search(r'^dataward verify "\$path" --dataset "\$dataset"', script, re.M)
    assert script.index('dataward verify "$path"') < script.index('dataward fingerprint "$path"')
    assert '> "$fingerprint"' in script and verify["args"][0] == \
        "{{$.inputs.parameters['path']}}"
    assert verify["args"][-1] == "{{$.outputs.parameters['fingerprint'].output_file}}"
    # the path checked is the pipeline's data_path, inside the claim both steps mount
    assert tasks["verify-dataset"]["inputs"]["parameters"]["path"] == \
        {"componentInputParameter": "data_path"}
    data_path = pipeline["root"]["inputDefinitions"]["parameters"]["data_path"]["defaultValue"]
    executors = platform["deploymentSpec"]["executors"]
    for label in ("exec-verify-dataset", "exec-train"):
        (mount,) = executors[label]["pvcMount"]
        assert data_path.startswith(mount["mountPath"] + "/")
        assert mount["pvcNameParameter"] == {"componentInputParameter": "claim"}


def test_kubeflow_training_is_keyed_on_the_fingerprint(
        compiled: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pipeline, _ = compiled
    tasks = pipeline["root"]["dag"]["tasks"]
    train = tasks["train"]
    assert train["inputs"]["parameters"]["dataset_fingerprint"] == {"taskOutputParameter": {
        "outputParameterKey": "fingerprint", "producerTask": "verify-dataset"}}
    assert "verify-dataset" in train["dependentTasks"]
    assert "{{$.inputs.parameters['dataset_fingerprint']}}" in executor(pipeline, "train")["args"]
    assert train["cachingOptions"] == {"enableCache": True}
    # a cached verify would hand on a fingerprint of yesterday's files
    assert not tasks["verify-dataset"]["cachingOptions"].get("enableCache", False)
    # nothing that changes on every run (the lineage record's time) reaches training's key
    assert "artifacts" not in train["inputs"]


def run_step(pipeline: dict[str, Any], folder: Path, catalog: Path | str, version: str,
             tmp: Path, **extra: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """The verify step as the Kubeflow launcher runs it: the compiled command, its
    placeholders filled in, dataward on the PATH."""
    container = executor(pipeline, "verify-dataset")
    values = {"path": str(folder), "dataset": "pets", "version": version,
              "catalog": str(catalog)}
    lineage, fingerprint = tmp / "outputs" / "lineage", tmp / "outputs" / "fingerprint"
    outputs = {"{{$.outputs.artifacts['lineage'].path}}": str(lineage),
               "{{$.outputs.parameters['fingerprint'].output_file}}": str(fingerprint)}
    args = [outputs.get(a) or PLACEHOLDER.sub(lambda m: values[m.group(1)], a)
            for a in container["args"]]
    assert not [a for a in args if "{{" in a], args
    (tmp / "tmpdir").mkdir(parents=True)
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp), "TMPDIR": str(tmp / "tmpdir"),
           **extra}
    proc = subprocess.run([*container["command"], *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    return proc, lineage, fingerprint


def aged(folder: Path) -> Path:
    """Files written a minute ago: the hash cache keeps no file younger than 5 seconds."""
    for file in folder.rglob("*"):
        os.utime(file, (file.stat().st_mtime - 60,) * 2)
    return folder


def test_the_compiled_verify_step_refuses_the_wrong_data_and_fingerprints_the_right(
        compiled: tuple[dict[str, Any], dict[str, Any]], registry: Registry, catalog: Path,
        tmp_path: Path) -> None:
    pipeline, _ = compiled
    put(tmp_path / "old", V1)
    behind, _, fingerprint = run_step(pipeline, tmp_path / "old", catalog, "", tmp_path / "a")
    assert behind.returncode == 1, behind.stderr
    assert "pets version 2: NOT verified, behind: holds version 1 of 2" in behind.stdout
    assert not fingerprint.exists()  # the step failed before writing its output

    put(tmp_path / "new", V2)
    wrong, _, fingerprint = run_step(pipeline, tmp_path / "new", catalog, "1", tmp_path / "b")
    assert wrong.returncode == 1 and "newer than version 1" in wrong.stdout
    assert not fingerprint.exists()

    right, lineage, fingerprint = run_step(pipeline, aged(tmp_path / "new"), catalog, "",
                                           tmp_path / "c")
    assert right.returncode == 0, right.stdout + right.stderr
    assert fingerprint.read_text() == registry.md5s[1]  # the parameter's value, no newline
    assert json.loads(lineage.read_text())["verdict"] == "ok"
    # verify hashed the files; fingerprint found them in the same cache
    assert "hashed 0 files of 4" in right.stderr


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.text(st.characters(exclude_characters="/\0", exclude_categories=("Cs",)),
                    min_size=1, max_size=16).filter(lambda n: n not in {".", ".."}))
@example(name="two words $HOME *")
def test_the_compiled_verify_step_takes_any_folder_name(
        compiled: tuple[dict[str, Any], dict[str, Any]], registry: Registry, catalog: Path,
        tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    """Kubeflow passes the path as one argument: spaces, quotes, `$` or `*` in a folder's
    name reach dataward as they are (the script quotes every use)."""
    pipeline, _ = compiled
    tmp = tmp_path_factory.mktemp("any-name")
    put(tmp / name, V2)
    got, _, fingerprint = run_step(pipeline, tmp / name, catalog, "2", tmp / "run")
    assert got.returncode == 0, got.stdout + got.stderr
    assert fingerprint.read_text() == registry.md5s[1]


class BasicAuthCatalog(BaseHTTPRequestHandler):
    """/catalog.json over HTTPS, only to the Basic auth credentials in `server.wanted`."""

    server: Any

    def do_GET(self) -> None:
        sent = self.headers.get("Authorization", "")
        given = base64.b64decode(sent[6:]) if sent.startswith("Basic ") else b""
        if self.path != "/catalog.json" or given != self.server.wanted:
            self.send_error(401)
            return
        body = self.server.catalog
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key: the step trusts it through SSL_CERT_FILE."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture(scope="module")
def https_catalog(catalog: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[tuple[str, Path, ThreadingHTTPServer]]:
    """The catalog behind HTTPS and Basic auth on 127.0.0.1: (URL, CA file, server)."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BasicAuthCatalog)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.catalog = catalog.read_bytes()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/catalog.json", cert, server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(user=st.text(st.characters(exclude_characters=":\0", exclude_categories=("Cs",)),
                    min_size=1, max_size=12),
       password=st.text(st.characters(exclude_characters="\0", exclude_categories=("Cs",)),
                        max_size=24))
@example(user="bob", password="p@ss/w:rd#50%?x")
@example(user="reader", password="%41%2F@host.example/x?y#z")
def test_the_compiled_verify_step_sends_any_catalog_password(
        compiled: tuple[dict[str, Any], dict[str, Any]], registry: Registry,
        https_catalog: tuple[str, Path, ThreadingHTTPServer],
        tmp_path_factory: pytest.TempPathFactory, user: str, password: str) -> None:
    """CATALOG_USERINFO from the Secret reaches the catalog's server as the same user and
    password, whatever they hold (`@ / : # % ?` included): the step percent-encodes them."""
    pipeline, _ = compiled
    url, ca, server = https_catalog
    server.wanted = f"{user}:{password}".encode()  # type: ignore[attr-defined]
    tmp = tmp_path_factory.mktemp("userinfo")
    put(tmp / "pets", V2)
    got, lineage, fingerprint = run_step(pipeline, tmp / "pets", url, "2", tmp / "run",
                                         CATALOG_USERINFO=f"{user}:{password}",
                                         SSL_CERT_FILE=str(ca))
    assert got.returncode == 0, got.stdout + got.stderr
    assert "verified, holds version 2" in got.stdout
    assert fingerprint.read_text() == registry.md5s[1]
    if len(password) > 8:  # a short one may occur in any text by chance
        assert password not in got.stdout + got.stderr + lineage.read_text()


def test_the_verify_step_without_the_secret_is_refused_by_the_server(
        compiled: tuple[dict[str, Any], dict[str, Any]],
        https_catalog: tuple[str, Path, ThreadingHTTPServer], tmp_path: Path) -> None:
    pipeline, _ = compiled
    url, ca, server = https_catalog
    server.wanted = b"bob:right"  # type: ignore[attr-defined]
    put(tmp_path / "pets", V2)
    wrong, _, fingerprint = run_step(pipeline, tmp_path / "pets", url, "", tmp_path / "a",
                                     CATALOG_USERINFO="bob:wrong", SSL_CERT_FILE=str(ca))
    assert wrong.returncode == 3 and "HTTP 401" in wrong.stderr, wrong.stderr
    assert "wrong" not in wrong.stdout + wrong.stderr and not fingerprint.exists()
    plain = url.replace("https://", "http://")
    ignored, _, _ = run_step(pipeline, tmp_path / "pets", plain, "", tmp_path / "b",
                             CATALOG_USERINFO="bob:right", SSL_CERT_FILE=str(ca))
    assert ignored.returncode == 3, ignored.stderr
    assert "CATALOG_USERINFO is ignored: it is sent only over https://" in ignored.stderr
    assert "right" not in ignored.stderr


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp), "USER": "member", **extra}


@pytest.mark.parametrize(("files", "code"), [(V2, 0), (V1, 1)], ids=["right", "old-copy"])
def test_the_slurm_script_trains_only_on_the_right_copy(
        registry: Registry, catalog: Path, tmp_path: Path, files: dict[str, bytes],
        code: int) -> None:
    put(tmp_path / "nfs" / "pets", files)
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "train.py").write_text(TRAIN_PY)
    run_dir, cache = tmp_path / "runs" / "pets-1", tmp_path / "local-disk" / "dataward"
    env = env_for(tmp_path, DATASET="pets", DATASET_VERSION="2",
                  DATASET_DIR=str(tmp_path / "nfs" / "pets"), CATALOG=str(catalog),
                  RUN_DIR=str(run_dir), HASH_CACHE=f"{cache}/", SLURM_JOB_ID="1")
    proc = subprocess.run(["bash", str(EXAMPLES / "slurm" / "train.sbatch")],
                          cwd=tmp_path / "job", env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert (run_dir / "model.txt").exists() == (code == 0)
    lineage = json.loads((run_dir / "lineage.json").read_text())
    assert lineage["verdict"] == ("ok" if code == 0 else "behind")
    assert lineage["actual_md5"] == registry.md5s[0 if code else 1]
    assert (cache / "dvc-hash-state.sqlite3").is_file()
    # nothing was written on the shared volume: the cache is on local disk
    assert [p.name for p in (tmp_path / "nfs").iterdir()] == ["pets"]
    assert sorted(p.relative_to(tmp_path / "nfs" / "pets").as_posix()
                  for p in (tmp_path / "nfs" / "pets").rglob("*") if p.is_file()) == sorted(files)


@pytest.fixture
def openpai() -> Iterator[dict[str, Any]]:
    yield yaml.safe_load((EXAMPLES / "openpai" / "train-pets.yaml").read_text())


def pai_commands(job: dict[str, Any], moved: dict[str, str] | None = None,
                 **parameters: str) -> list[str]:
    """The task role's commands with `<% $parameters.X %>` filled in, as OpenPAI does (and
    the container's folders in `moved` replaced first)."""
    values = {**job["parameters"], **parameters}
    (role,) = job["taskRoles"].values()
    commands = role["commands"]
    if moved:  # in one pass: a new folder may contain an old one
        old = re.compile("|".join(map(re.escape, moved)))
        commands = [old.sub(lambda m: moved[m.group()], c) for c in commands]
    return [re.sub(r"<% \$parameters\.(\w+) %>", lambda m: str(values[m.group(1)]), c)
            for c in commands]


def test_the_openpai_job_verifies_before_it_trains(openpai: dict[str, Any]) -> None:
    assert openpai["protocolVersion"] == 2 and openpai["type"] == "job"
    commands = pai_commands(openpai)
    for command in commands:
        shell_ok(command)
    (at,) = [i for i, c in enumerate(commands) if "train.py" in c]
    assert all(shlex.split(c)[0] == "mkdir" for c in commands[:at])
    verify, train = commands[at].split(" && ")
    words = shlex.split(verify)
    assert words[:2] == ["dataward", "verify"] and shlex.split(train)[:2] == ["python",
                                                                              "train.py"]
    option = dict(zip(words[3::2], words[4::2], strict=True))
    assert option["--version"] == openpai["parameters"]["DATASET_VERSION"]
    out = dict(zip(shlex.split(train)[2::2], shlex.split(train)[3::2], strict=True))["--out"]
    assert option["--json"] == out + "/lineage.json"  # the record goes with the outputs
    storages = [s["mountPath"] for s in openpai["extras"]["storages"]]
    assert words[2].startswith(storages[0] + "/")
    assert not any(option["--state"].startswith(m) for m in storages)  # local disk, not NFS


@pytest.mark.parametrize(("files", "trained"), [(V2, True), (V1, False)],
                         ids=["right", "old-copy"])
def test_the_openpai_commands_run_as_written(openpai: dict[str, Any], catalog: Path,
                                             tmp_path: Path, files: dict[str, bytes],
                                             trained: bool) -> None:
    storage = openpai["extras"]["storages"][0]["mountPath"]
    put(tmp_path / "nfs" / "datasets" / "pets", files)
    (tmp_path / "train.py").write_text(TRAIN_PY)
    moved = {storage: str(tmp_path / "nfs"), "/tmp/": f"{tmp_path}/local/"}
    script = "\n".join(pai_commands(openpai, moved, CATALOG=str(catalog)))
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env=env_for(tmp_path, PAI_JOB_NAME="member~train-pets"),
                          timeout=120, check=False)
    assert proc.returncode == (0 if trained else 1), proc.stdout + proc.stderr
    run = tmp_path / "nfs" / "runs" / "member~train-pets"
    assert (run / "model.txt").exists() == trained
    assert json.loads((run / "lineage.json").read_text())["verdict"] == \
        ("ok" if trained else "behind")
