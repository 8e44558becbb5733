"""An AWS stand-in for Pulumi's mock engine: answers provider functions and fills in what AWS computes.

What it answers is deterministic (IDs are derived from resource names), so two runs of the same config record the
same resources byte for byte. Per-type outputs live in tooling.resource_types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks

from tooling.resource_types import Where, fake_id, outputs_of


@dataclass(frozen=True)
class SubnetFact:
    vpc_id: str
    availability_zone_id: str


@dataclass(frozen=True)
class VpcFact:
    dns_support: bool = True
    dns_hostnames: bool = True


# What the stand-in's RDS offers: the latest minor version per MySQL major, and the classes it can order (the
# burstable families up to 2xlarge, the others from large). Enough to tell "db.t4g.smal" from "db.t4g.small".
MYSQL_VERSIONS = {"8.0": "8.0.43", "8.4": "8.4.7"}
_BURSTABLE = {"t3", "t4g"}
_FAMILIES = _BURSTABLE | {"m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m7g", "m7i", "r5", "r5b", "r6g", "r6gd", "r6i",
                          "r7g", "r7i", "x2g"}  # fmt: skip
_SIZES = ["micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"]


def orderable(instance_class: str) -> bool:
    prefix, _, rest = instance_class.partition(".")
    family, _, size = rest.partition(".")
    if prefix != "db" or family not in _FAMILIES or size not in _SIZES:
        return False
    index = _SIZES.index(size)
    return index <= _SIZES.index("2xlarge") if family in _BURSTABLE else index >= _SIZES.index("large")


def assumed_subnets(vpc_id: str, subnet_ids: list[str], region: str) -> dict[str, SubnetFact]:
    """Offline stand-in for subnets named in a stack file: in the configured VPC, spread over AZs 1, 2, 3."""
    area, *directions, number = region.split("-")
    # AWS's AZ ID convention: eu-west-1 → euw1, ap-northeast-1 → apne1, us-east-1 → use1.
    codes = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c"}

    def code(word: str) -> str:
        for half in ("north", "south"):
            if word.startswith(half) and word != half:
                return codes[half] + code(word[len(half) :])
        return codes.get(word, word[0])

    direction = "".join(code(d) for d in directions)
    short = f"{area}{direction}{number}"
    return {s: SubnetFact(vpc_id, f"{short}-az{i % 3 + 1}") for i, s in enumerate(subnet_ids)}


class OfflineAws(pulumi_mocks.Mocks):
    """Answers provider functions and fills in what AWS would compute for each resource type."""

    def __init__(
        self,
        account_id: str = "111111111111",
        region: str = "eu-west-1",
        subnets: Mapping[str, SubnetFact] | None = None,
        stacks: Mapping[str, Mapping[str, Any]] | None = None,
        vpcs: Mapping[str, VpcFact] | None = None,
        quotas: Mapping[tuple[str, str], float] | None = None,
        parameters: Mapping[str, str] | None = None,
        organizations: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.account_id = account_id
        # VPC attributes by ID; a VPC not listed has DNS support and host names on (the console's default).
        self.vpcs = dict(vpcs or {})
        # Service Quotas values by (service code, quota code): the defaults unless a test raises one.
        self.quotas = {("vpc", "L-0EA8095F"): 60.0, **(quotas or {})}
        # SSM parameters by name (the canary rollback records); none unless a test writes one.
        self.parameters = dict(parameters or {})
        # Accounts per OU ID ({"id", "name", "status", "tags"}); an OU not listed holds two example accounts.
        self.organizations = {k: list(v) for k, v in (organizations or {}).items()}
        self.region = region
        self.subnets = dict(subnets or {})
        # Other stacks' outputs, by fully qualified name, for StackReference reads.
        self.stacks = {name: dict(outputs) for name, outputs in (stacks or {}).items()}
        # VPC endpoints created in this run, by ID, for the endpoint-associations lookup.
        self.endpoints: dict[str, dict[str, Any]] = {}

    # Provider functions ------------------------------------------------------------------------------------
    def call(self, args: pulumi_mocks.MockCallArgs):
        token, a = args.token, args.args
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{self.account_id}:role/deployer"
            return {"accountId": self.account_id, "arn": arn, "userId": "AROAOFFLINE", "id": self.account_id}
        if token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region, "description": self.region}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:ec2/getSubnet:getSubnet":
            fact = self.subnets.get(str(a.get("id")))
            if fact is None:
                raise Exception(f"InvalidSubnetID.NotFound: the subnet ID '{a.get('id')}' does not exist")
            return {
                "id": a["id"],
                "vpcId": fact.vpc_id,
                "availabilityZoneId": fact.availability_zone_id,
                "availabilityZone": f"{self.region}{'abcdefgh'[int(fact.availability_zone_id[-1]) - 1]}",
            }
        if token == "aws:ec2/getVpc:getVpc":
            vpc = self.vpcs.get(a["id"], VpcFact())
            return {
                "id": a["id"],
                "arn": Where(self.account_id, self.region).arn("ec2", f"vpc/{a['id']}"),
                "enableDnsSupport": vpc.dns_support,
                "enableDnsHostnames": vpc.dns_hostnames,
                "cidrBlock": "10.0.0.0/16",
                "ownerId": self.account_id,
            }
        if token == "aws:rds/getEngineVersion:getEngineVersion":
            version = MYSQL_VERSIONS.get(a.get("version", ""))
            if a.get("engine") != "mysql" or version is None:
                raise Exception("no RDS engine versions found matching criteria; try different search")
            return {"engine": "mysql", "version": version, "versionActual": version, "id": version,
                    "parameterGroupFamily": f"mysql{a['version']}", "status": "available"}  # fmt: skip
        if token == "aws:rds/getOrderableDbInstance:getOrderableDbInstance":
            wanted = [a["instanceClass"]] if a.get("instanceClass") else a.get("preferredInstanceClasses", [])
            found = next((c for c in wanted if orderable(c)), None)
            if a.get("engineVersion") not in MYSQL_VERSIONS.values() or found is None:
                raise Exception("no RDS Orderable DB Instance found matching criteria; try different search")
            return {"id": found, "engine": "mysql", "engineVersion": a["engineVersion"], "instanceClass": found,
                    "storageType": a.get("storageType", "gp3")}  # fmt: skip
        if token == "aws:servicequotas/getServiceQuota:getServiceQuota":
            value = self.quotas.get((str(a.get("serviceCode")), str(a.get("quotaCode"))))
            if value is None:
                raise Exception(f"NoSuchResourceException: quota {a.get('quotaCode')} is not known offline")
            return {"id": a["quotaCode"], "quotaCode": a["quotaCode"], "serviceCode": a["serviceCode"], "value": value,
                    "defaultValue": value, "adjustable": True, "globalQuota": False}  # fmt: skip
        if token == "aws:ssm/getParametersByPath:getParametersByPath":
            prefix = str(a.get("path", "")).rstrip("/") + "/"
            found = sorted((k, v) for k, v in self.parameters.items() if k.startswith(prefix))
            return {"id": a.get("path"), "path": a.get("path"), "names": [k for k, _ in found],
                    "values": [v for _, v in found], "types": ["String" for _ in found],
                    "arns": [Where(self.account_id, self.region).arn("ssm", f"parameter{k}") for k, _ in found]}  # fmt: skip
        if token == "aws:organizations/getOrganizationalUnitDescendantAccounts:getOrganizationalUnitDescendantAccounts":
            accounts = self._ou_accounts(str(a.get("parentId")))
            return {"id": a.get("parentId"), "parentId": a.get("parentId"), "accounts": [
                {"id": x["id"], "name": x["name"], "status": x.get("status", "ACTIVE"), "state": x.get("status", "ACTIVE"),
                 "arn": f"arn:aws:organizations::{self.account_id}:account/o-offline/{x['id']}",
                 "email": f"{x['id']}@example.com", "joinedMethod": "CREATED", "joinedTimestamp": "2026-01-01T00:00:00Z"}
                for x in accounts]}  # fmt: skip
        if token == "aws:organizations/getResourceTags:getResourceTags":
            tags = next(
                (x.get("tags", {}) for ou in self.organizations.values() for x in ou if x["id"] == a.get("resourceId")),
                None,
            )
            if tags is None:
                tags = next((x.get("tags", {}) for x in self._ou_accounts("") if x["id"] == a.get("resourceId")), {})
            return {"id": a.get("resourceId"), "resourceId": a.get("resourceId"), "tags": tags}
        if token == "aws:vpc/getEndpointAssociations:getEndpointAssociations":
            return {
                "vpcEndpointId": a["vpcEndpointId"],
                "associations": self._endpoint_associations(a["vpcEndpointId"]),
            }
        raise NotImplementedError(f"offline AWS has no answer for {token}; add it to tenancy/offline.py")

    def _ou_accounts(self, ou_id: str) -> list[dict[str, Any]]:
        if ou_id in self.organizations:
            return self.organizations[ou_id]
        # An example OU: an account named after its team, and one that names its tenant by tag.
        return [
            {"id": "444444444444", "name": "Analytics Prod", "status": "ACTIVE", "tags": {}},
            {"id": "555555555555", "name": "acct-7731", "status": "ACTIVE",
             "tags": {"lattice-tenancy:tenant": "payments", "lattice-tenancy:team": "Payments"}},
        ]  # fmt: skip

    def _endpoint_associations(self, endpoint_id: str) -> list[dict[str, Any]]:
        """What DescribeVpcEndpointAssociations reports: one association per resource the endpoint reaches, each
        with the endpoint's own DNS name for it (`vpce-…-snra-…` through a service network, `vpce-…` directly)."""
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            raise Exception(f"InvalidVpcEndpointId.NotFound: the VPC endpoint '{endpoint_id}' does not exist")
        if endpoint.get("vpcEndpointType") == "Resource":
            resources = [(endpoint["resourceConfigurationArn"], endpoint_id)]
        else:
            network = endpoint.get("serviceNetworkArn")
            resources = [
                (outputs["resource_configuration_arn"], f"{endpoint_id}-{fake_id('snra', endpoint_id + rcfg)}")
                for outputs in self.stacks.values()
                if outputs.get("service_network_arn") == network and (rcfg := outputs.get("resource_configuration_arn"))
            ]
        return [
            {
                "id": fake_id("vpce-rsc-asc", arn),
                "associatedResourceArn": arn,
                "associatedResourceAccessibility": "Accessible",
                "dnsEntries": [
                    {
                        "dnsName": f"{label}.{arn.rsplit('/', 1)[-1]}.4232ccc.vpc-lattice-rsc.{self.region}.on.aws",
                        "hostedZoneId": "Z0OFFLINEVPCE",
                    }
                ],
                "privateDnsEntries": [],
                **({"serviceNetworkArn": endpoint["serviceNetworkArn"]} if "serviceNetworkArn" in endpoint else {}),
            }
            for arn, label in resources
        ]

    # Resources ---------------------------------------------------------------------------------------------

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        state = dict(args.inputs)
        if "namePrefix" in state and "name" not in state:
            # The provider completes a name prefix with a 26-character unique suffix (a timestamp and a counter);
            # offline the suffix is derived from the resource, so plans stay byte-stable.
            digits = str(int(hashlib.sha256(f"{args.typ}/{args.name}".encode()).hexdigest(), 16))[:26]
            state["name"] = state["namePrefix"] + digits
        computed = self._computed(args.typ, args.name, state)
        resource_id = computed.pop("id", None) or f"{args.name}-id"
        return resource_id, {**state, **computed}

    def _computed(self, typ: str, name: str, s: dict[str, Any]) -> dict[str, Any]:
        if typ == "pulumi:pulumi:StackReference":
            stack = s.get("name", name)
            if stack not in self.stacks:
                raise Exception(f"unknown stack {stack!r}")
            return {"id": stack, "outputs": self.stacks[stack], "secretOutputNames": []}
        computed = outputs_of(typ)(Where(self.account_id, self.region), f"{typ}/{name}", name, s)
        if typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            self.endpoints[computed["id"]] = dict(s)  # for the endpoint-associations lookup
        return computed
