"""Reading a stack's config from the Pulumi runtime and turning validation failures into one clear message."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from tenancy.config import PROJECT, OwnerConfig, RecoveryConfig, StackConfig, TenantStackConfig

# Keys that must come from `pulumi config set --secret`: a plain value would sit in the stack file in clear.
SECRET_KEYS = ("externalIds", "externalId", "discoverySecret")

STACK_KINDS: dict[str, type[OwnerConfig] | type[TenantStackConfig] | type[RecoveryConfig]] = {
    "owner": OwnerConfig,
    "recovery": RecoveryConfig,
    "tenant": TenantStackConfig,
}


class ConfigError(Exception):
    """A user's config is wrong. The message names each key and the fix; no traceback is wanted."""


def raw_namespace(config: Mapping[str, str], namespace: str = PROJECT) -> dict[str, Any]:
    """The `namespace:` keys of a Pulumi config map, without the prefix, with structured values decoded.

    Pulumi hands every value over as a string; objects and lists arrive JSON-encoded.
    """
    values: dict[str, Any] = {}
    empty = []
    for full_key, value in config.items():
        ns, _, key = full_key.partition(":")
        if ns != namespace or not key:
            continue
        if value == "":
            # `key: ""` (or `pulumi config set key ""`): no value to validate, and not the default either.
            empty.append(full_key)
            continue
        if isinstance(value, str) and value[0] in "{[":
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{full_key}: is not valid JSON/YAML structure ({exc.msg})") from None
        values[key] = value
    if empty:
        raise ConfigError(
            "invalid stack configuration:\n"
            + "\n".join(
                f"  {k}: is set to an empty string; write a value (a key with a default may instead be removed: "
                f"pulumi config rm {k.partition(':')[2]})"
                for k in sorted(empty)
            )
        )
    return values


def runtime_config() -> tuple[dict[str, str], set[str]]:
    """Every config value the Pulumi engine gave this program, and which keys are secret."""
    from pulumi.runtime import config as rc

    merged: dict[str, str] = {**rc.get_config_env(), **rc.CONFIG.get()}
    secret = set(rc.get_config_secret_keys_env()) | set(rc._SECRET_KEYS.get())
    return merged, secret


def _key_path(loc: tuple, namespace: str) -> str:
    if not loc:
        return namespace  # a check across keys: its message names them
    path = f"{namespace}:"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("" if i == 0 else ".") + str(part)
    return path


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The camelCase keys allowed at `loc` (the path of an unknown key), for a did-you-mean hint."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        current = _model_of(field.annotation) if field else None
    if current is None:
        return []
    return [f.alias or n for n, f in current.model_fields.items()]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_of(arg)
        if found:
            return found
    return None


def describe(error: ValidationError, model: type[BaseModel], namespace: str = PROJECT) -> str:
    """One message for all of a config's problems: each line names the key and what to write instead."""
    lines = []
    for err in error.errors():
        loc = tuple(err["loc"])
        key = _key_path(loc, namespace)
        kind = err["type"]
        if kind == "missing":
            text = "is required but not set"
        elif kind == "extra_forbidden":
            known = _known_keys(model, loc)
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            text = "is not a known setting" + (f"; did you mean {close[0]!r}?" if close else "")
            if known:
                text += f" (known here: {', '.join(known)})"
        elif kind == "value_error":
            text = str(err["ctx"]["error"])
        elif kind == "literal_error":
            text = f"is {err['input']!r}; write one of {err['ctx']['expected']}"
        elif any(str(part) in SECRET_KEYS for part in loc):
            text = f"{err['msg'][0].lower()}{err['msg'][1:]}"  # never echo a secret
        else:
            text = f"{err['msg'][0].lower()}{err['msg'][1:]} (got {err['input']!r})"
        lines.append(f"  {key}: {text}")
    return "invalid stack configuration:\n" + "\n".join(lines)


def load_stack_config(
    config: Mapping[str, str], secret_keys: set[str], stack: str, namespace: str = PROJECT
) -> StackConfig:
    """Validate a stack's whole `namespace:` config; raise ConfigError with one readable message."""
    raw = raw_namespace(config, namespace)
    kind = raw.get("kind")
    model = STACK_KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ConfigError(
            f"invalid stack configuration:\n  {namespace}:kind: is {kind!r}; set it to one of "
            f"{', '.join(sorted(STACK_KINDS))} (pulumi config set kind <kind> -s {stack})"
        )
    plain = [k for k in SECRET_KEYS if k in raw and f"{namespace}:{k}" not in secret_keys]
    if plain:
        raise ConfigError(
            "invalid stack configuration:\n"
            + "\n".join(
                f"  {namespace}:{k}: is stored in clear; set each value with "
                + (
                    f"pulumi config set --secret --path '{k}[\"<tenant>\"]' <value> -s {stack}"
                    if k == "externalIds"
                    else f"pulumi config set --secret {k} <value> -s {stack}"
                )
                for k in plain
            )
        )
    raw.setdefault("namePrefix", default_name_prefix(stack))
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe(exc, model, namespace)) from None


def default_name_prefix(stack: str) -> str:
    """`lt-<stack>`, lowercased and reduced to the characters AWS names accept."""
    cleaned = "".join(c if c.isalnum() else "-" for c in stack.lower())
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return f"lt-{cleaned.strip('-')}"[:24].rstrip("-")
