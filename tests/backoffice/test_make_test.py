"""`make test` on a fresh machine sets up what its tests need itself (issue 9: it used to rely on
`.ci/run` to install Chromium, and gave 22 browser errors without it)."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(target: str) -> list[str]:
    out = subprocess.run(
        ["make", "--always-make", "--dry-run", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def test_make_test_ensures_chromium_and_the_services_before_running_pytest():
    steps = _dry_run("test")
    chromium = next(i for i, s in enumerate(steps) if "bin/ensure-chromium" in s)
    services = next(i for i, s in enumerate(steps) if "bin/ensure-services" in s)
    pytest_step = next(i for i, s in enumerate(steps) if "bin/pytest" in s)
    assert chromium < pytest_step and services < pytest_step


def test_ci_run_leaves_the_setup_to_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in script
    assert script.rstrip().endswith("make test")


def _fake_bin(tmp_path: Path, **programs: str) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in programs.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_ensure_chromium_installs_through_apt_when_root_and_missing(tmp_path):
    log = tmp_path / "apt.log"
    target = tmp_path / "chromium"
    env = _fake_bin(
        tmp_path,
        id="echo 0",
        **{
            "apt-get": f'echo "$@" >> {log}; case "$*" in *install*) touch {target}; chmod +x {target};; esac'
        },
    )
    result = subprocess.run(
        ["bash", str(ROOT / "bin" / "ensure-chromium")],
        env={**env, "CHROMIUM_PATH": str(target)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "install -y -qq chromium" in log.read_text()


def test_ensure_chromium_as_a_user_without_sudo_prints_the_one_command(tmp_path):
    env = _fake_bin(tmp_path, id="echo 1000", sudo="exit 1", **{"apt-get": "exit 99"})
    result = subprocess.run(
        ["bash", str(ROOT / "bin" / "ensure-chromium")],
        env={**env, "CHROMIUM_PATH": str(tmp_path / "missing")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "sudo apt-get install -y chromium" in result.stderr


def test_ensure_services_names_the_one_that_is_down_and_how_to_start_it():
    result = subprocess.run(
        ["bash", str(ROOT / "bin" / "ensure-services")],
        env={**os.environ, "DATABASE_URL": "postgres://x@127.0.0.1:1/x"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "PostgreSQL is not answering on 127.0.0.1:1" in result.stderr
    assert "pg_ctlcluster" in result.stderr
