"""`make demo`: the lab's story, end to end, in a sandbox under a temporary folder.

Each step prints the commands a user types and what they see. Nothing is written outside
the sandbox: HOME, git's global config, pre-commit's cache and DVC's site cache all live in it.
The lab's S3 is an S3 server on loopback (moto's, as in the tests), stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.harness.ghstandin import LocalGitHub  # noqa: E402 - the repository root is on the path now
from tests.harness.hookrepo import snapshot  # noqa: E402
from tests.harness.s3server import S3Server  # noqa: E402


class Sandbox:
    def __init__(self, root: Path, keep: bool = False) -> None:
        self.root = root
        self.keep = keep
        home = root / "home"
        home.mkdir()
        (home / ".gitconfig").write_text(
            "[user]\n\tname = Russell\n\temail = russell@lab.example\n"
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
        self.env = {
            **os.environ,
            "HOME": str(home),
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PRE_COMMIT_HOME": str(home / ".cache" / "pre-commit"),
            "DVC_SITE_CACHE_DIR": str(home / ".cache" / "dvc-site"),
            "DVC_NO_ANALYTICS": "1",
            "PRE_COMMIT_COLOR": "never",
        }

    def sh(self, cwd: Path, command: str,
           expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        """Run a shell command as the user would, echoing it and what it printed."""
        print(f"\n{cwd.name}$ {command}")
        proc = subprocess.run(command, shell=True, cwd=cwd, env=self.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.stdout.strip():
            print(textwrap.indent(proc.stdout.rstrip(), "  "))
        if expect is not None and proc.returncode != expect:
            raise SystemExit(f"demo: expected exit {expect} from `{command}`, got "
                             f"{proc.returncode}")
        return proc


def step(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}")


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def story(sb: Sandbox, s3: S3Server, wheelhouse: Path | None) -> None:
    registry = sb.root / "lab-datasets"
    project = sb.root / "russell-project"
    s3.bucket("lab-data")
    sb.env["AWS_ACCESS_KEY_ID"], sb.env["AWS_SECRET_ACCESS_KEY"] = s3.keys  # the lab's keys
    subprocess.run(["git", "init", "-q", "--bare", str(sb.root / "lab-datasets.git")],
                   check=True, env=sb.env)

    step("1. The lab's administrator makes the registry: `dataward init --registry` shows what "
         "it will do,\n   then does it (on the lab server dataward is installed, so git's own "
         "hooks run it)")
    registry.mkdir()
    sb.sh(registry, "git init -q && git remote add origin ../lab-datasets.git")
    sb.sh(registry, "dataward init --registry --no-pre-commit --dry-run | sed '/^$/q'")
    sb.sh(registry, "dataward init --registry --no-pre-commit")
    sb.sh(registry, "git add -A && git commit -q -m 'Adopt dataward' && git log --oneline -1")
    again = sb.sh(registry, "dataward init --registry --no-pre-commit")
    assert "nothing to do" in again.stdout

    step("2. The data lives in S3. Keys pasted into .dvc/config are refused, and never echoed")
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    sb.env["LAB_S3_SECRET"] = secret  # what the admin pastes; the demo shows the variable
    sb.sh(registry, "dvc remote add -d storage s3://lab-data/datasets && "
                    f"dvc remote modify storage endpointurl {s3.endpoint}")
    sb.sh(registry, 'dvc remote modify storage secret_access_key "$LAB_S3_SECRET"')
    keys = sb.sh(registry, "git add .dvc/config && git commit -m 'Add the remote'", expect=1)
    assert "holds `secret_access_key`, a credential" in keys.stdout
    assert secret not in keys.stdout
    sb.env["LAB_S3_KEY_ID"] = s3.keys[0]
    sb.sh(registry, "dvc remote modify --unset storage secret_access_key && "
                    'dvc remote modify --local storage access_key_id "$LAB_S3_KEY_ID" && '
                    'dvc remote modify --local storage secret_access_key "$LAB_S3_SECRET"')
    sb.sh(registry, "git add .dvc/config && git commit -q -m 'Data lives in s3://lab-data' && "
                    "git log --oneline -1")

    step("3. dog_and_cat without a card is refused; `dataward card new` writes one to fill in")
    for i in range(1, 4):
        write(registry / "dog_and_cat" / f"cat.{i}.jpg", b"\xff\xd8" + os.urandom(2048))
    sb.sh(registry, "dvc add -q dog_and_cat && git add dog_and_cat.dvc .gitignore")
    nocard = sb.sh(registry, "git commit -m 'Add dog_and_cat'", expect=1)
    assert "dog_and_cat.dvc: [dataset-cards] has no dataset card" in nocard.stdout
    sb.sh(registry, "dataward card new dog_and_cat.dvc && head -12 dog_and_cat.card.md")
    todo = sb.sh(registry, "git add dog_and_cat.card.md && git commit -m 'Add dog_and_cat'",
                 expect=1)
    assert "`license` is still TODO" in todo.stdout
    assert "- n<1K  # dog_and_cat.dvc records 3 files" in \
        (registry / "dog_and_cat.card.md").read_text()

    step("4. Filled in, the card is accepted (empty datasheet sections are only warnings)")
    sb.sh(registry, "sed -i -e 's/^license: TODO.*/license: cc-by-4.0/' "
                    "-e 's/- name: TODO/- name: Russell/' "
                    "-e 's/email: TODO.*/email: russell@lab.example/' "
                    "-e 's|^source: TODO.*|source: photos taken in the lab, 2026|' "
                    "-e 's/^TODO: .*/Three photos of the lab cat, for the tutorial./' "
                    "dog_and_cat.card.md")
    sb.sh(registry, "git add dog_and_cat.card.md && git commit -q -m 'Add dog_and_cat' && "
                    "git log --oneline -1")

    step("5. A push whose data was never pushed is refused: nobody could `dvc pull` it")
    refused = sb.sh(registry, "git push origin main", expect=1)
    assert "dog_and_cat: 4 of 4 objects are not in remote 'storage'" in refused.stdout
    assert "dvc push dog_and_cat.dvc" in refused.stdout

    step("6. After `dvc push` the same push goes through; checking again asks S3 nothing")
    sb.sh(registry, "dvc push")
    sb.sh(registry, "git push -q origin main && git log --oneline -1 origin/main")
    again = sb.sh(registry, "dvc-pushed --rev HEAD -v")
    assert "in 0 requests" in again.stdout

    step("6b. There, but not pullable: a lifecycle rule moves one photo to Glacier Deep "
         "Archive, and\n    a script overwrites another with bytes of the same size. "
         "dvc-pushed refuses both, with their fixes")
    cache = registry / ".dvc" / "cache" / "files" / "md5"
    dir_md5 = next(line.split("md5:")[1].strip() for line in
                   (registry / "dog_and_cat.dvc").read_text().splitlines() if "md5:" in line)
    photos = {e["relpath"]: e["md5"] for e in
              json.loads((cache / dir_md5[:2] / dir_md5[2:]).read_text())}
    client = s3.client()

    def key(md5: str) -> str:
        return f"datasets/files/md5/{md5[:2]}/{md5[2:]}"

    archived, forged = key(photos["cat.1.jpg"]), key(photos["cat.2.jpg"])
    client.copy_object(Bucket="lab-data", Key=archived, StorageClass="DEEP_ARCHIVE",
                       CopySource={"Bucket": "lab-data", "Key": archived},
                       MetadataDirective="COPY")
    size = client.head_object(Bucket="lab-data", Key=forged)["ContentLength"]
    client.put_object(Bucket="lab-data", Key=forged, Body=b"\xff\xd8" + b"?" * (size - 2))
    bad = sb.sh(registry, "dvc-pushed --rev HEAD --no-cache", expect=1)
    assert "[objects-archived]" in bad.stdout and "[objects-corrupt]" in bad.stdout
    assert "dvc-pushed --restore --rev HEAD" in bad.stdout

    step("6c. The weekly audit: every version any branch or tag needs, and a garbage-collection "
         "plan\n    for what nothing references (dataward deletes nothing)")
    client.put_object(Bucket="lab-data", Key=key("0" * 32), Body=os.urandom(4096))
    # --keep-days 0: the stray object is minutes old (by default a week's are left out).
    audit = sb.sh(registry, "dataward remote audit --keep-days 0 --plan ../gc-plan.json",
                  expect=1)
    assert "[objects-unreferenced]" in audit.stdout
    sb.sh(registry, "head -12 ../gc-plan.json")

    step("6d. The fixes: this machine has the data, so `--push` uploads it over both copies "
         "(in the standard class)")
    sb.sh(registry, "dvc-pushed --rev HEAD --push")
    sb.sh(registry, "dvc-pushed --rev HEAD --no-cache")

    step("7. Russell's project: `dataward init --user-repo` with the pre-commit framework\n"
         "   (the hooks come from this checkout, committed as a hook repository; a lab's come "
         "from GitHub),\n   then `dvc import` of dog_and_cat from the registry")
    hooks = sb.root / "dataward-hooks"
    snapshot(hooks, sb.env)
    if wheelhouse is not None:  # pre-commit pip-installs the hooks: offline, from these wheels
        sb.env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse.resolve())})
    project.mkdir()
    sb.sh(project, "git init -q")
    sb.sh(project, f"dataward init --user-repo --hook-repo {shlex.quote(str(hooks))}")
    write(project / "train.py", "import torch\n\nprint('training')\n")
    sb.sh(project, "dvc import -q ../lab-datasets.git dog_and_cat && cat dog_and_cat.dvc")
    sb.sh(project, "git add -A && git commit -q -m 'Project skeleton' && git log --oneline -1")

    step("8. A 2 MB model.pt is refused at commit, with the command to run instead")
    write(project / "model.pt", os.urandom(2 * 1024 * 1024))
    sb.sh(project, "git add model.pt")
    refused = sb.sh(project, "git commit -m 'Add trained model'", expect=1)
    assert "git rm --cached model.pt && dvc add model.pt" in refused.stdout

    step("9. Following the hint: the data goes to DVC, its pointer to git, and the commit passes")
    sb.sh(project, "git rm -q --cached model.pt && dvc add -q model.pt")
    sb.sh(project, "git add model.pt.dvc .gitignore && git commit -q -m 'Track model with DVC'"
                   " && git log --oneline -1")

    step("10. A hand-edited .dvc file is refused with its line and the command that fixes it")
    dvcfile = project / "model.pt.dvc"
    good = dvcfile.read_text()
    dvcfile.write_text(good.replace("md5: ", "md5: 0", 1))
    sb.sh(project, "git diff -U0 model.pt.dvc | tail -2")
    broken = sb.sh(project, "git commit -a -m 'Fix the hash by hand'", expect=1)
    assert "model.pt.dvc:2: [dvc-files] `outs[0].md5` is not an md5" in broken.stdout
    assert "dvc commit model.pt.dvc" in broken.stdout
    dvcfile.write_text(good)

    step("11. On GitHub: a pull request whose author skipped the hooks gets one check run and "
         "one comment\n    (actions/check's command, against a local GitHub)")
    base = sb.sh(registry, "git rev-parse HEAD").stdout.strip()
    sb.sh(registry, "git checkout -q -b add-scans && head -c 3000000 /dev/urandom > scans.zip && "
                    "git add scans.zip && git commit -q --no-verify -m 'Add the scans'")
    head = sb.sh(registry, "git rev-parse HEAD").stdout.strip()
    with LocalGitHub() as github:
        github.add_token("ghs_demo_token_0123456789", write=True)
        github.add_repo("lab/datasets")
        github.add_pull("lab/datasets", 7, base, head, head_ref="add-scans")
        event = sb.root / "event.json"
        event.write_text(json.dumps({"pull_request": {
            "number": 7, "base": {"sha": base, "ref": "main"},
            "head": {"sha": head, "ref": "add-scans"}}}))
        sb.env.update({"GITHUB_TOKEN": "ghs_demo_token_0123456789",
                       "GITHUB_REPOSITORY": "lab/datasets", "GITHUB_API_URL": github.api_url,
                       "GITHUB_EVENT_PATH": str(event),
                       "GITHUB_STEP_SUMMARY": str(sb.root / "summary.md")})
        sb.sh(registry, "dataward ci check", expect=1)
        [run] = github.check_runs("lab/datasets")
        [comment] = github.comments("lab/datasets", 7)
        print(f"\n  GitHub received check run {run['name']!r}: {run['conclusion']}, "
              f"{run['output']['annotations_count']} annotation(s), and this comment:\n")
        print(textwrap.indent(comment["body"], "  | "))
        assert run["conclusion"] == "failure" and "scans.zip" in comment["body"]

        step("12. On every merge to main: the catalog (JSON, Croissant, a web page), from git "
             "history alone,\n    published to the `dataward` branch (GitHub Pages serves it)")
        sb.sh(registry, "git checkout -q main")
        sb.sh(registry, "dataward catalog build -o ../site/catalog.json --croissant-dir "
                        "../site/croissant --html ../site/index.html")
        sb.sh(registry, "dataward ls")
        sb.sh(registry, "dataward show dog_and_cat | head -12")
        sb.sh(registry, "dataward catalog publish")
        published = sorted(github.files("lab/datasets", "dataward"))
        print(f"\n  the dataward branch on GitHub now holds: {', '.join(published)}")
        page = sb.root / "site" / "index.html"
        print(f"  the page: file://{page}"
              + ("" if sb.keep else "  (make demo DEMO_ARGS=--keep keeps it to open)"))
        assert "croissant/dog_and_cat.json" in published

        step("13. The lab server still holds version 1 of dog_and_cat after version 2 is "
             "merged;\n    the cloud machine has version 2 with one photo retouched. Each "
             "scans and publishes its report\n    to the lab's S3 remote, with the keys "
             "`dvc pull` uses there: no GitHub token on lab machines")
        lab, cloud = sb.root / "lab-server", sb.root / "cloud"
        shutil.copytree(registry / "dog_and_cat", lab / "dog_and_cat")
        shutil.copytree(registry / "dog_and_cat", lab / "cats_2024_copy")  # someone's copy
        write(registry / "dog_and_cat" / "cat.4.jpg", b"\xff\xd8" + os.urandom(2048))
        sb.sh(registry, "dvc add -q dog_and_cat && git add dog_and_cat.dvc && "
                        "git commit -q -m 'dog_and_cat: one more cat' && dvc push -q")
        shutil.copytree(registry / "dog_and_cat", cloud / "dog_and_cat")
        write(cloud / "dog_and_cat" / "cat.1.jpg", b"\xff\xd8retouched")
        for env, root in (("lab-server", lab), ("abci", cloud)):
            sb.sh(registry, f"dataward drift scan --env {env} --root ../{root.name} "
                            f"--registry . -o ../{env}.json", expect=1)
            sb.sh(registry, f"env -u GITHUB_TOKEN dataward drift publish ../{env}.json "
                            "--remote storage")

        step("13b. On the next merge the registry's CI, the only holder of a GitHub token, "
             "collects every\n    environment's report from S3: one dashboard (README.md and "
             "a page) on the dataward branch,\n    and the catalog page says which environment "
             "holds which version")
        sb.sh(registry, "dataward drift collect --remote storage -o ../site/drift "
                        "--branch dataward")
        board = github.file("lab/datasets", "dataward", "drift/README.md")
        assert board is not None and "⏪ v1" in board.decode() and "✏️ ~v2" in board.decode()
        catalog_page = github.file("lab/datasets", "dataward", "index.html")
        assert catalog_page is not None and b'id="holding-data"' in catalog_page
        print("\n  drift/README.md on the dataward branch, the lab's dashboard:\n")
        print(textwrap.indent(board.decode(), "  | "))
        print(f"  the same as a page: file://{sb.root / 'site' / 'drift' / 'index.html'}"
              + ("" if sb.keep else "  (make demo DEMO_ARGS=--keep keeps it to open)"))

        step("14. A training job on the lab server checks its data before it starts: the\n"
             "    experiment says dog_and_cat version 2, the server's folder holds version 1")
        job = ("dataward verify ../lab-server/dog_and_cat --dataset dog_and_cat --registry . "
               "{version}--json ../lineage.json && echo 'training starts'")
        sb.sh(registry, job.format(version=""), expect=1)
        sb.sh(registry, job.format(version="--version 1 "))
        sb.sh(registry, "cat ../lineage.json")
        sb.sh(registry, "dataward fingerprint ../lab-server/dog_and_cat  # a pipeline's cache "
                        "key: the md5 `dvc add` would record")
        github.check()  # every request matched GitHub's OpenAPI description


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the sandbox for a look")
    parser.add_argument("--wheelhouse", type=Path, help="wheels pre-commit installs the hooks "
                        "from, offline (make demo fills .venv/wheelhouse)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="dataward-demo-"))
    started = time.monotonic()
    print(f"dataward demo: sandbox in {root}")
    s3 = S3Server().start()
    try:
        story(Sandbox(root, args.keep), s3, args.wheelhouse)
    finally:
        s3.stop()
        if args.keep:
            print(f"\nsandbox kept at {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\ndemo finished in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
