"""Issue 13, point 8: the dependencies are locked with hashes (requirements.lock for the image,
requirements-dev.lock for `make test` and CI), and the lock matches pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n    --hash=sha256:([0-9a-f]{64})$", re.MULTILINE)


def _lock(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text()
    entries = ENTRY.findall(text)
    pinned_lines = [line for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert len(entries) == len(pinned_lines), "every pinned package carries exactly one hash"
    return {canonicalize_name(package): version for package, version, _ in entries}


def _declared() -> tuple[list[Requirement], list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return runtime, dev


def test_dependency_lock_has_a_hash_for_every_package_and_satisfies_pyproject():
    runtime_lock, dev_lock = _lock("requirements.lock"), _lock("requirements-dev.lock")
    runtime, dev = _declared()

    for requirement in runtime:
        name = canonicalize_name(requirement.name)
        assert name in runtime_lock, name
        assert requirement.specifier.contains(runtime_lock[name], prereleases=True), name
    for requirement in dev:
        name = canonicalize_name(requirement.name)
        assert requirement.specifier.contains(dev_lock[name], prereleases=True), name
    # The dev lock is the runtime lock plus the dev tools, at the same versions.
    assert {k: dev_lock[k] for k in runtime_lock} == runtime_lock


def test_dependency_lock_is_used_with_require_hashes_by_the_image_and_make():
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "COPY requirements.lock" in dockerfile
    assert "pip install --require-hashes --no-deps -r requirements-dev.lock" in makefile
    assert "$(VENV)/.installed: pyproject.toml requirements-dev.lock" in makefile


def test_dependency_lock_is_what_the_tests_run_with():
    """`make test` installs requirements-dev.lock: the versions tested are the locked ones."""
    for name, version in _lock("requirements-dev.lock").items():
        assert metadata.version(name) == version, name
