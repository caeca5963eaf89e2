"""Shared fixtures: the repository's policies, examples and case files, and
the `assay` CLI binary, against which the package's answers are compared."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import assay

REPO = Path(__file__).resolve().parents[3]


def cli_binary() -> Path:
    """`$ASSAY_BIN` (set by `make test-python`), else a built CLI in the target dir."""
    if os.environ.get("ASSAY_BIN"):
        return Path(os.environ["ASSAY_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        if (target / profile / "assay").exists():
            return target / profile / "assay"
    raise RuntimeError("no `assay` binary: build it (cargo build -p assay-cli) or set ASSAY_BIN")


@pytest.fixture(scope="session")
def cli() -> Path:
    return cli_binary()


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # File labels in reports are paths as given; the CLI is run from here too.
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="session")
def library() -> assay.Policy:
    return assay.load(REPO / "policies")


@pytest.fixture(scope="session")
def module_path(cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in library compiled by `assay build`."""
    out = tmp_path_factory.mktemp("module") / "policies.wasm"
    subprocess.run([str(cli), "build", "policies", "-o", str(out)], cwd=REPO, check=True)
    return out


@pytest.fixture(scope="session")
def module(module_path: Path) -> assay.Policy:
    return assay.load(module_path)


def run_cli(cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(cli), *args], cwd=REPO, capture_output=True, text=True)


def example_manifests() -> list[Path]:
    return sorted(p.relative_to(REPO) for p in (REPO / "examples" / "k8s").rglob("*.yaml"))


def case_files() -> list[tuple[Path, Path | None]]:
    """(case file, its policy file or None for the built-in library)."""
    out: list[tuple[Path, Path | None]] = [
        (p.relative_to(REPO), None)
        for p in sorted((REPO / "policies").rglob("*.yaml"))
        if "tests" in p.relative_to(REPO / "policies").parts
    ]
    for p in sorted((REPO / "tests" / "cases").glob("*.yaml")):
        if p.name.endswith(".policy.yaml"):
            continue
        policy = p.with_name(p.name[: -len(".yaml")] + ".policy.yaml")
        out.append((p.relative_to(REPO), policy.relative_to(REPO)))
    return out


