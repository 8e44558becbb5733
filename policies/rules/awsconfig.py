"""AWS Config: a recorder the stack declares is switched on and has a delivery channel, and the function behind a
custom Config rule can only read, report its evaluations and write its logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from .common import (
    CRITICAL,
    HIGH,
    MANDATORY,
    DocumentError,
    ResourceRule,
    StackRule,
    allows,
    document,
    field,
    format_list,
    is_true,
    items,
    known_texts,
    label,
    of_type,
    principals,
    refers_to,
    statements,
    text,
    value,
)
from .iam import POLICY, ROLE, ROLE_POLICY
from .lattice import FUNCTION

RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
CONFIG_RULE = "aws:cfg/rule:Rule"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
# The only writes the function of a custom rule needs: report its evaluations and write its own logs (lower case: IAM
# matches actions case-insensitively). Every other action it is allowed must read: its verb is Get, List or Describe.
RULE_WRITES = ("config:putevaluations", "logs:createlogstream", "logs:putlogevents")
READ_VERBS = ("get", "list", "describe")

_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(?::[^:]+)?")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/(?:[^/]+/)*([^/]+)")
_UNKNOWN = object()
_UNDECLARED = object()  # a managed policy this stack doesn't declare: its statements can't be read


def _read(resource, key: str) -> Any:
    """A property, or _UNKNOWN when it can't be known during preview (value() would read it as None: not set)."""
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return _UNKNOWN


def _same_region(a, b) -> bool:
    """Whether two Config resources act in one region: the same `region` (unset: the provider's), or one unknown."""
    first, second = _read(a, "region"), _read(b, "region")
    return first is _UNKNOWN or second is _UNKNOWN or text(first) == text(second)


# --- config-recorder-on ----------------------------------------------------------------------------------------------


def _switched_on(status) -> bool:
    """isEnabled true, or unknown during preview (the update checks it again with the value known)."""
    enabled = _read(status, "isEnabled")
    return enabled is _UNKNOWN or is_true(enabled)


def _status_of(status, recorder) -> bool:
    """Whether a RecorderStatus names the recorder: the recorder's Output flowed into its name, or the same literal
    name (a recorder's ID is its name; it has no ARN, so refers_to, which also reads `arn`, doesn't fit)."""
    if any(d.urn == recorder.urn for d in status.property_dependencies.get("name", [])):
        return True
    given = text(value(status, "name"))
    return bool(given) and given in (text(value(recorder, "name")), text(value(recorder, "id")))


def _recorder_on(args, config, report):
    statuses = of_type(args, RECORDER_STATUS)
    channels = of_type(args, DELIVERY_CHANNEL)
    for recorder in of_type(args, RECORDER):
        name = repr(text(value(recorder, "name")) or recorder.name)
        own = [s for s in statuses if _status_of(s, recorder) and _same_region(s, recorder)]
        if not own:
            report(
                f"recorder {name} has no RecorderStatus: AWS Config creates a recorder stopped, and a stopped "
                f"recorder records nothing; declare aws.cfg.RecorderStatus(name=recorder.name, is_enabled=True)",
                recorder.urn,
            )
        elif not any(_switched_on(s) for s in own):
            report(
                f"recorder {name} is switched off: its RecorderStatus {format_list(repr(s.name) for s in own)} has "
                f"isEnabled false, so it records nothing; set is_enabled=True",
                recorder.urn,
            )
        if not any(_same_region(c, recorder) for c in channels):
            report(
                f"recorder {name} has no DeliveryChannel in its region: AWS Config can't start recording without one "
                f"(NoAvailableDeliveryChannelException) and delivers no configuration history or snapshots; declare "
                f"aws.cfg.DeliveryChannel to an S3 bucket",
                recorder.urn,
            )


# --- config-custom-rule-role-read-only -------------------------------------------------------------------------------


def _known_text(container: Any, key: str) -> str:
    """A string in a nested block; "" when missing or unknown during preview."""
    try:
        return text(field(container, key))
    except UnknownValueError:
        return ""


def _rule_functions(rule, functions: list) -> list:
    """The declared functions a custom-Lambda rule runs: linked by the dependency edge of their Outputs on `source`
    (sourceIdentifier is the function's ARN), or by a literal ARN naming the function."""
    source = value(rule, "source")
    if _known_text(source, "owner") != "CUSTOM_LAMBDA":
        return []
    linked = {d.urn for d in rule.property_dependencies.get("source", [])}
    given = _known_text(source, "sourceIdentifier")
    match = _FUNCTION_ARN.fullmatch(given)

    def named(function) -> bool:
        if not given:
            return False
        if given == text(value(function, "arn")):
            return True
        return match is not None and match.group(1) == text(value(function, "name"))

    return [f for f in functions if f.urn in linked or named(f)]


def _names_role(given: str, role) -> bool:
    """Whether a literal role ARN names the role (role names are unique in an account, whatever the path)."""
    match = _ROLE_ARN.fullmatch(given)
    return match is not None and match.group(1) == text(value(role, "name"))


def _trusts_lambda(role) -> bool:
    try:
        doc = document(value(role, "assumeRolePolicy"))
    except (DocumentError, UnknownValueError):
        return False  # unknown during preview, or not JSON (the IAM policies report it)
    return any(
        allows(s) and LAMBDA_PRINCIPAL in [p.lower() for p in principals(s).get("Service", [])] for s in statements(doc)
    )


def _declared_policy(holder, key: str, given: str, policies: list) -> PolicyResource | None:
    """The declared IAM Policy a policyArn input names: by the dependency edge of its Outputs, or by its literal ARN."""
    linked = {d.urn for d in holder.property_dependencies.get(key, [])}
    return next((p for p in policies if p.urn in linked or (given and given == text(value(p, "arn")))), None)


