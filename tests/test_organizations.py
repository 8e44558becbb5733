"""AWS Organizations and Config: tenants discovered from OUs, sharing to OUs, account events, Config rules."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tenancy import environment
from tenancy.loading import ConfigError, load_stack_config
from tests.conftest import SECRET_KEYS, as_pulumi_config, owner_values, run_owner
from tooling.mock_engine import ProgramError

OU = "arn:aws:organizations::999999999999:ou/o-exampleorg1/ou-ab12-cdef3456"
OU_ID = "ou-ab12-cdef3456"
SECRET = "discovery-secret-0123456789abcdef"


def account(account_id: str, name: str, **tags: str) -> dict[str, Any]:
    return {"id": account_id, "name": name, "status": "ACTIVE", "tags": dict(tags)}


def discovering(**extra: Any) -> dict[str, Any]:
    values = owner_values()
    values["tenantSources"] = [{"ouArn": OU}]
    values["discoverySecret"] = SECRET
    values.update(copy.deepcopy(extra))
    return values


def roles(run) -> dict[str, str]:
    """Tenant name → account, from the roles the run declares."""
    return {
        r.inputs["tags"]["Tenant"]: r.inputs["tags"]["TenantAccount"]
        for r in run.of_type("aws:iam/role:Role")
        if "TenantAccount" in r.inputs.get("tags", {})
    }


# --- tenants from OUs -------------------------------------------------------------------------------------------


def test_accounts_joining_and_leaving_the_ou_are_granted_and_revoked_on_the_next_plan():
    before = run_owner(
        discovering(),
        organizations={OU_ID: [account("444444444444", "Analytics"), account("555555555555", "Billing")]},
    )
    after = run_owner(
        discovering(),
        organizations={OU_ID: [account("555555555555", "Billing"), account("666666666666", "Search EU")]},
    )
    listed = {"tenant-a": "222222222222", "tenant-b": "333333333333"}
    assert roles(before) == {**listed, "analytics": "444444444444", "billing": "555555555555"}
    assert roles(after) == {**listed, "billing": "555555555555", "search-eu": "666666666666"}
    urns = {r.urn for r in before.registrations}, {r.urn for r in after.registrations}
    removed = sorted(u.rsplit("::", 1)[-1] for u in urns[0] - urns[1])
    added = sorted(u.rsplit("::", 1)[-1] for u in urns[1] - urns[0])
    assert removed == ["auth-analytics", "auth-analytics-access"]
    assert added == ["auth-search-eu", "auth-search-eu-access"]
    share = "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive"
    assert "444444444444" in before.one(share).inputs["principals"]
    assert "444444444444" not in after.one(share).inputs["principals"]
    assert "666666666666" in after.one(share).inputs["principals"]
    # The same account keeps the same external ID across deployments.
    assert before.exports["discovered_external_ids"]["billing"] == after.exports["discovered_external_ids"]["billing"]


def test_tags_name_a_tenant_and_overrides_win_and_a_listed_tenant_wins_over_a_discovered_one():
    run = run_owner(
        discovering(
            tenantSources=[{"ouArn": OU, "overrides": {"777777777777": {"name": "ledger", "dbUser": "ledger_db"}}}]
        ),
        organizations={
            OU_ID: [
                account(
                    "555555555555", "acct-1", **{"lattice-tenancy:tenant": "payments", "lattice-tenancy:team": "Pay"}
                ),
                account("777777777777", "acct-2", **{"lattice-tenancy:tenant": "ignored"}),
                account("222222222222", "Tenant A's own account"),  # listed as tenant-a: it stays tenant-a
                {**account("888888888888", "Suspended"), "status": "SUSPENDED"},
            ]
        },
    )
    assert roles(run) == {"tenant-a": "222222222222", "tenant-b": "333333333333", "payments": "555555555555",
                          "ledger": "777777777777"}  # fmt: skip
    teams = {r.inputs["tags"]["Tenant"]: r.inputs["tags"]["Team"] for r in run.of_type("aws:iam/role:Role")
             if "TenantAccount" in r.inputs.get("tags", {})}  # fmt: skip
    assert teams["payments"] == "Pay" and teams["ledger"] == "ledger"
    assert run.exports["tenant_db_users"]["ledger"] == "ledger_db"
    sql = "\n".join(run.exports["database_user_sql"])
    assert "CREATE USER IF NOT EXISTS 'ledger_db'@'%'" in sql and "'payments'@'%'" in sql


def test_discovered_external_ids_derive_from_the_secret_and_are_exported_only_as_secrets():
    run = run_owner(discovering(), organizations={OU_ID: [account("444444444444", "Analytics")]})
    expected = environment.discovered_external_id(SECRET, "444444444444")
    assert run.exports["discovered_external_ids"] == {"analytics": expected}
    assert "discovered_external_ids" in run.secret_exports
    assert expected != environment.discovered_external_id("another-secret-000000", "444444444444")
    assert expected != environment.discovered_external_id(SECRET, "555555555555")
    trust = next(r for r in run.of_type("aws:iam/role:Role") if r.name == "auth-analytics").plain["assumeRolePolicy"]
    assert json.loads(trust)["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] == expected


def test_a_discovered_account_colliding_with_a_listed_tenant_stops_the_run_naming_the_source():
    with pytest.raises(ProgramError) as caught:
        run_owner(
            discovering(),
            organizations={OU_ID: [account("444444444444", "x", **{"lattice-tenancy:tenant": "tenant-a"})]},
        )
    message = str(caught.value)
    assert "lattice-tenancy:tenantSources[0]: account 444444444444 (x) would be tenant 'tenant-a'" in message
    assert 'set lattice-tenancy:tenantSources[0].overrides."444444444444"' in message
    assert caught.value.registrations == [] or all(r.is_read for r in caught.value.registrations)


def test_a_name_that_cannot_be_a_tenant_says_how_to_fix_it():
    with pytest.raises(ProgramError) as caught:
        run_owner(
            discovering(), organizations={OU_ID: [account("444444444444", "x", **{"lattice-tenancy:tenant": "mysql"})]}
        )
    assert "system account or schema" in str(caught.value) and "tag the account lattice-tenancy:tenant=<name>" in str(
        caught.value
    )


def test_the_share_names_the_ou_and_says_what_new_accounts_get_when():
    run = run_owner(discovering(), organizations={OU_ID: []})
    principals = set(
        run.one("aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive").inputs["principals"]
    )
    assert OU in principals
    scope = run.exports["sharing_scope"]
    assert "An account that joins one of them reaches the network at once" in scope
    assert "its tenant role, DB user and services come only with the next owner deployment" in scope


# --- account events -------------------------------------------------------------------------------------------


def test_organizations_account_events_are_forwarded_from_us_east_1_to_the_alerts_topic():
    run = run_owner(discovering(), organizations={OU_ID: []})
    rule = next(r for r in run.registrations if r.name == "monitoring-changes-organizations-us-east-1")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert rule.inputs["region"] == "us-east-1" and "MoveAccount" in pattern["detail"]["eventName"]
    home = next(r for r in run.registrations if r.name == "monitoring-changes-organizations")
    assert json.loads(home.inputs["eventPattern"])["source"] == ["aws.organizations"]
    plain = run_owner()
    assert not [r for r in plain.registrations if "organizations" in r.name]


# --- AWS Config ---------------------------------------------------------------------------------------------


def test_config_records_delivers_and_switches_on_before_its_rules():
    run = run_owner(discovering(compliance={"enabled": True}), organizations={OU_ID: []})
    by = {r.name: r for r in run.registrations}
    recorder, channel, status = by["compliance-recorder"], by["compliance-delivery"], by["compliance-recorder-status"]
    assert recorder.urn in channel.dependencies and channel.urn in status.dependencies
    assert status.inputs["isEnabled"] is True
    rules = [r for r in run.of_type("aws:cfg/rule:Rule")]
    managed = {r.inputs["source"]["sourceIdentifier"] for r in rules if r.inputs["source"]["owner"] == "AWS"}
    assert {"RDS_STORAGE_ENCRYPTED", "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", "SNS_ENCRYPTED_KMS"} <= managed
    assert "VPC_FLOW_LOGS_ENABLED" not in managed  # VPC-level; this design logs per subnet (README)
    delivery = json.loads(by["compliance-recorder-delivery"].inputs["policy"])
    sids = {s["Sid"] for s in delivery["Statement"]}
    assert sids == {"CheckTheBucket", "DeliverSnapshotsAndHistory", "Notify", "UseTheTopicsKey"}
    assert by["compliance-recorder-delivery"].urn in channel.dependencies
    assert all(status.urn in r.dependencies for r in rules if r.inputs["source"]["owner"] == "AWS")
    custom = by["compliance-lattice-rule"]
    assert custom.inputs["source"]["owner"] == "CUSTOM_LAMBDA"
    assert custom.inputs["source"]["sourceDetails"] == [
        {"messageType": "ScheduledNotification", "maximumExecutionFrequency": "TwentyFour_Hours"}
    ]
    share = run.one("aws:ram/resourceShare:ResourceShare")
    assert json.loads(custom.inputs["inputParameters"]) == {
        "allowedPrincipalsShareArn": run.exports["resource_share_arn"]
    }
    assert custom.property_dependencies["inputParameters"] == [share.urn]
    permission = by["compliance-lattice-invoke"]
    assert (
        permission.inputs["principal"] == "config.amazonaws.com"
        and permission.inputs["sourceAccount"] == "111111111111"
    )


def test_the_custom_rule_reads_the_share_so_its_parameters_stay_small_for_any_number_of_tenants():
    many = {OU_ID: [account(f"4{i:011d}", f"Team {i}") for i in range(80)]}
    run = run_owner(discovering(compliance={"enabled": True}), organizations=many)
    rule = next(r for r in run.registrations if r.name == "compliance-lattice-rule")
    share = run.one("aws:ram/resourceShare:ResourceShare")
    assert rule.property_dependencies["inputParameters"] == [share.urn]
    assert len(rule.inputs["inputParameters"]) < 200 and len(roles(run)) == 82


def test_an_existing_recorder_is_assumed_and_only_rules_are_added():
    run = run_owner(
        discovering(compliance={"enabled": True, "recorder": "existing", "rules": ["RDS_STORAGE_ENCRYPTED"]}),
        organizations={OU_ID: []},
    )
    assert (
        run.of_type("aws:cfg/recorder:Recorder") == [] and run.of_type("aws:cfg/deliveryChannel:DeliveryChannel") == []
    )
    assert (
        sorted(r.inputs["source"]["sourceIdentifier"] for r in run.of_type("aws:cfg/rule:Rule"))[0]
        == "RDS_STORAGE_ENCRYPTED"
    )


# --- bad input ------------------------------------------------------------------------------------------------

BAD = [
    ("a bare OU ID", {"tenantSources": [{"ouArn": OU_ID}], "discoverySecret": SECRET}, "tenantSources[0].ouArn", "bare OU ID"),
    ("an OU of another organization", {"tenantSources": [{"ouArn": OU}], "discoverySecret": SECRET,
     "sharing": {"organizationPrincipals": ["arn:aws:organizations::999999999999:organization/o-otherorg012"]}},
     "lattice-tenancy", "name different organizations"),
    ("OUs without a secret", {"tenantSources": [{"ouArn": OU}]}, "lattice-tenancy", "discoverySecret"),
    ("a Config rule AWS lacks", {"compliance": {"enabled": True, "rules": ["RDS_STORAGE_ENCRYPTD"]}},
     "lattice-tenancy:compliance.rules[0]", "did you mean 'RDS_STORAGE_ENCRYPTED'"),
]  # fmt: skip


@pytest.mark.parametrize(("problem", "extra", "key", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_organizations_config_names_the_key(problem, extra, key, words):
    values = owner_values()
    values.update(copy.deepcopy(extra))
    with pytest.raises(ConfigError) as caught:
        load_stack_config(as_pulumi_config(values), set(SECRET_KEYS), "owner")
    assert key in str(caught.value) and words in str(caught.value), str(caught.value)


def test_the_discovery_secret_is_refused_in_clear():
    with pytest.raises(ConfigError, match="discoverySecret: is stored in clear"):
        load_stack_config(as_pulumi_config(discovering()), {"lattice-tenancy:externalIds"}, "owner")
