"""The type checker reads in full every pulumi_aws service the code uses (pyproject.toml skips the others)."""

from __future__ import annotations

import ast
from pathlib import Path

import pulumi_aws
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(pulumi_aws.__file__).parent


def _mypy() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def _read_in_full() -> set[str]:
    return {
        module
        for override in _mypy()["overrides"]
        if override.get("follow_imports") == "normal"
        for module in override["module"]
    }


def _checked_files() -> list[Path]:
    files: list[Path] = []
    for entry in _mypy()["files"]:
        path = ROOT / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def services_used(source: str) -> set[str]:
    """The pulumi_aws subpackages a module reaches: `<alias>.<service>` after `import pulumi_aws as <alias>`, or by
    `from pulumi_aws import <service>` or `from pulumi_aws.<service> import ...`."""
    tree = ast.parse(source)
    aliases = {
        name.asname or name.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for name in node.names
        if name.name == "pulumi_aws"
    }
    reached = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
    }
    for node in ast.walk(tree):  # from pulumi_aws import iam / from pulumi_aws.iam import Role
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi_aws":
            parts = node.module.split(".")
            reached |= {parts[1]} if len(parts) > 1 else {name.name for name in node.names}
    return {name for name in reached if (PACKAGE / name).is_dir()}


def test_services_used_are_found_in_code():
    code = "import pulumi_aws as aws\naws.iam.Role('r')\naws.get_region()\nx.ec2.Vpc('v')\n"
    assert services_used(code) == {"iam"}
    assert services_used("from pulumi_aws import kms, get_region\nfrom pulumi_aws.rds import Instance\n") == {
        "kms",
        "rds",
    }


def test_every_service_the_code_uses_is_read_in_full():
    listed = _read_in_full()
    used = {service for path in _checked_files() for service in services_used(path.read_text())}
    assert used, "no pulumi_aws service found: the scan is broken"
    missing = sorted(s for s in used if not {f"pulumi_aws.{s}", f"pulumi_aws.{s}.*"} <= listed)
    assert not missing, f"add these to the follow_imports = normal list in pyproject.toml: {missing}"


def test_the_package_s_own_modules_are_read_in_full():
    # Its top-level functions (get_region, get_partition, ...) and the types every service shares.
    own = {f"pulumi_aws.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    missing = sorted(own - _read_in_full())
    assert "pulumi_aws" in _read_in_full() and not missing, f"add to pyproject.toml's normal list: {missing}"
