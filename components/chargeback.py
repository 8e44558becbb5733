"""Chargeback: cost allocation tag activation (opt-in), the CUR 2.0 data export, and a monthly budget per tenant."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import hardened_bucket
from tenancy import documents, naming
from tenancy.config import CHARGEBACK_TAGS
from tenancy.config import Chargeback as ChargebackSettings
from tenancy.environment import Account

EXPORT_PREFIX = "cur2"
# Where the export bucket's server access logs go in the audit's log bucket.
SERVER_ACCESS_LOG_PREFIX = "cost-export-bucket/"


@dataclass(frozen=True)
class ChargebackArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys (the export's bucket and the budgets' account)."""
    settings: ChargebackSettings
    """The `chargeback` config."""
    tenants: list[str]
    """Every tenant (a budget each when a budget is configured)."""
    topic_arn: pulumi.Input[str]
    """The alerts topic the budgets notify."""
    protect: bool
    """Production: Pulumi `protect` on the export bucket, which is then never force-emptied."""
    server_access_log_bucket: pulumi.Input[str] | None
    """Where the export bucket's server access logs go (the audit's log bucket), under SERVER_ACCESS_LOG_PREFIX."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class Chargeback(pulumi.ComponentResource):
    """Tagged cost, exported and budgeted.

    Children: `<name>-tag-<key>` CostAllocationTag per chargeback tag (opt-in: the management account only);
    with the data export, a hardened `<name>-bucket` (and its guards) and `<name>-export` Export (CUR 2.0, hourly,
    with resource IDs, Parquet); `<name>-budget-<tenant>` Budget per tenant with a budget, notifying the topic at
    80 % of actual and 100 % of forecast cost.
    """

    # Outputs
    export_bucket_name: pulumi.Output[str] | None
    """Where the CUR 2.0 export lands (None without the export)."""

    def __init__(self, name: str, args: ChargebackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:chargeback:Chargeback", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        account, prefix, settings = args.account, args.name_prefix, args.settings

        if settings.activate_cost_allocation_tags:
            for key in CHARGEBACK_TAGS:
                aws.costexplorer.CostAllocationTag(f"{name}-tag-{key}", tag_key=key, status="Active", opts=child)

        self.export_bucket_name = None
        if settings.data_export:
            bucket_name = naming.cost_export_bucket(prefix, account.account_id, account.region)
            export_name = naming.cost_export(prefix)
            bucket, guards = hardened_bucket(
                self,
                f"{name}-bucket",
                bucket_name,
                protect=args.protect,
                tags=args.tags,
                encryption={"sse_algorithm": "AES256"},
                policy=documents.cost_export_bucket_policy(
                    partition=account.partition,
                    bucket=bucket_name,
                    account_id=account.account_id,
                    export_arn_pattern=f"arn:{account.partition}:bcm-data-exports:us-east-1:{account.account_id}:export/*",
                ),
            )
            aws.bcmdata.Export(
                f"{name}-export",
                export={
                    "name": export_name,
                    "description": f"lattice-tenancy {prefix}: hourly cost and usage with resource IDs, for chargeback",
                    "data_queries": [
                        {
                            "query_statement": (
                                "SELECT bill_payer_account_id, line_item_usage_account_id, line_item_resource_id, "
                                "line_item_product_code, line_item_usage_type, line_item_operation, "
                                "line_item_usage_start_date, line_item_usage_amount, line_item_unblended_cost, "
                                "resource_tags FROM COST_AND_USAGE_REPORT"
                            ),
                            "table_configurations": {
                                "COST_AND_USAGE_REPORT": {
                                    "TIME_GRANULARITY": "HOURLY",
                                    "INCLUDE_RESOURCES": "TRUE",
                                    "INCLUDE_SPLIT_COST_ALLOCATION_DATA": "FALSE",
                                    "INCLUDE_MANUAL_DISCOUNT_COMPATIBILITY": "FALSE",
                                    # Required with any table configuration (pulumi_aws bcmdata.Export).
                                    "BILLING_VIEW_ARN": f"arn:{account.partition}:billing::{account.account_id}:billingview/primary",
                                }
                            },
                        }
                    ],
                    "destination_configurations": [
                        {
                            "s3_destinations": [
                                {
                                    "s3_bucket": bucket.id,
                                    "s3_prefix": EXPORT_PREFIX,
                                    "s3_region": account.region,
                                    "s3_output_configurations": [
                                        {
                                            "format": "PARQUET",
                                            "compression": "PARQUET",
                                            "output_type": "CUSTOM",
                                            "overwrite": "OVERWRITE_REPORT",
                                        }
                                    ],
                                }
                            ]
                        }
                    ],
                    "refresh_cadences": [{"frequency": "SYNCHRONOUS"}],
                },
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=guards, delete_before_replace=True),
            )
            if args.server_access_log_bucket is not None:
                aws.s3.BucketLogging(
                    f"{name}-bucket-logging",
                    bucket=bucket.id,
                    target_bucket=args.server_access_log_bucket,
                    target_prefix=SERVER_ACCESS_LOG_PREFIX,
                    opts=child,
                )
            self.export_bucket_name = bucket.id

        for tenant in args.tenants:
            limit = settings.tenant_budgets_usd.get(tenant, settings.monthly_budget_usd)
            if limit is None:
                continue
            aws.budgets.Budget(
                f"{name}-budget-{tenant}",
                name=naming.tenant_budget(prefix, tenant),
                budget_type="COST",
                limit_amount=f"{limit:.2f}",
                limit_unit="USD",
                time_unit="MONTHLY",
                # What is tagged Tenant=<tenant> in this account: its role and records; the shared resources' cost
                # is split by the cost report (README, "Cost and chargeback").
                cost_filters=[{"name": "TagKeyValue", "values": [f"user:Tenant${tenant}"]}],
                notifications=[
                    {
                        "comparison_operator": "GREATER_THAN",
                        "threshold": 80,
                        "threshold_type": "PERCENTAGE",
                        "notification_type": "ACTUAL",
                        "subscriber_sns_topic_arns": [args.topic_arn],
                    },
                    {
                        "comparison_operator": "GREATER_THAN",
                        "threshold": 100,
                        "threshold_type": "PERCENTAGE",
                        "notification_type": "FORECASTED",
                        "subscriber_sns_topic_arns": [args.topic_arn],
                    },
                ],
                tags=args.tags,
                opts=replace_by_deleting,
            )

        self.register_outputs({"export_bucket_name": self.export_bucket_name})
