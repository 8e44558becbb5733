"""The lattice-tenancy guardrails: every CrossGuard policy of the pack, grouped by concern in this package.

Importable as `policies.rules` (from the repository root: tests, the offline runner) and as `rules` (by the pack's
`__main__.py`, which the Pulumi CLI runs with the pack folder as working directory). Modules import each other
relatively and nothing outside pulumi_policy, so both work.
"""

from __future__ import annotations

from . import awsconfig, cloudtrail, iam, kms, lattice, logs, monitoring, network, ram, rds, s3, stack, tags
from .common import ResourceRule, Rule, StackRule

PACK_NAME = "lattice-tenancy-guardrails"
PACK_DESCRIPTION = (
    "Guardrails for lattice-tenancy: RDS, the audit bucket, trail and key, security groups and flow logs, IAM, VPC "
    "Lattice (with canary rollback), RAM, alerting (SNS topics, CloudWatch alarms), AWS Config (a recorder switched on, "
    "custom rules that only read), tags."
)

POLICIES: list[ResourceRule | StackRule] = [
    *rds.POLICIES,
    *s3.POLICIES,
    *cloudtrail.POLICIES,
    *kms.POLICIES,
    *logs.POLICIES,
    *monitoring.POLICIES,
    *network.POLICIES,
    *iam.POLICIES,
    *lattice.POLICIES,
    *ram.POLICIES,
    *awsconfig.POLICIES,
    *tags.POLICIES,
    *stack.POLICIES,
]

__all__ = ["PACK_DESCRIPTION", "PACK_NAME", "POLICIES", "ResourceRule", "Rule", "StackRule"]
