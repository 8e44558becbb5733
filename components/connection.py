"""The tenant side: accept the owner's share where an invitation is needed, and connect the tenant VPC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from tenancy import naming


@dataclass(frozen=True)
class ConnectionArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    vpc_id: str
    """The tenant VPC."""
    subnet_ids: list[str]
    """Subnets for the endpoint's network interfaces (≥2 AZs that overlap the owner's resource gateway AZs)."""
    client_security_group_ids: list[str]
    """The tenant's security groups whose members may reach the shared resources."""
    ports: list[int]
    """TCP ports the clients may reach through the endpoint (the database port first, then service ports)."""
    mode: Literal["endpoint", "association", "resource"]
    """"endpoint" (service-network VPC endpoint), "association" (service-network VPC association) or "resource"
    (resource VPC endpoint to the shared resource configuration only)."""
    service_network_arn: pulumi.Input[str]
    """The owner's network, by ARN (an ID does not resolve across accounts)."""
    resource_configuration_arn: pulumi.Input[str]
    """The owner's database resource configuration (the resource of "resource" mode, and the association to look
    up the endpoint's DNS name for)."""
    association_dns_name: pulumi.Input[str] | None
    """The owner's `snra-…` name for the database (what "association" mode resolves)."""
    share_arn: pulumi.Input[str] | None
    """The owner's RAM share to accept, or None where the organization shares without invitations."""
    tags: dict[str, str]
    """Tags for every taggable child."""


def _field(value: Any, key: str) -> Any:
    # Invoke results arrive as output types or, nested in lists, as plain dicts with the same snake_case keys.
    return value.get(key) if isinstance(value, dict) else getattr(value, key, None)


def _arn_and_dns_name(association: Any) -> tuple[str, str | None]:
    entries = _field(association, "dns_entries") or []
    return _field(association, "associated_resource_arn"), _field(entries[0], "dns_name") if entries else None


class Connection(pulumi.ComponentResource):
    """The tenant VPC's way into the owner's service network.

    Outputs: security_group_id, endpoint_id (endpoint and resource modes), association_id (association mode),
    database_dns_name (the Lattice DNS name of the database that resolves in this VPC, per mode).
    Children: `<name>-accepter` ResourceShareAccepter (only when share_arn is given), `<name>-sg` SecurityGroup,
    `<name>-<client sg>-<port>` SecurityGroupIngressRule per client group and port, and `<name>-endpoint`
    VpcEndpoint (type ServiceNetwork or Resource) or `<name>-association` ServiceNetworkVpcAssociation, after the
    accepter.
    """

    # Outputs
    security_group_id: pulumi.Output[str]
    """the endpoint's (or association's) security group"""
    endpoint_id: pulumi.Output[str] | None
    """endpoint and resource modes"""
    association_id: pulumi.Output[str] | None
    """association mode"""
    database_dns_name: pulumi.Output[str | None]
    """the Lattice DNS name of the database that resolves in this VPC"""

    def __init__(self, name: str, args: ConnectionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:connection:Connection", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        accepted: list[pulumi.Resource] = []
        if args.share_arn is not None:
            accepted.append(aws.ram.ResourceShareAccepter(f"{name}-accepter", share_arn=args.share_arn, opts=child))

        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name_prefix=naming.security_group_prefix(args.name_prefix, "lattice"),
            description="VPC Lattice: shared resources, from the listed client security groups only",
            vpc_id=args.vpc_id,
            tags={**args.tags, "Name": f"{args.name_prefix}-lattice"},
            opts=child,
        )
        for client in args.client_security_group_ids:
            for port in args.ports:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{client}-{port}",
                    security_group_id=self.security_group.id,
                    referenced_security_group_id=client,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    description=f"Clients in {client} to port {port} through VPC Lattice",
                    tags=args.tags,
                    opts=child,
                )

        after_acceptance = pulumi.ResourceOptions(parent=self, depends_on=accepted)
        self.endpoint_id: pulumi.Output[str] | None = None
        self.association_id: pulumi.Output[str] | None = None
        if args.mode in ("endpoint", "resource"):
            # Private DNS: for an ARN resource configuration Lattice answers for the RDS endpoint's own host
            # name inside this VPC, so clients keep using it (and TLS host name checks keep passing).
            endpoint = aws.ec2.VpcEndpoint(
                f"{name}-endpoint",
                vpc_endpoint_type="ServiceNetwork" if args.mode == "endpoint" else "Resource",
                service_network_arn=args.service_network_arn if args.mode == "endpoint" else None,
                resource_configuration_arn=args.resource_configuration_arn if args.mode == "resource" else None,
                vpc_id=args.vpc_id,
                subnet_ids=args.subnet_ids,
                security_group_ids=[self.security_group.id],
                private_dns_enabled=True,
                tags={**args.tags, "Name": f"{args.name_prefix}-lattice"},
                opts=after_acceptance,
            )
            self.endpoint_id = endpoint.id
            associations = aws.vpc.get_endpoint_associations_output(
                vpc_endpoint_id=endpoint.id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.database_dns_name = pulumi.Output.all(
                associations.associations, args.resource_configuration_arn
            ).apply(
                lambda values: naming.connectable_dns_name(
                    args.mode,
                    resource_configuration_arn=values[1],
                    association_dns_name=None,
                    endpoint_associations=[_arn_and_dns_name(a) for a in values[0] or []],
                )
            )
        else:
            association = aws.vpclattice.ServiceNetworkVpcAssociation(
                f"{name}-association",
                service_network_identifier=args.service_network_arn,
                vpc_identifier=args.vpc_id,
                security_group_ids=[self.security_group.id],
                tags=args.tags,
                # A VPC has one service-network association: a replacement must remove the old one first.
                opts=pulumi.ResourceOptions.merge(after_acceptance, pulumi.ResourceOptions(delete_before_replace=True)),
            )
            self.association_id = association.id
            self.database_dns_name = pulumi.Output.from_input(args.association_dns_name)

        self.security_group_id = self.security_group.id
        self.register_outputs(
            {
                "security_group_id": self.security_group_id,
                "endpoint_id": self.endpoint_id,
                "association_id": self.association_id,
                "database_dns_name": self.database_dns_name,
            }
        )
