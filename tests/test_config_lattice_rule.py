"""The Config rule Lambda (functions/config_lattice_rule/handler.py), against stubbed boto3 clients: no AWS."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.conftest import load_function_handler

handler = load_function_handler("config_lattice_rule")

REGION = "eu-west-1"
ACCOUNT = "111111111111"
PARTNER = "222222222222"
STRANGER = "999988887777"
OU = "arn:aws:organizations::111111111111:ou/o-a1b2c3d4e5/ou-ab12-cdef3456"
RULE = "acme-lattice-auth-and-sharing"
TOKEN = "result-token-0123456789"
CREATED = "2026-03-02T10:00:00.123Z"
AT = datetime(2026, 3, 2, 10, 0, 0, 123000, tzinfo=timezone.utc)
RAM_TYPE = "vpc-lattice:ResourceConfiguration"
SELF = {"resourceOwner": "SELF", "resourceType": RAM_TYPE}
PREVIOUS = {"ConfigRuleName": RULE, "ComplianceTypes": ["COMPLIANT", "NON_COMPLIANT"]}
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]})
OK_NOTE = "authType AWS_IAM with an auth policy"


def network_arn(n: int, account: str = ACCOUNT) -> str:
    return f"arn:aws:vpc-lattice:{REGION}:{account}:servicenetwork/sn-{n:017d}"


def service_arn(n: int, account: str = ACCOUNT) -> str:
    return f"arn:aws:vpc-lattice:{REGION}:{account}:service/svc-{n:017d}"


def rcfg_arn(n: int) -> str:
    return f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:resourceconfiguration/rcfg-{n:017d}"


def share_arn(n: int) -> str:
    return f"arn:aws:ram:{REGION}:{ACCOUNT}:resource-share/0000000{n}-1111-2222-3333-444444444444"


def scheduled_event(parameters: Any = None, **overrides: Any) -> dict[str, Any]:
    invoking = {
        "awsAccountId": ACCOUNT,
        "notificationCreationTime": CREATED,
        "messageType": "ScheduledNotification",
        "recordVersion": "1.0",
    }
    event = {
        "invokingEvent": json.dumps(invoking),
        "ruleParameters": json.dumps({"allowedPrincipals": [PARTNER, OU]} if parameters is None else parameters),
        "resultToken": TOKEN,
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        "configRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-abc123",
        "configRuleName": RULE,
        "configRuleId": "config-rule-abc123",
        "accountId": ACCOUNT,
        "version": "1.0",
    }
    event.update(overrides)
    return event


def ev(resource_type: str, resource_id: str, compliance: str, note: str) -> dict[str, Any]:
    return {
        "ComplianceResourceType": resource_type,
        "ComplianceResourceId": resource_id,
        "ComplianceType": compliance,
        "OrderingTimestamp": AT,
        "Annotation": note,
    }


def account_ev(compliance: str, note: str) -> dict[str, Any]:
    return ev("AWS::::Account", ACCOUNT, compliance, note)


def client(name: str) -> Any:
    return boto3.client(
        name, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x", config=handler.RETRY_CONFIG
    )


def summary(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["arn"].rsplit("/", 1)[-1], "name": item["name"], "arn": item["arn"]}


class Clients:
    """Real boto3 clients with Stubbers; each list call is queued page by page with its exact parameters."""

    def __init__(self) -> None:
        self.lattice = client("vpc-lattice")
        self.ram = client("ram")
        self.config = client("config")
        self.lattice_stub = Stubber(self.lattice)
        self.ram_stub = Stubber(self.ram)
        self.config_stub = Stubber(self.config)

    @staticmethod
    def paged(
        stub: Stubber, operation: str, key: str, pages: list[list[dict[str, Any]]], params: dict[str, Any]
    ) -> None:
        # Pagination tokens: vpc-lattice and RAM use nextToken, Config NextToken.
        token = "NextToken" if operation == "get_compliance_details_by_config_rule" else "nextToken"
        for number, items in enumerate(pages):
            response: dict[str, Any] = {key: items}
            if number + 1 < len(pages):
                response[token] = f"page-{number + 2}"
            expected = dict(params) if number == 0 else {**params, token: f"page-{number + 1}"}
            stub.add_response(operation, response, expected)

    def expect_networks(self, *pages: list[dict[str, Any]]) -> None:
        self.paged(self.lattice_stub, "list_service_networks", "items", list(pages) or [[]], {})

    def expect_services(self, *pages: list[dict[str, Any]]) -> None:
        self.paged(self.lattice_stub, "list_services", "items", list(pages) or [[]], {})

    def expect_network(self, item: dict[str, Any], auth_type: str = "AWS_IAM", policy: bool = True) -> None:
        self.lattice_stub.add_response(
            "get_service_network", {**summary(item), "authType": auth_type}, {"serviceNetworkIdentifier": item["arn"]}
        )
        if auth_type == "AWS_IAM":
            self.expect_policy(item["arn"], policy)

    def expect_service(self, item: dict[str, Any], auth_type: str = "AWS_IAM", policy: bool = True) -> None:
        self.lattice_stub.add_response(
            "get_service",
            {**summary(item), "authType": auth_type, "status": "ACTIVE"},
            {"serviceIdentifier": item["arn"]},
        )
        if auth_type == "AWS_IAM":
            self.expect_policy(item["arn"], policy)

    def expect_policy(self, arn: str, present: bool) -> None:
        if present:
            self.lattice_stub.add_response(
                "get_auth_policy", {"policy": POLICY, "state": "Active"}, {"resourceIdentifier": arn}
            )
        else:
            self.lattice_stub.add_client_error(
                "get_auth_policy", "ResourceNotFoundException", "no policy", 404, {"resourceIdentifier": arn}
            )

    def expect_shared(
        self,
        resources: list[list[dict[str, Any]]],
        principals: list[list[dict[str, Any]]] | None = None,
        shares: list[list[dict[str, Any]]] | None = None,
    ) -> None:
        self.paged(self.ram_stub, "list_resources", "resources", resources, SELF)
        if principals is not None:
            self.paged(self.ram_stub, "list_principals", "principals", principals, SELF)
        if shares is not None:
            self.paged(self.ram_stub, "get_resource_shares", "resourceShares", shares, {"resourceOwner": "SELF"})

    def expect_previous(self, *pages: list[dict[str, Any]]) -> None:
        self.paged(
            self.config_stub,
            "get_compliance_details_by_config_rule",
            "EvaluationResults",
            list(pages) or [[]],
            PREVIOUS,
        )

    def expect_put(self, evaluations: list[dict[str, Any]], failed: list[dict[str, Any]] | None = None) -> None:
        self.config_stub.add_response(
            "put_evaluations", {"FailedEvaluations": failed or []}, {"Evaluations": evaluations, "ResultToken": TOKEN}
        )

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lattice_stub, self.ram_stub, self.config_stub:
            result: dict[str, Any] = handler.evaluate_rule(event, self.lattice, self.ram, self.config)
            self.assert_all_used()
        return result

    def assert_all_used(self) -> None:
        self.lattice_stub.assert_no_pending_responses()
        self.ram_stub.assert_no_pending_responses()
        self.config_stub.assert_no_pending_responses()


@pytest.fixture
def aws() -> Clients:
    return Clients()


def network(n: int, account: str = ACCOUNT) -> dict[str, Any]:
    return {"arn": network_arn(n, account), "name": f"network-{n}"}


def service(n: int, account: str = ACCOUNT) -> dict[str, Any]:
    return {"arn": service_arn(n, account), "name": f"service-{n}"}


def ram_resource(rcfg: int, share: int) -> dict[str, Any]:
    return {"arn": rcfg_arn(rcfg), "type": RAM_TYPE, "resourceShareArn": share_arn(share), "status": "AVAILABLE"}


def ram_principal(principal: str, share: int) -> dict[str, Any]:
    return {"id": principal, "resourceShareArn": share_arn(share), "external": True}


def ram_share(share: int, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "resourceShareArn": share_arn(share),
        "name": f"acme-db-share-{share}",
        "owningAccountId": ACCOUNT,
        "allowExternalPrincipals": True,
        "status": status,
    }


def previous(resource_type: str, resource_id: str, compliance: str = "NON_COMPLIANT") -> dict[str, Any]:
    return {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": RULE,
                "ResourceType": resource_type,
                "ResourceId": resource_id,
            },
            "OrderingTimestamp": AT,
        },
        "ComplianceType": compliance,
        "ResultRecordedTime": AT,
        "ConfigRuleInvokedTime": AT,
    }


def no_sharing(aws: Clients) -> None:
    aws.expect_shared([[]])  # nothing shared: ListPrincipals and GetResourceShares are not needed


def test_compliant_network_and_service(aws: Clients) -> None:
    # A network and a service shared *with* this account by another account are listed too, and skipped: no Get call
    # is queued for them, so evaluating them would fail the test.
    aws.expect_networks([network(1), network(2, STRANGER)])
    aws.expect_network(network(1))
    aws.expect_services([service(1, STRANGER), service(1)])
    aws.expect_service(service(1))
    no_sharing(aws)
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "1 service network(s), 1 service(s), 0 resource configuration share(s): all compliant"
            ),
            ev("AWS::VpcLattice::ServiceNetwork", network_arn(1), "COMPLIANT", OK_NOTE),
            ev("AWS::VpcLattice::Service", service_arn(1), "COMPLIANT", OK_NOTE),
        ]
    )

    result = aws.run(scheduled_event())

    assert result["status"] == "evaluated"
    assert result["accountCompliance"] == "COMPLIANT"
    assert result["nonCompliant"] == 0
    assert result["evaluations"] == 3
    assert result["batches"] == 1


def test_service_with_auth_type_none_is_non_compliant(aws: Clients) -> None:
    aws.expect_networks([network(1)])
    aws.expect_network(network(1))
    aws.expect_services([service(1)])
    # authType NONE: GetAuthPolicy is not called for it (none queued).
    aws.expect_service(service(1), auth_type="NONE")
    no_sharing(aws)
    aws.expect_previous()
    problem = "service authType is NONE, not AWS_IAM"
    aws.expect_put(
        [
            account_ev(
                "NON_COMPLIANT",
                f"1 non-compliant of 1 service network(s), 1 service(s), 0 resource configuration share(s). service-1: {problem}",
            ),
            ev("AWS::VpcLattice::ServiceNetwork", network_arn(1), "COMPLIANT", OK_NOTE),
            ev("AWS::VpcLattice::Service", service_arn(1), "NON_COMPLIANT", problem),
        ]
    )

    result = aws.run(scheduled_event())

    assert result["accountCompliance"] == "NON_COMPLIANT"
    assert result["nonCompliant"] == 1


def test_network_without_auth_policy_is_non_compliant(aws: Clients) -> None:
    aws.expect_networks([network(1)])
    aws.expect_network(network(1), policy=False)  # GetAuthPolicy: ResourceNotFoundException
    aws.expect_services()
    no_sharing(aws)
    aws.expect_previous()
    problem = "service network has authType AWS_IAM but no auth policy"
    aws.expect_put(
        [
            account_ev(
                "NON_COMPLIANT",
                f"1 non-compliant of 1 service network(s), 0 service(s), 0 resource configuration share(s). network-1: {problem}",
            ),
            ev("AWS::VpcLattice::ServiceNetwork", network_arn(1), "NON_COMPLIANT", problem),
        ]
    )

    assert aws.run(scheduled_event())["accountCompliance"] == "NON_COMPLIANT"


def test_resource_configuration_shared_with_an_unexpected_account(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services()
    aws.expect_shared(
        [[ram_resource(1, 1), ram_resource(2, 1)]],
        [[ram_principal(PARTNER, 1), ram_principal(STRANGER, 1)]],
        [[ram_share(1)]],
    )
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "NON_COMPLIANT",
                "1 non-compliant of 0 service network(s), 0 service(s), 1 resource configuration share(s). "
                f"share acme-db-share-1 reaches {STRANGER}",
            ),
            ev(
                "AWS::RAM::ResourceShare",
                share_arn(1),
                "NON_COMPLIANT",
                f"Shared with principal(s) outside allowedPrincipals: {STRANGER}; resource share acme-db-share-1, "
                f"resource configuration(s) rcfg-{1:017d}, rcfg-{2:017d}",
            ),
        ]
    )

    result = aws.run(scheduled_event())

    assert result["accountCompliance"] == "NON_COMPLIANT"
    assert result["nonCompliant"] == 1


def test_resource_configurations_shared_only_with_allowed_principals(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services()
    aws.expect_shared(
        [[ram_resource(1, 1), ram_resource(2, 2)]],
        [[ram_principal(PARTNER, 1), ram_principal(OU, 2)]],
        # Share 3 (not holding a resource configuration) is listed too and plays no part.
        [[ram_share(1), ram_share(2), ram_share(3)]],
    )
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "0 service network(s), 0 service(s), 2 resource configuration share(s): all compliant"
            ),
            ev(
                "AWS::RAM::ResourceShare",
                share_arn(1),
                "COMPLIANT",
                f"Resource share acme-db-share-1 shares resource configuration(s) rcfg-{1:017d} with allowed principals only",
            ),
            ev(
                "AWS::RAM::ResourceShare",
                share_arn(2),
                "COMPLIANT",
                f"Resource share acme-db-share-2 shares resource configuration(s) rcfg-{2:017d} with allowed principals only",
            ),
        ]
    )

    assert aws.run(scheduled_event())["accountCompliance"] == "COMPLIANT"


def test_deleted_share_no_longer_counts(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services()
    aws.expect_shared([[ram_resource(1, 1)]], [[ram_principal(STRANGER, 1)]], [[ram_share(1, status="DELETED")]])
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "0 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
            )
        ]
    )
    assert aws.run(scheduled_event())["accountCompliance"] == "COMPLIANT"


def test_every_list_call_follows_next_token(aws: Clients) -> None:
    aws.expect_networks([network(1)], [network(2)])
    aws.expect_network(network(1))
    aws.expect_network(network(2), auth_type="NONE")
    aws.expect_services([service(1)], [], [service(2)])
    aws.expect_service(service(1))
    aws.expect_service(service(2))
    # Share 1's offending principal and share 2's resource arrive on later pages.
    aws.expect_shared(
        [[ram_resource(1, 1)], [ram_resource(2, 2)]],
        [[ram_principal(PARTNER, 1)], [ram_principal(STRANGER, 1), ram_principal(PARTNER, 2)]],
        [[ram_share(1)], [ram_share(2)]],
    )
    aws.expect_previous([previous("AWS::VpcLattice::Service", service_arn(9))], [previous("AWS::::Account", ACCOUNT)])
    evaluations: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        evaluations.extend(params["Evaluations"])

    aws.config.meta.events.register("before-parameter-build.config-service.PutEvaluations", capture)
    aws.config_stub.add_response("put_evaluations", {"FailedEvaluations": []})

    result = aws.run(scheduled_event())

    compliance = {(e["ComplianceResourceType"], e["ComplianceResourceId"]): e["ComplianceType"] for e in evaluations}
    assert compliance == {
        ("AWS::::Account", ACCOUNT): "NON_COMPLIANT",
        ("AWS::VpcLattice::ServiceNetwork", network_arn(1)): "COMPLIANT",
        ("AWS::VpcLattice::ServiceNetwork", network_arn(2)): "NON_COMPLIANT",
        ("AWS::VpcLattice::Service", service_arn(1)): "COMPLIANT",
        ("AWS::VpcLattice::Service", service_arn(2)): "COMPLIANT",
        ("AWS::RAM::ResourceShare", share_arn(1)): "NON_COMPLIANT",
        ("AWS::RAM::ResourceShare", share_arn(2)): "COMPLIANT",
        # From the first page of earlier results; the account result of the second page is not cleaned up.
        ("AWS::VpcLattice::Service", service_arn(9)): "NOT_APPLICABLE",
    }
    assert result["nonCompliant"] == 2


def test_more_than_100_evaluations_are_put_in_batches(aws: Clients) -> None:
    services = [service(n) for n in range(1, 151)]
    aws.expect_networks()
    aws.expect_services(services[:100], services[100:])
    for item in services:
        aws.expect_service(item)
    no_sharing(aws)
    aws.expect_previous()
    expected = [
        account_ev(
            "COMPLIANT", "0 service network(s), 150 service(s), 0 resource configuration share(s): all compliant"
        )
    ]
    expected += [ev("AWS::VpcLattice::Service", item["arn"], "COMPLIANT", OK_NOTE) for item in services]
    aws.expect_put(expected[:100])
    aws.expect_put(expected[100:])

    result = aws.run(scheduled_event())

    assert result["evaluations"] == 151
    assert result["batches"] == 2


def test_empty_account_gets_one_compliant_account_evaluation(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services()
    no_sharing(aws)
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "0 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
            )
        ]
    )

    result = aws.run(scheduled_event())

    assert result["evaluations"] == 1
    assert result["accountCompliance"] == "COMPLIANT"


@pytest.mark.parametrize(
    "message_type", ["ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification", None]
)
def test_non_scheduled_event_is_ignored_without_calls(aws: Clients, message_type: str | None) -> None:
    # No responses queued: any AWS call would fail with "Unexpected API Call".
    invoking = {"messageType": message_type, "configurationItem": {"resourceType": "AWS::EC2::VPC"}}
    result = aws.run(scheduled_event(invokingEvent=json.dumps(invoking)))
    assert result["status"] == "ignored"
    assert str(message_type) in result["reason"]


def test_resources_gone_since_the_last_run_become_not_applicable(aws: Clients) -> None:
    aws.expect_networks([network(1)])
    aws.expect_network(network(1))
    aws.expect_services()
    no_sharing(aws)
    aws.expect_previous(
        [
            previous("AWS::VpcLattice::ServiceNetwork", network_arn(1)),  # still there: evaluated afresh
            previous("AWS::VpcLattice::ServiceNetwork", network_arn(7)),
            previous("AWS::RAM::ResourceShare", share_arn(7), "COMPLIANT"),
            previous("AWS::::Account", ACCOUNT),  # replaced by this run's account evaluation
        ]
    )
    gone = "No longer present or no longer evaluated"
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "1 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
            ),
            ev("AWS::VpcLattice::ServiceNetwork", network_arn(1), "COMPLIANT", OK_NOTE),
            ev("AWS::VpcLattice::ServiceNetwork", network_arn(7), "NOT_APPLICABLE", gone),
            ev("AWS::RAM::ResourceShare", share_arn(7), "NOT_APPLICABLE", gone),
        ]
    )
    aws.run(scheduled_event())


def test_resource_evaluations_off_puts_only_the_account_summary(aws: Clients) -> None:
    aws.expect_networks([network(1)])
    aws.expect_network(network(1), auth_type="NONE")
    aws.expect_services()
    no_sharing(aws)
    # Per-resource results from when they were on are cleaned up.
    aws.expect_previous([previous("AWS::VpcLattice::ServiceNetwork", network_arn(1))])
    aws.expect_put(
        [
            account_ev(
                "NON_COMPLIANT",
                "1 non-compliant of 1 service network(s), 0 service(s), 0 resource configuration share(s). "
                "network-1: service network authType is NONE, not AWS_IAM",
            ),
            ev(
                "AWS::VpcLattice::ServiceNetwork",
                network_arn(1),
                "NOT_APPLICABLE",
                "No longer present or no longer evaluated",
            ),
        ]
    )
    aws.run(scheduled_event({"allowedPrincipals": PARTNER, "resourceEvaluations": "false"}))


def test_service_deleted_while_evaluating_is_skipped(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services([service(1)])
    aws.lattice_stub.add_client_error(
        "get_service", "ResourceNotFoundException", "gone", 404, {"serviceIdentifier": service_arn(1)}
    )
    no_sharing(aws)
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "0 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
            )
        ]
    )
    aws.run(scheduled_event())


def test_other_api_errors_fail_the_evaluation(aws: Clients) -> None:
    aws.expect_networks([network(1)])
    aws.lattice_stub.add_client_error(
        "get_service_network", "AccessDeniedException", "nope", 403, {"serviceNetworkIdentifier": network_arn(1)}
    )
    # No PutEvaluations queued: a partial result must not be put.
    with pytest.raises(ClientError) as raised, aws.lattice_stub, aws.ram_stub, aws.config_stub:
        handler.evaluate_rule(scheduled_event(), aws.lattice, aws.ram, aws.config)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


def test_failed_evaluations_raise_after_every_batch_is_put(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services()
    no_sharing(aws)
    aws.expect_previous()
    evaluation = account_ev(
        "COMPLIANT", "0 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
    )
    aws.expect_put([evaluation], failed=[evaluation])
    with pytest.raises(RuntimeError, match="rejected 1 of 1"), aws.lattice_stub, aws.ram_stub, aws.config_stub:
        handler.evaluate_rule(scheduled_event(), aws.lattice, aws.ram, aws.config)
    aws.assert_all_used()


def test_without_rule_name_nothing_is_cleaned_up(aws: Clients) -> None:
    aws.expect_networks()
    aws.expect_services()
    no_sharing(aws)
    # No GetComplianceDetailsByConfigRule queued.
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "0 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
            )
        ]
    )
    event = scheduled_event()
    del event["configRuleName"]
    aws.run(event)


def test_handle_builds_retrying_clients(aws: Clients, monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}
    stubbed = {"vpc-lattice": aws.lattice, "ram": aws.ram, "config": aws.config}

    def fake_client(name: str, **kwargs: Any) -> Any:
        built[name] = kwargs
        return stubbed[name]

    monkeypatch.setattr(handler.boto3, "client", fake_client)
    aws.expect_networks()
    aws.expect_services()
    no_sharing(aws)
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "COMPLIANT", "0 service network(s), 0 service(s), 0 resource configuration share(s): all compliant"
            )
        ]
    )
    with aws.lattice_stub, aws.ram_stub, aws.config_stub:
        result = handler.handle(scheduled_event(), None)
        aws.assert_all_used()
    assert result["status"] == "evaluated"
    assert set(built) == {"vpc-lattice", "ram", "config"}
    for kwargs in built.values():
        # Config turns retries max_attempts=5 into 6 attempts in all (the first request plus 5 retries).
        assert kwargs["config"].retries == {"mode": "standard", "total_max_attempts": 6}


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"allowedPrincipals": [PARTNER, 222222222222]},
        {"allowedPrincipals": {"account": PARTNER}},
        {"allowedPrincipals": [PARTNER], "resourceEvaluations": "sometimes"},
        [PARTNER],
    ],
)
def test_bad_rule_parameters_are_rejected_before_any_call(aws: Clients, parameters: Any) -> None:
    with pytest.raises(ValueError), aws.lattice_stub, aws.ram_stub, aws.config_stub:
        handler.evaluate_rule(scheduled_event(parameters), aws.lattice, aws.ram, aws.config)


def test_rule_parameters() -> None:
    assert handler.load_parameters(json.dumps({"allowedPrincipals": []})) == {
        "allowedPrincipals": [],
        "resourceEvaluations": True,
    }
    # The console's key-value editor gives strings.
    assert handler.load_parameters(
        json.dumps({"allowedPrincipals": f"{PARTNER}, {OU}", "resourceEvaluations": "False"})
    ) == {
        "allowedPrincipals": [PARTNER, OU],
        "resourceEvaluations": False,
    }


def test_annotations_stay_within_256_characters() -> None:
    note = handler.annotation("x" * 300 + "\n")
    assert len(note) == 256
    assert note.endswith("...")
    assert handler.annotation(" two\nlines ") == "two lines"
    finding = {
        "name": "s",
        "resources": [rcfg_arn(n) for n in range(40)],
        "outside": [str(n) * 12 for n in range(1, 10)],
    }
    assert len(handler.annotation(handler.share_note(finding))) <= 256


def test_event_time_is_the_ordering_timestamp() -> None:
    assert handler.parse_time(CREATED) == AT
    assert handler.parse_time("2026-03-02T10:00:00+00:00") == datetime(2026, 3, 2, 10, tzinfo=timezone.utc)


def test_the_allowed_principals_can_be_read_from_the_configured_share(aws: Clients) -> None:
    # Parameters name share 9 (the owner stack's): its principals are the allowed ones, for any number of tenants.
    aws.expect_networks()
    aws.expect_services()
    aws.paged(aws.ram_stub, "list_principals", "principals", [[ram_principal(PARTNER, 9)]],
              {"resourceOwner": "SELF", "resourceShareArns": [share_arn(9)]})  # fmt: skip
    aws.expect_shared(
        [[ram_resource(1, 1)]],
        [[ram_principal(PARTNER, 1), ram_principal(STRANGER, 1)]],
        [[ram_share(1)]],
    )
    aws.expect_previous()
    aws.expect_put(
        [
            account_ev(
                "NON_COMPLIANT",
                "1 non-compliant of 0 service network(s), 0 service(s), 1 resource configuration share(s). "
                f"share acme-db-share-1 reaches {STRANGER}",
            ),
            ev(
                "AWS::RAM::ResourceShare",
                share_arn(1),
                "NON_COMPLIANT",
                f"Shared with principal(s) outside allowedPrincipals: {STRANGER}; resource share acme-db-share-1, "
                f"resource configuration(s) rcfg-{1:017d}",
            ),
        ]
    )
    result = aws.run(scheduled_event({"allowedPrincipalsShareArn": share_arn(9)}))
    assert result["accountCompliance"] == "NON_COMPLIANT"


def test_a_share_parameter_that_is_no_share_arn_is_rejected() -> None:
    with pytest.raises(ValueError, match="allowedPrincipalsShareArn must be a RAM resource share ARN"):
        handler.load_parameters(json.dumps({"allowedPrincipalsShareArn": "share-1"}))
