"""Tags: every taggable resource says who manages it, which stack declared it and whom its cost is charged to (cost
center, environment); a tenant's role also names the tenant and its team."""

from __future__ import annotations

from .common import ADVISORY, LOW, ResourceRule, StackRule, format_list, stack_of, text

STACK_TAG = "LatticeTenancyStack"
ROLE = "aws:iam/role:Role"
# The tag that makes a role a tenant's (iam.py's ABAC tags): its account, so the role's cost is the tenant's.
TENANT_ROLE_TAG = "TenantAccount"

# Resource types that take `tags` (checked against pulumi_aws by the tests): those this program declares, and the
# ones it is likely to grow. A type missing here is not checked, so the tests also require every taggable type the
# real stacks declare to be listed.
TAGGABLE = (
    "aws:arcregionswitch/plan:Plan",
    "aws:cfg/rule:Rule",
    "aws:bcmdata/export:Export",
    "aws:budgets/budget:Budget",
    "aws:cloudtrail/trail:Trail",
    "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:kms/key:Key",
    "aws:lambda/function:Function",
    "aws:ram/resourceShare:ResourceShare",
    "aws:rds/instance:Instance",
    "aws:rds/optionGroup:OptionGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:s3/bucket:Bucket",
    "aws:sns/topic:Topic",
    "aws:ssm/parameter:Parameter",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription",
    "aws:vpclattice/listener:Listener",
    "aws:vpclattice/listenerRule:ListenerRule",
    "aws:vpclattice/resourceConfiguration:ResourceConfiguration",
    "aws:vpclattice/resourceGateway:ResourceGateway",
    "aws:vpclattice/service:Service",
    "aws:vpclattice/serviceNetwork:ServiceNetwork",
    "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation",
    "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation",
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation",
    "aws:vpclattice/targetGroup:TargetGroup",
)


def _required_tags(args, config, report):
    tags = args.props.get("tags") or {}
    missing = [key for key in config["requiredTags"] if not text(tags.get(key)).strip()]
    if missing:
        report(f"missing tag(s) {format_list(missing)}")
    if args.resource_type == ROLE and text(tags.get(TENANT_ROLE_TAG)).strip():
        missing = [key for key in config["tenantRoleTags"] if key not in missing and not text(tags.get(key)).strip()]
        if missing:
            report(
                f"tenant role (tagged {TENANT_ROLE_TAG}) missing tag(s) {format_list(missing)}: budgets and the cost "
                f"report charge a tenant by these tags"
            )
    declared, stack = text(tags.get(STACK_TAG)), stack_of(args.urn)
    if declared and stack and declared != stack:
        report(f"tag {STACK_TAG}={declared!r} names another stack than {stack!r}, which declares the resource")


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "required-tags",
        "Taggable resources carry the required tags (ownership and chargeback), tenant roles also Tenant and Team, "
        "and LatticeTenancyStack names their own stack",
        types=TAGGABLE,
        check=_required_tags,
        level=ADVISORY,
        severity=LOW,
        config={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["ManagedBy", STACK_TAG, "CostCenter", "Environment"],
                "description": "Tag keys every taggable resource must carry with a non-empty value.",
            },
            "tenantRoleTags": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["Tenant", "Team"],
                "description": f"Tag keys a tenant's IAM role (one tagged {TENANT_ROLE_TAG}) must carry as well.",
            },
        },
    ),
]
