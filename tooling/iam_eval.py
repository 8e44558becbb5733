"""A small, pure evaluator of AWS IAM policies: what AWS would decide for one request.

Covers identity-based and resource-based policies (VPC Lattice auth policies included) as AWS documents them:
Effect, Action/NotAction, Resource/NotResource, Principal/NotPrincipal, every condition operator with
`...IfExists` and the `ForAnyValue:`/`ForAllValues:` set operators, and policy variables. Anything it does not
understand raises ValueError rather than guessing, so a typo never reads as "allowed".

Sources (IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/ + page):
- evaluation: reference_policies_evaluation-logic.html, …_policy-eval-denyallow.html, …-cross-account.html
- operators, IfExists, Null, missing keys: reference_policies_elements_condition_operators.html
- AND/OR/NOR of operators, keys and values: reference_policies_condition-logic-multiple-context-keys-or-values.html
- set operators: reference_policies_condition-single-vs-multi-valued-context-keys.html (was …multi-value-conditions)
- variables, defaults, ${*} ${?} ${$}: reference_policies_variables.html
- Principal/NotPrincipal: reference_policies_elements_principal.html, reference_policies_elements_notprincipal.html
- variables in Resource only after the fifth colon: reference_policies_variables.html#policy-vars-resourceelement
- Id only in resource-based policies: reference_policies_elements_id.html
- VPC Lattice: https://docs.aws.amazon.com/vpc-lattice/latest/ug/auth-policies.html ("How authorization works")

Where the documentation leaves room, this module chooses (and its tests pin down):
- a variable whose key is absent (no default) matches nothing: false for StringEquals, true for StringNotEquals;
- a multivalued request value without a set operator matches if any of its values does (negated: if none does);
- NotPrincipal exempts an IAM caller only if both its account and itself are listed, a role session only if its
  account, its role and that very session are (listing the role exempts none of its sessions); it needs Deny;
- a policy variable before the fifth colon of a Resource/NotResource pattern (partition, service, region, account;
  any variable in a pattern with fewer than five colons) makes the policy invalid (ValueError), not literal text;
  condition values of the ARN operators keep taking variables anywhere, as the variables page allows;
- an identity-based policy with a top-level Id is refused like one with a Principal; resource-based ones keep Id;
- Bool takes policy variables (the operators page says so, the variables page says not);
- an all-digit date is epoch seconds (so the W3C year-only form "2025" is not a year); no zone means UTC;
- an ARN condition value must have six colon-separated parts once variables are set aside.
"""

from __future__ import annotations

import base64
import calendar
import ipaddress
import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal

Decision = Literal["allow", "explicit-deny", "implicit-deny"]
StatementsResult = Literal["allow", "deny", "none"]
Context = dict[str, tuple[str, ...]]  # lower-cased key -> values
Tokens = tuple[tuple[bool, str], ...]  # (is policy text, text): policy text has wildcards and ARN colons


@dataclass(frozen=True)
class Request:
    """One request: the action, the resource ARN, who asks (None = anonymous) and the condition keys.

    Nothing is derived from principal_arn: give aws:PrincipalArn, aws:PrincipalAccount, tags etc. in context,
    as AWS would put them in the request context. A value may be a list (a multivalued key); [] is absent.
    """

    action: str
    resource: str
    principal_arn: str | None = None
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)


# --- Strings, wildcards and policy variables -----------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"([^\s,']+), '([^']*)'")  # ${aws:PrincipalTag/team, 'company-wide'}
_VARIABLE_KEY = re.compile(r"[^\s,'{}$]+")
# ${*} ${?} ${$}: a literal *, ? or $ (reference_policies_variables.html#policy-vars-specialchars)
_SPECIAL = ("*", "?", "$")


