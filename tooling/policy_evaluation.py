"""Run the pack's policies in-process, with arguments built exactly as pulumi_policy's analyzer builds them.

The CrossGuard analyzer (pulumi_policy.policy._PolicyAnalyzerServicer) receives each resource from the engine as a
protobuf Struct and, per policy, deserializes it (`deserialize_properties`: secrets revealed, assets rebuilt),
wraps it in `unknown_checking_proxy` (reading a value that is unknown during preview raises UnknownValueError),
and passes PolicyResourceOptions (protect, parent, ...). Here the same functions run on recorded registrations, so
a policy sees what it would see under `pulumi preview --policy-pack policies`, save what only the engine adds:
provider defaults, auto-names and, for stack policies, outputs (offline they see the declared inputs).

A resource is anything with the attributes of tooling.mock_engine.Registration (urn, type, name, parent, inputs,
dependencies, property_dependencies, protect, and optionally delete_before_replace, is_read); this module
imports nothing from the program.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties

# Raised by args.not_applicable(); private in pulumi_policy (the pinned range has it).
from pulumi_policy.policy import _NotApplicableError as NotApplicable
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from policies.rules import PACK_NAME, POLICIES
from policies.rules.common import ResourceRule

# The version in PulumiPolicy.yaml (a test keeps them equal); the analyzer names the pack `<name>@v<version>`.
PACK_VERSION = "0.1.0"


class Resource(Protocol):
    """What a policy needs of a recorded resource (tooling.records.Registration has it)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def dependencies(self) -> Sequence[str]: ...
    @property
    def property_dependencies(self) -> Mapping[str, Sequence[str]]: ...
    @property
    def protect(self) -> bool: ...


@dataclass(frozen=True)
class Violation:
    """One diagnostic, as `pulumi preview` lists it: policy, enforcement level, resource URN ("" for the stack)."""

    policy: str
    level: str
    urn: str
    message: str


class PolicyConfigError(ValueError):
    """Policy-pack config that names an unknown policy or property, or a value its schema refuses."""


class PolicyFailure(RuntimeError):
    """A policy raised: the real analyzer would fail the preview."""


# --- arguments, as the analyzer builds them ---------------------------------------------------------------------


def properties(wire: Mapping[str, Any]) -> Mapping[str, Any]:
    """What `args.props` is under the CLI: deserialized wire properties behind the unknown-checking proxy."""
    return unknown_checking_proxy(deserialize_properties(dict(wire)))


def options(resource: Resource) -> PolicyResourceOptions:
    delete_before_replace = getattr(resource, "delete_before_replace", False)
    return PolicyResourceOptions(
        protect=bool(resource.protect),
        ignore_changes=[],
        delete_before_replace=True if delete_before_replace else None,  # None: the option wasn't given
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent or None,
    )


def resource_args(
    resource: Resource,
    config: Mapping[str, Any] | None = None,
    prepared: tuple[Mapping[str, Any], PolicyResourceOptions] | None = None,
) -> ResourceValidationArgs:
    """ResourceValidationArgs for one resource (Analyze). No provider resource: offline there is none. `prepared`:
    its props and options, deserialized once for all policies."""
    props, opts = prepared or (properties(resource.inputs), options(resource))
    return ResourceValidationArgs(resource.type, props, resource.urn, resource.name, opts, None, config, {})


def stack_args(resources: Iterable[Resource], config: Mapping[str, Any] | None = None) -> StackValidationArgs:
    """StackValidationArgs (AnalyzeStack): every resource, with parent and dependency links resolved to objects."""
    resources = list(resources)
    built = {
        r.urn: PolicyResource(r.type, properties(r.inputs), r.urn, r.name, options(r), None, None, [], {})
        for r in resources
    }
    for r in resources:
        policy_resource = built[r.urn]
        if r.parent in built:
            policy_resource.parent = built[r.parent]
        policy_resource.dependencies.extend(built[d] for d in r.dependencies if d in built)
        for key, urns in r.property_dependencies.items():
            policy_resource.property_dependencies[key] = [built[u] for u in urns if u in built]
    return StackValidationArgs(list(built.values()), config, {})


# --- config, as `pulumi preview --policy-pack-config` gives it --------------------------------------------------

_LEVELS = {level.value: level for level in EnforcementLevel}