Source = tuple[str, PolicyResource, Any]  # (what, the resource to report on, its raw policy document)


def _attached(args, role) -> Iterator[Source]:
    """Every identity policy attached to the role: (what, where to report, raw document), the document _UNDECLARED for
    a managed policy this stack doesn't declare."""
    policies = of_type(args, POLICY)
    try:
        inline = items(value(role, "inlinePolicies"))
        for i, entry in enumerate(inline):
            yield f"role {role.name!r} inlinePolicies[{i}]", role, field(entry, "policy")
    except UnknownValueError:
        pass  # unknown during preview: checked on update
    for policy in of_type(args, ROLE_POLICY):
        if refers_to(policy, "role", role, ("name",)):
            yield f"RolePolicy {policy.name!r}", policy, value(policy, "policy")

    def managed(holder, key: str, given: str, what: str) -> Source:
        declared = _declared_policy(holder, key, given, policies)
        if declared is None:
            return f"{what} {given or '(unknown during preview)'}", holder, _UNDECLARED
        return f"{what} {declared.name!r}", holder, value(declared, "policy")

    for attachment in of_type(args, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT):
        if attachment.resource_type == ROLE_POLICY_ATTACHMENT:
            attached = refers_to(attachment, "role", role, ("name",))
        else:  # a PolicyAttachment lists role names
            edge = any(d.urn == role.urn for d in attachment.property_dependencies.get("roles", []))
            attached = edge or text(value(role, "name")) in known_texts(value(attachment, "roles"))
        if attached:
            kind = attachment.resource_type.rsplit(":", 1)[-1]
            arn = text(value(attachment, "policyArn"))
            yield managed(attachment, "policyArn", arn, f"{kind} {attachment.name!r} of policy")
    arns = known_texts(value(role, "managedPolicyArns"))
    linked = [d for d in role.property_dependencies.get("managedPolicyArns", []) if d.resource_type == POLICY]
    for policy in linked:
        yield f"role {role.name!r} managedPolicyArns policy {policy.name!r}", role, value(policy, "policy")
    for arn in arns:
        if not any(arn == text(value(p, "arn")) for p in linked):
            yield managed(role, "", arn, f"role {role.name!r} managedPolicyArns policy")


def _acceptable(action: str) -> bool:
    """Whether a lower-cased action (or pattern) can only match a read (Get, List, Describe) or one of RULE_WRITES."""
    if action in RULE_WRITES:
        return True
    _, _, name = action.partition(":")
    fixed = re.split(r"[*?]", name, maxsplit=1)[0]  # what every action the pattern matches starts with
    return fixed.startswith(READ_VERBS)


def _writes(doc: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(statement label, what it allows beyond reads and RULE_WRITES) for each Allow statement that does."""
    found = []
    for i, s in enumerate(statements(doc)):
        if not allows(s):
            continue
        if "NotAction" in s:
            found.append((label(s, i), ["every action but its NotAction"]))
            continue
        extra = [a for a in items(s.get("Action")) if not isinstance(a, str) or not _acceptable(a.lower())]
        if extra:
            found.append((label(s, i), extra))
    return found


def _custom_rule_read_only(args, config, report):
    functions, roles = of_type(args, FUNCTION), of_type(args, ROLE)
    runs: dict[str, tuple[PolicyResource, list[str]]] = {}  # role URN -> (role, "function 'f' of rule 'r'")
    for rule in of_type(args, CONFIG_RULE):
        for function in _rule_functions(rule, functions):
            given = text(value(function, "role"))
            for role in roles:
                if (refers_to(function, "role", role) or _names_role(given, role)) and _trusts_lambda(role):
                    runs.setdefault(role.urn, (role, []))[1].append(f"function {function.name!r} (custom AWS Config rule {rule.name!r})")  # fmt: skip
    for role, users in runs.values():
        why = (
            f"role {role.name!r} runs {format_list(users)}, which may only read (Get, List, Describe), report "
            f"(config:PutEvaluations) and log (logs:CreateLogStream, logs:PutLogEvents): a checker that can write "
            f"can change what it checks"
        )
        for what, where, raw in _attached(args, role):
            if raw is _UNDECLARED:
                report(f"{what} is not declared in this stack, so its actions can't be checked; {why}", where.urn)
                continue
            try:
                doc = document(raw)
            except (DocumentError, UnknownValueError):
                continue  # unknown during preview, or not JSON (iam-no-admin-statements reports it)
            for statement, extra in _writes(doc):
                report(f"{what} {statement} allows {format_list(extra)}; {why}", where.urn)


POLICIES: list[ResourceRule | StackRule] = [
    StackRule(
        "config-recorder-on",
        "An AWS Config recorder the stack declares is switched on (a RecorderStatus with isEnabled true) and has a "
        "delivery channel in its region",
        types=[RECORDER, RECORDER_STATUS, DELIVERY_CHANNEL],
        check=_recorder_on,
        level=MANDATORY,
        severity=CRITICAL,
        controls=["Security Hub Config.1", "CIS 3.5"],
    ),
    StackRule(
        "config-custom-rule-role-read-only",
        "The role of the Lambda function behind a custom AWS Config rule allows only reads (Get, List, Describe), "
        "config:PutEvaluations, logs:CreateLogStream and logs:PutLogEvents",
        types=[CONFIG_RULE, FUNCTION, ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT, POLICY],
        check=_custom_rule_read_only,
        level=MANDATORY,
        severity=HIGH,
    ),
]
