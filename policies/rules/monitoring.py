"""Alerting: SNS topics encrypted, with a customer managed key the publishing AWS services can use, and CloudWatch
alarms that act when they go off (an alarm action, or an EventBridge rule on their state change)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from .common import (
    HIGH,
    MANDATORY,
    MEDIUM,
    DocumentError,
    ResourceRule,
    StackRule,
    allows,
    document,
    field,
    format_list,
    grants_action,
    is_false,
    known_texts,
    of_type,
    principals,
    refers_to,
    statements,
    text,
    value,
)
from .lattice import EVENT_RULE, EVENT_TARGET, METRIC_ALARM, names_alarm, on_default_bus, rule_enabled

TOPIC = "aws:sns/topic:Topic"
BUDGET = "aws:budgets/budget:Budget"
KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
ALIAS = "aws:kms/alias:Alias"

ALARM_ACTION_KEYS = ("alarmActions", "okActions", "insufficientDataActions")
# What publishes to a topic on its own, the principal it publishes as, and how it is named in messages. Each needs
# kms:GenerateDataKey* and kms:Decrypt on the topic's key (SNS developer guide, "Key management"); an AWS managed key's
# policy can't grant them, so with alias/aws/sns every delivery fails (CloudWatch: "not authorized to access the SNS
# topic's encryption key").
SERVICES = {
    METRIC_ALARM: "cloudwatch.amazonaws.com",
    EVENT_TARGET: "events.amazonaws.com",
    BUDGET: "budgets.amazonaws.com",
}
KINDS = {METRIC_ALARM: "CloudWatch alarm", EVENT_TARGET: "EventBridge target", BUDGET: "budget"}
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

_SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[^:]+:\d{12}:([^:]+)")
_AWS_MANAGED_ALIAS = re.compile(r"(?:arn:aws[a-z-]*:kms:[^:]+:\d{12}:)?alias/aws/.+")
_UNKNOWN = object()


def _read(resource, key: str) -> Any:
    """A property, or _UNKNOWN when it can't be known during preview (value() would read it as None: not set)."""
    try:
        return resource.props.get(key)
    except UnknownValueError:
        return _UNKNOWN


# --- sns-topic-kms-encryption ---------------------------------------------------------------------------------------


def _topic_encrypted(args, config, report):
    if not text(args.props.get("kmsMasterKeyId")).strip():
        report(
            "kmsMasterKeyId is not set: messages are kept under SNS's own disk encryption, which no key policy "
            "limits; set kms_master_key_id to a KMS key (a customer managed key when AWS services publish to the topic)"
        )


# --- sns-service-topic-customer-managed-key ---------------------------------------------------------------------------


def _names_topic(given: str, topic) -> bool:
    """Whether a literal names the topic: its ARN (an output, under the engine) or an SNS ARN ending in its name."""
    if given in (text(value(topic, "arn")), text(value(topic, "id"))):
        return True
    match = _SNS_TOPIC_ARN.fullmatch(given)
    return match is not None and match.group(1) == text(value(topic, "name"))


def _targets(publisher) -> list[tuple[str, list[str]]]:
    """(input key, the topic ARNs it names, as far as known) for each input through which the resource publishes."""
    if publisher.resource_type == METRIC_ALARM:
        return [(key, known_texts(value(publisher, key))) for key in ALARM_ACTION_KEYS]
    if publisher.resource_type == EVENT_TARGET:
        return [("arn", known_texts(value(publisher, "arn")))]
    arns: list[str] = []
    notifications = value(publisher, "notifications")
    for i in range(len(notifications) if isinstance(notifications, Sequence) else 0):
        try:
            arns += known_texts(field(notifications[i], "subscriberSnsTopicArns"))
        except UnknownValueError:
            continue  # linked by its dependency edge
    return [("notifications", arns)]


def _publishes_to(publisher, topic) -> bool:
    """By the dependency edge of the topic's Outputs on the publishing input, or by a literal ARN of the topic."""
    return any(
        any(d.urn == topic.urn for d in publisher.property_dependencies.get(key, []))
        or any(_names_topic(arn, topic) for arn in arns)
        for key, arns in _targets(publisher)
    )


def _key_of(topic, keys: list, aliases: list) -> Any:
    """The declared KMS key a topic is encrypted with (directly or through a declared alias), else the literal
    kmsMasterKeyId (None when not set), or _UNKNOWN during preview when nothing links it."""
    for key in keys:
        if refers_to(topic, "kmsMasterKeyId", key, ("keyId",)):
            return key
    for alias in aliases:
        if refers_to(topic, "kmsMasterKeyId", alias, ("name",)):
            target = next((k for k in keys if refers_to(alias, "targetKeyId", k, ("keyId",))), None)
            if target is not None:
                return target
    return _read(topic, "kmsMasterKeyId")


def _key_documents(key, key_policies: list) -> list[dict[str, Any]] | None:
    """The key's policy documents (a KeyPolicy resource replaces the key's own `policy`); [] for the default policy,
    which admits the account only; None when unknown during preview or not a JSON object (other policies report it)."""
    sources = [p for p in key_policies if refers_to(p, "keyId", key, ("keyId", "arn"))] or [key]
    docs = []
    for source in sources:
        raw = _read(source, "policy")
        if raw is _UNKNOWN:
            return None
        if raw is None:
            continue  # the default key policy
        try:
            docs.append(document(raw))
        except (DocumentError, UnknownValueError):
            return None
    return docs


