"""KMS keys (the audit key): rotated, not deletable at short notice, and usable by AWS services only for this account's
resources, never by everyone."""

from __future__ import annotations

from .common import (
    CRITICAL,
    HIGH,
    LOW,
    MANDATORY,
    MEDIUM,
    SOURCE_KEYS,
    DocumentError,
    ResourceRule,
    StackRule,
    allows,
    document,
    format_list,
    is_public_principal,
    is_true,
    label,
    limited_by,
    number,
    principals,
    statements,
    text,
)

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"

# Condition keys that, pinned to fixed values, keep a Principal "*" statement to one account, organization, principal,
# network or source (AWS Config kms-key-policy-no-public-access: only fixed values make a key policy non-public).
CALLER_KEYS = (
    "kms:calleraccount",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourcevpce",
    "aws:sourcevpc",
)
ENCRYPTION_CONTEXT = "kms:encryptioncontext:"


def _rotation(args, config, report):
    props = args.props
    spec = text(props.get("customerMasterKeySpec")) or "SYMMETRIC_DEFAULT"
    if spec != "SYMMETRIC_DEFAULT" or text(props.get("customKeyStoreId")) or text(props.get("xksKeyId")):
        return  # asymmetric and HMAC keys, and keys in a custom key store, can't rotate automatically
    if not is_true(props.get("enableKeyRotation")):
        report("enableKeyRotation is not true (the default is false): set enable_key_rotation=True")


def _deletion_window(args, config, report):
    minimum = config["minimumDays"]
    days = number(args.props.get("deletionWindowInDays"))
    if days is not None and days < minimum:  # unset: AWS waits 30 days
        report(
            f"deletionWindowInDays is {days:g}: a scheduled deletion of the key (and of everything it encrypts) could "
            f"go unnoticed; wait at least {minimum} days"
        )


def _key_policy(args, report):
    """The key's policy document, or None when the key keeps AWS's default policy (the account only)."""
    raw = args.props.get("policy")
    if raw is None:
        return None
    try:
        return document(raw)
    except DocumentError as error:
        report(f"the key policy {error}")
        return None


def _no_public_principal(args, config, report):
    doc = _key_policy(args, report)
    found = [
        label(s, i)
        for i, s in enumerate(statements(doc) if doc else [])
        if allows(s) and is_public_principal(s) and not limited_by(s, lambda key: key in CALLER_KEYS)
    ]
    if found:
        report(
            f'{format_list(found)} allow Principal "*" without a condition on a fixed account, organization, '
            f"principal, source or VPC: any AWS account could use the key"
        )


def _service_limited(statement) -> bool:
    return limited_by(statement, lambda key: key in SOURCE_KEYS or key.startswith(ENCRYPTION_CONTEXT))


def _service_conditions(args, config, report):
    doc = _key_policy(args, report)
    for i, s in enumerate(statements(doc) if doc else []):
        services = principals(s).get("Service", [])
        if allows(s) and services and not _service_limited(s):
            report(
                f"{label(s, i)} allows {format_list(services)} without a kms:EncryptionContext, aws:SourceArn or "
                f"aws:SourceAccount condition naming this account's resources: the service could use the key on "
                f"behalf of any account's trail or log group (confused deputy)"
            )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "kms-key-rotation",
        "Symmetric KMS keys rotate their key material automatically",
        types=[KEY],
        check=_rotation,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub KMS.4", "CIS 3.8", "checkov CKV_AWS_7"],
    ),
    ResourceRule(
        "kms-key-deletion-window",
        "KMS keys wait at least the configured number of days before a scheduled deletion",
        types=[KEY],
        check=_deletion_window,
        level=MANDATORY,
        severity=LOW,
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": 7,
                "description": "Fewest days between scheduling a key's deletion and the deletion (AWS allows 7-30; "
                "unset waits 30).",
            }
        },
    ),
    ResourceRule(
        "kms-key-policy-no-public-principal",
        'KMS key policies never allow Principal "*" without a condition pinning the caller',
        types=[KEY, KEY_POLICY],
        check=_no_public_principal,
        level=MANDATORY,
        severity=CRITICAL,
        controls=["AWS Config kms-key-policy-no-public-access"],
    ),
    ResourceRule(
        "kms-key-policy-service-conditions",
        "KMS key policy statements for AWS services are limited by encryption context or source",
        types=[KEY, KEY_POLICY],
        check=_service_conditions,
        level=MANDATORY,
        severity=HIGH,
    ),
]
