"""A service role: what an AWS service (or this project's functions) assumes to act for one of the components."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from tenancy import documents, naming


def service_role(
    parent: pulumi.Resource,
    name: str,
    *,
    role_name: str,
    description: str,
    trust_policy: documents.Document,
    tags: dict[str, str],
) -> aws.iam.Role:
    """A role under the service-role path (apart from the tenant roles the auth policy admits), with a fixed name,
    so a replacement deletes the old role first (the quota checks count these, SERVICE_ROLES per stack)."""
    return aws.iam.Role(
        name,
        name=role_name,
        path=naming.SERVICE_ROLE_PATH,
        description=description,
        assume_role_policy=documents.compact_json(trust_policy),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, delete_before_replace=True),
    )