def _lets_service_use(docs: list[dict[str, Any]], service: str) -> list[str]:
    """The KEY_ACTIONS that no Allow statement for the service principal grants."""
    granted = [s for doc in docs for s in statements(doc) if allows(s) and service in principals(s).get("Service", [])]
    return [action for action in KEY_ACTIONS if not any(grants_action(s, action) for s in granted)]


def _service_topic_key(args, config, report):
    keys, aliases, key_policies = of_type(args, KEY), of_type(args, ALIAS), of_type(args, KEY_POLICY)
    publishers = of_type(args, *SERVICES)
    for topic in of_type(args, TOPIC):
        by = [p for p in publishers if _publishes_to(p, topic)]
        if not by:
            continue  # only principals of this account publish: the AWS managed key serves them
        named = format_list(f"{KINDS[p.resource_type]} {p.name!r}" for p in by)
        key = _key_of(topic, keys, aliases)
        if not isinstance(key, PolicyResource):
            if isinstance(key, str) and _AWS_MANAGED_ALIAS.fullmatch(key.strip()):
                report(
                    f"topic {topic.name!r} is encrypted with the AWS managed key {key!r}, whose key policy can't be "
                    f"changed to let {format_list(sorted({SERVICES[p.resource_type] for p in by}))} use it: every "
                    f"message from {named} would be dropped; encrypt it with a customer managed key whose policy "
                    f"allows them kms:GenerateDataKey* and kms:Decrypt",
                    topic.urn,
                )
            continue  # unknown, not set (sns-topic-kms-encryption reports it), or a key this stack doesn't declare
        docs = _key_documents(key, key_policies)
        if docs is None:
            continue
        for service in sorted({SERVICES[p.resource_type] for p in by}):
            missing = _lets_service_use(docs, service)
            if missing:
                senders = format_list(f"{KINDS[p.resource_type]} {p.name!r}" for p in by if SERVICES[p.resource_type] == service)  # fmt: skip
                report(
                    f"topic {topic.name!r} is encrypted with key {key.name!r}, whose policy doesn't allow {service} "
                    f"{format_list(missing)}: every message from {senders} would be dropped; add a statement allowing "
                    f"{service} kms:GenerateDataKey* and kms:Decrypt (limited by aws:SourceAccount)",
                    topic.urn,
                )


# --- cloudwatch-alarm-actions ---------------------------------------------------------------------------------------


def _has_alarm_actions(alarm) -> bool:
    """Whether alarmActions names at least one action (one unknown during preview counts)."""
    if alarm.property_dependencies.get("alarmActions"):
        return True
    actions = _read(alarm, "alarmActions")
    if actions is _UNKNOWN:
        return True
    if isinstance(actions, Sequence) and not isinstance(actions, str):
        return len(actions) > 0
    return bool(text(actions))


def _alarm_actions(args, config, report):
    rules = [r for r in of_type(args, EVENT_RULE) if rule_enabled(r) and on_default_bus(r)]
    targets = of_type(args, EVENT_TARGET)
    for alarm in of_type(args, METRIC_ALARM):
        if any(names_alarm(r, alarm) and any(refers_to(t, "rule", r, ("name",)) for t in targets) for r in rules):
            continue  # EventBridge acts on it (state change events are sent whatever actionsEnabled says)
        label = repr(text(value(alarm, "name")) or alarm.name)
        if not _has_alarm_actions(alarm):
            report(
                f"alarm {label} has no alarmActions, and no enabled EventBridge rule on the default bus with a target "
                f"matches it entering ALARM: it would go off unheard; set alarm_actions (an SNS topic that someone "
                f"reads, or a function) or add an EventRule on its state change with an EventTarget",
                alarm.urn,
            )
        elif is_false(value(alarm, "actionsEnabled")):
            report(f"alarm {label} has actionsEnabled false: its alarmActions never run", alarm.urn)


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "sns-topic-kms-encryption",
        "SNS topics are encrypted at rest with a KMS key",
        types=[TOPIC],
        check=_topic_encrypted,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub SNS.1", "AWS Config sns-encrypted-kms"],
    ),
    StackRule(
        "sns-service-topic-customer-managed-key",
        "SNS topics that CloudWatch alarms, EventBridge rules or budgets publish to are encrypted with a customer "
        "managed KMS key whose policy lets those services use it, never with the AWS managed key alias/aws/sns",
        types=[TOPIC, *SERVICES, KEY, KEY_POLICY, ALIAS],
        check=_service_topic_key,
        level=MANDATORY,
        severity=HIGH,
    ),
    StackRule(
        "cloudwatch-alarm-actions",
        "CloudWatch metric alarms act when they go off: an enabled alarm action, or an EventBridge rule with a target "
        "on their state change",
        types=[METRIC_ALARM, EVENT_RULE, EVENT_TARGET],
        check=_alarm_actions,
        level=MANDATORY,
        severity=HIGH,
        controls=[
            "Security Hub CloudWatch.15",
            "Security Hub CloudWatch.17",
            "AWS Config cloudwatch-alarm-action-check",
        ],
    ),
]