def _resolve(text: str, ctx: Context | None, variables: bool) -> Tokens | None:
    """Split a policy string into policy text and resolved variable values (always literal).

    None when a variable's key is absent (or multivalued: those can't be variables) and no default is given:
    the value then matches nothing, as if null ("this might cause the entire statement to be invalid").
    ctx None validates only. Variables exist only in policy language version 2012-10-17; in older documents
    `${...}` is literal text (reference_policies_variables.html, the Version note).
    """
    if not variables or "${" not in text:
        return ((True, text),)
    tokens: list[tuple[bool, str]] = []
    unresolved = False
    position = 0
    for match in _VARIABLE.finditer(text):
        tokens.append((True, text[position : match.start()]))
        position = match.end()
        body = match.group(1)
        if body in _SPECIAL:
            tokens.append((False, body))
            continue
        default = _WITH_DEFAULT.fullmatch(body)
        key, fallback = (default.group(1), default.group(2)) if default else (body, None)
        if not _VARIABLE_KEY.fullmatch(key):
            raise ValueError(f"malformed policy variable ${{{body}}} in {text!r}")
        values = None if ctx is None else ctx.get(key.lower())
        if values is not None and len(values) == 1:
            tokens.append((False, values[0]))
        elif fallback is not None or ctx is None:
            tokens.append((False, fallback or ""))
        else:
            unresolved = True
    tokens.append((True, text[position:]))
    if any("${" in t for is_policy, t in tokens if is_policy):
        raise ValueError(f"unterminated policy variable in {text!r}")
    return None if unresolved else tuple(tokens)


def _joined(tokens: Tokens) -> str:
    return "".join(text for _, text in tokens)


@lru_cache(maxsize=8192)
def _glob(tokens: Tokens, ignore_case: bool = False) -> re.Pattern[str]:
    """`*` = any run of characters (across `:` and `/`), `?` = one character; resolved variables are literal."""
    parts = [
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text) if is_policy else re.escape(text)
        for is_policy, text in tokens
    ]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _resource_matches(tokens: Tokens, resource: str) -> bool:
    """A Resource entry against the request's ARN (case-sensitive). Most entries hold no wildcard (one per tenant,
    naming its database user): compared as text, they cost no compiled pattern each."""
    if any(is_policy and ("*" in text or "?" in text) for is_policy, text in tokens):
        return _glob(tokens).fullmatch(resource) is not None
    return _joined(tokens) == resource


def _arn_pattern(tokens: Tokens) -> tuple[re.Pattern[str], ...]:
    """ArnLike/ArnEquals: the six colon-separated components are matched one by one, so `*` stops at a colon.

    "Each of the six colon-delimited components of the ARN is checked separately" (condition operators page,
    #Conditions_ARN). Colons after the fifth belong to the resource component.
    """
    parts: list[list[tuple[bool, str]]] = [[]]
    for is_policy, text in tokens:
        pieces = text.split(":") if is_policy else [text]
        for index, piece in enumerate(pieces):
            if index and len(parts) < 6:
                parts.append([])
            elif index:
                parts[-1].append((False, ":"))
            parts[-1].append((is_policy, piece))
    if len(parts) != 6:
        raise ValueError(f"not an ARN (six colon-separated parts): {_joined(tokens)!r}")
    return tuple(_glob(tuple(part)) for part in parts)


# --- Condition operators ---------------------------------------------------------------------------------------


def _date(text: str) -> Decimal:
    """Epoch seconds, or a W3C ISO 8601 date/time (YYYY-MM[-DD[Thh:mm[:ss[.s]][TZD]]]); no TZD means UTC.

    All-digit strings are epoch seconds (aws:EpochTime), so the W3C year-only form "YYYY" is read as epoch.
    """
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return Decimal(text)
    match = re.fullmatch(
        r"(\d{4})-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?)?", text.strip()
    )
    if not match:
        raise ValueError(f"not an ISO 8601 date or epoch time: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    fields = (int(year), int(month), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0))
    datetime(*fields)  # raises ValueError for 2025-13-01 and the like
    offset = 0 if zone in (None, "Z") else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[4:]) * 60)
    return Decimal(calendar.timegm((*fields, 0, 0, 0)) - offset) + Decimal(fraction or 0)


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None


def _binary(text: str) -> bytes:
    return base64.b64decode(text, validate=True)  # binascii.Error is a ValueError


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text.strip(), strict=False)  # a bare address is /32 or /128


def _bool(text: str) -> str:
    if text.lower() not in ("true", "false"):
        raise ValueError(f"Bool and Null take 'true' or 'false', not {text!r}")
    return text.lower()


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}


@dataclass(frozen=True)
class _Family:
    """How one kind of operator reads request and policy values and compares them (positive sense)."""

    variables: bool  # policy variables allowed in its values
    request: Callable[[str], Any]
    policy: Callable[[Tokens], Any]
    test: Callable[[Any, Any], bool]


