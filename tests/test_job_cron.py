"""Nightly drift without a GitHub runner, as docs/operations.md gives it: the Kubernetes
CronJob (examples/kubernetes/drift-cronjob.yaml) and the crontab line, run as written with
stub `dataward` and `git` that log what they were asked and exit as the test says."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.test_job_examples import EXAMPLES, shell_ok
from tests.test_verify import registry as registry  # the module-scoped fixture, reused


def test_the_drift_cronjob_is_safe_to_run_nightly() -> None:
    text = (EXAMPLES / "kubernetes" / "drift-cronjob.yaml").read_text()
    (cron,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "CronJob"]
    assert cron["apiVersion"] == "batch/v1"
    spec = cron["spec"]
    fields = spec["schedule"].split()
    assert len(fields) == 5 and all(re.fullmatch(r"[\d*,/-]+", f) for f in fields)
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert 0 < job["activeDeadlineSeconds"] < 24 * 3600
    pod = job["template"]["spec"]
    (container,) = pod["containers"]
    # time after the deadline's SIGTERM for the scan to save its cache (every 2 s) and stop
    assert 10 <= pod["terminationGracePeriodSeconds"] <= 120
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False

    script = container["args"][0] if container["command"][-1] == "-c" else ""
    shell_ok(script)
    assert script.index("dataward drift scan ") < script.index(
        'dataward drift publish /work/drift-report.json --remote "$DVC_REMOTE"')
    root = re.search(r"--root (\S+)", script)
    assert root
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    dataset = mounts[root.group(1)]
    assert dataset["readOnly"] is True
    assert volumes[dataset["name"]]["persistentVolumeClaim"]["readOnly"] is True

    env = {e["name"]: e for e in container["env"]}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert set(env[name]) == {"name", "valueFrom"}
        assert set(env[name]["valueFrom"]) == {"secretKeyRef"}
    for entry in container["env"]:
        if re.search(r"KEY|SECRET|TOKEN|PASSWORD", entry["name"]):
            assert "value" not in entry, entry["name"]
    assert all(set(e) <= {"secretRef", "prefix"} for e in container.get("envFrom", []))
    # nowhere in the file, comments included, is a secret key written out
    assert re.findall(r"AWS_SECRET_ACCESS_KEY\s*[:=]\s*(\S+)", text) == ["..."]
    # the hash cache is on its own volume, not on the dataset's
    cache = mounts[env["XDG_CACHE_HOME"]["value"]]
    assert cache["name"] != dataset["name"]
    kind = volumes[cache["name"]]
    assert "emptyDir" in kind or kind["persistentVolumeClaim"]["claimName"] != \
        volumes[dataset["name"]]["persistentVolumeClaim"]["claimName"]


# Stand-ins for the image's dataward and git: they log their arguments to $LOG, and a scan
# writes its report (where -o says) or not and exits as the test asks. SCAN_SLEEP: the scan
# waits for a TERM, logs it and exits 3 (what `dataward drift scan` does on SIGTERM).
STUB_DATAWARD = r"""#!/bin/sh
echo "dataward $*" >> "$LOG"
echo "dataward: stand-in for $1 $2" >&2
case "$1 $2" in
  "drift scan")
    if [ -n "${SCAN_SLEEP:-}" ]; then
      trap 'echo got-term >> "$LOG"; kill "$nap" 2>/dev/null; exit 3' TERM
      sleep 30 & nap=$!
      echo scan-waiting >> "$LOG"
      wait "$nap"
    fi
    if [ "$SCAN_REPORT" = 1 ]; then
      while [ "$1" != -o ]; do shift; done
      echo '{"env": "k8s-cluster"}' > "$2"
    fi
    exit "$SCAN_CODE" ;;
  "drift publish") exit "$PUBLISH_CODE" ;;
esac
exit 99
"""
STUB_GIT = r"""#!/bin/sh
echo "git $*" >> "$LOG"
case $1 in
  clone) mkdir -p "$4" ;;
  pull) if [ -n "${PULL_FAILS:-}" ]; then echo "fatal: unable to access the registry" >&2
          exit 1; fi ;;
esac
"""


def stubs(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in (("dataward", STUB_DATAWARD), ("git", STUB_GIT)):
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return folder


def cronjob_run(tmp: Path, **controls: str) -> tuple[list[str], dict[str, str]]:
    """The CronJob's container command with its folders moved into `tmp`, and its env (the
    Secret's keys left out) with the stand-ins first on PATH."""
    text = (EXAMPLES / "kubernetes" / "drift-cronjob.yaml").read_text()
    (cron,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "CronJob"]
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    moved = {"/work": f"{tmp}/work", "/data/datasets": f"{tmp}/data",
             "/etc/dataward/deploy-key": f"{tmp}/deploy-key"}
    old = re.compile("|".join(map(re.escape, moved)))
    script = old.sub(lambda m: moved[m.group()], container["args"][0])
    env = {e["name"]: old.sub(lambda m: moved[m.group()], e["value"])
           for e in container["env"] if "value" in e}
    (tmp / "work").mkdir()
    env.update({"PATH": f"{stubs(tmp / 'bin')}:/usr/bin:/bin", "LOG": str(tmp / "log"),
                "SCAN_CODE": "0", "SCAN_REPORT": "1", "PUBLISH_CODE": "0", **controls})
    return [*container["command"], script], env


