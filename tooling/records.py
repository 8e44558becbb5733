"""What an offline run records: each resource as the engine received it, and a run's exports.

Every analysis (plan, diagram, estimate, access, policy check) reads these; none of them needs the Pulumi runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How the engine's wire format marks a secret value (pulumi.runtime.rpc._special_secret_sig).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def reveal(value: Any) -> Any:
    """The value with every secret wrapper removed (for assertions on what would reach AWS)."""
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


@dataclass
class Registration:
    """One resource as the engine would receive it: camelCase wire inputs, parent, dependencies, options."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    is_read: bool = False
    delete_before_replace: bool = False

    @property
    def plain(self) -> dict[str, Any]:
        """The inputs with secrets revealed."""
        return reveal(self.inputs)


@dataclass
class RunResult:
    stack: str
    registrations: list[Registration]
    exports: dict[str, Any]
    secret_exports: set[str] = field(default_factory=set)

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == typ]

    def one(self, typ: str) -> Registration:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.urn for r in found]}"
        return found[0]
