"""AWS Config periodic custom rule: VPC Lattice auth and resource-configuration sharing in one account and Region.

Runs in AWS Lambda (python3.12) as the function of a `CUSTOM_LAMBDA` Config rule whose only trigger is
`ScheduledNotification`. Entry point `handle(event, context)`; the logic is `evaluate_rule(...)`, which takes its AWS
clients as arguments.

Checks:
(a) every service network and every service **owned by this account** (ListServiceNetworks/ListServices also return
    ones shared with it; the account in the ARN tells them apart) has `authType` AWS_IAM and an auth policy;
(b) no resource share owned by this account that holds a resource configuration (`vpc-lattice:ResourceConfiguration`)
    names a principal outside the rule parameter `allowedPrincipals`.

Evaluations: one account-level summary (`AWS::::Account`, the account ID) and, unless the rule parameter
`resourceEvaluations` is false, one per service network, service and resource share, typed with their CloudFormation
resource types and identified by ARN. Per-resource results left from an earlier run for resources that no longer exist
(or are no longer evaluated) are put again as NOT_APPLICABLE, which is how Config deletes evaluation results.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# Throttling (and transient errors) are retried by botocore in "standard" mode. In botocore's Config, `max_attempts`
# counts retries after the first request (5 → 6 requests in all), unlike AWS_MAX_ATTEMPTS (total attempts).
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})

SCHEDULED = "ScheduledNotification"

COMPLIANT = "COMPLIANT"
NON_COMPLIANT = "NON_COMPLIANT"
NOT_APPLICABLE = "NOT_APPLICABLE"

# The account-level summary: the type Config documents for account-wide custom rule results.
ACCOUNT_TYPE = "AWS::::Account"
# Per-resource types: CloudFormation resource types (Config accepts them from custom rules for resources it does not
# record; none of them is in Config's own ResourceType enum). Set `resourceEvaluations` to false if PutEvaluations
# rejects them.
SERVICE_NETWORK_TYPE = "AWS::VpcLattice::ServiceNetwork"
SERVICE_TYPE = "AWS::VpcLattice::Service"
RESOURCE_SHARE_TYPE = "AWS::RAM::ResourceShare"
RESOURCE_TYPES = (SERVICE_NETWORK_TYPE, SERVICE_TYPE, RESOURCE_SHARE_TYPE)

# RAM's resource type string for VPC Lattice resource configurations.
RESOURCE_CONFIGURATION_RAM_TYPE = "vpc-lattice:ResourceConfiguration"
# RAM share statuses in which the share no longer grants access.
GONE_SHARE_STATUSES = ("DELETING", "DELETED")

REQUIRED_AUTH_TYPE = "AWS_IAM"
NOT_FOUND = "ResourceNotFoundException"

ANNOTATION_MAX = 256
BATCH_SIZE = 100

# An AWS client built by boto3 (no type stubs in the Lambda runtime).
AwsClient = Any
Evaluation = dict[str, Any]


def log(message: str, **fields: Any) -> None:
    """One JSON line in CloudWatch Logs."""
    print(json.dumps({"message": message, **fields}, default=str, sort_keys=True))


def annotation(text: str) -> str:
    """A Config annotation: 1–256 characters."""
    text = " ".join(text.split()) or "-"
    return text if len(text) <= ANNOTATION_MAX else text[: ANNOTATION_MAX - 3] + "..."


def load_parameters(text: str | None) -> dict[str, Any]:
    """Parse and check `ruleParameters`: `allowedPrincipals` (required) and `resourceEvaluations` (default true).

    `allowedPrincipals` is a JSON list of account IDs / organization / OU / IAM ARNs, or (as the console's key-value
    editor gives it) one string of comma-separated principals; an empty list allows no sharing at all.
    """
    data = json.loads(text) if text else {}
    if not isinstance(data, dict):
        raise ValueError("ruleParameters must be a JSON object")
    share = data.get("allowedPrincipalsShareArn")
    if share is not None:
        # The principals of this share are the allowed ones: the parameters stay small for any number of tenants
        # (Config allows 1,024 characters of them).
        if not isinstance(share, str) or not share.startswith("arn:") or ":resource-share/" not in share:
            raise ValueError("allowedPrincipalsShareArn must be a RAM resource share ARN")
        per_resource = _per_resource(data)
        return {"allowedPrincipalsShareArn": share, "allowedPrincipals": None, "resourceEvaluations": per_resource}
    if "allowedPrincipals" not in data:
        raise ValueError("ruleParameters lacks allowedPrincipals (use [] to allow no sharing)")
    allowed = data["allowedPrincipals"]
    if isinstance(allowed, str):
        allowed = [part for part in (piece.strip() for piece in allowed.split(",")) if part]
    if not isinstance(allowed, list) or not all(isinstance(p, str) and p for p in allowed):
        raise ValueError("allowedPrincipals must be a list of principal strings")
    return {"allowedPrincipals": [p.strip() for p in allowed], "resourceEvaluations": _per_resource(data)}


def _per_resource(data: dict[str, Any]) -> bool:
    per_resource = data.get("resourceEvaluations", True)
    if isinstance(per_resource, str) and per_resource.lower() in ("true", "false"):
        per_resource = per_resource.lower() == "true"
    if not isinstance(per_resource, bool):
        raise ValueError("resourceEvaluations must be true or false")
    return per_resource


def share_principals(ram: AwsClient, share_arn: str) -> list[str]:
    """The principals a resource share of this account names."""
    return [
        p["id"]
        for p in pages(ram, "list_principals", "principals", resourceOwner="SELF", resourceShareArns=[share_arn])
    ]


def parse_time(text: str) -> datetime:
    """`notificationCreationTime` (ISO 8601, e.g. `2026-03-02T10:00:00.123Z`) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def short_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def pages(client: AwsClient, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item under `key` of every page of a list operation (boto3 paginators follow the tokens)."""
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def evaluation(resource_type: str, resource_id: str, compliance: str, at: datetime, note: str | None) -> Evaluation:
    item: Evaluation = {
        "ComplianceResourceType": resource_type,
        "ComplianceResourceId": resource_id,
        "ComplianceType": compliance,
        "OrderingTimestamp": at,
    }
    if note:
        item["Annotation"] = annotation(note)
    return item


# (a) Auth type and auth policy


def auth_problem(lattice: AwsClient, kind: str, arn: str) -> str | None:
    """Why a service network (`kind` "service network") or service ("service") fails the auth check; None if it passes.

    Raises LookupError when the resource was deleted after it was listed.
    """
    try:
        if kind == "service network":
            detail = lattice.get_service_network(serviceNetworkIdentifier=arn)
        else:
            detail = lattice.get_service(serviceIdentifier=arn)
    except ClientError as error:
        if error_code(error) == NOT_FOUND:
            raise LookupError(arn) from error
        raise
    auth_type = detail.get("authType")
    if auth_type != REQUIRED_AUTH_TYPE:
        return f"{kind} authType is {auth_type or 'unset'}, not {REQUIRED_AUTH_TYPE}"
    try:
        policy = lattice.get_auth_policy(resourceIdentifier=arn)
    except ClientError as error:
        if error_code(error) == NOT_FOUND:
            return f"{kind} has authType {REQUIRED_AUTH_TYPE} but no auth policy"
        raise
    if not policy.get("policy"):
        return f"{kind} has authType {REQUIRED_AUTH_TYPE} but no auth policy"
    state = policy.get("state")
    if state and state != "Active":
        return f"{kind} auth policy is {state}"
    return None


def check_auth(lattice: AwsClient, account: str) -> list[dict[str, Any]]:
    """One finding per service network and service owned by `account`: {type, arn, name, problem}."""
    findings: list[dict[str, Any]] = []
    sources = (
        ("service network", SERVICE_NETWORK_TYPE, "list_service_networks"),
        ("service", SERVICE_TYPE, "list_services"),
    )
    for kind, resource_type, operation in sources:
        # The whole list first, then one Get per resource.
        for item in list(pages(lattice, operation, "items")):
            arn = item["arn"]
            if arn_account(arn) != account:
                continue  # shared with this account by another: its owner's rule evaluates it
            try:
                problem = auth_problem(lattice, kind, arn)
            except LookupError:
                log("deleted while evaluating", arn=arn)
                continue
            findings.append(
                {"type": resource_type, "arn": arn, "name": item.get("name") or short_id(arn), "problem": problem}
            )
    return findings


# (b) Resource configurations shared through RAM


def check_shares(ram: AwsClient, allowed: Iterable[str]) -> list[dict[str, Any]]:
    """One finding per live resource share owned by this account that holds a resource configuration.

    {type, arn, name, resources: [resource configuration ARNs], outside: [principals not allowed]}. Principals are
    compared as exact strings: an account that belongs to an allowed OU but is named on its own is not allowed.
    """
    allowed_set = set(allowed)
    resources: dict[str, list[str]] = {}
    for resource in pages(
        ram, "list_resources", "resources", resourceOwner="SELF", resourceType=RESOURCE_CONFIGURATION_RAM_TYPE
    ):
        share_arn = resource.get("resourceShareArn")
        if share_arn:
            resources.setdefault(share_arn, []).append(resource["arn"])
    if not resources:
        return []
    principals: dict[str, list[str]] = {}
    for principal in pages(
        ram, "list_principals", "principals", resourceOwner="SELF", resourceType=RESOURCE_CONFIGURATION_RAM_TYPE
    ):
        share_arn = principal.get("resourceShareArn")
        if share_arn and principal.get("id"):
            principals.setdefault(share_arn, []).append(principal["id"])
    shares = {
        share["resourceShareArn"]: share
        for share in pages(ram, "get_resource_shares", "resourceShares", resourceOwner="SELF")
    }

    findings: list[dict[str, Any]] = []
    for share_arn, arns in resources.items():
        share = shares.get(share_arn, {})
        if share.get("status") in GONE_SHARE_STATUSES:
            log("resource share no longer grants access", share=share_arn, status=share.get("status"))
            continue
        outside = sorted({p for p in principals.get(share_arn, []) if p not in allowed_set})
        findings.append(
            {
                "type": RESOURCE_SHARE_TYPE,
                "arn": share_arn,
                "name": share.get("name") or short_id(share_arn),
                "resources": sorted(set(arns)),
                "outside": outside,
            }
        )
    return findings


def share_note(finding: dict[str, Any]) -> str:
    configs = ", ".join(short_id(arn) for arn in finding["resources"])
    if finding["outside"]:
        return (
            f"Shared with principal(s) outside allowedPrincipals: {', '.join(finding['outside'])}; "
            f"resource share {finding['name']}, resource configuration(s) {configs}"
        )
    return f"Resource share {finding['name']} shares resource configuration(s) {configs} with allowed principals only"


def summary_note(auth: list[dict[str, Any]], shares: list[dict[str, Any]]) -> str:
    failing = [f"{f['name']}: {f['problem']}" for f in auth if f["problem"]]
    failing += [f"share {f['name']} reaches {', '.join(f['outside'])}" for f in shares if f["outside"]]
    networks = sum(1 for f in auth if f["type"] == SERVICE_NETWORK_TYPE)
    counts = f"{networks} service network(s), {len(auth) - networks} service(s), {len(shares)} resource configuration share(s)"
    if not failing:
        return f"{counts}: all compliant"
    return f"{len(failing)} non-compliant of {counts}. " + "; ".join(failing)


# Evaluations to Config


def stale_evaluations(
    config: AwsClient, rule_name: str | None, current: set[tuple[str, str]], at: datetime
) -> list[Evaluation]:
    """NOT_APPLICABLE for per-resource results of earlier runs whose resource is not evaluated this time."""
    if not rule_name:
        log("no configRuleName in the event: earlier per-resource results are not cleaned up")
        return []
    stale: list[Evaluation] = []
    seen: set[tuple[str, str]] = set()
    for result in pages(
        config,
        "get_compliance_details_by_config_rule",
        "EvaluationResults",
        ConfigRuleName=rule_name,
        ComplianceTypes=[COMPLIANT, NON_COMPLIANT],
    ):
        qualifier = result.get("EvaluationResultIdentifier", {}).get("EvaluationResultQualifier", {})
        key = (qualifier.get("ResourceType", ""), qualifier.get("ResourceId", ""))
        if key[0] in RESOURCE_TYPES and key[1] and key not in current and key not in seen:
            seen.add(key)
            stale.append(evaluation(key[0], key[1], NOT_APPLICABLE, at, "No longer present or no longer evaluated"))
    return stale


def put_evaluations(config: AwsClient, evaluations: list[Evaluation], result_token: str) -> list[dict[str, Any]]:
    """PutEvaluations in batches of at most 100; returns the FailedEvaluations of all batches."""
    failed: list[dict[str, Any]] = []
    for start in range(0, len(evaluations), BATCH_SIZE):
        response = config.put_evaluations(Evaluations=evaluations[start : start + BATCH_SIZE], ResultToken=result_token)
        failed.extend(response.get("FailedEvaluations", []))
    return failed


def evaluate_rule(event: dict[str, Any], lattice: AwsClient, ram: AwsClient, config: AwsClient) -> dict[str, Any]:
    """Handle one Config rule invocation; return what was put.

    `status` is `ignored` (not a ScheduledNotification: no AWS call) or `evaluated`. Raises ValueError for a bad
    event or bad rule parameters, RuntimeError if Config reports FailedEvaluations (after putting every batch), and
    lets ClientErrors through, so Config shows the rule's evaluation as failed.
    """
    invoking = json.loads(event.get("invokingEvent") or "{}")
    message_type = invoking.get("messageType")
    if message_type != SCHEDULED:
        result: dict[str, Any] = {"status": "ignored", "reason": f"messageType is {message_type!r}, not {SCHEDULED}"}
        log("ignored", **result)
        return result

    parameters = load_parameters(event.get("ruleParameters"))
    account = event.get("accountId") or invoking.get("awsAccountId")
    result_token = event.get("resultToken")
    created = invoking.get("notificationCreationTime")
    if not account or not result_token or not created:
        raise ValueError("event lacks accountId, resultToken or invokingEvent.notificationCreationTime")
    at = parse_time(created)

    auth = check_auth(lattice, account)
    allowed = parameters["allowedPrincipals"]
    if allowed is None:
        allowed = share_principals(ram, parameters["allowedPrincipalsShareArn"])
    shares = check_shares(ram, allowed)
    non_compliant = sum(1 for f in auth if f["problem"]) + sum(1 for f in shares if f["outside"])

    evaluations = [
        evaluation(ACCOUNT_TYPE, account, NON_COMPLIANT if non_compliant else COMPLIANT, at, summary_note(auth, shares))
    ]
    if parameters["resourceEvaluations"]:
        for finding in auth:
            compliance = NON_COMPLIANT if finding["problem"] else COMPLIANT
            note = finding["problem"] or f"authType {REQUIRED_AUTH_TYPE} with an auth policy"
            evaluations.append(evaluation(finding["type"], finding["arn"], compliance, at, note))
        for finding in shares:
            compliance = NON_COMPLIANT if finding["outside"] else COMPLIANT
            evaluations.append(evaluation(finding["type"], finding["arn"], compliance, at, share_note(finding)))
    current = {(e["ComplianceResourceType"], e["ComplianceResourceId"]) for e in evaluations}
    evaluations += stale_evaluations(config, event.get("configRuleName"), current, at)

    failed = put_evaluations(config, evaluations, result_token)
    result = {
        "status": "evaluated",
        "account": account,
        "accountCompliance": evaluations[0]["ComplianceType"],
        "nonCompliant": non_compliant,
        "evaluations": len(evaluations),
        "batches": -(-len(evaluations) // BATCH_SIZE),
        "failedEvaluations": len(failed),
    }
    log("evaluated", **result, failed=failed[:10])
    if failed:
        raise RuntimeError(f"Config rejected {len(failed)} of {len(evaluations)} evaluations")
    return result


def make_client(name: str) -> AwsClient:
    return boto3.client(name, config=RETRY_CONFIG)


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: clients with standard retries."""
    return evaluate_rule(
        event, lattice=make_client("vpc-lattice"), ram=make_client("ram"), config=make_client("config")
    )
