"""Running the real program offline: Pulumi's mock engine, an AWS stand-in, and a recorder of every resource.

Used by the tests (and by the offline plan and policy runner). Nothing here is imported by `pulumi up`.
What the stand-in answers is deterministic (IDs are derived from resource names), so two runs of the same
config record the same resources byte for byte.
"""

from __future__ import annotations

import contextvars
import hashlib
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS, get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "lattice-tenancy"


def _fake_id(prefix: str, seed: str, length: int = 17) -> str:
    return f"{prefix}-{hashlib.sha256(seed.encode()).hexdigest()[:length]}"


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
    ) -> None:
        self.account_id = account_id
        # VPC attributes by ID; a VPC not listed has DNS support and host names on (the console's default).
        self.vpcs = dict(vpcs or {})
        # Service Quotas values by (service code, quota code): the defaults unless a test raises one.
        self.quotas = {("vpc", "L-0EA8095F"): 60.0, **(quotas or {})}
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
            fact = self.subnets.get(a.get("id"))
            if fact is None:
                raise Exception(f"InvalidSubnetID.NotFound: the subnet ID '{a.get('id')}' does not exist")
            return {
                "id": a["id"],
                "vpcId": fact.vpc_id,
                "availabilityZoneId": fact.availability_zone_id,
                "availabilityZone": f"{self.region}{'abcdefgh'[int(fact.availability_zone_id[-1]) - 1]}",
            }
        if token == "aws:ec2/getVpc:getVpc":
            fact = self.vpcs.get(a.get("id"), VpcFact())
            return {
                "id": a["id"],
                "arn": self._arn("ec2", f"vpc/{a['id']}"),
                "enableDnsSupport": fact.dns_support,
                "enableDnsHostnames": fact.dns_hostnames,
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
            value = self.quotas.get((a.get("serviceCode"), a.get("quotaCode")))
            if value is None:
                raise Exception(f"NoSuchResourceException: quota {a.get('quotaCode')} is not known offline")
            return {"id": a["quotaCode"], "quotaCode": a["quotaCode"], "serviceCode": a["serviceCode"], "value": value,
                    "defaultValue": value, "adjustable": True, "globalQuota": False}  # fmt: skip
        if token == "aws:vpc/getEndpointAssociations:getEndpointAssociations":
            return {
                "vpcEndpointId": a["vpcEndpointId"],
                "associations": self._endpoint_associations(a["vpcEndpointId"]),
            }
        raise NotImplementedError(f"offline AWS has no answer for {token}; add it to tenancy/offline.py")

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
                (outputs["resource_configuration_arn"], f"{endpoint_id}-{_fake_id('snra', endpoint_id + rcfg)}")
                for outputs in self.stacks.values()
                if outputs.get("service_network_arn") == network and (rcfg := outputs.get("resource_configuration_arn"))
            ]
        return [
            {
                "id": _fake_id("vpce-rsc-asc", arn),
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

    def _arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id if account else ''}:{resource}"

    def _computed(self, typ: str, name: str, s: dict[str, Any]) -> dict[str, Any]:
        seed = f"{typ}/{name}"
        if typ == "aws:vpclattice/serviceNetwork:ServiceNetwork":
            sn = _fake_id("sn", seed)
            return {"id": sn, "arn": self._arn("vpc-lattice", f"servicenetwork/{sn}")}
        if typ == "aws:vpclattice/resourceGateway:ResourceGateway":
            rgw = _fake_id("rgw", seed)
            return {"id": rgw, "arn": self._arn("vpc-lattice", f"resourcegateway/{rgw}")}
        if typ == "aws:vpclattice/resourceConfiguration:ResourceConfiguration":
            rcfg = _fake_id("rcfg", seed)
            return {"id": rcfg, "arn": self._arn("vpc-lattice", f"resourceconfiguration/{rcfg}")}
        if typ == "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation":
            snra = _fake_id("snra", seed)
            domain = f"{snra}.{s.get('resourceConfigurationIdentifier')}.vpc-lattice-rsc.{self.region}.on.aws"
            return {
                "id": snra,
                "arn": self._arn("vpc-lattice", f"servicenetworkresourceassociation/{snra}"),
                "dnsEntries": [{"domainName": domain, "hostedZoneId": "Z0OFFLINE"}],
            }
        if typ == "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation":
            snva = _fake_id("snva", seed)
            return {"id": snva, "arn": self._arn("vpc-lattice", f"servicenetworkvpcassociation/{snva}")}
        if typ == "aws:vpclattice/accessLogSubscription:AccessLogSubscription":
            als = _fake_id("als", seed)
            return {"id": als, "arn": self._arn("vpc-lattice", f"accesslogsubscription/{als}")}
        if typ == "aws:vpclattice/authPolicy:AuthPolicy":
            return {"id": s.get("resourceIdentifier"), "state": "Active"}
        if typ == "aws:rds/instance:Instance":
            identifier = s.get("identifier", name)
            resource_id = "db-" + hashlib.sha256(seed.encode()).hexdigest()[:26].upper()
            address = f"{identifier}.c0offline000.{self.region}.rds.amazonaws.com"
            port = int(s.get("port", 3306))
            secret = self._arn("secretsmanager", f"secret:rds!{resource_id.lower()}-AbCdEf")
            return {
                "id": resource_id,
                "arn": self._arn("rds", f"db:{identifier}"),
                "resourceId": resource_id,
                "address": address,
                "port": port,
                "endpoint": f"{address}:{port}",
                "masterUserSecrets": [{"secretArn": secret, "secretStatus": "active", "kmsKeyId": ""}],
            }
        if typ == "aws:rds/subnetGroup:SubnetGroup":
            return {"id": s["name"], "arn": self._arn("rds", f"subgrp:{s['name']}")}
        if typ == "aws:ec2/securityGroup:SecurityGroup":
            sg = _fake_id("sg", seed)
            return {"id": sg, "arn": self._arn("ec2", f"security-group/{sg}")}
        if typ.startswith("aws:vpc/securityGroup"):
            return {"id": _fake_id("sgr", seed)}
        if typ == "aws:iam/role:Role":
            return {
                "id": s["name"],
                "arn": f"arn:aws:iam::{self.account_id}:role{s.get('path', '/')}{s['name']}",
                "uniqueId": _fake_id("AROA", seed, 17).upper(),
            }
        if typ == "aws:iam/rolePolicy:RolePolicy":
            return {"id": f"{s.get('role')}:{s.get('name')}"}
        if typ == "aws:ram/resourceShare:ResourceShare":
            arn = self._arn("ram", "resource-share/" + _fake_id("share", seed, 32).removeprefix("share-"))
            return {"id": arn, "arn": arn}
        if typ in (
            "aws:ram/resourceAssociation:ResourceAssociation",
            "aws:ram/principalAssociation:PrincipalAssociation",
        ):
            return {"id": f"{s.get('resourceShareArn')},{s.get('resourceArn') or s.get('principal')}"}
        if typ == "aws:s3/bucket:Bucket":
            return {"id": s["bucket"], "arn": f"arn:aws:s3:::{s['bucket']}"}
        if typ.startswith("aws:s3/"):
            return {"id": s.get("bucket", name)}
        if typ == "aws:cloudtrail/trail:Trail":
            return {"id": s["name"], "arn": self._arn("cloudtrail", f"trail/{s['name']}")}
        if typ == "aws:kms/key:Key":
            digest = hashlib.sha256(seed.encode()).hexdigest()
            key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
            return {"id": key_id, "keyId": key_id, "arn": self._arn("kms", f"key/{key_id}")}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return {"id": s["name"], "arn": self._arn("logs", f"log-group:{s['name']}")}
        if typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            endpoint_id = _fake_id("vpce", seed)
            self.endpoints[endpoint_id] = dict(s)
            return {"id": endpoint_id}
        if typ == "pulumi:pulumi:StackReference":
            stack = s.get("name", name)
            if stack not in self.stacks:
                raise Exception(f"unknown stack {stack!r}")
            return {"id": stack, "outputs": self.stacks[stack], "secretOutputNames": []}
        return {"id": f"{name}-id", "arn": self._arn("offline", f"{typ}/{name}")}


# How the engine's wire format marks a secret value (pulumi.runtime.rpc._special_secret_sig).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def reveal(value: Any) -> Any:
    """The value with every secret wrapper removed (for assertions on what would reach AWS)."""
    if is_secret(value):
        return reveal(value.get("value"))
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


@dataclass
class Registration:
    """One resource as the engine would receive it: camelCase wire inputs, parent, dependencies, options."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    is_read: bool = False
    delete_before_replace: bool = False

    @property
    def plain(self) -> dict[str, Any]:
        """The inputs with secrets revealed."""
        return reveal(self.inputs)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also keeping each registration request as the real engine would get it."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def _record(self, request, urn: str, is_read: bool) -> None:
        inputs = json_format.MessageToDict(request.properties if is_read else request.object)
        self.registrations.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=True if is_read else bool(request.custom),
                inputs=inputs,
                dependencies=sorted(request.dependencies),
                property_dependencies={} if is_read else {
                    k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items())
                },
                protect=False if is_read else bool(request.protect),
                is_read=is_read,
                delete_before_replace=False if is_read else bool(request.deleteBeforeReplace),
            )
        )  # fmt: skip

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self._record(request, response.urn, is_read=False)
        return response

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self._record(request, response.urn, is_read=True)
        return response


class ProgramError(Exception):
    """The program stopped with a user-facing error (pulumi.RunError): the message is what a user would see."""

    def __init__(self, message: str, registrations: list[Registration]) -> None:
        super().__init__(message)
        self.registrations = registrations  # what had been declared before the error


@dataclass
class RunResult:
    stack: str
    registrations: list[Registration]
    exports: dict[str, Any]
    secret_exports: set[str] = field(default_factory=set)

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == typ]

    def one(self, typ: str) -> Registration:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, found {[r.urn for r in found]}"
        return found[0]


def _quiet_unretrieved(loop, context) -> None:
    # A failed run re-raises its first error to the caller; the engine's other futures holding the same error are
    # never awaited, and asyncio would print each again when it collects them.
    if context.get("message", "").startswith(("Future exception was never retrieved", "Task exception was never")):
        return
    loop.default_exception_handler(context)


def run_program(
    config: Mapping[str, str],
    *,
    stack: str,
    mocks: pulumi_mocks.Mocks,
    secret_keys: set[str] | frozenset[str] = frozenset(),
    program: Path | Callable[[], None] = ROOT / "__main__.py",
) -> RunResult:
    """Run the Pulumi program once under mocks in a fresh context; return what it declared and exported.

    Raises ProgramError with the user-facing message when the program ends with pulumi.RunError.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    def run() -> RunResult:
        pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
        # As @pulumi.runtime.test does: tasks and RPC failures of an earlier (failed) run must not leak into this one.
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        exports: dict[str, Any] = {}
        secret_exports: set[str] = set()

        async def main() -> None:
            if callable(program):
                program()
            else:
                runpy.run_path(str(program), run_name="__main__")
            for key, value in sorted(get_root_resource().outputs.items()):
                output = pulumi.Output.from_input(value)
                exports[key] = await output.future()
                if await output.is_secret():
                    secret_exports.add(key)

        _ensure_event_loop().set_exception_handler(_quiet_unretrieved)
        try:
            _sync_await(run_pulumi_func(main))
        except pulumi.RunError as error:
            raise ProgramError(str(error), monitor.registrations) from None
        return RunResult(stack, monitor.registrations, exports, secret_exports)

    return contextvars.Context().run(run)
