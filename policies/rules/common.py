"""What every rule module shares: the rule classes, config defaults, policy-document parsing, stack linking.

Nothing here imports the Pulumi program or pulumi_aws: the pack runs in its own virtualenv under the Pulumi CLI.
Property names are the engine's camelCase wire names (`publiclyAccessible`), never the Python SDK's snake_case.
Values arrive as the analyzer builds them: secrets revealed, numbers as floats, and containers wrapped in
pulumi_policy's unknown-checking proxies (Mappings and Sequences, not dicts and lists). Reading a value that is
unknown during preview raises UnknownValueError; the analyzer turns that into an advisory "can't run policy
during preview" note for the whole policy on that resource, so rules read values plainly and let it propagate.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL

Report = Callable[[str], None]
Config = Mapping[str, Any]


def _describe(summary: str, controls: Sequence[str]) -> str:
    """One sentence: the rule, then the controls it backs in parentheses."""
    return f"{summary} ({'; '.join(controls)})." if controls else f"{summary}."


def _with_defaults(schema: Mapping[str, Mapping[str, Any]], given: Config | None) -> dict[str, Any]:
    """The policy's config: what the engine passed, each missing property filled from the schema's default."""
    merged = {key: prop["default"] for key, prop in schema.items() if "default" in prop}
    merged.update(given or {})
    return merged


class Rule:
    """Metadata every guardrail carries besides what pulumi_policy knows (for the README table and the tests)."""

    summary: str
    controls: tuple[str, ...]
    resource_types: tuple[str, ...]
    config_properties: dict[str, dict[str, Any]]
    kind: str
    _check: Callable[..., None]


def _set_up(rule, name, summary, types, check, level, severity, controls, config) -> None:
    """What ResourceRule and StackRule share: the catalogue fields, then the pulumi_policy base's own init."""
    rule.summary = summary
    rule.controls = tuple(controls)
    rule.resource_types = tuple(types)  # the only types it inspects (also: the offline runner calls it for no other)
    rule.config_properties = dict(config or {})
    rule._check = check
    base = ResourceValidationPolicy if isinstance(rule, ResourceValidationPolicy) else StackValidationPolicy
    base.__init__(
        rule,
        name=name,
        description=_describe(summary, controls),
        validate=rule._validate,
        enforcement_level=level,
        config_schema=PolicyConfigSchema(rule.config_properties) if rule.config_properties else None,
        severity=severity,
    )


