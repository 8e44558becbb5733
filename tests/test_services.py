"""Shared HTTP services: config, the service component, the canary's alarms and rollback path, holds, tenants."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tenancy.loading import ConfigError, load_stack_config
from tests.conftest import ACCOUNT, SECRET_KEYS, as_pulumi_config, owner_values, run_owner
from tests.test_tenant_stack import run_tenant, tenant_values

LAMBDA = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:orders"
ORDERS: dict[str, Any] = {
    "name": "orders",
    "tenants": ["tenant-a"],
    "stable": {"type": "LAMBDA", "targets": [{"id": f"{LAMBDA}:stable"}]},
    "canary": {"type": "LAMBDA", "targets": [{"id": f"{LAMBDA}:canary"}]},
    "weights": {"stable": 90, "canary": 10},
    "rules": [{"priority": 10, "headers": {"x-canary": "true"}, "to": "canary"}],
}
SERVICE = "aws:vpclattice/service:Service"
LISTENER = "aws:vpclattice/listener:Listener"
RULE = "aws:vpclattice/listenerRule:ListenerRule"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
RECORD = "/lattice-tenancy/acme-db/rollback/orders"


def with_services(*services: dict[str, Any]) -> dict[str, Any]:
    values = owner_values()
    values["services"] = [copy.deepcopy(s) for s in services]
    return values


@pytest.fixture(scope="module")
def run():
    return run_owner(with_services(ORDERS))


def by_name(run, name):
    (found,) = [r for r in run.registrations if r.name == name]
    return found


# --- config -------------------------------------------------------------------------------------------------


def _changed(**changes: Any) -> dict[str, Any]:
    service = copy.deepcopy(ORDERS)
    for path, value in changes.items():
        target = service
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return service


DELETE = object()
BAD = [
    ("unknown target type", _changed(canary__type="FARGATE"), "services[0].canary.type", "'LAMBDA', 'IP', 'INSTANCE' or 'ALB'"),
    ("weight above 999", _changed(weights={"stable": 1000, "canary": 10}), "services[0].weights.stable", "less than or equal to 999"),
    ("all weights zero", _changed(weights={"stable": 0, "canary": 0}), "services[0].weights", "both 0"),
    ("canary without targets", _changed(canary__targets=[]), "services[0].canary.targets", "at least 1"),
    ("canary weight without a canary", _changed(canary=DELETE, rules=[]), "services[0]", "no canary target group"),
    ("a rule to a missing canary", _changed(canary=DELETE, weights={"stable": 1, "canary": 0}), "services[0]", "a rule sends traffic to the canary"),
    ("unknown tenant", _changed(tenants=["tenant-x"]), "lattice-tenancy", "services[0].tenants names tenant-x"),
    ("duplicate priorities", _changed(rules=[{"priority": 10, "pathPrefix": "/a"}, {"priority": 10, "pathPrefix": "/b"}]), "services[0]", "rules[].priority must be unique; repeated: 10"),
    ("more rules than the quota", _changed(rules=[{"priority": i, "pathPrefix": f"/{i}"} for i in range(1, 12)]), "services[0].rules", "at most 10"),
    ("Lambda target group with a port", _changed(stable__port=8080), "services[0].stable", "a LAMBDA target group takes no port"),
    ("IP target group without a VPC", _changed(stable={"type": "IP", "port": 8080, "targets": [{"id": "10.0.1.20"}]}), "services[0].stable", "needs vpcId"),
    ("target of another type", _changed(stable={"type": "INSTANCE", "port": 80, "vpcId": "vpc-0a1b2c3d4e5f60001", "targets": [{"id": "10.0.1.20"}]}), "services[0].stable", "not a INSTANCE target"),
    ("custom HTTPS name without a certificate", _changed(customDomainName="orders.example.com"), "services[0]", "needs certificateArn"),
    ("a name too long for the service name", _changed(name="orders-and-invoices"), "services[0].name", "3-15"),
    ("a rule without a condition", _changed(rules=[{"priority": 1}]), "services[0].rules[0]", "needs a condition"),
]  # fmt: skip


@pytest.mark.parametrize(("problem", "service", "key", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_service_config_names_the_key_and_declares_nothing(problem, service, key, words):
    values = owner_values()
    values["services"] = [service]
    with pytest.raises(ConfigError) as caught:
        load_stack_config(as_pulumi_config(values), set(SECRET_KEYS), "owner")
    message = str(caught.value)
    assert f"{key}" in message and words in message, message


def test_more_canaries_than_the_rollback_functions_environment_holds_are_refused():
    many = [{**copy.deepcopy(ORDERS), "name": f"orders-{i}"} for i in range(9)]
    with pytest.raises(ConfigError, match="exceed what the rollback function's environment holds"):
        load_stack_config(as_pulumi_config(with_services(*many)), set(SECRET_KEYS), "owner")


def test_duplicate_service_names_are_refused():
    values = with_services(ORDERS, ORDERS)
    with pytest.raises(ConfigError, match=r"services\[\]\.name must be unique; repeated: orders"):
        load_stack_config(as_pulumi_config(values), set(SECRET_KEYS), "owner")


# --- the service ---------------------------------------------------------------------------------------------


def test_the_service_uses_iam_auth_and_its_own_auth_policy_names_its_tag(run):
    service = run.one(SERVICE)
    assert service.inputs["authType"] == "AWS_IAM" and service.inputs["name"] == "acme-db-orders"
    auth = by_name(run, "service-orders-auth")
    assert auth.property_dependencies["resourceIdentifier"] == [service.urn]
    (statement,) = json.loads(auth.inputs["policy"])["Statement"]
    assert statement["Condition"]["StringEquals"]["aws:PrincipalTag/lattice-service-orders"] == "invoke"
    assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"].endswith(":role/lattice-tenancy/acme-db/*")


def test_the_listener_forwards_by_weight_and_the_rule_to_the_canary(run):
    stable, canary = by_name(run, "service-orders-stable"), by_name(run, "service-orders-canary")
    listener = run.one(LISTENER)
    (forward,) = listener.inputs["defaultAction"]["forwards"]
    assert [g["weight"] for g in forward["targetGroups"]] == [90, 10]
    assert set(listener.property_dependencies["defaultAction"]) == {stable.urn, canary.urn}
    rule = run.one(RULE)
    assert rule.inputs["priority"] == 10
    assert rule.inputs["match"]["httpMatch"]["headerMatches"] == [
        {"name": "x-canary", "caseSensitive": True, "match": {"exact": "true"}}
    ]
    assert [g["weight"] for g in rule.inputs["action"]["forward"]["targetGroups"]] == [100]
    assert rule.property_dependencies["action"] == [canary.urn]


def test_lambda_targets_get_an_invoke_permission_scoped_to_their_target_group(run):
    for which in ("stable", "canary"):
        group, permission = by_name(run, f"service-orders-{which}"), by_name(run, f"service-orders-{which}-invoke")
        assert group.inputs["type"] == "LAMBDA"
        assert permission.inputs["principal"] == "vpc-lattice.amazonaws.com"
        assert permission.inputs["function"] == f"{LAMBDA}:{which}"
        assert permission.property_dependencies["sourceArn"] == [group.urn]
        attachment = by_name(run, f"service-orders-{which}-target-0")
        assert permission.urn in attachment.dependencies


def test_the_canary_alarms_watch_the_canary_group_with_a_traffic_guard(run):
    canary = by_name(run, "service-orders-canary")
    errors, latency = by_name(run, "service-orders-canary-errors"), by_name(run, "service-orders-canary-latency")
    expression = next(q for q in errors.inputs["metricQueries"] if "expression" in q)["expression"]
    assert expression == "IF(requests >= 50, 100 * errors / requests, 0)"
    assert errors.inputs["threshold"] == 5 and errors.inputs["treatMissingData"] == "notBreaching"
    assert canary.urn in errors.property_dependencies["metricQueries"]
    metrics = {q["metric"]["metricName"] for q in errors.inputs["metricQueries"] if "metric" in q}
    assert metrics == {"TotalRequestCount", "HTTPCode_5XX_Count"}
    assert latency.inputs["extendedStatistic"] == "p99" and latency.property_dependencies["dimensions"] == [canary.urn]


def test_the_rollback_path_guards_exactly_this_services_listener_and_rule(run):
    rule = by_name(run, "rollback-alarms")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["alarmName"] == ["acme-db-orders-canary-errors", "acme-db-orders-canary-latency"]
    assert pattern["detail"]["state"] == {"value": ["ALARM"]}
    function = run.one("aws:lambda/function:Function")
    assert function.inputs["handler"] == "handler.handle"
    compact = json.loads(function.inputs["environment"]["variables"]["GUARDED"])
    assert compact["alarms"] == {"acme-db-orders-canary-errors": "orders", "acme-db-orders-canary-latency": "orders"}
    guarded = {alarm: compact["services"][svc] for alarm, svc in compact["alarms"].items()}
    listener_arn = guarded["acme-db-orders-canary-errors"]["listenerArn"]
    assert "/listener/listener-" in listener_arn and len(guarded["acme-db-orders-canary-errors"]["ruleArns"]) == 1
    policy = json.loads(by_name(run, "rollback-policy").inputs["policy"])
    updates = [s for s in policy["Statement"] if any("Update" in a for a in s["Action"])]
    assert [s["Resource"] for s in updates] == [[listener_arn], guarded["acme-db-orders-canary-errors"]["ruleArns"]]
    assert all(s["Resource"] != "*" for s in policy["Statement"])
    target = by_name(run, "rollback-target")
    assert target.property_dependencies["arn"] == [function.urn]


def test_tenant_roles_are_tagged_and_limited_to_their_services(run):
    roles = {r.name: r for r in run.of_type("aws:iam/role:Role")}
    assert roles["auth-tenant-a"].inputs["tags"]["lattice-service-orders"] == "invoke"
    assert "lattice-service-orders" not in roles["auth-tenant-b"].inputs["tags"]
    policy_a = json.loads(by_name(run, "auth-tenant-a-access").inputs["policy"])
    invoke = next(s for s in policy_a["Statement"] if s["Action"] == "vpc-lattice-svcs:Invoke")
    service_arn = run.exports["services"]["orders"]["arn"]
    assert invoke["Resource"] == [service_arn, f"{service_arn}/*"]
    policy_b = json.loads(by_name(run, "auth-tenant-b-access").inputs["policy"])
    assert [s["Action"] for s in policy_b["Statement"]] == ["rds-db:connect"]


def test_the_contract_publishes_each_service_and_who_may_call_it(run):
    orders = run.exports["services"]["orders"]
    assert orders["port"] == 443 and orders["tenants"] == ["tenant-a"]
    assert orders["dns_name"].endswith(".vpc-lattice-svcs.eu-west-1.on.aws")


def test_the_services_auth_policy_is_the_same_for_any_number_of_tenants(run):
    policy = by_name(run, "service-orders-auth").inputs["policy"]
    everyone = run_owner(with_services({k: v for k, v in ORDERS.items() if k != "tenants"}))
    assert by_name(everyone, "service-orders-auth").inputs["policy"] == policy
    assert len(policy.encode()) < 10 * 1024 // 10  # a tenth of the 10 KB quota, whatever the tenants


def test_a_stack_without_a_canary_has_no_alarms_and_no_rollback_path():
    stable_only = {k: v for k, v in ORDERS.items() if k not in ("canary", "weights", "rules")}
    run = run_owner(with_services(stable_only))
    assert [a.name for a in run.of_type(ALARM) if "canary" in a.name] == []
    assert run.of_type("aws:lambda/function:Function") == []
    assert run.exports["rollback_topic_arn"] is None


# --- no silent re-promotion ---------------------------------------------------------------------------------

ROLLED_BACK = json.dumps(
    {"rollbackId": "evt-1", "alarm": "acme-db-orders-canary-errors", "at": "2026-12-01T10:00:00Z", "service": "orders"}
)


def test_after_a_rollback_the_canary_is_held_at_zero_until_acknowledged():
    held = run_owner(with_services(ORDERS), parameters={RECORD: ROLLED_BACK})
    (forward,) = held.one(LISTENER).inputs["defaultAction"]["forwards"]
    assert [g["weight"] for g in forward["targetGroups"]] == [90, 0]
    stable = by_name(held, "service-orders-stable")
    assert held.one(RULE).property_dependencies["action"] == [stable.urn]  # the canary rule goes to stable
    message = held.exports["service_rollbacks"]["orders"]
    assert "rolled back automatically (acme-db-orders-canary-errors at 2026-12-01T10:00:00Z)" in message
    assert 'services[0].acknowledgedRollback: "evt-1"' in message and "pulumi up --refresh" in message

    from tooling.plan import StackPlan, render_stack

    text = " ".join(render_stack(StackPlan("owner", "owner", ACCOUNT, "eu-west-1", result=held)).split())
    assert "Canary held: service orders: the canary was rolled back automatically" in text

    acknowledged = run_owner(
        with_services({**ORDERS, "acknowledgedRollback": "evt-1"}), parameters={RECORD: ROLLED_BACK}
    )
    (forward,) = acknowledged.one(LISTENER).inputs["defaultAction"]["forwards"]
    assert [g["weight"] for g in forward["targetGroups"]] == [90, 10]
    assert acknowledged.exports["service_rollbacks"] == {}


# --- the tenant side ----------------------------------------------------------------------------------------


def test_a_tenant_exports_the_services_it_may_call_and_opens_their_ports(run):
    values = tenant_values()
    values["servicePorts"] = []
    tenant = run_tenant(values, run.exports)
    assert tenant.exports["services"] == {
        "orders": {"dns_name": run.exports["services"]["orders"]["dns_name"], "port": 443}
    }
    ports = sorted(
        {r.inputs["fromPort"] for r in tenant.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    )
    assert ports == [443, 3306]


def test_a_tenant_not_allowed_for_a_service_gets_neither_its_name_nor_its_port(run):
    exports = copy.deepcopy(run.exports)
    exports["services"]["orders"]["tenants"] = ["tenant-b"]
    values = tenant_values()
    values["servicePorts"] = []
    tenant = run_tenant(values, exports)
    assert tenant.exports["services"] == {}
    ports = {r.inputs["fromPort"] for r in tenant.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert ports == {3306}