_FAMILIES: dict[str, _Family] = {
    "string": _Family(True, str, _joined, operator.eq),
    "stringignorecase": _Family(True, str.lower, lambda t: _joined(t).lower(), operator.eq),
    "stringlike": _Family(True, str, _glob, lambda r, p: p.fullmatch(r) is not None),
    "arn": _Family(
        True,
        lambda r: r.split(":", 5),
        _arn_pattern,
        lambda r, p: len(r) == 6 and all(part.fullmatch(value) for part, value in zip(p, r, strict=True)),
    ),
    # Bool takes variables per the operators page; the variables page says it doesn't. Allowing them is harmless.
    "bool": _Family(True, str.lower, lambda t: _joined(t).lower() if len(t) > 1 else _bool(_joined(t)), operator.eq),
    "binary": _Family(False, _binary, lambda t: _binary(_joined(t)), operator.eq),
    "ip": _Family(
        False,
        lambda r: ipaddress.ip_address(r.strip()),
        lambda t: _network(_joined(t)),
        lambda r, p: r.version == p.version and r in p,  # an IPv4 caller never matches an IPv6 range
    ),
}
# name (lower case) -> (family, relation, negated); every negated operator has "Not" in its name
_OPERATORS: dict[str, tuple[str, str, bool]] = {
    name.lower(): (family, "", "Not" in name)
    for family, names in (
        ("string", "StringEquals StringNotEquals"),
        ("stringignorecase", "StringEqualsIgnoreCase StringNotEqualsIgnoreCase"),
        ("stringlike", "StringLike StringNotLike"),
        ("arn", "ArnEquals ArnLike ArnNotEquals ArnNotLike"),
        ("ip", "IpAddress NotIpAddress"),
        ("bool", "Bool"),
        ("binary", "BinaryEquals"),
        ("null", "Null"),
    )
    for name in names.split()
}


def _of_joined(parse: Callable[[str], Any]) -> Callable[[Tokens], Any]:
    """A policy-value parser for Numeric and Date operators: the tokens joined (they take no variables)."""

    def parsed(tokens: Tokens) -> Any:
        return parse(_joined(tokens))

    return parsed


for _kind, _parse in (("numeric", _number), ("date", _date)):
    _FAMILIES[_kind] = _Family(False, _parse, _of_joined(_parse), operator.eq)
    _OPERATORS[f"{_kind}notequals"] = (_kind, "Equals", True)
    for _name in _RELATIONS:
        _OPERATORS[f"{_kind}{_name.lower()}"] = (_kind, _name, False)
del _kind, _parse, _name


def _text(item: Any) -> Any:
    return str(item).lower() if isinstance(item, bool) else str(item) if isinstance(item, int | float) else item


def _values(raw: Any, what: str) -> tuple[str, ...]:
    """A string or a list of strings (numbers and booleans as JSON gives them are accepted as text)."""
    if type(raw) is str:  # most values: nothing to convert or check
        return (raw,)
    items = tuple(_text(item) for item in (raw if isinstance(raw, list | tuple) else [raw]))
    if not items or not all(isinstance(item, str) for item in items):
        raise ValueError(f"{what} must be a string or a non-empty list of strings: {raw!r}")
    return items


@dataclass(frozen=True)
class _Condition:
    """One operator applied to one key, checked and with its literal policy values parsed once."""

    set_op: str  # "", "foranyvalue" or "forallvalues"
    if_exists: bool
    kind: str  # a key of _FAMILIES, or "null"
    relation: str  # a key of _RELATIONS for Numeric/Date, else ""
    negated: bool
    key: str  # lower case
    values: tuple[str, ...]
    dynamic: bool  # holds policy variables: values are resolved per request
    prepared: tuple[Any, ...]


def _validated(text: str, variables: bool) -> Tokens:
    """A policy value's tokens without a request (variables unresolved): for parsing once, at compile time."""
    tokens = _resolve(text, None, variables)
    if tokens is None:  # only a request's missing key resolves to None
        raise ValueError(f"{text!r} can't be read without a request")
    return tokens


