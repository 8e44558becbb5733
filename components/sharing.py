"""The AWS RAM share that makes the service network (and optionally the resource configuration) visible to tenants."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tenancy import naming


@dataclass(frozen=True)
class SharingArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    resources: dict[str, pulumi.Input[str]]
    """ARNs to share, keyed by a short label used in child names ("serviceNetwork" → `<name>-serviceNetwork`)."""
    principals: list[str]
    """12-digit account IDs, organization ARNs or OU ARNs (validated by tenancy.config)."""
    allow_external_principals: bool
    """True only when accounts outside the organization are named explicitly."""
    tags: dict[str, str]
    """Tags for the share."""


class Sharing(pulumi.ComponentResource):
    """One RAM resource share and its associations, owned exclusively by this stack.

    Outputs: resource_share_arn.
    Children: `<name>-share` ResourceShare and `<name>-associations` ResourceShareAssociationsExclusive (every
    shared resource and principal in one resource: a principal or resource added to the share by anyone else is
    removed on the next `pulumi up`, and thousands of tenants are one resource, not thousands).
    """

    # Outputs
    resource_share_arn: pulumi.Output[str]
    """the RAM share"""

    def __init__(self, name: str, args: SharingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:sharing:Sharing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.share = aws.ram.ResourceShare(
            f"{name}-share",
            name=naming.resource_share(args.name_prefix),
            allow_external_principals=args.allow_external_principals,
            tags=args.tags,
            opts=child,
        )
        aws.ram.ResourceShareAssociationsExclusive(
            f"{name}-associations",
            resource_share_arn=self.share.arn,
            resource_arns=[arn for _, arn in sorted(args.resources.items())],
            principals=list(args.principals),
            opts=child,
        )

        self.resource_share_arn = self.share.arn
        self.register_outputs({"resource_share_arn": self.resource_share_arn})
