"""Monitoring and chargeback: flow logs, access-log metrics and alarms, change events, the alerts topic and its key,
the dashboard, chargeback tags, budgets and the cost export."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tenancy import metrics
from tenancy.config import FLOW_LOG_FORMAT, AccessLogPatterns, MonitoringAlarms
from tenancy.loading import ConfigError, load_stack_config
from tests.conftest import ACCOUNT, SECRET_KEYS, as_pulumi_config, owner_values, run_owner, subnets
from tests.test_services import ORDERS
from tests.test_tenant_stack import run_tenant, tenant_values
from tooling.aws_standin import OfflineAws
from tooling.mock_engine import run_program

FLOW_LOG = "aws:ec2/flowLog:FlowLog"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
BUDGET = "aws:budgets/budget:Budget"
CHARGEBACK = {"costCenter": "platform", "environment": "production", "dataExport": True, "monthlyBudgetUsd": 50,
              "tenantBudgetsUsd": {"tenant-a": 100}}  # fmt: skip


def configured(**extra: Any) -> dict[str, Any]:
    values = owner_values()
    values["services"] = [copy.deepcopy(ORDERS)]
    values["chargeback"] = copy.deepcopy(CHARGEBACK)
    values.update(copy.deepcopy(extra))
    return values


@pytest.fixture(scope="module")
def run():
    return run_owner(configured())


def by_name(run, name):
    (found,) = [r for r in run.registrations if r.name == name]
    return found


# --- flow logs ------------------------------------------------------------------------------------------------


def test_flow_logs_cover_the_gateway_subnets_with_the_fields_an_investigation_needs(run):
    logs = run.of_type(FLOW_LOG)
    assert sorted(r.inputs["subnetId"] for r in logs) == ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]
    group, role = by_name(run, "flow-logs-group"), by_name(run, "flow-logs-role")
    for log in logs:
        assert log.inputs["logFormat"] == FLOW_LOG_FORMAT and log.inputs["trafficType"] == "ALL"
        assert log.inputs["maxAggregationInterval"] == 60
        assert log.property_dependencies["logDestination"] == [group.urn]
        assert log.property_dependencies["iamRoleArn"] == [role.urn]
    for field in ("${vpc-id}", "${subnet-id}", "${az-id}", "${pkt-srcaddr}", "${action}", "${traffic-path}"):
        assert field in FLOW_LOG_FORMAT
    assert group.inputs["retentionInDays"] == 365
    assert group.property_dependencies["kmsKeyId"] == [by_name(run, "audit-key").urn]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:ec2:eu-west-1:{ACCOUNT}:vpc-flow-log/*"
    delivery, describe = json.loads(by_name(run, "flow-logs-delivery").inputs["policy"])["Statement"]
    assert describe["Action"] == "logs:DescribeLogGroups"
    assert "logs:CreateLogGroup" not in delivery["Action"]
    assert all("/aws/vpc-flow-logs/acme-db" in r for r in delivery["Resource"])


def test_flow_logs_can_go_to_s3_without_a_role():
    run = run_owner(configured(monitoring={"flowLogs": {"destination": "s3", "s3BucketArn": "arn:aws:s3:::flows"}}))
    assert {r.inputs["logDestination"] for r in run.of_type(FLOW_LOG)} == {"arn:aws:s3:::flows"}
    assert {r.inputs["logDestinationType"] for r in run.of_type(FLOW_LOG)} == {"s3"}
    assert [r for r in run.registrations if r.name.startswith("flow-logs-role")] == []


def test_a_tenant_logs_its_endpoint_subnets_but_an_association_has_none(run):
    tenant = run_tenant(tenant_values(), run.exports)
    assert sorted(r.inputs["subnetId"] for r in tenant.of_type(FLOW_LOG)) == [
        "subnet-0b1b2c3d4e5f60021",
        "subnet-0b1b2c3d4e5f60022",
    ]
    association = run_tenant({**tenant_values(), "connection": "association"}, run.exports)
    assert association.of_type(FLOW_LOG) == []


# --- access-log metrics and alarms ---------------------------------------------------------------------------


def test_metric_filters_use_the_patterns_in_one_place_and_alarms_notify_the_topic(run):
    filters = {r.inputs["name"]: r for r in run.of_type(FILTER)}
    defaults = AccessLogPatterns()
    assert filters["acme-db-denied"].inputs["pattern"] == defaults.denied
    assert filters["acme-db-server-errors"].inputs["pattern"] == defaults.server_errors
    assert filters["acme-db-db-connection-failures"].inputs["pattern"] == defaults.database_connection_failures
    transformation = filters["acme-db-denied"].inputs["metricTransformation"]
    assert (
        transformation["dimensions"] == {"Service": "$.serviceArn"}
        and transformation["namespace"] == "LatticeTenancy/acme-db"
    )
    topic = by_name(run, "monitoring-topic")
    service_arn = run.exports["services"]["orders"]["arn"]
    denied = by_name(run, "monitoring-alarm-denied-orders")
    assert denied.inputs["dimensions"] == {"Service": service_arn} and denied.inputs["threshold"] == 10
    assert denied.property_dependencies["alarmActions"] == [topic.urn]
    database = by_name(run, "monitoring-alarm-db-connection-failures")
    assert "dimensions" not in database.inputs and database.inputs["threshold"] == 5


def test_the_patterns_are_overridable():
    run = run_owner(configured(monitoring={"patterns": {"denied": "{ $.responseCode = 403 }"}}))
    assert by_name(run, "monitoring-denied").inputs["pattern"] == "{ $.responseCode = 403 }"


# --- change events, the topic and its key ----------------------------------------------------------------------


def test_change_events_reach_the_topic_and_iam_is_forwarded_from_us_east_1(run):
    topic = by_name(run, "monitoring-topic")
    for kind, source in (("lattice", "aws.vpc-lattice"), ("ram", "aws.ram"), ("iam", "aws.iam")):
        rule = by_name(run, f"monitoring-changes-{kind}")
        pattern = json.loads(rule.inputs["eventPattern"])
        assert pattern["source"] == [source] and pattern["detail-type"] == ["AWS API Call via CloudTrail"]
        assert by_name(run, f"monitoring-changes-{kind}-topic").property_dependencies["arn"] == [topic.urn]
    assert (
        "PutAuthPolicy"
        in json.loads(by_name(run, "monitoring-changes-lattice").inputs["eventPattern"])["detail"]["eventName"]
    )
    forwarder = by_name(run, "monitoring-changes-iam-us-east-1")
    assert forwarder.inputs["region"] == "us-east-1"
    assert json.loads(forwarder.inputs["eventPattern"])["detail"]["requestParameters"] == {
        "roleName": [{"prefix": "acme-db-"}]
    }
    target = by_name(run, "monitoring-changes-iam-us-east-1-bus")
    assert target.inputs["region"] == "us-east-1"
    assert target.inputs["arn"] == f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default"
    (allow,) = json.loads(by_name(run, "monitoring-iam-forwarder-policy").inputs["policy"])["Statement"]
    assert allow["Action"] == "events:PutEvents" and allow["Resource"] == target.inputs["arn"]


def test_in_us_east_1_iam_events_need_no_forwarding():
    values = configured()
    run = run_program(
        as_pulumi_config(values) | {"aws:region": "us-east-1"},
        stack="owner",
        secret_keys=SECRET_KEYS,
        mocks=OfflineAws(ACCOUNT, "us-east-1", subnets()),
    )
    assert [r for r in run.registrations if "us-east-1" in r.name] == []
    assert by_name(run, "monitoring-changes-iam")


def test_the_topic_is_encrypted_with_its_own_key_whose_policy_admits_only_this_accounts_publishers(run):
    key, topic = by_name(run, "monitoring-key"), by_name(run, "monitoring-topic")
    assert topic.property_dependencies["kmsMasterKeyId"] == [key.urn] and key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    publishers = statements["PublishersOfThisAccount"]
    assert publishers["Principal"]["Service"] == [
        "budgets.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]
    topic_arn = f"arn:aws:sns:eu-west-1:{ACCOUNT}:acme-db-alerts"
    assert publishers["Condition"] == {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}}
    policy = json.loads(by_name(run, "monitoring-topic-policy").inputs["policy"])
    for statement in policy["Statement"][1:]:
        assert statement["Action"] == "sns:Publish" and "aws:SourceArn" in statement["Condition"]["ArnLike"]


def test_the_dashboard_draws_the_alarmed_metrics_and_each_service(run):
    body = by_name(run, "monitoring-dashboard").inputs["dashboardBody"]
    for metric in metrics.access_log_metrics(AccessLogPatterns(), MonitoringAlarms()):
        if metric.key != "server-errors":
            assert metric.metric_name in body
    widgets = json.loads(body)["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles == ["Database path", "Service orders", "Denied requests per service", "Change events"]
    assert run.exports["services"]["orders"]["arn"] in body


# --- chargeback ----------------------------------------------------------------------------------------------


def test_every_taggable_resource_carries_the_chargeback_tags(run):
    tagged = [r for r in run.registrations if r.custom and isinstance(r.inputs.get("tags"), dict)]
    assert tagged and all(
        r.inputs["tags"].get("CostCenter") == "platform" and r.inputs["tags"].get("Environment") == "production"
        for r in tagged
    )
    role = by_name(run, "auth-tenant-a")
    assert role.inputs["tags"]["Tenant"] == "tenant-a" and role.inputs["tags"]["Team"] == "TeamA"
    tenant = run_tenant(tenant_values(), run.exports)
    assert {r.inputs["tags"]["Tenant"] for r in tenant.registrations if isinstance(r.inputs.get("tags"), dict)} == {
        "tenant-a"
    }


def test_each_tenant_gets_a_budget_that_notifies_the_topic(run):
    budgets = {r.inputs["name"]: r for r in run.of_type(BUDGET)}
    assert {n: b.inputs["limitAmount"] for n, b in budgets.items()} == {
        "acme-db-tenant-a": "100.00",
        "acme-db-tenant-b": "50.00",
    }
    budget = budgets["acme-db-tenant-a"]
    assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:Tenant$tenant-a"]}]
    topic = by_name(run, "monitoring-topic")
    assert budget.property_dependencies["notifications"] == [topic.urn]


def test_the_cost_export_includes_resource_ids_and_lands_in_a_hardened_logged_bucket(run):
    export = run.one("aws:bcmdata/export:Export").inputs["export"]
    config = export["dataQueries"][0]["tableConfigurations"]["COST_AND_USAGE_REPORT"]
    assert config["INCLUDE_RESOURCES"] == "TRUE" and config["TIME_GRANULARITY"] == "HOURLY"
    bucket = by_name(run, "chargeback-bucket")
    assert by_name(run, "chargeback-bucket-public-access").property_dependencies["bucket"] == [bucket.urn]
    logging = by_name(run, "chargeback-bucket-logging")
    assert logging.property_dependencies["targetBucket"] == [by_name(run, "audit-s3logs").urn]
    policy = json.loads(by_name(run, "audit-s3logs-policy").inputs["policy"])
    sources = [s["Condition"]["ArnLike"]["aws:SourceArn"] for s in policy["Statement"][1:]]
    assert sources == [
        f"arn:aws:s3:::acme-db-audit-{ACCOUNT}-eu-west-1",
        f"arn:aws:s3:::acme-db-cur-{ACCOUNT}-eu-west-1",
    ]


def test_cost_allocation_tags_are_activated_only_when_opted_in(run):
    assert run.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag") == []
    opted = run_owner(configured(chargeback={**CHARGEBACK, "activateCostAllocationTags": True}))
    tags = opted.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")
    assert sorted(t.inputs["tagKey"] for t in tags) == ["CostCenter", "Environment", "Team", "Tenant"]


# --- bad input ------------------------------------------------------------------------------------------------

BAD = [
    ("an aws: tag key", {"tags": {"aws:cost": "x"}}, "lattice-tenancy:tags.aws:cost", "must not start with aws:"),
    ("a tag value over 256", {"tags": {"CostCenter": "x" * 257}}, "lattice-tenancy:tags.CostCenter", "0-256"),
    ("a zero budget", {"chargeback": {"monthlyBudgetUsd": 0}}, "lattice-tenancy:chargeback.monthlyBudgetUsd", "positive"),
    ("a negative tenant budget", {"chargeback": {"tenantBudgetsUsd": {"tenant-a": -5}}}, "chargeback.tenantBudgetsUsd.tenant-a", "positive"),
    ("a budget for no tenant", {"chargeback": {"tenantBudgetsUsd": {"tenant-x": 5}}}, "lattice-tenancy", "tenant-x, not in tenants"),
    ("a retention CloudWatch lacks", {"monitoring": {"flowLogs": {"retentionDays": 100}}}, "monitoring.flowLogs.retentionDays", "not a CloudWatch Logs retention"),
    ("s3 without a bucket", {"monitoring": {"flowLogs": {"destination": "s3"}}}, "monitoring.flowLogs", "needs s3BucketArn"),
    ("an unknown alarm period", {"monitoring": {"alarms": {"periodSeconds": 45}}}, "monitoring.alarms.periodSeconds", "60"),
]  # fmt: skip


@pytest.mark.parametrize(("problem", "extra", "key", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_monitoring_and_chargeback_config_names_the_key(problem, extra, key, words):
    values = owner_values()
    values.update(copy.deepcopy(extra))
    with pytest.raises(ConfigError) as caught:
        load_stack_config(as_pulumi_config(values), set(SECRET_KEYS), "owner")
    assert key in str(caught.value) and words in str(caught.value), str(caught.value)
