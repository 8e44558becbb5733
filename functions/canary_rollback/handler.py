"""Canary rollback: set a VPC Lattice service's canary weight back to 0 when one of its canary alarms fires.

Runs in AWS Lambda (python3.12), triggered by an EventBridge rule on "CloudWatch Alarm State Change" events.
Entry point `handle(event, context)`; the logic is `rollback(...)`, which takes its AWS clients as arguments.

Environment:
- `GUARDED`: JSON object, alarm name → {"service", "serviceArn", "listenerArn", "ruleArns", "stableTargetGroup",
  "canaryTargetGroup"}; several alarms may guard one service.
- `TOPIC_ARN`: SNS topic that receives one message per guarded alarm event (rolled back / already / failed).
- `RECORD_PREFIX`: SSM parameter prefix; the rollback record is written to RECORD_PREFIX + service name.

The default rule is changed only through UpdateListener (UpdateRule can't modify it); other rules through UpdateRule,
sending only the action (`match` and `priority` are optional in the PATCH request and are left as they are).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Throttling (and transient errors) are retried by botocore in "standard" mode. In botocore's Config, `max_attempts`
# counts retries after the first request (5 → 6 requests in all), unlike AWS_MAX_ATTEMPTS (total attempts).
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})

ALARM_STATE = "ALARM"
STABLE_WEIGHT = 100
CANARY_WEIGHT = 0
# SNS: "Subjects must be ... less than 100 characters long" (and no line breaks or control characters).
SUBJECT_MAX = 99

GUARD_KEYS = ("service", "serviceArn", "listenerArn", "stableTargetGroup", "canaryTargetGroup")

# An AWS client built by boto3 (no type stubs in the Lambda runtime).
AwsClient = Any


def log(message: str, **fields: Any) -> None:
    """One JSON line in CloudWatch Logs."""
    print(json.dumps({"message": message, **fields}, default=str, sort_keys=True))


def load_guarded(text: str) -> dict[str, dict[str, Any]]:
    """Parse and check the `GUARDED` environment variable: alarm name → guard, or the compact form the program
    writes to stay within Lambda's 4 KB of environment, {"alarms": {alarm: service}, "services": {service: guard}}."""
    data = json.loads(text)
    if isinstance(data, dict) and set(data) == {"alarms", "services"}:
        alarms, services = data["alarms"], data["services"]
        if not isinstance(alarms, dict) or not isinstance(services, dict):
            raise ValueError("GUARDED: alarms and services must be objects")
        unknown = sorted(a for a, svc in alarms.items() if svc not in services)
        if unknown:
            raise ValueError(f"GUARDED: alarm(s) {', '.join(unknown)} name no service")
        data = {alarm: services[svc] for alarm, svc in alarms.items()}
    if not isinstance(data, dict):
        raise ValueError("GUARDED must be a JSON object mapping alarm names to services")
    for alarm, guard in data.items():
        if not isinstance(guard, dict):
            raise ValueError(f"GUARDED[{alarm!r}] must be an object")
        missing = [key for key in GUARD_KEYS if not isinstance(guard.get(key), str) or not guard.get(key)]
        if missing:
            raise ValueError(f"GUARDED[{alarm!r}] lacks {', '.join(missing)}")
        rules = guard.get("ruleArns", [])
        if not isinstance(rules, list) or not all(isinstance(arn, str) for arn in rules):
            raise ValueError(f"GUARDED[{alarm!r}].ruleArns must be a list of ARNs")
    return data


def target_group_id(identifier: str) -> str:
    """`tg-…` from a target group ID or ARN (`arn:…:targetgroup/tg-…`)."""
    return identifier.rsplit("/", 1)[-1]


def canary_weight(action: dict[str, Any] | None, canary: str) -> int:
    """The weight a rule action forwards to the canary target group (0 if it does not forward to it).

    A target group without a weight gets the API default (100, allowed only when it is the action's only group).
    """
    forward = (action or {}).get("forward")
    if not forward:
        return 0
    return sum(
        int(group.get("weight", 100))
        for group in forward.get("targetGroups", [])
        if target_group_id(group.get("targetGroupIdentifier", "")) == target_group_id(canary)
    )


def rolled_back_action(guard: dict[str, Any]) -> dict[str, Any]:
    """Forward everything to the stable group; keep the canary group in the action with weight 0."""
    return {
        "forward": {
            "targetGroups": [
                {"targetGroupIdentifier": guard["stableTargetGroup"], "weight": STABLE_WEIGHT},
                {"targetGroupIdentifier": guard["canaryTargetGroup"], "weight": CANARY_WEIGHT},
            ]
        }
    }


def subject_line(text: str) -> str:
    """An SNS subject: printable, one line, under 100 characters."""
    clean = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return clean if len(clean) <= SUBJECT_MAX else clean[: SUBJECT_MAX - 3] + "..."