def _level(value: Any, where: str) -> EnforcementLevel:
    if isinstance(value, EnforcementLevel):
        return value
    if value in _LEVELS:
        return _LEVELS[value]
    raise PolicyConfigError(f"{where}: enforcement level {value!r} is not one of {', '.join(_LEVELS)}")


def _schema_problems(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    """The subset of JSON Schema the pack's config schemas use: type, items, additionalProperties, minimum, maximum,
    pattern, enum."""
    kind = schema.get("type")
    checks = {
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer(),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    if kind in checks and not checks[kind](value):
        return [f"{where}: expected {kind}, got {value!r}"]
    problems = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{where}: {value!r} is below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{where}: {value!r} is above the maximum {schema['maximum']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if kind == "array" and "items" in schema:
        for i, item in enumerate(value):
            problems += _schema_problems(item, schema["items"], f"{where}[{i}]")
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        for key, item in value.items():
            problems += _schema_problems(item, schema["additionalProperties"], f"{where}.{key}")
    return problems


def normalize_config(
    config: Mapping[str, Any] | None, policies: Sequence[Policy] = POLICIES
) -> tuple[dict[str, EnforcementLevel], dict[str, dict[str, Any]]]:
    """Per policy: its enforcement level and its config properties, from a `--policy-pack-config` style mapping
    (`{"<policy>": "<level>" | {"enforcementLevel": ..., "<property>": ...}}`; the key "all" sets every level)."""
    by_name = {p.name: p for p in policies}
    levels = {p.name: p.enforcement_level or EnforcementLevel.ADVISORY for p in policies}
    properties_: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    entries = dict(config or {})
    if "all" in entries:
        level = _level(entries.pop("all"), "all")
        levels = dict.fromkeys(levels, level)
    for name, entry in entries.items():
        policy = by_name.get(name)
        if policy is None:
            close = fnmatch.filter(by_name, f"*{name.split('-')[-1]}*")[:3]
            problems.append(
                f"{name}: no such policy in the pack" + (f" (did you mean {', '.join(close)}?)" if close else "")
            )
            continue
        if not isinstance(entry, Mapping):
            levels[name] = _level(entry, name)
            continue
        schema = policy.config_schema.properties if policy.config_schema else {}
        given = {}
        for key, value in entry.items():
            if key == "enforcementLevel":
                levels[name] = _level(value, f"{name}.enforcementLevel")
            elif key not in schema:
                known = ", ".join(sorted(schema)) or "none"
                problems.append(f"{name}.{key}: not a setting of this policy (settings: {known})")
            else:
                problems += _schema_problems(value, schema[key], f"{name}.{key}")
                given[key] = value
        if given:
            properties_[name] = given
    if problems:
        raise PolicyConfigError("invalid policy pack config:\n" + "\n".join(f"  {p}" for p in problems))
    return levels, properties_


# --- evaluation ---------------------------------------------------------------------------------------------------


def _run(policy: ResourceValidationPolicy | StackValidationPolicy, args: Any, report) -> None:
    result = policy.validate(args, report)
    if isawaitable(result):  # as the analyzer does: a fresh event loop per awaitable validation
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def _may_inspect(policy: ResourceValidationPolicy, resource_type: str) -> bool:
    """False only for one of the pack's rules whose declared types don't include this one: such a rule returns
    without a look (ResourceRule._validate), so skipping it changes no verdict and saves most of the calls (50
    rules, each for a few types). Any other policy sees every resource, as the analyzer shows it to them."""
    return not isinstance(policy, ResourceRule) or resource_type in policy.resource_types


def _cant_run(policy: Policy, error: UnknownValueError) -> str:
    # The analyzer's own wording (it reports this as advisory, whatever the policy's level).
    return f"can't run policy '{policy.name}' from policy pack '{PACK_NAME}@v{PACK_VERSION}' during preview: {error.message}"


class Evaluation:
    """The pack over one stack's resources, fed one at a time as they are declared (`add`), then the stack policies
    (`finish`): what `evaluate` reports. A policy that fails on a resource is raised by `finish`, as PolicyFailure;
    the resources after it are not analysed, as the analyzer stops at the first failure.

    `config` is policy-pack config as `--policy-pack-config` takes it (see normalize_config); a bad one raises
    PolicyConfigError here, before any resource is analysed."""

    def __init__(self, config: Mapping[str, Any] | None = None, policies: Sequence[Policy] = POLICIES) -> None:
        self._levels, self._settings = normalize_config(config, policies)
        self._policies = policies
        self._resource_policies: list[ResourceValidationPolicy] = [
            p
            for p in policies
            if isinstance(p, ResourceValidationPolicy) and self._levels[p.name] != EnforcementLevel.DISABLED
        ]
        self._by_type: dict[str, list[ResourceValidationPolicy]] = {}
        self._found: list[Violation] = []
        self._failure: PolicyFailure | None = None

    def _level_of(self, policy: Policy) -> str:
        level = self._levels[policy.name]
        return "mandatory" if level == EnforcementLevel.REMEDIATE else level.value  # as the analyzer downgrades

    def add(self, resource: Resource) -> None:
        """The resource policies, for one resource. Read resources (`pulumi:pulumi:StackReference`, `get` calls) are
        not analysed one by one, as the engine doesn't; stack policies see them."""
        if self._failure is not None or getattr(resource, "is_read", False):
            return
        # Deserialized once per resource, as the analyzer does for all the pack's policies in one Analyze call.
        prepared = (properties(resource.inputs), options(resource))
        if resource.type not in self._by_type:
            self._by_type[resource.type] = [p for p in self._resource_policies if _may_inspect(p, resource.type)]
        found = self._found
        for policy in self._by_type[resource.type]:
            args = resource_args(resource, self._settings.get(policy.name), prepared)
            level = self._level_of(policy)

            def report(message: str, urn: str | None = None, policy=policy, level=level) -> None:
                found.append(Violation(policy.name, level, resource.urn, message))

            try:
                _run(policy, args, report)
            except UnknownValueError as error:
                found.append(Violation(policy.name, "advisory", resource.urn, _cant_run(policy, error)))
            except NotApplicable:
                pass
            except Exception as error:
                self._failure = PolicyFailure(f"policy {policy.name} failed on {resource.urn}: {error!r}")
                self._failure.__cause__ = error
                return

    def finish(self, resources: Iterable[Resource]) -> list[Violation]:
        """The stack policies over every resource of the stack (as AnalyzeStack), after those `add` was given; every
        violation found, in order. Raises PolicyFailure when a policy itself failed."""
        if self._failure is not None:
            raise self._failure
        stack_resources: list[PolicyResource] | None = None
        stack_policies = [
            p
            for p in self._policies
            if isinstance(p, StackValidationPolicy) and self._levels[p.name] != EnforcementLevel.DISABLED
        ]
        found = self._found
        for stack_policy in stack_policies:
            # The resources are built once for every stack policy (as AnalyzeStack does), each with its own config.
            stack_resources = stack_resources or stack_args(resources).resources
            stack_arguments = StackValidationArgs(stack_resources, self._settings.get(stack_policy.name), {})

            def report_stack(message: str, urn: str | None = None, policy: Policy = stack_policy) -> None:
                found.append(Violation(policy.name, self._level_of(policy), urn or "", message))

            try:
                _run(stack_policy, stack_arguments, report_stack)
            except UnknownValueError as error:
                found.append(Violation(stack_policy.name, "advisory", "", _cant_run(stack_policy, error)))
            except NotApplicable:
                pass
            except Exception as error:
                raise PolicyFailure(f"stack policy {stack_policy.name} failed: {error!r}") from error
        return found


def evaluate(
    registrations: Iterable[Resource],
    config: Mapping[str, Any] | None = None,
    policies: Sequence[Policy] = POLICIES,
) -> list[Violation]:
    """Every violation the pack reports for one stack's resources: resource policies per resource (in order), then
    stack policies. `config` is policy-pack config as `--policy-pack-config` takes it (see normalize_config).

    Read resources (`pulumi:pulumi:StackReference`, `get` calls) are not analyzed one by one, as the engine doesn't;
    stack policies see them. Raises PolicyConfigError for bad config and PolicyFailure when a policy itself fails.
    """
    resources = list(registrations)
    evaluation = Evaluation(config, policies)
    for resource in resources:
        evaluation.add(resource)
    return evaluation.finish(resources)


def mandatory(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.level == "mandatory"]
