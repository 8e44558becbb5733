"""The IAM policy evaluator against AWS's documented rules, its doc examples, the recipe vectors and properties.

Doc pages quoted below live under https://docs.aws.amazon.com/IAM/latest/UserGuide/ unless a full URL is given.
"""

from __future__ import annotations

import ipaddress
import random
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, note, settings

from tenancy import documents, naming
from tests import choices
from tooling import iam_eval
from tooling.iam_eval import Request, decide, evaluate_statements, lattice_decision

OWNER, TENANT, OTHER = "111111111111", "222222222222", "333333333333"
ROLE = f"arn:aws:iam::{TENANT}:role/apps/app"
SESSION = f"arn:aws:sts::{TENANT}:assumed-role/app/i-0123"
NETWORK = f"arn:aws:vpc-lattice:eu-west-1:{OWNER}:servicenetwork/sn-0123456789abcdef0"
SERVICE = f"arn:aws:vpc-lattice:eu-west-1:{OWNER}:service/svc-0123456789abcdef0"
INVOKE = "vpc-lattice-svcs:Invoke"

FAST = settings(max_examples=2000, deadline=None, database=None)  # 5 properties: 10,000 examples


def holds(condition: dict, context: dict, *, version: str | None = "2012-10-17") -> bool:
    """Whether a condition block holds: one Allow statement guarded by it, in an identity policy."""
    policy: dict[str, Any] = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}}
    if version:
        policy["Version"] = version
    result = evaluate_statements(
        policy, Request("s3:GetObject", "arn:aws:s3:::b/k", ROLE, context), check_principal=False
    )
    assert result in ("allow", "none")
    return result == "allow"


def identity(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**element: Any) -> dict:
    return {"Effect": "Allow", "Action": "*", "Resource": "*", **element}


def deny(**element: Any) -> dict:
    return {"Effect": "Deny", "Action": "*", "Resource": "*", **element}


def case(name: str, *values: Any) -> Any:
    return pytest.param(*values, id=name)


# --- 1. Operators, one row each: (condition, context, expected) -----------------------------------------------