@pytest.mark.parametrize(("scan", "report", "publish", "published", "code"), [
    (0, True, 0, True, 0), (1, True, 0, True, 0), (3, True, 0, True, 3),
    (3, False, 0, False, 3), (2, False, 0, False, 2), (1, True, 3, True, 3)],
    ids=["in-sync", "drift", "unreadable-with-report", "no-report", "usage-error",
         "publish-fails"])
def test_the_cronjob_script_publishes_and_ends_as_documented(
        tmp_path: Path, scan: int, report: bool, publish: int, published: bool,
        code: int) -> None:
    command, env = cronjob_run(tmp_path, SCAN_CODE=str(scan), SCAN_REPORT=str(int(report)),
                               PUBLISH_CODE=str(publish))
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == code, proc.stdout + proc.stderr
    log = (tmp_path / "log").read_text().splitlines()
    clone = f"git clone --quiet https://github.com/ORG/datasets {tmp_path}/work/registry"
    assert log[:2] == [clone, f"dataward drift scan --env k8s-cluster --root {tmp_path}/data "
                       f"--registry . -o {tmp_path}/work/drift-report.json"]
    publishing = (f"dataward drift publish {tmp_path}/work/drift-report.json "
                  "--remote storage")
    assert log[2:] == ([publishing] if published else [])


def test_the_cronjob_script_passes_the_deadlines_sigterm_to_the_scan(tmp_path: Path) -> None:
    """At activeDeadlineSeconds the kubelet sends SIGTERM to the container's first process,
    the shell: the scan must get it, to save its hash cache, and the job ends with its code."""
    command, env = cronjob_run(tmp_path, SCAN_SLEEP="1", SCAN_REPORT="0")
    log, output = tmp_path / "log", tmp_path / "output"
    with output.open("w") as out:  # not a pipe: a stand-in left behind would hold it open
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while "scan-waiting" not in (log.read_text() if log.exists() else ""):
            assert proc.poll() is None and time.monotonic() < deadline, output.read_text()
            time.sleep(0.05)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)  # to the shell only, as the kubelet does
        code = proc.wait(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever this test started and left
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert code == 3, output.read_text()
    assert time.monotonic() - started < 10  # not the stand-in's 30 s nap
    lines = log.read_text().splitlines()
    assert "got-term" in lines
    assert not [line for line in lines if "drift publish" in line]  # no report, no publish


def crontab_command() -> str:
    """The crontab line of docs/operations.md, without its schedule."""
    text = (EXAMPLES.parent / "docs" / "operations.md").read_text()
    (line,) = re.findall(r"^17 3 \* \* \* (.*drift publish.*)$", text, re.M)
    return str(line)


@pytest.mark.parametrize(("pull_fails", "scan", "report", "published"), [
    (True, 0, True, False), (False, 1, True, True), (False, 3, False, False)],
    ids=["pull-fails", "drift", "no-report"])
def test_the_crontab_line_logs_everything_and_publishes_only_a_new_report(
        tmp_path: Path, pull_fails: bool, scan: int, report: bool, published: bool) -> None:
    stubs(tmp_path / "bin")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "bin" / "dataward").rename(tmp_path / "venv" / "bin" / "dataward")
    (tmp_path / "registry").mkdir()
    (tmp_path / "drift-report.json").write_text("{}")  # last night's: never published again
    env = {"PATH": f"{tmp_path}/bin:/usr/bin:/bin", "HOME": str(tmp_path),
           "LOG": str(tmp_path / "calls"), "SCAN_CODE": str(scan),
           "SCAN_REPORT": str(int(report)), "PUBLISH_CODE": "0",
           **({"PULL_FAILS": "1"} if pull_fails else {})}
    proc = subprocess.run(["/bin/sh", "-c", crontab_command()], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.stdout + proc.stderr == ""  # cron would mail it: it all goes to the log
    logged = (tmp_path / "drift.log").read_text()
    assert ("fatal: unable to access the registry" in logged) == pull_fails
    assert ("stand-in for drift scan" in logged) == (not pull_fails)
    calls = (tmp_path / "calls").read_text()
    assert ("dataward drift publish" in calls) == published