def notify(sns: AwsClient, topic_arn: str, subject: str, body: dict[str, Any]) -> None:
    sns.publish(
        TopicArn=topic_arn,
        Subject=subject_line(subject),
        Message=json.dumps(body, indent=2, default=str, sort_keys=True),
    )


def roll_back_service(guard: dict[str, Any], lattice: AwsClient, changed: list[str]) -> None:
    """Set the canary weight to 0 wherever it is above 0; append the ARN of each listener/rule changed to `changed`.

    `changed` is filled as it goes, so a caller that catches an error still knows what was changed before it.
    """
    service_arn = guard["serviceArn"]
    listener_arn = guard["listenerArn"]
    canary = guard["canaryTargetGroup"]
    target = rolled_back_action(guard)

    listener = lattice.get_listener(serviceIdentifier=service_arn, listenerIdentifier=listener_arn)
    weight = canary_weight(listener.get("defaultAction"), canary)
    if weight > 0:
        # The default rule: only UpdateListener can change it.
        lattice.update_listener(serviceIdentifier=service_arn, listenerIdentifier=listener_arn, defaultAction=target)
        changed.append(listener_arn)
        log("default rule rolled back", listener=listener_arn, canaryWeightBefore=weight)
    else:
        log("default rule sends nothing to the canary", listener=listener_arn)

    for rule_arn in guard.get("ruleArns", []):
        rule = lattice.get_rule(serviceIdentifier=service_arn, listenerIdentifier=listener_arn, ruleIdentifier=rule_arn)
        if rule.get("isDefault"):
            log("default rule listed in ruleArns: handled through UpdateListener", rule=rule_arn)
            continue
        weight = canary_weight(rule.get("action"), canary)
        if weight > 0:
            lattice.update_rule(
                serviceIdentifier=service_arn, listenerIdentifier=listener_arn, ruleIdentifier=rule_arn, action=target
            )
            changed.append(rule_arn)
            log("rule rolled back", rule=rule_arn, canaryWeightBefore=weight)
        else:
            log("rule sends nothing to the canary", rule=rule_arn)


def rollback(
    event: dict[str, Any],
    guarded: dict[str, dict[str, Any]],
    topic_arn: str,
    record_prefix: str,
    lattice: AwsClient,
    ssm: AwsClient,
    sns: AwsClient,
) -> dict[str, Any]:
    """Handle one alarm state change event; return what happened.

    `status` is `ignored` (not ALARM, or an alarm not in `guarded`: no AWS call), `rolled_back` or
    `already_rolled_back`. On a ClientError a "failed" notification is published and the error re-raised.
    """
    detail = event.get("detail") or {}
    alarm = detail.get("alarmName")
    state = (detail.get("state") or {}).get("value")
    if state != ALARM_STATE:
        result: dict[str, Any] = {"status": "ignored", "reason": f"state is {state!r}, not ALARM", "alarm": alarm}
        log("ignored", **result)
        return result
    if alarm not in guarded:
        result = {"status": "ignored", "reason": "alarm is not guarded", "alarm": alarm}
        log("ignored", **result)
        return result

    guard = guarded[alarm]
    service = guard["service"]
    base = {"rollbackId": event.get("id"), "alarm": alarm, "at": event.get("time"), "service": service}
    reason = (detail.get("state") or {}).get("reason")
    changed: list[str] = []
    try:
        roll_back_service(guard, lattice, changed)
        if changed:
            record = {**base, "changed": changed}
            ssm.put_parameter(
                Name=record_prefix + service, Type="String", Overwrite=True, Value=json.dumps(record, sort_keys=True)
            )
            result = {"status": "rolled_back", **record}
            subject = f"Canary rolled back: {service} (alarm {alarm})"
        else:
            result = {"status": "already_rolled_back", **base, "changed": []}
            subject = f"Canary already rolled back: {service} (alarm {alarm})"
        log(result["status"], **result)
        notify(sns, topic_arn, subject, {**result, "alarmReason": reason})
        return result
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        # `changed` lists what this attempt changed before the error; the record is not written (a retry writes it).
        failure = {**base, "status": "failed", "error": code, "errorMessage": str(error), "changed": changed}
        log("failed", **failure)
        try:
            notify(sns, topic_arn, f"Canary rollback FAILED: {service} ({code})", {**failure, "alarmReason": reason})
        except Exception as publish_error:  # the original error matters more
            log("failure notification not published", error=repr(publish_error))
        raise


def make_client(name: str) -> AwsClient:
    return boto3.client(name, config=RETRY_CONFIG)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: configuration from the environment, clients with standard retries."""
    return rollback(
        event,
        guarded=load_guarded(os.environ["GUARDED"]),
        topic_arn=os.environ["TOPIC_ARN"],
        record_prefix=os.environ["RECORD_PREFIX"],
        lattice=make_client("vpc-lattice"),
        ssm=make_client("ssm"),
        sns=make_client("sns"),
    )