TAG = "aws:PrincipalTag/Team"
OPERATOR_CASES = [
    # String: case-sensitive, exact; key names case-insensitive; values of one key OR-ed, keys AND-ed
    case("StringEquals exact", {"StringEquals": {TAG: "TeamA"}}, {TAG: "TeamA"}, True),
    case("StringEquals other value", {"StringEquals": {TAG: "TeamA"}}, {TAG: "TeamB"}, False),
    case("StringEquals is case-sensitive", {"StringEquals": {TAG: "TeamA"}}, {TAG: "teama"}, False),
    case("StringEquals missing key", {"StringEquals": {TAG: "TeamA"}}, {}, False),
    case("StringEquals values OR-ed", {"StringEquals": {TAG: ["TeamA", "TeamB"]}}, {TAG: "TeamB"}, True),
    case("StringEquals key name any case", {"StringEquals": {"AWS:principaltag/TEAM": "TeamA"}}, {TAG: "TeamA"}, True),
    case("context key name any case", {"StringEquals": {TAG: "TeamA"}}, {"aws:principaltag/team": "TeamA"}, True),
    case("StringEquals: * is literal", {"StringEquals": {TAG: "Team*"}}, {TAG: "TeamA"}, False),
    case("StringEquals: * matches itself", {"StringEquals": {TAG: "Team*"}}, {TAG: "Team*"}, True),
    case(
        "keys AND-ed, one fails",
        {"StringEquals": {TAG: "TeamA", "aws:PrincipalAccount": TENANT}},
        {TAG: "TeamA", "aws:PrincipalAccount": OTHER},
        False,
    ),
    case(
        "keys AND-ed, both hold",
        {"StringEquals": {TAG: "TeamA", "aws:PrincipalAccount": TENANT}},
        {TAG: "TeamA", "aws:PrincipalAccount": TENANT},
        True,
    ),
    case(
        "operators AND-ed",
        {"StringEquals": {TAG: "TeamA"}, "Bool": {"aws:SecureTransport": "true"}},
        {TAG: "TeamA", "aws:SecureTransport": "false"},
        False,
    ),
    case("StringNotEquals other value", {"StringNotEquals": {TAG: "TeamA"}}, {TAG: "TeamB"}, True),
    case("StringNotEquals same value", {"StringNotEquals": {TAG: "TeamA"}}, {TAG: "TeamA"}, False),
    case("StringNotEquals missing key is true", {"StringNotEquals": {TAG: "TeamA"}}, {}, True),
    case("StringNotEquals NOR: matches one", {"StringNotEquals": {TAG: ["TeamA", "TeamB"]}}, {TAG: "TeamB"}, False),
    case("StringNotEquals NOR: matches none", {"StringNotEquals": {TAG: ["TeamA", "TeamB"]}}, {TAG: "TeamC"}, True),
    case("StringEqualsIgnoreCase", {"StringEqualsIgnoreCase": {TAG: "TEAMA"}}, {TAG: "teamA"}, True),
    case("StringEqualsIgnoreCase other", {"StringEqualsIgnoreCase": {TAG: "TEAMA"}}, {TAG: "teamB"}, False),
    case("StringNotEqualsIgnoreCase same", {"StringNotEqualsIgnoreCase": {TAG: "TEAMA"}}, {TAG: "teama"}, False),
    case("StringNotEqualsIgnoreCase missing", {"StringNotEqualsIgnoreCase": {TAG: "x"}}, {}, True),
    case("StringLike *", {"StringLike": {TAG: "Team*"}}, {TAG: "TeamAlpha"}, True),
    case("StringLike ? one char", {"StringLike": {TAG: "Team?"}}, {TAG: "TeamA"}, True),
    case("StringLike ? not two chars", {"StringLike": {TAG: "Team?"}}, {TAG: "TeamAB"}, False),
    case("StringLike is case-sensitive", {"StringLike": {TAG: "team*"}}, {TAG: "TeamA"}, False),
    case("StringLike * crosses : and /", {"StringLike": {"k": "a*z"}}, {"k": "a:b/c:z"}, True),
    case("StringLike whole value", {"StringLike": {"k": "a*"}}, {"k": "ba"}, False),
    case("StringLike no regex meaning", {"StringLike": {"k": "a.c"}}, {"k": "abc"}, False),
    case("StringNotLike matches", {"StringNotLike": {TAG: "Team*"}}, {TAG: "TeamA"}, False),
    case("StringNotLike no match", {"StringNotLike": {TAG: "Team*"}}, {TAG: "Ops"}, True),
    case("StringNotLike missing key is true", {"StringNotLike": {TAG: "Team*"}}, {}, True),
    # Numeric
    case("NumericEquals decimal", {"NumericEquals": {"n": "10"}}, {"n": "10.0"}, True),
    case("NumericEquals other", {"NumericEquals": {"n": "10"}}, {"n": "11"}, False),
    case("NumericEquals JSON number", {"NumericEquals": {"n": 10}}, {"n": "10"}, True),
    case("NumericNotEquals", {"NumericNotEquals": {"n": "10"}}, {"n": "11"}, True),
    case("NumericNotEquals equal", {"NumericNotEquals": {"n": ["9", "10"]}}, {"n": "10"}, False),
    case("NumericNotEquals missing is true", {"NumericNotEquals": {"n": "10"}}, {}, True),
    case("NumericLessThan", {"NumericLessThan": {"n": "10"}}, {"n": "9.5"}, True),
    case("NumericLessThan equal", {"NumericLessThan": {"n": "10"}}, {"n": "10"}, False),
    case("NumericLessThanEquals equal", {"NumericLessThanEquals": {"n": "10"}}, {"n": "10"}, True),
    case("NumericLessThanEquals above", {"NumericLessThanEquals": {"n": "10"}}, {"n": "10.01"}, False),
    case("NumericGreaterThan", {"NumericGreaterThan": {"n": "-1"}}, {"n": "0"}, True),
    case("NumericGreaterThan equal", {"NumericGreaterThan": {"n": "0"}}, {"n": "0"}, False),
    case("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"n": "0"}}, {"n": "0"}, True),
    case("NumericGreaterThanEquals below", {"NumericGreaterThanEquals": {"n": "0"}}, {"n": "-0.5"}, False),
    case("NumericLessThan missing", {"NumericLessThan": {"n": "10"}}, {}, False),
    # Date: W3C ISO 8601 or epoch seconds
    case("DateEquals ISO = epoch", {"DateEquals": {"t": "2025-01-01T00:00:00Z"}}, {"t": "1735689600"}, True),
    case("DateEquals offset", {"DateEquals": {"t": "2025-01-01T01:00:00+01:00"}}, {"t": "2025-01-01T00:00:00Z"}, True),
    case("DateEquals date only", {"DateEquals": {"t": "2025-01-01"}}, {"t": "2025-01-01T00:00:00Z"}, True),
    case("DateEquals minutes only", {"DateEquals": {"t": "2025-01-01T00:00Z"}}, {"t": "2025-01-01T00:00:00Z"}, True),
    case("DateEquals fraction", {"DateEquals": {"t": "2025-01-01T00:00:00.5Z"}}, {"t": "2025-01-01T00:00:00Z"}, False),
    case("DateNotEquals", {"DateNotEquals": {"t": "2025-01-01T00:00:00Z"}}, {"t": "2025-01-02T00:00:00Z"}, True),
    case("DateNotEquals equal", {"DateNotEquals": {"t": "2025-01-01T00:00:00Z"}}, {"t": "1735689600"}, False),
    case("DateNotEquals missing is true", {"DateNotEquals": {"t": "2025-01-01"}}, {}, True),
    case("DateLessThan", {"DateLessThan": {"t": "2025-01-01T00:00:00Z"}}, {"t": "2024-12-31T23:59:59Z"}, True),
    case("DateLessThan equal", {"DateLessThan": {"t": "2025-01-01T00:00:00Z"}}, {"t": "2025-01-01T00:00:00Z"}, False),
    case("DateLessThanEquals", {"DateLessThanEquals": {"t": "2025-01-01"}}, {"t": "2025-01-01T00:00:00Z"}, True),
    case("DateGreaterThan", {"DateGreaterThan": {"t": "2025-01-01T00:00:00Z"}}, {"t": "2025-01-01T00:00:01Z"}, True),
    case("DateGreaterThan earlier", {"DateGreaterThan": {"t": "2025-01-01"}}, {"t": "2024-06-01T00:00:00Z"}, False),
    case("DateGreaterThanEquals", {"DateGreaterThanEquals": {"t": "1735689600"}}, {"t": "2025-01-01T00:00:00Z"}, True),
    case("DateGreaterThan missing", {"DateGreaterThan": {"t": "2025-01-01"}}, {}, False),
    # Bool
    case("Bool true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    case("Bool any case", {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"}, True),
    case("Bool false vs true", {"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
    case("Bool missing", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    # Binary: base64 in the policy, compared byte for byte
    case("BinaryEquals", {"BinaryEquals": {"b": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"b": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True),
    case("BinaryEquals other bytes", {"BinaryEquals": {"b": "QQ=="}}, {"b": "Qg=="}, False),
    # IP: CIDR, IPv4 and IPv6, bare address = /32
    case("IpAddress in range", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"}, True),
    case("IpAddress out of range", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.114.9"}, False),
    case("IpAddress bare = /32", {"IpAddress": {"aws:SourceIp": "10.0.0.1"}}, {"aws:SourceIp": "10.0.0.1"}, True),
    case("IpAddress bare, neighbour", {"IpAddress": {"aws:SourceIp": "10.0.0.1"}}, {"aws:SourceIp": "10.0.0.2"}, False),
    case("IpAddress missing", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {}, False),
    case("IPv6 in /64", {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}, {"aws:SourceIp": "2001:db8:1234:5678::1"}, True),
    case("IPv6 outside /64", {"IpAddress": {"aws:SourceIp": "2001:DB8:1234:5678::/64"}}, {"aws:SourceIp": "2001:db8::1"}, False),
    case("IPv4 caller, IPv6 range", {"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "10.0.0.1"}, False),
    case("IPv6 caller, IPv4 range", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "::1"}, False),
    case("IPv6 bare = /128", {"IpAddress": {"aws:SourceIp": "2001:db8::1"}}, {"aws:SourceIp": "2001:db8::2"}, False),
    case("NotIpAddress missing is true", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    case("NotIpAddress inside", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.2.3.4"}, False),
    case("NotIpAddress outside", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "11.2.3.4"}, True),
    case("NotIpAddress IPv6 vs v4 range", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "::1"}, True),
    # ARN: six components, each matched on its own; ArnEquals = ArnLike
    case("ArnLike", {"ArnLike": {"a": "arn:aws:iam::*:role/app*"}}, {"a": f"arn:aws:iam::{TENANT}:role/app-1"}, True),
    case("ArnEquals = ArnLike", {"ArnEquals": {"a": "arn:aws:iam::*:role/app*"}}, {"a": f"arn:aws:iam::{TENANT}:role/app-1"}, True),
    case("ArnLike other role", {"ArnLike": {"a": "arn:aws:iam::*:role/app*"}}, {"a": f"arn:aws:iam::{TENANT}:role/ops"}, False),
    case("ArnLike case-sensitive", {"ArnLike": {"a": "arn:aws:iam::*:role/App*"}}, {"a": f"arn:aws:iam::{TENANT}:role/app"}, False),
    case("ArnLike resource keeps colons", {"ArnLike": {"a": "arn:aws:s:r:1:x:*"}}, {"a": "arn:aws:s:r:1:x:y:z"}, True),
    case("ArnLike not an ARN", {"ArnLike": {"a": "arn:aws:iam::*:role/*"}}, {"a": "app"}, False),
    case("ArnNotLike not an ARN", {"ArnNotLike": {"a": "arn:aws:iam::*:role/*"}}, {"a": "app"}, True),
    case("ArnLike, three parts only", {"ArnLike": {"a": "arn:aws:iam::*:*"}}, {"a": "arn:aws:iam"}, False),
    case("ArnNotLike, three parts only", {"ArnNotLike": {"a": "arn:aws:iam::*:*"}}, {"a": "arn:aws:iam"}, True),
    case("ArnNotEquals match", {"ArnNotEquals": {"a": "arn:aws:iam::*:role/*"}}, {"a": ROLE}, False),
    case("ArnNotLike missing is true", {"ArnNotLike": {"a": "arn:aws:iam::*:role/*"}}, {}, True),
    case("ArnLike missing", {"ArnLike": {"a": "arn:aws:iam::*:role/*"}}, {}, False),
    # Null
    case("Null true, absent", {"Null": {TAG: "true"}}, {}, True),
    case("Null true, present", {"Null": {TAG: "true"}}, {TAG: "x"}, False),
    case("Null false, present", {"Null": {TAG: "false"}}, {TAG: "x"}, True),
    case("Null false, absent", {"Null": {TAG: "false"}}, {}, False),
    case("Null: empty list is absent", {"Null": {TAG: "true"}}, {TAG: []}, True),
    # ...IfExists
    case("IfExists, key absent", {"StringEqualsIfExists": {TAG: "TeamA"}}, {}, True),
    case("IfExists, key present, no match", {"StringEqualsIfExists": {TAG: "TeamA"}}, {TAG: "TeamB"}, False),
    case("IfExists, key present, match", {"StringEqualsIfExists": {TAG: "TeamA"}}, {TAG: "TeamA"}, True),
    case("negated IfExists, absent", {"StringNotEqualsIfExists": {TAG: "TeamA"}}, {}, True),
    case("IpAddressIfExists absent", {"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {}, True),
    case("IpAddressIfExists outside", {"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "::1"}, False),
    case("NumericLessThanIfExists", {"NumericLessThanIfExists": {"n": "3"}}, {"n": "4"}, False),
    case("DateLessThanIfExists absent", {"DateLessThanIfExists": {"t": "2025-01-01"}}, {}, True),
    case("BoolIfExists absent", {"BoolIfExists": {"b": "true"}}, {}, True),
    case("ArnLikeIfExists absent", {"ArnLikeIfExists": {"a": "arn:*:*:*:*:*"}}, {}, True),
    case("operator names any case", {"stringequals": {TAG: "TeamA"}}, {TAG: "TeamA"}, True),
    # Set operators on multivalued keys
    case("ForAllValues all listed", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b", "c"]}}, {"aws:TagKeys": ["a", "b"]}, True),
    case("ForAllValues one unlisted", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws:TagKeys": ["a", "x"]}, False),
    case("ForAllValues missing is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),
    case("ForAllValues empty list is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": []}, True),
    case("ForAllValues empty string is true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ""}, True),
    case("ForAllValues single value", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": "a"}, True),
    case("ForAnyValue one listed", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["x", "a"]}, True),
    case("ForAnyValue none listed", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {"aws:TagKeys": ["x", "y"]}, False),
    case("ForAnyValue missing is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
    case("ForAnyValue empty string is false", {"ForAnyValue:StringEquals": {"aws:TagKeys": [""]}}, {"aws:TagKeys": ""}, False),
    case("ForAnyValue:StringLike", {"ForAnyValue:StringLike": {"q": ["corg*"]}}, {"q": ["quux", "corge"]}, True),
    case("ForAllValues:StringNotEquals none listed", {"ForAllValues:StringNotEquals": {"k": ["a", "b"]}}, {"k": ["x", "y"]}, True),
    case("ForAllValues:StringNotEquals one listed", {"ForAllValues:StringNotEquals": {"k": ["a", "b"]}}, {"k": ["x", "b"]}, False),
    case("ForAnyValue:StringNotEquals one unlisted", {"ForAnyValue:StringNotEquals": {"k": ["a"]}}, {"k": ["a", "x"]}, True),
    case("ForAnyValue:StringNotEquals all listed", {"ForAnyValue:StringNotEquals": {"k": ["a", "b"]}}, {"k": ["b", "a"]}, False),
    case("ForAnyValue:StringNotEquals missing", {"ForAnyValue:StringNotEquals": {"k": ["a"]}}, {}, False),
    case("ForAllValues:StringNotEquals missing", {"ForAllValues:StringNotEquals": {"k": ["a"]}}, {}, True),
    case("ForAnyValue...IfExists missing", {"ForAnyValue:StringEqualsIfExists": {"k": ["a"]}}, {}, True),
    case("ForAnyValue:IpAddress", {"ForAnyValue:IpAddress": {"ips": "10.0.0.0/8"}}, {"ips": ["::1", "10.9.9.9"]}, True),
    case("ForAllValues:NumericLessThan", {"ForAllValues:NumericLessThan": {"n": "5"}}, {"n": ["1", "7"]}, False),
    case("set operator names any case", {"foranyvalue:stringequals": {"k": "a"}}, {"k": ["a"]}, True),
    # A multivalued request value without a set operator (AWS: use a set operator): any value matches
    case("no set operator, one of many", {"StringEquals": {"k": "a"}}, {"k": ["x", "a"]}, True),
    case("no set operator, negated, one of many", {"StringNotEquals": {"k": "a"}}, {"k": ["x", "a"]}, False),
    case("no set operator, negated, none", {"StringNotEquals": {"k": "a"}}, {"k": ["x", "y"]}, True),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "context", "expected"), OPERATOR_CASES)
def test_operator(condition, context, expected):
    assert holds(condition, context) is expected


# --- Policy variables ------------------------------------------------------------------------------------------

VARIABLE_CASES = [
    case("variable resolves", {"StringEquals": {"k": "${aws:PrincipalTag/Team}"}}, {"k": "TeamA", TAG: "TeamA"}, True),
    case("variable, other value", {"StringEquals": {"k": "${aws:PrincipalTag/Team}"}}, {"k": "TeamB", TAG: "TeamA"}, False),
    case("variable key any case", {"StringEquals": {"k": "${AWS:PRINCIPALTAG/team}"}}, {"k": "TeamA", TAG: "TeamA"}, True),
    case("variable inside text", {"StringLike": {"k": "home/${aws:username}/*"}}, {"k": "home/ana/x", "aws:username": "ana"}, True),
    case("variable inside text, other user", {"StringLike": {"k": "home/${aws:username}/*"}}, {"k": "home/bob/x", "aws:username": "ana"}, False),
    case("variable missing: no match", {"StringEquals": {"k": "${aws:PrincipalTag/Team}"}}, {"k": ""}, False),
    case("variable missing, other value matches", {"StringEquals": {"k": ["${aws:username}", "x"]}}, {"k": "x"}, True),
    case("variable missing, negated", {"StringNotEquals": {"k": "${aws:PrincipalTag/Team}"}}, {"k": "TeamA"}, True),
    case("variable missing, default used", {"StringEquals": {"k": "${aws:PrincipalTag/Team, 'none'}"}}, {"k": "none"}, True),
    case("variable present, default unused", {"StringEquals": {"k": "${aws:PrincipalTag/Team, 'none'}"}}, {"k": "none", TAG: "A"}, False),
    case("multivalued key is no variable", {"StringEquals": {"k": "${aws:TagKeys}"}}, {"k": "a", "aws:TagKeys": ["a", "b"]}, False),
    case("multivalued key, default", {"StringEquals": {"k": "${aws:TagKeys, 'd'}"}}, {"k": "d", "aws:TagKeys": ["a", "b"]}, True),
    case("resolved value is literal in Like", {"StringLike": {"k": "${aws:username}"}}, {"k": "anything", "aws:username": "*"}, False),
    case("resolved * matches itself", {"StringLike": {"k": "${aws:username}"}}, {"k": "*", "aws:username": "*"}, True),
    case("${*} is a literal *", {"StringLike": {"k": "a${*}b"}}, {"k": "a*b"}, True),
    case("${*} is no wildcard", {"StringLike": {"k": "a${*}b"}}, {"k": "axyb"}, False),
    case("${?} is a literal ?", {"StringLike": {"k": "a${?}"}}, {"k": "a?"}, True),
    case("${?} is no wildcard", {"StringLike": {"k": "a${?}"}}, {"k": "ab"}, False),
    case("${$} is a literal $", {"StringEquals": {"k": "${$}{x}"}}, {"k": "${x}"}, True),
    # Unlike Resource, a condition value may hold a variable anywhere: "You can use a policy variable for Condition
    # values in any condition that involves the string operators or the ARN operators" (…variables.html#policy-vars-conditionelement)
    case("variable in ArnLike", {"ArnLike": {"a": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}, {"a": ROLE, "aws:PrincipalAccount": TENANT}, True),
    case("variable in ArnLike, other account", {"ArnLike": {"a": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}}, {"a": ROLE, "aws:PrincipalAccount": OTHER}, False),
    case("variable value's colon stays in its component", {"ArnLike": {"a": "arn:aws:iam::*:role/${v}"}}, {"a": "arn:aws:iam::1:role/x:y", "v": "x:y"}, True),
    case("variable in Bool", {"Bool": {"b": "${aws:MultiFactorAuthPresent}"}}, {"b": "true", "aws:MultiFactorAuthPresent": "TRUE"}, True),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "context", "expected"), VARIABLE_CASES)
def test_policy_variable(condition, context, expected):
    assert holds(condition, context) is expected


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_variables_are_literal_text_before_version_2012_10_17(version):
    # "If you don't include the Version element ... variables like ${aws:username} are treated as literal strings"
    condition = {"StringEquals": {"k": "${aws:username}"}}
    assert holds(condition, {"k": "${aws:username}", "aws:username": "ana"}, version=version)
    assert not holds(condition, {"k": "ana", "aws:username": "ana"}, version=version)
    assert holds(condition, {"k": "ana", "aws:username": "ana"}, version="2012-10-17")


def resource_result(resource_pattern: Any, resource: str, context: dict, element: str = "Resource") -> str:
    policy = identity({"Effect": "Allow", "Action": "s3:*", element: resource_pattern})
    return evaluate_statements(policy, Request("s3:GetObject", resource, ROLE, context), check_principal=False)


@pytest.mark.parametrize(
    ("pattern", "resource", "context", "expected"),
    [
        case("variable in Resource", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/ana/k", {"aws:username": "ana"}, "allow"),
        case("other user's folder", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/bob/k", {"aws:username": "ana"}, "none"),
        case("variable missing", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b//k", {}, "none"),
        case("variable missing, default", "arn:aws:s3:::b/${aws:username, 'anon'}/*", "arn:aws:s3:::b/anon/k", {}, "allow"),
        case("tag variable", "arn:aws:s3:::${aws:PrincipalTag/department}", "arn:aws:s3:::hr", {"aws:PrincipalTag/department": "hr"}, "allow"),
        case("${*} literal in Resource", "arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", {}, "allow"),
        case("${*} not a wildcard in Resource", "arn:aws:s3:::b/${*}", "arn:aws:s3:::b/k", {}, "none"),
    ],
)  # fmt: skip
def test_policy_variable_in_resource(pattern, resource, context, expected):
    assert resource_result(pattern, resource, context) == expected


VARIABLES_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
RESOURCE_PORTION = (  # VARIABLES_PAGE#policy-vars-resourceelement
    "You can use a policy variable in the Resource element, but only in the resource portion of the ARN. This "
    "portion of the ARN appears after the fifth colon (:). You can't use a variable to replace parts of the ARN "
    "before the fifth colon, such as the service or account."
)
TRAILING_PART = (  # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    "In the Resource element, you can use JSON policy variables in the part of the ARN that identifies the specific "
    "resource (that is, in the trailing part of the ARN)."
)


@pytest.mark.parametrize(
    ("element", "pattern", "quote"),
    [
        case("variable in the partition", "Resource", "arn:${aws:PrincipalTag/partition}:s3:::b/*", RESOURCE_PORTION),
        case("variable in the service", "Resource", "arn:aws:${aws:PrincipalTag/service}:::b/*", RESOURCE_PORTION),
        case("variable in the region", "Resource", "arn:aws:sqs:${aws:PrincipalTag/region}:*:queue", RESOURCE_PORTION),
        case("variable in the account", "Resource", "arn:aws:iam::${aws:PrincipalAccount}:user/*", RESOURCE_PORTION),
        case("variable with a default in the account", "Resource", "arn:aws:iam::${aws:PrincipalAccount, '1'}:user/*", RESOURCE_PORTION),
        case("variable in the account, NotResource", "NotResource", "arn:aws:iam::${aws:PrincipalAccount}:user/*", RESOURCE_PORTION),
        case("variable in the account, in a list", "Resource", ["arn:aws:s3:::b/*", "arn:aws:iam::${aws:PrincipalAccount}:user/*"], RESOURCE_PORTION),
        case("a variable's own colon is not the fifth", "Resource", "arn:aws:s3::${aws:username}:b", RESOURCE_PORTION),
        case("${*} before the fifth colon", "Resource", "arn:aws:sqs:${*}:*:queue", RESOURCE_PORTION),
        case("no fifth colon at all", "Resource", "*/${aws:username}", TRAILING_PART),
    ],
)  # fmt: skip
def test_a_policy_variable_before_the_fifth_colon_of_a_resource_is_refused(element, pattern, quote):
    # The page says "can't" and not what AWS makes of such text. Read literally, `${...}` never matches a real ARN,
    # so a Deny would silently never apply and a NotResource would cover everything: refused instead (ValueError).
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", ROLE, {"aws:PrincipalAccount": TENANT, "aws:username": "a"})
    statement = {"Effect": "Allow", "Action": "*", element: pattern}
    with pytest.raises(ValueError, match="fifth colon"):  # the whole policy, though this statement comes last
        evaluate_statements(identity(deny(Action="s3:Nothing"), statement), request, check_principal=False)
    resource_policy = identity({**statement, "Principal": "*"})
    with pytest.raises(ValueError, match="fifth colon"):  # resource-based policies alike
        evaluate_statements(resource_policy, request, check_principal=True)
    # "If you don't include the Version element and set it to an appropriate version date, variables like
    # ${aws:username} are treated as literal strings in the policy": nothing to refuse in an older document.
    older = {**resource_policy, "Version": "2008-10-17"}
    assert evaluate_statements(older, request, check_principal=True) in ("allow", "none"), quote


@pytest.mark.parametrize(
    ("pattern", "resource", "context", "expected", "quote"),
    [
        case("variable right after the fifth colon", "arn:aws:sqs:us-east-2:*:${aws:username}-queue", "arn:aws:sqs:us-east-2:1:ana-queue", {"aws:username": "ana"}, "allow", RESOURCE_PORTION),
        case("variable right after the fifth colon, other user", "arn:aws:sqs:us-east-2:*:${aws:username}-queue", "arn:aws:sqs:us-east-2:1:bob-queue", {"aws:username": "ana"}, "none", RESOURCE_PORTION),
        case("variable after a sixth colon", "arn:aws:s3:r:1:x:${aws:username}", "arn:aws:s3:r:1:x:ana", {"aws:username": "ana"}, "allow", TRAILING_PART),
        case("account literal, variable in the resource", f"arn:aws:iam::{TENANT}:user/${{aws:username}}", f"arn:aws:iam::{TENANT}:user/ana", {"aws:username": "ana"}, "allow", TRAILING_PART),
    ],
)  # fmt: skip
def test_a_policy_variable_after_the_fifth_colon_of_a_resource_is_resolved(pattern, resource, context, expected, quote):
    assert resource_result(pattern, resource, context) == expected, quote


# --- Action and Resource ---------------------------------------------------------------------------------------


def action_result(element: str, pattern: Any, action: str) -> str:
    policy = identity({"Effect": "Allow", element: pattern, "Resource": "*"})
    return evaluate_statements(policy, Request(action, SERVICE, ROLE), check_principal=False)


@pytest.mark.parametrize(
    ("element", "pattern", "action", "expected"),
    [
        case("exact", "Action", INVOKE, INVOKE, "allow"),
        case("case-insensitive", "Action", "VPC-LATTICE-SVCS:invoke", INVOKE, "allow"),
        case("service wildcard", "Action", "vpc-lattice-svcs:*", INVOKE, "allow"),
        case("prefix wildcard", "Action", "vpc-lattice-svcs:In*", INVOKE, "allow"),
        case("? wildcard", "Action", "vpc-lattice-svcs:?nvoke", INVOKE, "allow"),
        case("? is one character", "Action", "vpc-lattice-svcs:?voke", INVOKE, "none"),
        case("everything", "Action", "*", INVOKE, "allow"),
        case("other action", "Action", "vpc-lattice-svcs:Connect", INVOKE, "none"),
        case("other service", "Action", "vpc-lattice:*", INVOKE, "none"),
        case("list", "Action", ["s3:GetObject", INVOKE], INVOKE, "allow"),
        case("NotAction excludes it", "NotAction", "vpc-lattice-svcs:*", INVOKE, "none"),
        case("NotAction, case-insensitive", "NotAction", "VPC-LATTICE-SVCS:INVOKE", INVOKE, "none"),
        case("NotAction covers the rest", "NotAction", ["s3:*", "iam:*"], INVOKE, "allow"),
    ],
)  # fmt: skip
def test_action(element, pattern, action, expected):
    assert action_result(element, pattern, action) == expected


@pytest.mark.parametrize(
    ("element", "pattern", "resource", "expected"),
    [
        case("exact", "Resource", SERVICE, SERVICE, "allow"),
        case("case-sensitive", "Resource", SERVICE.upper(), SERVICE, "none"),
        case("* crosses : and /", "Resource", "arn:aws:*/rates", f"{SERVICE}/rates", "allow"),
        case("Lattice */rates", "Resource", "*/rates", f"{SERVICE}/rates", "allow"),
        case("Lattice */rates, other path", "Resource", "*/rates", f"{SERVICE}/fees", "none"),
        case("Lattice service/*", "Resource", f"{SERVICE}/*", f"{SERVICE}/api.parking/GetRates", "allow"),
        case("? one character", "Resource", "arn:aws:s3:::b?", "arn:aws:s3:::b1", "allow"),
        case("? not zero characters", "Resource", "arn:aws:s3:::b?", "arn:aws:s3:::b", "none"),
        case("regex characters are literal", "Resource", "arn:aws:s3:::a.c", "arn:aws:s3:::abc", "none"),
        case("list", "Resource", ["arn:aws:s3:::x", SERVICE], SERVICE, "allow"),
        case("NotResource excludes it", "NotResource", f"{SERVICE}*", f"{SERVICE}/rates", "none"),
        case("NotResource covers the rest", "NotResource", "arn:aws:s3:::*", SERVICE, "allow"),
    ],
)  # fmt: skip
def test_resource(element, pattern, resource, expected):
    assert resource_result(pattern, resource, {}, element) == expected


# --- Principal and NotPrincipal --------------------------------------------------------------------------------


def principal_result(principal: Any, caller: str | None, *, element: str = "Principal", effect: str = "Allow") -> str:
    policy = {
        "Version": "2012-10-17",
        "Statement": {"Effect": effect, element: principal, "Action": "*", "Resource": "*"},
    }
    return evaluate_statements(policy, Request(INVOKE, SERVICE, caller), check_principal=True)


@pytest.mark.parametrize(
    ("principal", "caller", "expected"),
    [
        case("* signed", "*", ROLE, True),
        case("* anonymous", "*", None, True),
        case("AWS * anonymous", {"AWS": "*"}, None, True),
        case("account ID: role of it", {"AWS": TENANT}, ROLE, True),
        case("account root: role of it", {"AWS": f"arn:aws:iam::{TENANT}:root"}, ROLE, True),
        case("account root: user of it", {"AWS": f"arn:aws:iam::{TENANT}:root"}, f"arn:aws:iam::{TENANT}:user/ana", True),
        case("account root: root", {"AWS": TENANT}, f"arn:aws:iam::{TENANT}:root", True),
        case("account: session of its role", {"AWS": TENANT}, SESSION, True),
        case("account: other account", {"AWS": [OWNER, f"arn:aws:iam::{OTHER}:root"]}, ROLE, False),
        case("account: anonymous", {"AWS": TENANT}, None, False),
        case("role ARN", {"AWS": ROLE}, ROLE, True),
        case("role ARN: session of it", {"AWS": ROLE}, SESSION, True),
        case("role ARN: other path", {"AWS": f"arn:aws:iam::{TENANT}:role/app"}, ROLE, False),
        case("role ARN: other role", {"AWS": f"arn:aws:iam::{TENANT}:role/apps/ops"}, ROLE, False),
        case("role ARN: same name, other account", {"AWS": f"arn:aws:iam::{OTHER}:role/apps/app"}, SESSION, False),
        case("role ARN: anonymous", {"AWS": ROLE}, None, False),
        case("user ARN", {"AWS": f"arn:aws:iam::{TENANT}:user/ana"}, f"arn:aws:iam::{TENANT}:user/ana", True),
        case("user ARN: other user", {"AWS": f"arn:aws:iam::{TENANT}:user/ana"}, f"arn:aws:iam::{TENANT}:user/bob", False),
        case("Service equals", {"Service": "vpc-lattice.amazonaws.com"}, "vpc-lattice.amazonaws.com", True),
        case("Service: not a role", {"Service": "vpc-lattice.amazonaws.com"}, ROLE, False),
        case("Federated equals", {"Federated": "cognito-identity.amazonaws.com"}, "cognito-identity.amazonaws.com", True),
        case("Federated: not a role", {"Federated": "cognito-identity.amazonaws.com"}, ROLE, False),
        case("account never a service", {"AWS": TENANT}, "vpc-lattice.amazonaws.com", False),
    ],
)  # fmt: skip
def test_principal(principal, caller, expected):
    assert (principal_result(principal, caller) == "allow") is expected


ACCOUNT_ROOT = f"arn:aws:iam::{TENANT}:root"


@pytest.mark.parametrize(
    ("not_principal", "caller", "denied"),
    [
        case("account and role listed: exempt", {"AWS": [ACCOUNT_ROOT, ROLE]}, ROLE, False),
        case("account and role listed: session denied (see below)", {"AWS": [TENANT, ROLE]}, SESSION, True),
        case("only the role listed: denied (account not)", {"AWS": ROLE}, ROLE, True),
        case("only the account listed: its role denied", {"AWS": ACCOUNT_ROOT}, ROLE, True),
        case("only the account listed: root exempt", {"AWS": ACCOUNT_ROOT}, ACCOUNT_ROOT, False),
        case("another role: denied", {"AWS": [ACCOUNT_ROOT, ROLE]}, f"arn:aws:iam::{TENANT}:role/x", True),
        case("anonymous: denied", {"AWS": [ACCOUNT_ROOT, ROLE]}, None, True),
        case("NotPrincipal *: nobody denied", {"AWS": "*"}, None, False),
        case("service listed: exempt", {"Service": "logs.amazonaws.com"}, "logs.amazonaws.com", False),
        case("service not listed: denied", {"Service": "logs.amazonaws.com"}, "s3.amazonaws.com", True),
    ],
)  # fmt: skip
def test_not_principal_with_deny(not_principal, caller, denied):
    # reference_policies_elements_notprincipal.html: list the account too, or the whole account may be denied
    result = principal_result(not_principal, caller, element="NotPrincipal", effect="Deny")
    assert result == ("deny" if denied else "none")


NOTPRINCIPAL_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
# The page's three rules for an assumed-role session, quoted beside the cases that implement them:
CHAIN = (
    "If an assumed-role user (someone who is using a role) is being evaluated, AWS might validate the account "
    "first, then the role, and then the assumed-role user. The assumed-role user is identified by the role "
    "session name that is specified when they assumed the role."
)
NAME_EACH_SESSION = (
    'When you specify an assumed-role session in a NotPrincipal element, you cannot use a wildcard (*) to mean "all '
    'sessions". Principals must always name a specific session.'
)
ROLE_TOO = (
    "If the NotPrincipal element was missing the ARN of the role, the effect of the policy might be to explicitly "
    "deny access to the role."
)
ACCOUNT_TOO = (
    "When you use NotPrincipal with Deny, you must also specify the account ARN of the not-denied principal. "
    "Otherwise, the policy might deny access to the entire account containing the principal."
)
SESSION_2 = f"arn:aws:sts::{TENANT}:assumed-role/app/i-0456"
AUDIT_APP = [ACCOUNT_ROOT, ROLE, SESSION]  # the page's example lists the session, its role and its account


@pytest.mark.parametrize(
    ("not_principal", "caller", "denied", "quote"),
    [
        case("session, role and account listed: that session exempt", {"AWS": AUDIT_APP}, SESSION, False, CHAIN),
        case("session listed: another session of its role denied", {"AWS": AUDIT_APP}, SESSION_2, True, NAME_EACH_SESSION),
        case("role and account listed: its sessions denied", {"AWS": [ACCOUNT_ROOT, ROLE]}, SESSION, True, NAME_EACH_SESSION),
        case("account ID and role listed: its sessions denied", {"AWS": [TENANT, ROLE]}, SESSION_2, True, NAME_EACH_SESSION),
        case("session and account listed, role not: denied", {"AWS": [ACCOUNT_ROOT, SESSION]}, SESSION, True, ROLE_TOO),
        case("session and role listed, account not: denied", {"AWS": [ROLE, SESSION]}, SESSION, True, ACCOUNT_TOO),
        case("only the session listed: denied", {"AWS": SESSION}, SESSION, True, ACCOUNT_TOO),
        case("same session name, other role: denied", {"AWS": AUDIT_APP}, f"arn:aws:sts::{TENANT}:assumed-role/ops/i-0123", True, CHAIN),
        case("session, role and account listed: the role itself exempt", {"AWS": AUDIT_APP}, ROLE, False, CHAIN),
    ],
)  # fmt: skip
def test_not_principal_names_role_sessions_one_by_one(not_principal, caller, denied, quote):
    # NOTPRINCIPAL_PAGE: quote says why; naming the role ARN does not name its sessions (it does in Principal)
    result = principal_result(not_principal, caller, element="NotPrincipal", effect="Deny")
    assert result == ("deny" if denied else "none"), quote


# --- Malformed policies and requests raise -------------------------------------------------------------------

GOOD = {"Effect": "Allow", "Action": "*", "Resource": "*"}
MALFORMED_IDENTITY = [
    case("unknown operator", {**GOOD, "Condition": {"StringEqualz": {"k": "v"}}}),
    case("unknown set operator", {**GOOD, "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}),
    case("bare IfExists", {**GOOD, "Condition": {"IfExists": {"k": "v"}}}),
    case("NullIfExists", {**GOOD, "Condition": {"NullIfExists": {"k": "true"}}}),
    case("set operator on Null", {**GOOD, "Condition": {"ForAnyValue:Null": {"k": "true"}}}),
    case("Null neither true nor false", {**GOOD, "Condition": {"Null": {"k": "maybe"}}}),
    case("Bool neither true nor false", {**GOOD, "Condition": {"Bool": {"k": "yes"}}}),
    case("not a number", {**GOOD, "Condition": {"NumericLessThan": {"k": "ten"}}}),
    case("variable in Numeric", {**GOOD, "Condition": {"NumericEquals": {"k": "${aws:username}"}}}),
    case("not a date", {**GOOD, "Condition": {"DateLessThan": {"k": "tomorrow"}}}),
    case("impossible date", {**GOOD, "Condition": {"DateLessThan": {"k": "2025-13-01"}}}),
    case("not an IP range", {**GOOD, "Condition": {"IpAddress": {"k": "10.0.0.300/8"}}}),
    case("variable in IpAddress", {**GOOD, "Condition": {"IpAddress": {"k": "${aws:SourceIp}"}}}),
    case("not base64", {**GOOD, "Condition": {"BinaryEquals": {"k": "not base64!"}}}),
    case("not an ARN pattern", {**GOOD, "Condition": {"ArnLike": {"k": "role/*"}}}),
    case("unterminated variable", {**GOOD, "Condition": {"StringEquals": {"k": "${aws:username"}}}),
    case("default without quotes", {**GOOD, "Condition": {"StringEquals": {"k": "${aws:username, anon}"}}}),
    case("unterminated variable in Resource", {**GOOD, "Resource": "arn:aws:s3:::b/${aws:username"}),
    case("empty value list", {**GOOD, "Condition": {"StringEquals": {"k": []}}}),
    case("null value", {**GOOD, "Condition": {"StringEquals": {"k": None}}}),
    case("Condition not a map", {**GOOD, "Condition": ["StringEquals"]}),
    case("operator without keys", {**GOOD, "Condition": {"StringEquals": {}}}),
    case("Effect lower case", {**GOOD, "Effect": "allow"}),
    case("no Effect", {"Action": "*", "Resource": "*"}),
    case("Action and NotAction", {**GOOD, "NotAction": "s3:*"}),
    case("no Action", {"Effect": "Allow", "Resource": "*"}),
    case("no Resource in an identity policy", {"Effect": "Allow", "Action": "*"}),
    case("Resource and NotResource", {**GOOD, "NotResource": "x"}),
    case("action without service", {**GOOD, "Action": "GetObject"}),
    case("empty Action list", {**GOOD, "Action": []}),
    case("Principal in an identity policy", {**GOOD, "Principal": "*"}),
    case("unknown element", {**GOOD, "Conditions": {}}),
]  # fmt: skip


@pytest.mark.parametrize("statement", MALFORMED_IDENTITY)
def test_malformed_identity_statement_raises(statement):
    # The statement is last and would not even apply to this request: the whole policy is checked first.
    policy = identity(deny(Action="s3:Nothing"), statement)
    with pytest.raises(ValueError):
        evaluate_statements(policy, Request(INVOKE, SERVICE, ROLE), check_principal=False)


MALFORMED_RESOURCE = [
    case("no Principal", GOOD),
    case("Principal and NotPrincipal", {**GOOD, "Effect": "Deny", "Principal": "*", "NotPrincipal": {"AWS": TENANT}}),
    case("NotPrincipal with Allow", {**GOOD, "NotPrincipal": {"AWS": TENANT}}),
    case("Principal a bare ARN", {**GOOD, "Principal": ROLE}),
    case("partial wildcard in Principal", {**GOOD, "Principal": {"AWS": f"arn:aws:iam::{TENANT}:role/*"}}),
    case("wildcard Service", {**GOOD, "Principal": {"Service": "*"}}),
    case("unknown principal kind", {**GOOD, "Principal": {"Role": ROLE}}),
    case("empty Principal", {**GOOD, "Principal": {}}),
]  # fmt: skip


@pytest.mark.parametrize("statement", MALFORMED_RESOURCE)
def test_malformed_resource_statement_raises(statement):
    with pytest.raises(ValueError):
        evaluate_statements(identity(statement), Request(INVOKE, SERVICE, ROLE), check_principal=True)


@pytest.mark.parametrize(
    "policy",
    [
        case("not a map", ["Statement"]),
        case("no Statement", {"Version": "2012-10-17"}),
        case("unknown Version", {"Version": "2024-01-01", "Statement": GOOD}),
        case("unknown top-level key", {"Version": "2012-10-17", "Statement": GOOD, "Extra": 1}),
        case("Statement a string", {"Version": "2012-10-17", "Statement": "Allow"}),
        case("Statement list of strings", {"Version": "2012-10-17", "Statement": ["Allow"]}),
    ],
)
def test_malformed_policy_raises(policy):
    with pytest.raises(ValueError):
        evaluate_statements(policy, Request(INVOKE, SERVICE, ROLE), check_principal=False)


ID_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_id.html"
ID_RULE = "ID is allowed in resource-based policies, but not in identity-based policies."  # ID_PAGE
ID_SERVICES = (  # ID_PAGE, the note: SQS queue and SNS topic policies are resource-based
    "Some AWS services (for example, Amazon SQS or Amazon SNS) might require this element and have uniqueness "
    "requirements for it."
)


@pytest.mark.parametrize(
    ("check_principal", "policy_id", "refused", "quote"),
    [
        case("identity-based, a UUID Id: refused", False, "cd3ad3d9-2776-4ef1-a904-4c229d1642ee", True, ID_RULE),
        case("identity-based, an empty Id: refused", False, "", True, ID_RULE),
        case("identity-based, an Id of null: refused", False, None, True, ID_RULE),
        case("resource-based, a UUID Id: accepted", True, "cd3ad3d9-2776-4ef1-a904-4c229d1642ee", False, ID_RULE),
        case("resource-based, an SQS-style Id: accepted", True, "arn:aws:sqs:us-east-2:111122223333:queue1/SQSDefaultPolicy", False, ID_SERVICES),
    ],
)  # fmt: skip
def test_id_only_in_resource_based_policies(check_principal, policy_id, refused, quote):
    statement = {**GOOD, "Principal": "*"} if check_principal else GOOD
    policy = {"Version": "2012-10-17", "Id": policy_id, "Statement": statement}
    request = Request(INVOKE, SERVICE, ROLE)
    if refused:  # refused like any other malformed identity-based policy (cf. a Principal in one)
        with pytest.raises(ValueError, match="identity-based policy takes no Id"):
            evaluate_statements(policy, request, check_principal=check_principal)
    else:
        assert evaluate_statements(policy, request, check_principal=check_principal) == "allow", quote


def test_id_in_decide_and_lattice_decision():
    # ID_RULE, through the entry points: an auth policy (resource-based) may carry Id, a role's policy may not
    with_id = {"Id": "cd3ad3d9-2776-4ef1-a904-4c229d1642ee"}
    auth = {**identity(allow(Principal="*")), **with_id}
    request = Request(INVOKE, SERVICE, ROLE)
    assert lattice_decision(identity_policies=[identity(allow())], auth_policies=[auth], request=request) == "allow"
    assert decide(resource_policies=[auth], request=request) == "allow"
    with pytest.raises(ValueError, match="takes no Id"):
        lattice_decision(identity_policies=[{**identity(allow()), **with_id}], auth_policies=[auth], request=request)
    with pytest.raises(ValueError, match="takes no Id"):
        decide(identity_policies=[{**identity(allow()), **with_id}], request=request)


@pytest.mark.parametrize(
    ("condition", "context"),
    [
        case("same key twice in two cases", {"StringEquals": {TAG: "a"}}, {TAG: "a", TAG.upper(): "a"}),
        case("non-string value", {"StringEquals": {"k": "1"}}, {"k": 1}),
        case("malformed request IP", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "ten"}),
        case("malformed request date", {"DateLessThan": {"t": "2025-01-01"}}, {"t": "soon"}),
        case("malformed request number", {"NumericLessThan": {"n": "1"}}, {"n": "one"}),
    ],
)
def test_malformed_request_raises(condition, context):
    with pytest.raises(ValueError):
        holds(condition, context)


def test_a_single_statement_map_and_lists_or_strings_are_all_accepted():
    request = Request(INVOKE, SERVICE, ROLE)
    as_map = {"Version": "2012-10-17", "Statement": allow(Action=INVOKE, Resource=SERVICE)}
    as_lists = identity(allow(Action=[INVOKE], Resource=[SERVICE]))
    assert evaluate_statements(as_map, request, check_principal=False) == "allow"
    assert evaluate_statements(as_lists, request, check_principal=False) == "allow"
    assert evaluate_statements(identity(), request, check_principal=False) == "none"


def test_deny_beats_allow_within_a_policy_whatever_the_order():
    request = Request(INVOKE, SERVICE, ROLE)
    assert evaluate_statements(identity(allow(), deny()), request, check_principal=False) == "deny"
    assert evaluate_statements(identity(deny(), allow()), request, check_principal=False) == "deny"
    assert evaluate_statements(identity(deny(Action="s3:*"), allow()), request, check_principal=False) == "allow"


# --- Examples from AWS's IAM documentation -------------------------------------------------------------------

OPERATORS_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"


def test_doc_string_example_job_category():
    # OPERATORS_PAGE#Conditions_String: "the principal making the request must be tagged with the iamuser-admin job category"
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "iam:*AccessKey*",
            "Resource": "arn:aws:iam::account-id:user/*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}},
        },
    }

    def result(action, context):
        request = Request(action, "arn:aws:iam::account-id:user/ana", ROLE, context)
        return evaluate_statements(policy, request, check_principal=False)

    assert result("iam:CreateAccessKey", {"aws:PrincipalTag/job-category": "iamuser-admin"}) == "allow"
    assert result("iam:ListAccessKeys", {"aws:PrincipalTag/job-category": "iamuser-admin"}) == "allow"
    assert result("iam:CreateAccessKey", {}) == "none"  # "a user without the tag ... implicitly denied"
    assert result("iam:CreateUser", {"aws:PrincipalTag/job-category": "iamuser-admin"}) == "none"


def test_doc_home_directory_example():
    # OPERATORS_PAGE#Conditions_String (StringLike with a policy variable): each user's S3 "home directory"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "arn:aws:s3:::*"},
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::BUCKET-NAME",
                "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}},
            },
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::BUCKET-NAME/home/${aws:username}", "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"],
            },
        ],
    }  # fmt: skip
    ana = {"aws:username": "ana"}

    def result(action, resource, context):
        return evaluate_statements(policy, Request(action, resource, ROLE, context), check_principal=False)

    assert result("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", {**ana, "s3:prefix": ""}) == "allow"
    assert result("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", {**ana, "s3:prefix": "home/ana/"}) == "allow"
    assert result("s3:ListBucket", "arn:aws:s3:::BUCKET-NAME", {**ana, "s3:prefix": "home/bob/"}) == "none"
    assert result("s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/ana/notes.txt", ana) == "allow"
    assert result("s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/bob/notes.txt", ana) == "none"
    assert result("s3:GetObject", "arn:aws:s3:::BUCKET-NAME/home/ana/notes.txt", {}) == "none"


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # OPERATORS_PAGE#Conditions_Numeric: "list up to 10 objects"
        case("max-keys 10", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True),
        case("max-keys 11", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False),
        # OPERATORS_PAGE#Conditions_Date: credentials issued after 2020-01-01T00:00:01Z; the key is absent for access keys
        case("token issued later", {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, True),
        case("token issued earlier", {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {"aws:TokenIssueTime": "2019-06-01T00:00:00Z"}, False),
        case("no token (access keys)", {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, {}, False),
        # OPERATORS_PAGE#Conditions_BinaryEquals
        case("binary", {"BinaryEquals": {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}, {"key": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, True),
        # OPERATORS_PAGE#Conditions_IPAddress: 203.0.113.0 to 203.0.113.255; IPv4 and IPv6 mixed
        case("203.0.113.255", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.255"}, True),
        case("203.0.112.255", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.112.255"}, False),
        case("VPC endpoint: no SourceIp", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {}, False),
        case("mixed list, IPv6", {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}, {"aws:SourceIp": "2001:db8:1234:5678:a::1"}, True),
        case("mixed list, IPv4", {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}, {"aws:SourceIp": "203.0.113.7"}, True),
        # OPERATORS_PAGE#Conditions_Null: only without temporary credentials
        case("Null: long-term keys", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
        case("Null: temporary keys", {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"}, False),
    ],
)  # fmt: skip
def test_doc_operator_examples(condition, context, expected):
    assert holds(condition, context) is expected


def test_doc_string_like_versus_arn_like():
    # OPERATORS_PAGE#Conditions_ARN: "With a StringLike condition, the match succeeds ... With an ArnLike condition ...
    # the match fails"
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = {"k": "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}
    assert holds({"StringLike": {"k": pattern}}, value)
    assert not holds({"ArnLike": {"k": pattern}}, value)
    assert holds({"ArnLike": {"k": pattern}}, {"k": "arn:aws:someservice:us-east-2:111122223333:finance/a.txt"})


def test_doc_bool_secure_transport_deny():
    # OPERATORS_PAGE#Conditions_Boolean: deny S3 on the bucket unless over TLS ("This policy does not allow any actions")
    policy = identity(
        {
            "Sid": "BooleanExample",
            "Action": "s3:*",
            "Effect": "Deny",
            "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    bucket = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/k"
    plain = Request("s3:GetObject", bucket, ROLE, {"aws:SecureTransport": "false"})
    tls = Request("s3:GetObject", bucket, ROLE, {"aws:SecureTransport": "true"})
    assert decide(identity_policies=[policy, identity(allow())], request=plain) == "explicit-deny"
    assert decide(identity_policies=[policy, identity(allow())], request=tls) == "allow"
    assert decide(identity_policies=[policy], request=tls) == "implicit-deny"


def test_doc_arn_equals_sqs_resource_policy():
    # OPERATORS_PAGE#Conditions_ARN: SNS may send to the queue only on behalf of the named topic
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "123456789012"},
            "Action": "SQS:SendMessage",
            "Resource": "arn:aws:sqs:REGION:123456789012:QUEUE-ID",
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}},
        },
    }
    caller = "arn:aws:iam::123456789012:role/sender"

    def result(context, principal=caller):
        request = Request("sqs:SendMessage", "arn:aws:sqs:REGION:123456789012:QUEUE-ID", principal, context)
        return evaluate_statements(policy, request, check_principal=True)

    assert result({"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}) == "allow"
    assert result({"aws:SourceArn": "arn:aws:sns:REGION:123456789012:OTHER"}) == "none"
    assert (
        result({}) == "none"
    )  # "If an IAM user attempts to perform this operation directly, the condition returns false"
    assert result({"aws:SourceArn": "arn:aws:sns:REGION:123456789012:TOPIC-ID"}, f"arn:aws:iam::{OTHER}:root") == "none"


def test_doc_if_exists_instance_type():
    # OPERATORS_PAGE#Conditions_IfExists: StringLike fails on resources without ec2:InstanceType; ...IfExists does not
    types = ["t1.*", "t2.*", "m3.*"]
    for operator_name, on_image in (("StringLike", False), ("StringLikeIfExists", True)):
        condition = {operator_name: {"ec2:InstanceType": types}}
        assert holds(condition, {"ec2:InstanceType": "t2.micro"})
        assert not holds(condition, {"ec2:InstanceType": "c5.large"})
        assert holds(condition, {}) is on_image


def test_doc_if_exists_negated_deny_still_denies_without_the_key():
    # OPERATORS_PAGE#Conditions_IfExists: "If you are using an "Effect": "Deny" element with a negated condition
    # operator like StringNotEqualsIfExists, the request is still denied even if the tag is missing."
    policy = identity(deny(Condition={"StringNotEqualsIfExists": {TAG: "TeamA"}}), allow())
    assert decide(identity_policies=[policy], request=Request(INVOKE, SERVICE, ROLE)) == "explicit-deny"
    assert decide(identity_policies=[policy], request=Request(INVOKE, SERVICE, ROLE, {TAG: "TeamA"})) == "allow"


SET_OPERATORS_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"


def test_doc_set_operator_examples():
    # SET_OPERATORS_PAGE: ForAllValues allows only listed attributes; ForAnyValue denies PutItem touching ID or PostDateTime
    table = "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread"
    get = identity(
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": table,
            "Condition": {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]}},
        }
    )  # fmt: skip
    put = identity(
        {
            "Effect": "Deny",
            "Action": "dynamodb:PutItem",
            "Resource": table,
            "Condition": {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}},
        }
    )

    def result(policy, action, attributes):
        request = Request(action, table, ROLE, {"dynamodb:requestedAttributes": attributes})
        return evaluate_statements(policy, request, check_principal=False)

    assert result(get, "dynamodb:GetItem", ["PostDateTime", "Message"]) == "allow"
    assert result(get, "dynamodb:GetItem", ["PostDateTime", "UserName"]) == "none"  # "There's no match for UserName"
    assert result(get, "dynamodb:GetItem", ["ID"]) == "none"
    assert result(put, "dynamodb:PutItem", ["UserName", "Message", "PostDateTime"]) == "deny"
    assert result(put, "dynamodb:PutItem", ["UserName"]) == "none"


VARIABLES_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"


def test_doc_variable_examples():
    # VARIABLES_PAGE#policy-vars-resourceelement: queues named after the user, in us-east-2
    sqs = identity(
        {"Sid": "ListForConsole", "Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"},
        {"Sid": "AllQueueActions", "Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"},
    )  # fmt: skip
    ana = {"aws:username": "ana"}

    def result(policy, action, resource, context, principal=ROLE, check_principal=False):
        return evaluate_statements(
            policy, Request(action, resource, principal, context), check_principal=check_principal
        )

    assert result(sqs, "sqs:SendMessage", f"arn:aws:sqs:us-east-2:{TENANT}:ana-queue", ana) == "allow"
    assert result(sqs, "sqs:SendMessage", f"arn:aws:sqs:us-east-2:{TENANT}:bob-queue", ana) == "none"
    assert result(sqs, "sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{TENANT}:ana-queue", ana) == "none"
    assert result(sqs, "sqs:ListQueues", "*", {}) == "allow"

    # VARIABLES_PAGE#policy-vars-conditionelement: SNS topic policy, only if the endpoint URL matches the user name
    sns = identity(
        {
            "Principal": {"AWS": "999999999999"},
            "Effect": "Allow",
            "Action": "sns:*",
            "Condition": {
                "StringLike": {"sns:endpoint": "https://example.com/${aws:username}/"},
                "StringEquals": {"sns:Protocol": "https"},
            },
        }
    )
    user = "arn:aws:iam::999999999999:user/ana"
    topic = "arn:aws:sns:us-east-1:999999999999:topic"
    good = {**ana, "sns:endpoint": "https://example.com/ana/", "sns:Protocol": "https"}
    assert result(sns, "sns:Subscribe", topic, good, user, True) == "allow"
    assert (
        result(sns, "sns:Subscribe", topic, {**good, "sns:endpoint": "https://example.com/bob/"}, user, True) == "none"
    )
    assert result(sns, "sns:Subscribe", topic, {**good, "sns:Protocol": "http"}, user, True) == "none"
    assert result(sns, "sns:Subscribe", topic, good, f"arn:aws:iam::{OTHER}:user/ana", True) == "none"

    # VARIABLES_PAGE#policy-vars-conditionelement: costCenter tag 12345 or 67890; "If the tag has no value ... fails"
    tagged = {"StringLike": {"iam:ResourceTag/costCenter": ["12345", "67890"]}}
    assert holds(tagged, {"iam:ResourceTag/costCenter": "67890"})
    assert not holds(tagged, {"iam:ResourceTag/costCenter": "11111"})
    assert not holds(tagged, {})

    # VARIABLES_PAGE#policy-vars-default-values: "anonymous users will not populate ${aws:userid}"
    default = {"StringEquals": {"aws:Resource": "arn:aws:s3:::/bucket/${aws:userid, 'anonymous'}"}}
    assert holds(default, {"aws:Resource": "arn:aws:s3:::/bucket/anonymous"})
    assert holds(default, {"aws:Resource": "arn:aws:s3:::/bucket/AIDA1", "aws:userid": "AIDA1"})
    assert not holds(default, {"aws:Resource": "arn:aws:s3:::/bucket/anonymous", "aws:userid": "AIDA1"})


def test_doc_negated_operator_values_are_nor():
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
    # "If a single negated matching condition operator includes multiple values ... logical NOR"
    condition = {"StringNotEquals": {"aws:PrincipalTag/role": ["audit", "security"]}}
    assert not holds(condition, {"aws:PrincipalTag/role": "audit"})
    assert not holds(condition, {"aws:PrincipalTag/role": "security"})
    assert holds(condition, {"aws:PrincipalTag/role": "dev"})


# --- Decisions: identity and resource policies, cross-account, VPC Lattice -----------------------------------

ALLOW_ALL_IDENTITY = identity(allow())
ALLOW_ALL_RESOURCE = identity(allow(Principal="*"))
NOTHING = identity()


@pytest.mark.parametrize(
    ("identity_policies", "resource_policies", "require_both", "expected"),
    [
        case("same account: identity alone", [ALLOW_ALL_IDENTITY], [], False, "allow"),
        case("same account: resource alone", [], [ALLOW_ALL_RESOURCE], False, "allow"),
        case("same account: neither", [NOTHING], [NOTHING], False, "implicit-deny"),
        case("nothing at all", [], [], False, "implicit-deny"),
        case("deny in identity wins", [identity(deny())], [ALLOW_ALL_RESOURCE], False, "explicit-deny"),
        case("deny in resource wins", [ALLOW_ALL_IDENTITY], [identity(deny(Principal="*"))], False, "explicit-deny"),
        case("cross account: both", [ALLOW_ALL_IDENTITY], [ALLOW_ALL_RESOURCE], True, "allow"),
        case("cross account: identity alone", [ALLOW_ALL_IDENTITY], [NOTHING], True, "implicit-deny"),
        case("cross account: resource alone", [NOTHING], [ALLOW_ALL_RESOURCE], True, "implicit-deny"),
        case("cross account: no resource policy", [ALLOW_ALL_IDENTITY], [], True, "implicit-deny"),
        case("cross account: every resource policy", [ALLOW_ALL_IDENTITY], [ALLOW_ALL_RESOURCE, NOTHING], True, "implicit-deny"),
        case("cross account: deny wins", [identity(allow(), deny())], [ALLOW_ALL_RESOURCE], True, "explicit-deny"),
    ],
)  # fmt: skip
def test_decide(identity_policies, resource_policies, require_both, expected):
    request = Request(INVOKE, SERVICE, ROLE)
    result = decide(
        identity_policies=identity_policies,
        resource_policies=resource_policies,
        request=request,
        require_both=require_both,
    )
    assert result == expected


def test_decide_ignores_identity_policies_for_an_anonymous_caller():
    anonymous = Request(INVOKE, SERVICE)
    assert decide(identity_policies=[ALLOW_ALL_IDENTITY], request=anonymous) == "implicit-deny"
    assert (
        decide(identity_policies=[identity(deny())], resource_policies=[ALLOW_ALL_RESOURCE], request=anonymous)
        == "allow"
    )


INVOKE_ACCESS = identity(allow(Action="vpc-lattice-svcs:Invoke"))  # like the managed VPCLatticeServicesInvokeAccess
NETWORK_POLICY = identity(allow(Principal={"AWS": TENANT}, Action=INVOKE))
SERVICE_POLICY = identity(allow(Principal="*", Action=INVOKE, Resource=f"{SERVICE}/rates"))


@pytest.mark.parametrize(
    ("identity_policies", "auth_policies", "caller", "resource", "expected"),
    [
        case("identity and network allow", [INVOKE_ACCESS], [NETWORK_POLICY], ROLE, f"{SERVICE}/rates", "allow"),
        case("same account still needs identity", [], [identity(allow(Principal="*"))], ROLE, f"{SERVICE}/rates", "implicit-deny"),
        case("network and service allow", [INVOKE_ACCESS], [NETWORK_POLICY, SERVICE_POLICY], ROLE, f"{SERVICE}/rates", "allow"),
        case("service policy refuses the path", [INVOKE_ACCESS], [NETWORK_POLICY, SERVICE_POLICY], ROLE, f"{SERVICE}/fees", "implicit-deny"),
        case("network refuses the account", [INVOKE_ACCESS], [NETWORK_POLICY, SERVICE_POLICY], f"arn:aws:iam::{OTHER}:role/x", f"{SERVICE}/rates", "implicit-deny"),
        case("no auth policy", [INVOKE_ACCESS], [], ROLE, f"{SERVICE}/rates", "implicit-deny"),
        case("deny in the service policy", [INVOKE_ACCESS], [NETWORK_POLICY, identity(deny(Principal="*"))], ROLE, SERVICE, "explicit-deny"),
        case("deny in the identity policy", [identity(allow(), deny())], [NETWORK_POLICY], ROLE, SERVICE, "explicit-deny"),
        case("anonymous, Principal *", [], [identity(allow(Principal="*"))], None, SERVICE, "allow"),
        case("anonymous, identity policies ignored", [identity(deny())], [identity(allow(Principal="*"))], None, SERVICE, "allow"),
        case("anonymous, account principal", [], [NETWORK_POLICY], None, SERVICE, "implicit-deny"),
        case("anonymous, every auth policy", [], [identity(allow(Principal="*")), NETWORK_POLICY], None, SERVICE, "implicit-deny"),
        case("anonymous, no auth policy", [], [], None, SERVICE, "implicit-deny"),
        case("anonymous, deny", [], [identity(allow(Principal="*"), deny(Principal="*"))], None, SERVICE, "explicit-deny"),
    ],
)  # fmt: skip
def test_lattice_decision(identity_policies, auth_policies, caller, resource, expected):
    request = Request(INVOKE, resource, caller)
    assert (
        lattice_decision(identity_policies=identity_policies, auth_policies=auth_policies, request=request) == expected
    )


def test_lattice_doc_example_excluding_anonymous_callers():
    # https://docs.aws.amazon.com/vpc-lattice/latest/ug/auth-policies.html (example 3, via security.md §2.1):
    # unsigned callers have aws:PrincipalType "Anonymous"; StringNotEquals on it admits signed requests only
    signed_only = identity(
        allow(Principal="*", Action=INVOKE, Condition={"StringNotEquals": {"aws:PrincipalType": "Anonymous"}})
    )
    anonymous = Request(INVOKE, SERVICE, None, {"aws:PrincipalType": "Anonymous"})
    signed = Request(INVOKE, SERVICE, ROLE, {"aws:PrincipalType": "AssumedRole"})
    assert lattice_decision(identity_policies=[], auth_policies=[signed_only], request=anonymous) == "implicit-deny"
    assert lattice_decision(identity_policies=[INVOKE_ACCESS], auth_policies=[signed_only], request=signed) == "allow"


# --- 2. The recipe's auth policy: the vectors of security.md §2.4 ---------------------------------------------

# The original recipe's service-network auth policy (reconstructed from security.md): an attribute-based statement
# for the teams, and an unconditioned Allow for the owner account that cancels those conditions for the owner.
RECIPE_AUTH_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TeamsFromTheNetworkAfterTheStart",
            "Effect": "Allow",
            "Principal": "*",
            "Action": INVOKE,
            "Resource": "*",
            "Condition": {
                "StringEquals": {TAG: ["TeamA", "TeamB"]},
                "DateGreaterThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"},
                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
            },
        },
        {"Sid": "OwnerAccount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"}, "Action": INVOKE, "Resource": "*"},
    ],
}  # fmt: skip
NOT_INVOKE = identity(allow(Action="vpc-lattice-svcs:Connect"))
ORG_GUARD = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-owner"}}}  # fmt: skip


def recipe_request(caller: str | None = ROLE, overrides: dict[str, str | None] | None = None) -> Request:
    """Invoke on a service of the network by a tagged caller; overrides replace (None: remove) context keys."""
    context = {
        "vpc-lattice-svcs:ServiceNetworkArn": NETWORK,
        "vpc-lattice-svcs:ServiceArn": SERVICE,
        TAG: "TeamA",
        "aws:CurrentTime": "2025-06-01T12:00:00Z",
        "aws:SourceIp": "10.1.2.3",
        "aws:PrincipalOrgID": "o-owner",
    }
    context.update(overrides or {})
    if caller is None:  # unsigned: no principal keys
        context = {k: v for k, v in context.items() if not k.startswith("aws:Principal")}
    return Request(INVOKE, f"{SERVICE}/rates", caller, {k: v for k, v in context.items() if v is not None})


OWNER_ROLE = f"arn:aws:iam::{OWNER}:role/platform"
RECIPE_VECTORS = [
    case("TeamA, after the start, from 10.1.2.3", recipe_request(), "allow"),
    case("TeamC", recipe_request(overrides={TAG: "TeamC"}), "implicit-deny"),
    case("TeamA without SourceIp", recipe_request(overrides={"aws:SourceIp": None}), "implicit-deny"),
    case("teama (StringEquals is case-sensitive)", recipe_request(overrides={TAG: "teama"}), "implicit-deny"),
    case("one second before the start", recipe_request(overrides={"aws:CurrentTime": "2024-12-31T23:59:59Z"}), "implicit-deny"),
    case("exactly at the start (DateGreaterThan)", recipe_request(overrides={"aws:CurrentTime": "2025-01-01T00:00:00Z"}), "implicit-deny"),
    case("SourceIp 2001:db8::1", recipe_request(overrides={"aws:SourceIp": "2001:db8::1"}), "implicit-deny"),
    case("owner account principal, no tag", recipe_request(OWNER_ROLE, {TAG: None}), "allow"),
    case("owner: the Allow cancels every condition", recipe_request(OWNER_ROLE, {TAG: "TeamC", "aws:SourceIp": None, "aws:CurrentTime": "2020-01-01T00:00:00Z"}), "allow"),
    case("anonymous", recipe_request(None), "implicit-deny"),
]  # fmt: skip


@pytest.mark.parametrize(("request_", "expected"), RECIPE_VECTORS)
def test_recipe_vectors(request_, expected):
    decision = lattice_decision(identity_policies=[INVOKE_ACCESS], auth_policies=[RECIPE_AUTH_POLICY], request=request_)
    assert decision == expected


def test_recipe_owner_is_admitted_by_statement_2_only():
    owner = recipe_request(OWNER_ROLE, {TAG: None})
    first_only = {**RECIPE_AUTH_POLICY, "Statement": RECIPE_AUTH_POLICY["Statement"][:1]}
    assert evaluate_statements(first_only, owner, check_principal=True) == "none"
    assert evaluate_statements(RECIPE_AUTH_POLICY, owner, check_principal=True) == "allow"


@pytest.mark.parametrize(
    "request_", [recipe_request(), recipe_request(OWNER_ROLE, {TAG: None})], ids=["tenant", "owner"]
)
@pytest.mark.parametrize("identity_policies", [[], [NOT_INVOKE], [NOTHING]], ids=["none", "Connect only", "empty"])
def test_recipe_without_invoke_in_the_identity_policy_is_denied(request_, identity_policies):
    decision = lattice_decision(
        identity_policies=identity_policies, auth_policies=[RECIPE_AUTH_POLICY], request=request_
    )
    assert decision == "implicit-deny"


@pytest.mark.parametrize(
    ("org", "expected"), [("o-owner", "allow"), ("o-other", "explicit-deny"), (None, "explicit-deny")]
)
def test_recipe_with_an_organization_guard(org, expected):
    guarded = {**RECIPE_AUTH_POLICY, "Statement": [*RECIPE_AUTH_POLICY["Statement"], ORG_GUARD]}
    request_ = recipe_request(overrides={"aws:PrincipalOrgID": org})
    assert lattice_decision(identity_policies=[INVOKE_ACCESS], auth_policies=[guarded], request=request_) == expected


def test_this_projects_policies_admit_exactly_tenant_roles_from_their_own_vpcs():
    """tenancy.documents' auth policy and tenant access policy under the evaluator (a cross-check of
    test_documents' small model): the identity policy binds the source account, the auth policy the role and window."""
    policy = documents.service_network_auth_policy(
        partition="aws",
        owner_account_id=OWNER,
        role_path=naming.role_path("acme-db"),
        not_before=datetime(2026, 1, 1, tzinfo=timezone.utc),
        not_after=datetime(2027, 1, 1, tzinfo=timezone.utc),
    )
    network = f"arn:aws:vpc-lattice:eu-west-1:{OWNER}:servicenetwork/sn-0123456789abcdef0"
    access = documents.tenant_access_policy(
        partition="aws",
        region="eu-west-1",
        owner_account_id=OWNER,
        tenant_account_id=TENANT,
        service_network_arn=network,
        db_resource_id="db-X",
        db_user="tenant_a",
        service_arns=[SERVICE],
    )
    role = f"arn:aws:iam::{OWNER}:role{naming.role_path('acme-db')}acme-db-tenant-a"

    def decision(caller=role, identity=access, **overrides):
        context = {
            "aws:PrincipalArn": caller,
            "aws:PrincipalAccount": OWNER,
            "aws:PrincipalTag/Team": "TeamA",
            "vpc-lattice-svcs:SourceVpcOwnerAccount": TENANT,
            "vpc-lattice-svcs:ServiceNetworkArn": network,
            "aws:CurrentTime": "2026-06-01T12:00:00Z",
            **overrides,
        }
        context = {k: v for k, v in context.items() if v is not None}
        request = Request(INVOKE, f"{SERVICE}/rates", caller, context)
        return lattice_decision(identity_policies=[identity], auth_policies=[policy], request=request)

    assert decision() == "allow"
    assert decision(**{"vpc-lattice-svcs:SourceVpcOwnerAccount": OTHER}) == "implicit-deny"
    assert decision(**{"vpc-lattice-svcs:SourceVpcOwnerAccount": None}) == "implicit-deny"  # absent key: deny
    assert decision(**{"vpc-lattice-svcs:ServiceNetworkArn": network + "1"}) == "implicit-deny"
    # The auth policy alone admits any tenant role from anywhere: the identity policy is what binds the VPCs.
    assert decision(identity=INVOKE_ACCESS, **{"vpc-lattice-svcs:SourceVpcOwnerAccount": OTHER}) == "allow"
    assert decision(**{"aws:PrincipalTag/Team": None}) == "implicit-deny"
    assert decision(**{"aws:CurrentTime": "2027-01-01T00:00:00Z"}) == "implicit-deny"
    assert decision(f"arn:aws:iam::{OWNER}:role/admin") == "implicit-deny"
    assert decision(ROLE, **{"aws:PrincipalAccount": TENANT}) == "implicit-deny"


# --- 3. Properties ---------------------------------------------------------------------------------------------

CALLERS = [
    ROLE,
    SESSION,
    f"arn:aws:iam::{TENANT}:root",
    f"arn:aws:iam::{OWNER}:role/platform",
    f"arn:aws:iam::{OTHER}:user/x",
]
ACTIONS = [INVOKE, "vpc-lattice-svcs:*", "*", "VPC-LATTICE-SVCS:invoke", "vpc-lattice-svcs:Conn?ct", "s3:GetObject"]
RESOURCES = ["*", f"{SERVICE}/*", "*/rates", f"{SERVICE}/rat?s", "arn:aws:s3:::b/*"]
PRINCIPALS = ["*", {"AWS": "*"}, {"AWS": TENANT}, {"AWS": f"arn:aws:iam::{OWNER}:root"}, {"AWS": [ROLE, OWNER]}]
CONDITIONS: list[tuple[str, str, Any]] = [
    ("StringEquals", TAG, ["TeamA", "TeamB"]),
    ("StringNotEquals", "aws:PrincipalType", "Anonymous"),
    ("StringLike", "vpc-lattice-svcs:RequestPath", "/rat*"),
    ("StringEqualsIfExists", "vpc-lattice-svcs:RequestMethod", ["GET", "HEAD"]),
    ("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "2001:db8::/32"]),
    ("NotIpAddress", "aws:SourceIp", "10.9.0.0/16"),
    ("DateGreaterThan", "aws:CurrentTime", "2025-01-01T00:00:00Z"),
    ("DateLessThan", "aws:CurrentTime", "2026-01-01"),
    ("Null", "aws:PrincipalTag/TenantAccount", "false"),
    ("ForAnyValue:StringLike", "vpc-lattice-svcs:RequestQueryString/q", ["a*", "b"]),
    ("ForAllValues:StringEquals", "vpc-lattice-svcs:RequestQueryString/q", ["a1", "b"]),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/apps/*"),
    ("StringEquals", "vpc-lattice-svcs:SourceVpcOwnerAccount", "${aws:PrincipalTag/TenantAccount}"),
    ("NumericLessThan", "vpc-lattice-svcs:Port", "1024"),
]
CONTEXT_VALUES: dict[str, list[Any]] = {
    TAG: ["TeamA", "TeamC", "teama"],
    "aws:PrincipalType": ["AssumedRole", "Anonymous"],
    "vpc-lattice-svcs:RequestPath": ["/rates", "/fees"],
    "vpc-lattice-svcs:RequestMethod": ["GET", "POST"],
    "aws:SourceIp": ["10.1.2.3", "10.9.9.9", "192.0.2.1", "2001:db8::1"],
    "aws:CurrentTime": ["2024-12-31T23:59:59Z", "2025-06-01T00:00:00Z", "2026-02-01T00:00:00Z"],
    "aws:PrincipalTag/TenantAccount": [TENANT, OTHER],
    "vpc-lattice-svcs:RequestQueryString/q": [["a1"], ["a1", "c"], ["b"], []],
    "aws:PrincipalArn": [ROLE, f"arn:aws:iam::{OTHER}:user/x"],
    "vpc-lattice-svcs:SourceVpcOwnerAccount": [TENANT, OTHER],
    "vpc-lattice-svcs:Port": ["443", "8080"],
}


class Choices(choices.Choices):
    """The IAM scenarios: statements, policies, requests and networks read off one drawn integer."""

    def statement(self, *, resource_policy: bool, effect: str | None = None) -> dict:
        statement: dict[str, Any] = {
            "Effect": effect or self.pick(["Allow", "Deny"]),
            self.pick(["Action", "Action", "NotAction"]): self.pick(ACTIONS),
            self.pick(["Resource", "Resource", "NotResource"]): self.pick(RESOURCES),
        }
        if resource_policy:
            statement["Principal"] = self.pick(PRINCIPALS)
        for _ in range(self.index(4)):
            name, key, values = self.pick(CONDITIONS)
            statement.setdefault("Condition", {}).setdefault(name, {})[key] = values
        return statement

    def policies(self, *, resource_policy: bool, min_size: int = 0, max_size: int = 2) -> list[dict]:
        count = min_size + self.index(max_size - min_size + 1)
        return [identity(*(self.statement(resource_policy=resource_policy) for _ in range(self.index(5)))) for _ in range(count)]  # fmt: skip

    def request(self, *, signed: bool | None = None) -> Request:
        caller = self.pick({True: CALLERS, False: [None], None: [None, *CALLERS]}[signed])
        context = {key: self.pick(CONTEXT_VALUES[key]) for key in sorted(CONTEXT_VALUES) if self.index(2)}
        resource = f"{SERVICE}/{self.pick(['rates', 'fees'])}"
        return Request(self.pick([INVOKE, "vpc-lattice-svcs:Connect"]), resource, caller, context)

    def network(self) -> str:
        bits = self.pick([32, 128])
        address = (
            ipaddress.ip_address(self.index(2**bits)) if bits == 32 else ipaddress.IPv6Address(self.index(2**bits))
        )
        return f"{address}/{self.index(bits + 1)}"


SCENARIOS = choices.drawn(Choices, bits=2048)


def all_lists_shuffled(document: Any, rng: random.Random) -> Any:
    """The same policy with every list (statements, actions, values, principals) in another order."""
    if isinstance(document, dict):
        return {key: all_lists_shuffled(value, rng) for key, value in document.items()}
    if isinstance(document, list):
        items = [all_lists_shuffled(item, rng) for item in document]
        rng.shuffle(items)
        return items
    return document


def lattice(identity_policies: list[dict], auth_policies: list[dict], request: Request) -> str:
    return lattice_decision(identity_policies=identity_policies, auth_policies=auth_policies, request=request)


@FAST
@given(SCENARIOS)
def test_property_a_matching_deny_dominates(choices):
    """Adding a Deny that matches the request to any policy yields an explicit deny, in every mode."""
    identity_policies = choices.policies(resource_policy=False)
    auth_policies = choices.policies(resource_policy=True, min_size=1)
    request = choices.request()
    if choices.index(2) and request.principal_arn is not None:  # anonymous callers have no identity policies
        identity_policies = identity_policies or [identity()]
        identity_policies[choices.index(len(identity_policies))]["Statement"].append(deny())
    else:
        auth_policies[choices.index(len(auth_policies))]["Statement"].append(
            deny(Principal=choices.pick(["*", {"AWS": "*"}]))
        )
    note({"identity_policies": identity_policies, "auth_policies": auth_policies, "request": request})
    assert lattice(identity_policies, auth_policies, request) == "explicit-deny"
    for require_both in (False, True):
        decision = decide(identity_policies=identity_policies, resource_policies=auth_policies, request=request, require_both=require_both)  # fmt: skip
        assert decision == "explicit-deny"


@FAST
@given(SCENARIOS)
def test_property_adding_a_deny_never_grants(choices):
    """Monotonicity: after adding any Deny statement the decision is the same or an explicit deny, never a new allow."""
    identity_policies = choices.policies(resource_policy=False)
    auth_policies = choices.policies(resource_policy=True, min_size=1)
    request = choices.request()
    auth_deny = choices.statement(resource_policy=True, effect="Deny")
    identity_deny = choices.statement(resource_policy=False, effect="Deny")
    note(
        {
            "identity_policies": identity_policies,
            "auth_policies": auth_policies,
            "request": request,
            "auth_deny": auth_deny,
            "identity_deny": identity_deny,
        }
    )
    before = lattice(identity_policies, auth_policies, request)
    where = choices.index(len(auth_policies))
    more_auth = [
        {**p, "Statement": [*p["Statement"], auth_deny]} if i == where else p for i, p in enumerate(auth_policies)
    ]
    more_identity = [*identity_policies, identity(identity_deny)]
    assert lattice(identity_policies, more_auth, request) in (before, "explicit-deny")
    assert lattice(more_identity, auth_policies, request) in (before, "explicit-deny")
    assert lattice(more_identity, more_auth, request) in (before, "explicit-deny")


@FAST
@given(SCENARIOS)
def test_property_order_of_statements_and_values_does_not_matter(choices):
    identity_policies = choices.policies(resource_policy=False)
    auth_policies = choices.policies(resource_policy=True, min_size=1)
    request = choices.request()
    rng = random.Random(choices.index(2**64))
    shuffled_identity = [all_lists_shuffled(p, rng) for p in identity_policies]
    shuffled_auth = [all_lists_shuffled(p, rng) for p in auth_policies]
    note(
        {
            "identity_policies": identity_policies,
            "auth_policies": auth_policies,
            "request": request,
            "shuffled_identity": shuffled_identity,
            "shuffled_auth": shuffled_auth,
        }
    )
    assert lattice(shuffled_identity, shuffled_auth, request) == lattice(identity_policies, auth_policies, request)
    for policy, shuffled in zip(auth_policies, shuffled_auth, strict=True):
        assert evaluate_statements(shuffled, request, check_principal=True) == evaluate_statements(policy, request, check_principal=True)  # fmt: skip


@FAST
@given(SCENARIOS)
def test_property_a_signed_caller_needs_an_identity_allow(choices):
    """Without an Allow from its identity policies, a signed caller is never allowed, whatever the auth policies."""
    identity_policies = choices.policies(resource_policy=False, max_size=3)
    auth_policies = choices.policies(resource_policy=True, min_size=1)
    request = choices.request(signed=True)
    note({"identity_policies": identity_policies, "auth_policies": auth_policies, "request": request})
    identity_results = {evaluate_statements(p, request, check_principal=False) for p in identity_policies}
    if "allow" not in identity_results:
        assert lattice(identity_policies, auth_policies, request) != "allow"
    # and with an auth policy that admits everyone, the identity side alone decides
    identity_allows = "allow" in identity_results and "deny" not in identity_results
    assert (lattice(identity_policies, [identity(allow(Principal="*"))], request) == "allow") is identity_allows


@FAST
@given(SCENARIOS)
def test_property_a_missing_source_ip_makes_ip_address_false_and_not_ip_address_true(choices):
    networks = [choices.network() for _ in range(1 + choices.index(4))]
    context = {key: "x" for key in ("aws:SourceVpc", "aws:CurrentTime", TAG, "aws:SourceIpV6") if choices.index(2)}
    note({"networks": networks, "context": context})
    assert not holds({"IpAddress": {"aws:SourceIp": networks}}, context)
    assert holds({"NotIpAddress": {"aws:SourceIp": networks}}, context)
    assert holds({"IpAddressIfExists": {"aws:SourceIp": networks}}, context)
    # and once present, NotIpAddress is exactly the negation of IpAddress
    address = choices.network().partition("/")[0]
    present = {**context, "aws:SourceIp": address}
    note({"address": address})
    assert holds({"NotIpAddress": {"aws:SourceIp": networks}}, present) is not holds({"IpAddress": {"aws:SourceIp": networks}}, present)  # fmt: skip


# --- Policies checked once, and literal Resource entries -------------------------------------------------------


def test_a_checked_policy_decides_as_the_document_does_and_is_validated_when_checked():
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}],
    }
    access = identity(allow(Action="rds-db:connect", Resource=f"arn:aws:rds-db:eu-west-1:{OWNER}:dbuser:db-1/a.b+c"))
    requests = [
        Request("sts:AssumeRole", f"arn:aws:iam::{OWNER}:role/t", ROLE, {"aws:PrincipalArn": ROLE}),
        Request("sts:AssumeRole", f"arn:aws:iam::{OWNER}:role/t", f"arn:aws:iam::{OTHER}:role/apps/app", {}),
        Request("rds-db:connect", f"arn:aws:rds-db:eu-west-1:{OWNER}:dbuser:db-1/a.b+c", ROLE, {}),
        Request("rds-db:connect", f"arn:aws:rds-db:eu-west-1:{OWNER}:dbuser:db-1/aXb+c", ROLE, {}),
    ]
    once = (iam_eval.checked(access, resource_based=False), iam_eval.checked(trust, resource_based=True))
    decisions = [decide(identity_policies=[access], resource_policies=[trust], request=r) for r in requests]
    assert decisions == ["allow", "implicit-deny", "allow", "implicit-deny"]  # "." in a literal ARN is no wildcard
    assert [decide(identity_policies=[once[0]], resource_policies=[once[1]], request=r) for r in requests] == decisions
    with pytest.raises(ValueError, match="other side"):
        decide(identity_policies=[once[1]], request=requests[0])
    with pytest.raises(ValueError, match="Principal"):
        iam_eval.checked(trust, resource_based=False)  # an identity policy names no Principal


def test_a_resource_entry_with_a_wildcard_still_matches_as_a_pattern():
    policy = identity(allow(Resource=f"arn:aws:rds-db:eu-west-1:{OWNER}:dbuser:db-?/app*"))
    for resource, expected in [("db-1/app", "allow"), ("db-1/app-2", "allow"), ("db-12/app", "implicit-deny")]:
        request = Request("rds-db:connect", f"arn:aws:rds-db:eu-west-1:{OWNER}:dbuser:{resource}", ROLE, {})
        assert decide(identity_policies=[policy], request=request) == expected, resource
