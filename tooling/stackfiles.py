"""The repository's stack files, read once each, in deployment order; and each as the Pulumi CLI hands it over.

Shared by everything that walks the stacks (the offline plan, the policy check, later the deploy orchestrator).

The CLI passes each config value as a string (objects and lists JSON-encoded) under a `namespace:key` name.
`secure:` values can't be decrypted without the stack's key, so they become clearly marked placeholders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER = "offline-placeholder-for-secret"
# Which kinds deploy before which: a recovery stack reads its primary owner, a tenant its owner or recovery stack.
DEPLOY_ORDER = {"owner": 0, "recovery": 1, "tenant": 2}
# The key under which a stack of each kind names the stack whose exports it reads: `<org>/<project>/<stack>`.
REFERENCE_KEY = {"recovery": "primaryStack", "tenant": "ownerStack"}


# libyaml's parser where PyYAML was built with it (PyPI's wheels are): the same documents, five times faster, which
# shows with thousands of tenants in one stack file.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_SAFE_LOADER)  # a safe loader, C or pure Python


def project_name(root: Path) -> str:
    return _read_yaml(root / "Pulumi.yaml")["name"]


def stack_names(root: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _replace_secure(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            found.append(path)
            return f"{PLACEHOLDER}:{path}"
        return {k: _replace_secure(v, f"{path}.{k}", found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def load_stack_file(root: Path, stack: str, project_doc: dict | None = None) -> tuple[dict[str, str], set[str]]:
    """The config map the CLI would give the program for `stack`, and the keys that are secret; `project_doc`:
    Pulumi.yaml as read already (it is only read)."""
    project_doc = _read_yaml(root / "Pulumi.yaml") if project_doc is None else project_doc
    project = project_doc["name"]
    defaults = project_doc.get("config") or {}
    stack_doc = _read_yaml(root / f"Pulumi.{stack}.yaml") or {}
    merged = {**{k: (v.get("default") if isinstance(v, dict) else v) for k, v in defaults.items()}}
    merged.update(stack_doc.get("config") or {})

    config: dict[str, str] = {}
    secret: set[str] = set()
    for key, value in merged.items():
        full_key = key if ":" in key else f"{project}:{key}"
        found: list[str] = []
        value = _replace_secure(value, full_key, found)
        if found:
            secret.add(full_key)
        config[full_key] = _as_config_string(value)
    return config, secret


@dataclass(frozen=True)
class StackFile:
    """One `Pulumi.<name>.yaml`: its kind and the config map the CLI would give the program."""

    name: str
    kind: str  # "owner", "recovery", "tenant", or what the file says (validation reports a bad kind)
    config: dict[str, str]
    secret: frozenset[str]

    @property
    def region(self) -> str:
        return self.config.get("aws:region", "us-east-1")


def reference_of(stack_file: StackFile, project: str) -> str | None:
    """The `<org>/<project>/<stack>` reference under which a stack of this kind names the stack it reads, if set."""
    key = REFERENCE_KEY.get(stack_file.kind)
    return stack_file.config.get(f"{project}:{key}") if key else None


def read_stack_files(root: Path) -> list[StackFile]:
    """Every stack file under `root`, each read once, in deployment order: owners first, then recovery stacks (they
    read their primary owner), then tenants and the rest (each group alphabetical). Tearing down goes in reverse."""
    files = []
    project_doc = _read_yaml(root / "Pulumi.yaml")  # once for all stack files: thousands of tenants, thousands of files
    kind = f"{project_doc['name']}:kind"
    for name in stack_names(root):
        config, secret = load_stack_file(root, name, project_doc)
        files.append(StackFile(name, config.get(kind, "?"), config, frozenset(secret)))
    return sorted(files, key=lambda f: (DEPLOY_ORDER.get(f.kind, len(DEPLOY_ORDER)), f.name))