@lru_cache(maxsize=4096)
def _compile_condition(name: str, key: str, values: tuple[str, ...], variables: bool) -> _Condition:
    set_op, _, base = name.lower().rpartition(":")
    if_exists = base.endswith("ifexists")
    base = base.removesuffix("ifexists")
    if set_op not in ("", "foranyvalue", "forallvalues") or base not in _OPERATORS or not isinstance(key, str):
        raise ValueError(f"unknown condition operator {name!r} (or key {key!r})")
    kind, relation, negated = _OPERATORS[base]
    if kind == "null":  # "true": the key is absent; "false": present and not null
        if if_exists or set_op:
            raise ValueError(f"{name!r}: Null takes neither IfExists nor a set operator")
        return _Condition("", False, kind, "", False, key.lower(), tuple(_bool(v) for v in values), False, ())
    family = _FAMILIES[kind]
    variables = family.variables and variables
    prepared = tuple(family.policy(_validated(v, variables)) for v in values)  # parses (or raises) once
    dynamic = variables and any("${" in v for v in values)
    return _Condition(set_op, if_exists, kind, relation, negated, key.lower(), values, dynamic, prepared)


def _holds(condition: _Condition, ctx: Context) -> bool:
    present = ctx.get(condition.key)
    if condition.kind == "null":
        return ("false" if present else "true") in condition.values
    if not present:
        # Missing key: positive operators false, negated true; IfExists true; ForAllValues true, ForAnyValue false.
        return condition.if_exists or condition.set_op == "forallvalues" or (not condition.set_op and condition.negated)
    if condition.set_op and present == ("",):  # "an empty data set (for example, an empty string)" (set operators)
        return condition.set_op == "forallvalues"
    family = _FAMILIES[condition.kind]
    prepared = condition.prepared
    if condition.dynamic:
        resolved = (_resolve(v, ctx, True) for v in condition.values)
        prepared = tuple(None if tokens is None else family.policy(tokens) for tokens in resolved)
    test = _RELATIONS[condition.relation] if condition.relation else family.test

    def hits(request_value: str) -> bool:  # several policy values: OR (for a negated operator, NOR: see below)
        value = family.request(request_value)
        return any(p is not None and test(value, p) for p in prepared)

    negated = condition.negated
    if condition.set_op == "forallvalues":
        return all(hits(v) != negated for v in present)
    if condition.set_op == "foranyvalue":
        return any(hits(v) != negated for v in present)
    # No set operator: a multivalued request value matches if any of its values does (a choice: AWS says to
    # use a set operator with such keys). Negated = not positive, which is NOR over the policy values.
    return any(hits(v) for v in present) != negated


# --- Statements -------------------------------------------------------------------------------------------------