class ResourceRule(ResourceValidationPolicy, Rule):
    """A resource policy for the listed types; `check(args, config, report)` sees only those types."""

    kind = "resource"

    def __init__(
        self,
        name: str,
        summary: str,
        *,
        types: Sequence[str],
        check: Callable[[ResourceValidationArgs, Config, Report], None],
        level: EnforcementLevel,
        severity: Severity,
        controls: Sequence[str] = (),
        config: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        _set_up(self, name, summary, types, check, level, severity, controls, config)

    def _validate(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type in self.resource_types:
            config = _with_defaults(self.config_properties, args.get_config())
            self._check(args, config, lambda message: report_violation(message, None))


class StackRule(StackValidationPolicy, Rule):
    """A stack policy; `check(args, config, report)` reports `report(message, urn)` per offending resource."""

    kind = "stack"

    def __init__(
        self,
        name: str,
        summary: str,
        *,
        types: Sequence[str],
        check: Callable[[StackValidationArgs, Config, ReportViolation], None],
        level: EnforcementLevel,
        severity: Severity,
        controls: Sequence[str] = (),
        config: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        _set_up(self, name, summary, types, check, level, severity, controls, config)

    def _validate(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        self._check(args, _with_defaults(self.config_properties, args.get_config()), report_violation)


# --- values ---------------------------------------------------------------------------------------------------


def is_true(value: Any) -> bool:
    """True for a boolean true (or the string "true", which the provider coerces)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_false(value: Any) -> bool:
    """An explicit false; a missing value (None) is not false, it takes the provider's default."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def number(value: Any) -> float | None:
    """A number (the wire sends floats; a numeric string is coerced by the provider); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def field(value: Any, key: str) -> Any:
    """`value[key]` when value is an object that has it; None otherwise (nested blocks may be missing)."""
    return value.get(key) if isinstance(value, Mapping) else None


def items(value: Any) -> list[Any]:
    """A list from a list-like input; a single string counts as one item; None as none."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def known_texts(values: Any) -> list[str]:
    """The known, non-empty strings of a list input (a single string counts as one); an element unknown during preview
    is skipped: stack policies link it by its dependency edge instead."""
    if isinstance(values, str):
        return [values] if values else []
    if not isinstance(values, Sequence):
        return []
    found = []
    for i in range(len(values)):
        try:
            entry = values[i]
        except UnknownValueError:
            continue
        if isinstance(entry, str) and entry:
            found.append(entry)
    return found


def plain(value: Any) -> Any:
    """A proxied value as plain dicts and lists (reading every element, so an unknown one raises)."""
    if isinstance(value, Mapping):
        return {str(k): plain(value[k]) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(v) for v in value]
    return value


def stack_of(urn: str) -> str:
    """The stack name in a URN: urn:pulumi:<stack>::<project>::<type chain>::<name>."""
    return urn.split("::", 1)[0].split(":", 2)[-1] if urn.startswith("urn:pulumi:") else ""


def format_list(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


# --- stack profile ---------------------------------------------------------------------------------------------

# The production profile is the default: a stack is development only when the pack's config names it. The program's
# own `profile` setting is not trusted for this, or a stack could lift its guardrails by editing its own config.
DEVELOPMENT_STACKS = {
    "developmentStacks": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Stack names (shell-style patterns) held to the development profile; every other stack is "
        "production.",
    }
}


def is_production(stack: str, config: Config) -> bool:
    return not any(fnmatch.fnmatchcase(stack, pattern) for pattern in config.get("developmentStacks") or [])


# --- policy documents ------------------------------------------------------------------------------------------


class DocumentError(ValueError):
    """A policy document that isn't a JSON object."""


def document(value: Any) -> dict[str, Any]:
    """The policy document in a `policy`-like input: a JSON string (as the program sends) or an object."""
    if isinstance(value, Mapping):
        return plain(value)
    if not isinstance(value, str):
        raise DocumentError(f"is a {type(value).__name__}, not a JSON policy document")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise DocumentError(f"is not valid JSON ({error.msg} at character {error.pos})") from None
    if not isinstance(parsed, dict):
        raise DocumentError("is JSON but not an object")
    return parsed


def statements(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in items(doc.get("Statement")) if isinstance(s, Mapping)]


def label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement #{index + 1}"


def allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def actions(statement: Mapping[str, Any]) -> list[str]:
    """The statement's Action values, lower-cased (IAM matches actions case-insensitively)."""
    return [a.lower() for a in items(statement.get("Action")) if isinstance(a, str)]


def grants_action(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's Action (wildcards included) or NotAction covers `action`."""
    action = action.lower()
    if "NotAction" in statement:
        excluded = [a.lower() for a in items(statement.get("NotAction")) if isinstance(a, str)]
        return not any(fnmatch.fnmatchcase(action, pattern) for pattern in excluded)
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in actions(statement))


def principals(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Principal as {kind: [values]}; `"*"` is {"*": ["*"]}. NotPrincipal is read as everyone (conservative)."""
    if "NotPrincipal" in statement:
        return {"*": ["*"]}
    principal = statement.get("Principal")
    if principal == "*":
        return {"*": ["*"]}
    if isinstance(principal, Mapping):
        return {str(k): [str(v) for v in items(principal[k])] for k in principal}
    return {}


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    found = principals(statement)
    return "*" in found or "*" in found.get("AWS", [])


def conditions(statement: Mapping[str, Any]) -> list[tuple[str, str, list[Any]]]:
    """(operator, lower-cased key, values) for every condition; keys match case-insensitively in IAM."""
    out = []
    condition = statement.get("Condition")
    if isinstance(condition, Mapping):
        for operator, block in condition.items():
            if isinstance(block, Mapping):
                for key, value in block.items():
                    out.append((str(operator), str(key).lower(), items(value)))
    return out


_NEGATED = re.compile(r"(^|:)(StringNot|ArnNot|NotIpAddress|NumericNot|DateNot|BinaryNot)")


def is_positive(operator: str) -> bool:
    """A condition operator that restricts to the listed values: not negated, not IfExists, not Null."""
    return not _NEGATED.search(operator) and not operator.endswith("IfExists") and operator != "Null"


ACCOUNT_ID = re.compile(r"\d{12}")
_PRINCIPAL_ACCOUNT = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):.+")


def account_of(principal: str) -> str | None:
    """The account of an AWS principal (account ID, root, role, user or session ARN); None when it can't be told."""
    if ACCOUNT_ID.fullmatch(principal):
        return principal
    match = _PRINCIPAL_ACCOUNT.fullmatch(principal)
    return match.group(1) if match else None


_ARN = re.compile(r"arn:aws[a-z-]*:([^:]*):([^:]*):([^:]*):(.+)")


def pins_owner(value: Any) -> bool:
    """Whether a condition value names one owner's resources: an account ID, an ARN whose account field is a fixed
    account (an S3 ARN, which has none, naming its bucket without wildcards), or another literal without wildcards.
    `arn:aws:cloudtrail:*:*:trail/*` pins nothing: it matches every account's trails."""
    if not isinstance(value, str) or not value.strip():
        return False
    value = value.strip()
    match = _ARN.fullmatch(value)
    if match:
        service, _, account, resource = match.groups()
        if ACCOUNT_ID.fullmatch(account):
            return True
        bucket = resource.split("/", 1)[0]
        return service == "s3" and not account and bool(bucket) and not any(c in bucket for c in "*?$")
    return not any(c in value for c in "*?$")


SOURCE_KEYS = ("aws:sourcearn", "aws:sourceaccount")


def limited_by(statement: Mapping[str, Any], accept: Callable[[str], bool]) -> bool:
    """Whether a positive condition on a key `accept` admits (keys lower-cased) pins every value to one owner
    (`pins_owner`). ForAllValues is not positive here: it holds vacuously when the request lacks the key."""
    return any(
        accept(key)
        and is_positive(operator)
        and not operator.startswith("ForAllValues:")
        and values
        and all(pins_owner(v) for v in values)
        for operator, key, values in conditions(statement)
    )


def source_limited(statement: Mapping[str, Any]) -> bool:
    """Confused-deputy prevention: an aws:SourceArn or aws:SourceAccount condition naming this owner's resources."""
    return limited_by(statement, lambda key: key in SOURCE_KEYS)


def is_wide_network(value: Any) -> bool:
    """Whether a CIDR admits the whole internet (a /0 in either family); malformed values are left to AWS."""
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


# --- stack policies: which resource refers to which ------------------------------------------------------------


def of_type(args: StackValidationArgs, *types: str) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type in types]


def value(resource: PolicyResource, key: str) -> Any:
    """A property for matching references by value; an unknown one matches nothing (its dependency edge links it)."""
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return None


def refers_to(resource: PolicyResource, key: str, target: PolicyResource, identifiers: Sequence[str] = ()) -> bool:
    """Whether `resource`'s `key` input names `target`: by the engine's dependency edge (an Output of the target
    flowed into it, which holds even when the value is unknown during preview), or by value, when a literal name,
    ID or ARN equals one of the target's `identifiers` properties."""
    if any(dependency.urn == target.urn for dependency in resource.property_dependencies.get(key, [])):
        return True
    given = value(resource, key)
    if not isinstance(given, str) or not given:
        return False
    return any(given == value(target, name) for name in (*identifiers, "id", "arn"))
