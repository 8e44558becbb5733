"""Component outputs, checked as Pulumi Outputs (each test resolves them through the mock engine)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pulumi
import pytest

from components.auth import Auth, AuthArgs
from components.database import Database, DatabaseArgs
from components.network import Network, NetworkArgs
from tenancy.config import AccessWindow, Tenant
from tenancy.config import Database as DatabaseSettings
from tenancy.environment import Account
from tests.conftest import ACCOUNT, REGION, VPC
from tooling.aws_standin import OfflineAws

SUBNETS = ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]
UNIT_ACCOUNT = Account(account_id=ACCOUNT, region=REGION, partition="aws")


@pytest.fixture(autouse=True)
def mocks():
    pulumi.runtime.set_mocks(OfflineAws(ACCOUNT, REGION), project="lattice-tenancy", stack="unit", preview=False)
    yield


def network() -> Network:
    return Network(
        "net", NetworkArgs(name_prefix="unit", vpc_id=VPC, subnet_ids=SUBNETS, associate_owner_vpc=False, tags={})
    )


def database(net: Network) -> Database:
    return Database(
        "db",
        DatabaseArgs(
            name_prefix="unit",
            account=UNIT_ACCOUNT,
            vpc_id=VPC,
            subnet_ids=SUBNETS,
            settings=DatabaseSettings(),
            multi_az=False,
            deletion_protected=False,
            gateway_security_group_id=net.gateway_security_group_id,
            resource_gateway_id=net.resource_gateway_id,
            service_network_id=net.service_network_id,
            tags={},
        ),
    )


@pulumi.runtime.test
def test_network_outputs_identify_the_service_network_by_arn_and_id():
    net = network()

    def check(args):
        arn, sn_id, gateway = args
        assert arn == f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:servicenetwork/{sn_id}"
        assert sn_id.startswith("sn-") and gateway.startswith("rgw-")

    return pulumi.Output.all(net.service_network_arn, net.service_network_id, net.resource_gateway_id).apply(check)


@pulumi.runtime.test
def test_database_publishes_its_lattice_dns_name_and_keeps_the_password_in_secrets_manager():
    db = database(network())

    def check(args):
        dns_name, rcfg_id, port, secret_arn, rcfg_arn = args
        assert dns_name.endswith(f".{rcfg_id}.vpc-lattice-rsc.{REGION}.on.aws"), dns_name
        assert port == 3306
        assert secret_arn.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!")
        assert rcfg_arn.endswith(f"resourceconfiguration/{rcfg_id}")

    return pulumi.Output.all(
        db.dns_name, db.resource_configuration_id, db.port, db.master_secret_arn, db.resource_configuration_arn
    ).apply(check)


@pulumi.runtime.test
def test_auth_exports_one_role_arn_per_tenant_under_the_tenant_path():
    net = network()
    auth = Auth(
        "auth",
        AuthArgs(
            name_prefix="unit",
            account=UNIT_ACCOUNT,
            service_network_id=net.service_network_id,
            service_network_arn=net.service_network_arn,
            db_resource_id="db-UNIT",
            tenants=[
                Tenant.model_validate({"name": "t-one", "accountId": "222222222222", "team": "One"}),
                Tenant.model_validate({"name": "t-two", "accountId": "333333333333", "team": "Two"}),
            ],
            external_ids={
                "t-one": pulumi.Output.secret("external-id-one-0000"),
                "t-two": pulumi.Output.secret("external-id-two-0000"),
            },
            access_window=AccessWindow.model_validate(
                {
                    "notBefore": datetime(2026, 1, 1, tzinfo=timezone.utc),
                    "notAfter": datetime(2027, 1, 1, tzinfo=timezone.utc),
                }
            ),
            service_arns={},
            allowed_services={"t-one": [], "t-two": []},
            tags={},
        ),
    )
    assert json.loads(auth.auth_policy)["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"].endswith(
        ":role/lattice-tenancy/unit/*"
    )

    def check(arns):
        assert arns == [
            f"arn:aws:iam::{ACCOUNT}:role/lattice-tenancy/unit/unit-t-one",
            f"arn:aws:iam::{ACCOUNT}:role/lattice-tenancy/unit/unit-t-two",
        ]

    return pulumi.Output.all(auth.role_arns["t-one"], auth.role_arns["t-two"]).apply(check)
