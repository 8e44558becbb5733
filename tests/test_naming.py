"""Physical names fit AWS's rules (botocore's patterns, or the documented rule where botocore has none)."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter

from tenancy import naming
from tenancy.config import NamePrefix
from tests.aws_models import accepts

LONGEST_PREFIX = "a-" * 11 + "zz"  # 24 characters: the longest NamePrefix accepts
LONGEST_TENANT = "t" * 32
LONGEST_REGION = "ap-southeast-5"  # 14; the S3 budget below allows 16


@pytest.mark.parametrize("prefix", ["abc", "acme-shared-db", LONGEST_PREFIX])
def test_lattice_names_match_the_api_models(prefix):
    assert accepts("vpc-lattice", "ServiceNetworkName", naming.service_network(prefix))
    assert accepts("vpc-lattice", "ResourceGatewayName", naming.resource_gateway(prefix))
    assert accepts("vpc-lattice", "ResourceConfigurationName", naming.resource_configuration(prefix))


@pytest.mark.parametrize("prefix", ["abc", LONGEST_PREFIX])
def test_iam_and_logs_names_match_the_api_models(prefix):
    assert accepts("iam", "roleNameType", naming.tenant_role(prefix, LONGEST_TENANT))
    assert accepts("iam", "pathType", naming.role_path(prefix))
    assert accepts("logs", "LogGroupName", naming.access_log_group(prefix))


@pytest.mark.parametrize("prefix", ["abc", LONGEST_PREFIX])
def test_rds_s3_and_cloudtrail_names_follow_the_documented_rules(prefix):
    # RDS: 1-63 letters, digits, hyphens; a letter first; no trailing hyphen or "--".
    rds = re.compile(r"(?=.{1,63}$)[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]")
    assert rds.fullmatch(naming.database(prefix)) and rds.fullmatch(
        naming.final_snapshot(prefix, "aws-managed", "lattice_admin")
    )
    # S3: 3-63 lowercase letters, digits, hyphens; letter or digit at both ends.
    bucket = naming.audit_bucket(prefix, "111111111111", LONGEST_REGION + "xx")
    assert re.fullmatch(r"(?=.{3,63}$)[a-z0-9][a-z0-9-]*[a-z0-9]", bucket), bucket
    # CloudTrail: 3-128 letters, digits, . _ -, starting with a letter or digit, no adjacent separators.
    assert re.fullmatch(r"(?=.{3,128}$)[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?![._-]))*", naming.trail(prefix))


def test_the_longest_prefix_is_one_the_config_accepts():
    assert TypeAdapter(NamePrefix).validate_python(LONGEST_PREFIX) == LONGEST_PREFIX
    with pytest.raises(ValueError):
        TypeAdapter(NamePrefix).validate_python(LONGEST_PREFIX + "z")


RCFG = "arn:aws:vpc-lattice:eu-west-1:111111111111:resourceconfiguration/rcfg-0db"
OTHER_RCFG = "arn:aws:vpc-lattice:eu-west-1:111111111111:resourceconfiguration/rcfg-0other"


@pytest.mark.parametrize(
    ("mode", "associations", "expected"),
    [
        ("association", [], "snra-0.rcfg-0db.vpc-lattice-rsc.eu-west-1.on.aws"),
        ("endpoint", [(OTHER_RCFG, "vpce-1-snra-9.rcfg-0other.x.on.aws"), (RCFG, "vpce-1-snra-2.rcfg-0db.x.on.aws")],
         "vpce-1-snra-2.rcfg-0db.x.on.aws"),
        ("resource", [(RCFG, "vpce-1.rcfg-0db.x.on.aws")], "vpce-1.rcfg-0db.x.on.aws"),
        ("endpoint", [(OTHER_RCFG, "vpce-1-snra-9.rcfg-0other.x.on.aws")], None),  # not reported (yet)
        ("endpoint", [(RCFG, None)], None),  # pending: no DNS entry yet
    ],
)  # fmt: skip
def test_the_connectable_dns_name_is_picked_per_mode_and_by_resource_arn(mode, associations, expected):
    assert (
        naming.connectable_dns_name(
            mode,
            resource_configuration_arn=RCFG,
            association_dns_name="snra-0.rcfg-0db.vpc-lattice-rsc.eu-west-1.on.aws",
            endpoint_associations=associations,
        )
        == expected
    )
