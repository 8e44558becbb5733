"""The shared service network and the resource gateway that carries tenant traffic into the owner VPC."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tenancy import naming


@dataclass(frozen=True)
class NetworkArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    vpc_id: str
    """The owner VPC that holds the database."""
    subnet_ids: list[str]
    """≥2 private subnets in different AZs: the gateway's network interfaces (tenant endpoint AZs must overlap)."""
    associate_owner_vpc: bool
    """Also associate the owner VPC with the network. Off by default: publishing a resource needs no association,
    and a VPC can be associated with only one service network."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class Network(pulumi.ComponentResource):
    """Service network (auth type AWS_IAM) and resource gateway.

    Outputs: service_network_id, service_network_arn, resource_gateway_id, gateway_security_group_id.
    Children: `<name>-sn` ServiceNetwork, `<name>-gateway-sg` SecurityGroup (no rules of its own: the database
    component adds the single egress rule to the DB), `<name>-rgw` ResourceGateway, and `<name>-owner-vpc`
    ServiceNetworkVpcAssociation when associate_owner_vpc is set.
    """

    # Outputs
    service_network_id: pulumi.Output[str]
    """the service network"""
    service_network_arn: pulumi.Output[str]
    """the same, by ARN (what tenants and RAM use)"""
    resource_gateway_id: pulumi.Output[str]
    """the resource gateway"""
    gateway_security_group_id: pulumi.Output[str]
    """the gateway's security group"""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Fixed names: a replacement must delete the old one first, or the new one's name collides.
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)

        self.service_network = aws.vpclattice.ServiceNetwork(
            f"{name}-sn",
            name=naming.service_network(args.name_prefix),
            auth_type="AWS_IAM",
            tags=args.tags,
            opts=replace_by_deleting,
        )
        # A security group created by the provider has AWS's allow-all egress rule removed, so until the
        # database component adds its rule the gateway can reach nothing.
        self.gateway_security_group = aws.ec2.SecurityGroup(
            f"{name}-gateway-sg",
            name_prefix=naming.security_group_prefix(args.name_prefix, "gateway"),
            description="VPC Lattice resource gateway: egress to shared resources only",
            vpc_id=args.vpc_id,
            tags={**args.tags, "Name": f"{args.name_prefix}-gateway"},
            opts=child,
        )
        self.resource_gateway = aws.vpclattice.ResourceGateway(
            f"{name}-rgw",
            name=naming.resource_gateway(args.name_prefix),
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            security_group_ids=[self.gateway_security_group.id],
            ip_address_type="IPV4",
            tags=args.tags,
            opts=replace_by_deleting,
        )
        if args.associate_owner_vpc:
            self.owner_vpc_association = aws.vpclattice.ServiceNetworkVpcAssociation(
                f"{name}-owner-vpc",
                service_network_identifier=self.service_network.id,
                vpc_identifier=args.vpc_id,
                tags=args.tags,
                # A VPC has one service-network association: a replacement must remove the old one first.
                opts=replace_by_deleting,
            )

        self.service_network_id = self.service_network.id
        self.service_network_arn = self.service_network.arn
        self.resource_gateway_id = self.resource_gateway.id
        self.gateway_security_group_id = self.gateway_security_group.id
        self.register_outputs(
            {
                "service_network_id": self.service_network_id,
                "service_network_arn": self.service_network_arn,
                "resource_gateway_id": self.resource_gateway_id,
                "gateway_security_group_id": self.gateway_security_group_id,
            }
        )
