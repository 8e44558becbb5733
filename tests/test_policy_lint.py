"""Every JSON policy the program emits passes parliament, a static IAM linter, except the waivers explained here.

The README lists the same waivers with their reasons.
"""

from __future__ import annotations

import json

import parliament
import pytest

from tests.conftest import default_owner_run
from tooling.records import reveal

# (document kind, parliament finding) → why it is accepted.
WAIVERS = {
    ("trust policy", "MALFORMED"): "a role trust policy is resource-based: it has no Resource element, and parliament "
    "reads every document as an identity policy",
    ("auth policy", "RESOURCE_STAR"): "an auth policy on a service network covers that network's services; Resource "
    "'*' is AWS's documented form, and the one Allow carries five conditions",
    ("tenant role policy", "CREDENTIALS_EXPOSURE"): "rds-db:connect is the point of the role: it yields a database "
    "token, scoped to the tenant's own DB user ARN",
    ("tenant role policy", "PERMISSIONS_MANAGEMENT_ACTIONS"): "parliament lists rds-db:connect here too; same scope",
    ("key policy", "RESOURCE_STAR"): "in a key policy Resource '*' means this key; it is the only form KMS accepts",
    ("key policy", "PERMISSIONS_MANAGEMENT_ACTIONS"): "the account root's kms:* is AWS's default key policy statement: "
    "without it IAM policies can't grant use of the key and the key becomes unmanageable",
    ("topic policy", "PERMISSIONS_MANAGEMENT_ACTIONS"): "the account's own administrators keep managing the topic "
    "(sns:SetTopicAttributes), as SNS's default topic policy lets them; publishers get sns:Publish only",
    ("key policy", "UNKNOWN_CONDITION_FOR_ACTION"): "CloudWatch Logs' documented key policy grants kms:Describe* under "
    "the encryption-context condition; kept as AWS documents it (the condition can only narrow what it grants)",
}


def documents():
    run = default_owner_run()
    found = []
    for r in run.registrations:
        for key, kind in (("assumeRolePolicy", "trust policy"), ("policy", None)):
            if key in r.inputs:
                kind = (
                    kind
                    or {
                        "aws:vpclattice/authPolicy:AuthPolicy": "auth policy",
                        "aws:iam/rolePolicy:RolePolicy": "tenant role policy"
                        if r.inputs.get("name") == "lattice-tenancy-access"
                        else "service role policy",
                        "aws:s3/bucketPolicy:BucketPolicy": "bucket policy",
                        "aws:kms/key:Key": "key policy",
                        "aws:sns/topicPolicy:TopicPolicy": "topic policy",
                    }[r.type]
                )
                found.append((kind, r.urn, reveal(r.inputs[key])))
    return found


# Sorted by URN: the engine registers resources in an order that may vary between runs, and pytest-xdist needs
# every worker to collect the same tests in the same order.
DOCUMENTS = sorted(documents(), key=lambda d: d[1])


@pytest.mark.parametrize(("kind", "urn", "text"), DOCUMENTS, ids=[d[1].rsplit("::", 1)[-1] for d in DOCUMENTS])
def test_policy_passes_the_linter_or_is_waived(kind, urn, text):
    json.loads(text)
    findings = parliament.analyze_policy_string(text, include_community_auditors=True).findings
    unexplained = [(f.issue, f.detail) for f in findings if (kind, f.issue) not in WAIVERS]
    assert unexplained == [], f"{urn}: {unexplained}"


def test_every_waiver_is_still_needed():
    used = set()
    for kind, _, text in DOCUMENTS:
        used |= {
            (kind, f.issue) for f in parliament.analyze_policy_string(text, include_community_auditors=True).findings
        }
    assert set(WAIVERS) <= used, f"stale waivers: {set(WAIVERS) - used}"


def test_the_linter_does_catch_a_wrong_condition_type():
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "vpc-lattice-svcs:Invoke",
                "Resource": "*",
                "Condition": {"DateGreaterThan": {"vpc-lattice-svcs:SourceVpcOwnerAccount": "2026-01-01T00:00:00Z"}},
            }
        ],
    }
    findings = parliament.analyze_policy_string(json.dumps(bad)).findings
    assert any(f.issue.startswith("MISMATCHED_TYPE") for f in findings)