_ELEMENTS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_PRINCIPAL_KINDS = {"AWS", "Service", "Federated", "CanonicalUser"}
_ACCOUNT_ENTRY = re.compile(r"(\d{12})|arn:[^:]+:iam::(\d{12}):root")
_IAM_CALLER = re.compile(r"arn:([^:]+):(iam|sts)::(\d{12}):(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)")
_ROLE = re.compile(r"arn:([^:]+):iam::(\d{12}):role/(?:.*/)?([^/]+)")
_SESSION = re.compile(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.+")


def _principals(raw: Any) -> dict[str, tuple[str, ...]]:
    if raw == "*":
        return {"AWS": ("*",)}
    if not isinstance(raw, Mapping) or not raw or not set(raw) <= _PRINCIPAL_KINDS:
        raise ValueError(f"Principal must be '*' or a map of {sorted(_PRINCIPAL_KINDS)}: {raw!r}")
    out = {kind: _values(entries, f"Principal {kind}") for kind, entries in raw.items()}
    for kind, entries in out.items():
        for entry in entries:
            # "You cannot use a wildcard to match part of a principal name or ARN" (…elements_principal.html)
            if "*" in entry and (kind, entry) != ("AWS", "*"):
                raise ValueError(f"wildcards are not allowed in Principal {kind}: {entry!r}")
    return out


def _account_of(arn: str) -> str | None:
    match = _IAM_CALLER.fullmatch(arn)
    return match.group(3) if match else None


def _names(entry: str, caller: str) -> bool:
    """The entry is the caller, or the caller is a session of the role the entry names."""
    if entry == caller:
        return True
    role, session = _ROLE.fullmatch(entry), _SESSION.fullmatch(caller)
    return bool(role and session and role.groups() == session.groups())


def _principal_matches(principals: dict[str, tuple[str, ...]], caller: str | None) -> bool:
    """Whether a Principal element names the caller.

    `*` is everyone, anonymous included; an account (ID or its :root ARN) is any principal of that account;
    a role ARN also names that role's sessions; Service/Federated/CanonicalUser values must equal the caller.
    """
    for kind, entries in principals.items():
        for entry in entries:
            if kind == "AWS" and entry == "*":
                return True
            if caller is None:
                continue
            account = _ACCOUNT_ENTRY.fullmatch(entry) if kind == "AWS" else None
            if account and (account.group(1) or account.group(2)) == _account_of(caller):
                return True
            if not account and (_names(entry, caller) if kind == "AWS" else entry == caller):
                return True
    return False


def _not_principal_exempts(principals: dict[str, tuple[str, ...]], caller: str | None) -> bool:
    """Whether a NotPrincipal list exempts the caller.

    AWS checks each level in turn (…_notprincipal.html): "you must also specify the account ARN of the not-denied
    principal. Otherwise, the policy might deny access to the entire account"; for a session, "AWS might validate
    the account first, then the role, and then the assumed-role user", which "is identified by the role session
    name", and "Principals must always name a specific session". So an IAM caller is exempt only when its account
    and itself are listed, and a role session only when its account, its role and that session all are: unlike in
    Principal, a role ARN here does not stand for the role's sessions.
    """
    if "*" in principals.get("AWS", ()):
        return True
    if caller is None:
        return False
    account = _account_of(caller)
    if account is None:  # a service, a web identity provider, ...: the caller itself must be listed
        return any(caller in entries for entries in principals.values())
    aws = principals.get("AWS", ())
    if not any((m := _ACCOUNT_ENTRY.fullmatch(e)) and account in m.groups() for e in aws):
        return False
    if caller.endswith(":root"):
        return True
    session = _SESSION.fullmatch(caller)
    if session and not any((role := _ROLE.fullmatch(e)) and role.groups() == session.groups() for e in aws):
        return False
    return caller in aws


@dataclass(frozen=True)
class _Statement:
    """A checked statement. None for an absent element; the not_* flags say NotAction/NotResource."""

    effect: str
    principal: dict[str, tuple[str, ...]] | None
    not_principal: dict[str, tuple[str, ...]] | None
    actions: tuple[re.Pattern[str], ...]
    not_action: bool
    resources: tuple[str, ...] | None
    not_resource: bool
    conditions: tuple[_Condition, ...]


def _check_resource_variables(resource: str, variables: bool) -> None:
    """A Resource/NotResource pattern takes policy variables only after the fifth colon of its own text.

    "You can use a policy variable in the Resource element, but only in the resource portion of the ARN. This
    portion of the ARN appears after the fifth colon (:). You can't use a variable to replace parts of the ARN
    before the fifth colon, such as the service or account." (reference_policies_variables.html). The page doesn't
    say what AWS then does; read literally, the text would never match, so a Deny would quietly never apply and a
    NotResource would cover everything: such a policy is refused. A colon inside `${...}` is not counted, and a
    pattern with no fifth colon (`*/${aws:username}`) has no resource portion to hold a variable.
    """
    colons = 0
    for is_policy, text in _resolve(resource, None, variables) or ():
        if is_policy:
            colons += text.count(":")
        elif colons < 5:
            raise ValueError(f"a policy variable in a Resource ARN must come after its fifth colon: {resource!r}")


def _compile_statement(statement: Any, check_principal: bool, variables: bool) -> _Statement:
    """Check one statement, raising ValueError for anything AWS would reject (or this evaluator does not model)."""
    if not isinstance(statement, Mapping):
        raise ValueError(f"a statement is a map: {statement!r}")
    unknown = set(statement) - _ELEMENTS
    if unknown or statement.get("Effect") not in ("Allow", "Deny"):
        raise ValueError(f"bad statement (unknown {sorted(unknown)} or Effect not Allow/Deny): {statement!r}")
    for a, b, needed in (("Action", "NotAction", True), ("Resource", "NotResource", not check_principal)):
        if (a in statement) == (b in statement) and (needed or a in statement):
            raise ValueError(f"a statement needs exactly one of {a} and {b}: {statement!r}")
    principal, not_principal = statement.get("Principal"), statement.get("NotPrincipal")
    if (principal is None and not_principal is None) == check_principal or None not in (principal, not_principal):
        where = "a resource-based policy needs" if check_principal else "an identity-based policy takes no"
        raise ValueError(f"{where} Principal or NotPrincipal (exactly one): {statement!r}")
    if not_principal is not None and statement["Effect"] != "Deny":
        raise ValueError("NotPrincipal must be used with Deny (…elements_notprincipal.html)")
    actions = _values(statement.get("Action", statement.get("NotAction")), "Action")
    for action in actions:
        if action != "*" and action.count(":") != 1:
            raise ValueError(f"an action is 'service:Action' or '*': {action!r}")
    resources = statement.get("Resource", statement.get("NotResource"))
    if resources is not None:
        resources = _values(resources, "Resource")
        for resource in resources:
            _check_resource_variables(resource, variables)
    block = statement.get("Condition", {})
    if not isinstance(block, Mapping) or not all(isinstance(keys, Mapping) and keys for keys in block.values()):
        raise ValueError(f"Condition must map operators to maps of keys to values: {block!r}")
    return _Statement(
        effect=statement["Effect"],
        principal=None if principal is None else _principals(principal),
        not_principal=None if not_principal is None else _principals(not_principal),
        actions=tuple(_glob(((True, a),), True) for a in actions),  # actions are case-insensitive
        not_action="NotAction" in statement,
        resources=resources,
        not_resource="NotResource" in statement,
        conditions=tuple(
            _compile_condition(name, key, _values(raw, f"values of {name} {key}"), variables)
            for name, keys in block.items()
            for key, raw in keys.items()
        ),
    )


@lru_cache(maxsize=1024)
def _compile(text: str, check_principal: bool) -> tuple[tuple[_Statement, ...], bool]:
    policy = json.loads(text)
    if not isinstance(policy, dict) or "Statement" not in policy or not set(policy) <= {"Version", "Id", "Statement"}:
        raise ValueError(f"a policy is a map with Statement (and Version, Id): {text}")
    if "Id" in policy and not check_principal:
        # "ID is allowed in resource-based policies, but not in identity-based policies." (…elements_id.html)
        raise ValueError(f"an identity-based policy takes no Id: {text}")
    version = policy.get("Version", "2008-10-17")
    if version not in ("2012-10-17", "2008-10-17"):
        raise ValueError(f"unknown policy Version {version!r}")
    raw = policy["Statement"]
    statements = [raw] if isinstance(raw, dict) else raw if isinstance(raw, list) else None
    if statements is None:
        raise ValueError(f"Statement must be a map or a list of maps: {raw!r}")
    variables = version == "2012-10-17"
    return tuple(_compile_statement(s, check_principal, variables) for s in statements), variables


def _compiled(policy: Mapping[str, Any], check_principal: bool) -> tuple[tuple[_Statement, ...], bool]:
    """The checked policy, cached by its canonical JSON text (so each document is checked once)."""

    try:  # other Mappings and Sequences as dicts and lists; anything else is no policy
        text = json.dumps(policy, sort_keys=True, default=lambda v: dict(v) if isinstance(v, Mapping) else list(v))
    except (TypeError, ValueError) as error:
        raise ValueError(f"a policy is JSON data: {error}") from None
    return _compile(text, check_principal)


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy validated and compiled once (see checked), to evaluate many requests without reading it again."""

    statements: tuple[_Statement, ...]
    variables: bool
    resource_based: bool


Policy = Mapping[str, Any] | CheckedPolicy


def checked(policy: Mapping[str, Any], *, resource_based: bool) -> CheckedPolicy:
    """The policy validated now (ValueError if it is not one), as an identity-based or a resource-based policy."""
    statements, variables = _compiled(policy, resource_based)
    return CheckedPolicy(statements, variables, resource_based)


def _applies(statement: _Statement, request: Request, ctx: Context, variables: bool) -> bool:
    """Principal AND Action AND Resource AND every condition (operators AND keys)."""
    caller = request.principal_arn
    if statement.principal is not None and not _principal_matches(statement.principal, caller):
        return False
    if statement.not_principal is not None and _not_principal_exempts(statement.not_principal, caller):
        return False
    if any(pattern.fullmatch(request.action) for pattern in statement.actions) == statement.not_action:
        return False
    if statement.resources is not None:  # ARNs are case-sensitive
        patterns = (_resolve(r, ctx, variables) for r in statement.resources)
        if any(p is not None and _resource_matches(p, request.resource) for p in patterns) == statement.not_resource:
            return False
    return all(_holds(condition, ctx) for condition in statement.conditions)


def _context(request: Request) -> Context:
    """Condition key names are case-insensitive (aws:SourceIp = AWS:sourceip); values are kept as given."""
    out: Context = {}
    for key, raw in request.context.items():
        if isinstance(raw, str):  # nearly every value: one string
            values: tuple[Any, ...] = (raw,)
        else:
            values = tuple(raw) if isinstance(raw, Sequence) else (raw,)
            if not all(isinstance(v, str) for v in values):
                raise ValueError(f"context keys and values must be strings: {key!r}: {raw!r}")
        if not isinstance(key, str):
            raise ValueError(f"context keys and values must be strings: {key!r}: {raw!r}")
        lowered = key.lower()
        if lowered in out:
            raise ValueError(f"context key given twice (names are case-insensitive): {key!r}")
        if values:  # an empty list is an absent key
            out[lowered] = values
    return out


def evaluate_statements(policy: Mapping[str, Any], request: Request, *, check_principal: bool) -> StatementsResult:
    """Deny if any Deny statement applies, else allow if any Allow does, else none (no first-match rule).

    check_principal: True for resource-based policies (each statement has Principal or NotPrincipal), False for
    identity-based ones (none may have). The whole policy is validated before anything is decided.
    """
    return _evaluate(policy, request, _context(request), check_principal)


def _evaluate(policy: Policy, request: Request, ctx: Context, check_principal: bool) -> StatementsResult:
    if isinstance(policy, CheckedPolicy):
        if policy.resource_based != check_principal:
            side = "a resource-based" if policy.resource_based else "an identity-based"
            raise ValueError(f"{side} policy given on the other side of the request")
        statements, variables = policy.statements, policy.variables
    else:
        statements, variables = _compiled(policy, check_principal)
    effects = {s.effect for s in statements if _applies(s, request, ctx, variables)}
    return "deny" if "Deny" in effects else "allow" if "Allow" in effects else "none"


def decide(
    *,
    identity_policies: Sequence[Policy] = (),
    resource_policies: Sequence[Policy] = (),
    request: Request,
    require_both: bool = False,
) -> Decision:
    """Explicit deny in any policy wins; then allow if (require_both) the identity side allows AND every resource
    policy (at least one) allows, as across accounts, else if either side allows, as within one account.

    An anonymous caller (principal_arn None) has no identity: its identity policies are ignored. A policy asked
    about many times can be given checked (see checked), so it is read and validated once.
    """
    identity, ctx = [] if request.principal_arn is None else identity_policies, _context(request)
    mine = [_evaluate(p, request, ctx, False) for p in identity]
    theirs = [_evaluate(p, request, ctx, True) for p in resource_policies]
    if "deny" in mine or "deny" in theirs:
        return "explicit-deny"
    if require_both:
        allowed = "allow" in mine and bool(theirs) and all(r == "allow" for r in theirs)
    else:
        allowed = "allow" in mine or "allow" in theirs
    return "allow" if allowed else "implicit-deny"


def lattice_decision(
    *, identity_policies: Sequence[Policy], auth_policies: Sequence[Policy], request: Request
) -> Decision:
    """A VPC Lattice request under auth type AWS_IAM: an AND of every layer, even within one account.

    "both auth policies and identity-based policies need to have explicit allow statements" (auth-policies.html):
    the caller's identity policies AND every auth policy given (the service network's, the service's if any) must
    allow; no auth policy means deny; an explicit deny anywhere wins. An anonymous (unsigned) caller has no
    identity policies, so only the auth policies decide, and all of them must allow it.
    """
    if request.principal_arn is not None:
        return decide(
            identity_policies=identity_policies, resource_policies=auth_policies, request=request, require_both=True
        )
    ctx = _context(request)
    results = [_evaluate(p, request, ctx, True) for p in auth_policies]
    if "deny" in results:
        return "explicit-deny"
    return "allow" if results and all(r == "allow" for r in results) else "implicit-deny"
