"""The canary rollback Lambda (functions/canary_rollback/handler.py), against stubbed boto3 clients: no AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from tests.conftest import load_function_handler

handler = load_function_handler("canary_rollback")

REGION = "eu-west-1"
ACCOUNT = "111111111111"
SERVICE = "orders"
SERVICE_ARN = f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:service/svc-0a1b2c3d4e5f60001"
LISTENER_ARN = f"{SERVICE_ARN}/listener/listener-0a1b2c3d4e5f60001"
RULE_ARN = f"{LISTENER_ARN}/rule/rule-0a1b2c3d4e5f60001"
RULE2_ARN = f"{LISTENER_ARN}/rule/rule-0a1b2c3d4e5f60002"
STABLE = "tg-0a1b2c3d4e5f60001"
CANARY = "tg-0a1b2c3d4e5f60002"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:acme-rollback"
PREFIX = "/lattice-tenancy/acme/rollback/"
ALARM = "acme-orders-canary-5xx"
ALARM2 = "acme-orders-canary-latency"

GUARD = {
    "service": SERVICE,
    "serviceArn": SERVICE_ARN,
    "listenerArn": LISTENER_ARN,
    "ruleArns": [RULE_ARN],
    "stableTargetGroup": STABLE,
    "canaryTargetGroup": CANARY,
}
GUARDED = {ALARM: GUARD, ALARM2: GUARD}
ROLLED_BACK = {
    "forward": {
        "targetGroups": [
            {"targetGroupIdentifier": STABLE, "weight": 100},
            {"targetGroupIdentifier": CANARY, "weight": 0},
        ]
    }
}
LISTENER_KEYS = {"serviceIdentifier": SERVICE_ARN, "listenerIdentifier": LISTENER_ARN}


def forward(stable: int, canary: int) -> dict[str, Any]:
    return {
        "forward": {
            "targetGroups": [
                {"targetGroupIdentifier": STABLE, "weight": stable},
                {"targetGroupIdentifier": CANARY, "weight": canary},
            ]
        }
    }


def alarm_event(alarm: str = ALARM, state: str = "ALARM") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": ACCOUNT,
        "time": "2026-03-02T10:15:00Z",
        "region": REGION,
        "detail": {
            "alarmName": alarm,
            "state": {"value": state, "reason": "Threshold Crossed: 1 datapoint [12.0] > 5.0"},
            "previousState": {"value": "OK", "reason": "Threshold Crossed"},
        },
    }


def client(name: str) -> Any:
    return boto3.client(
        name,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=handler.RETRY_CONFIG,
    )


def listener_response(action: dict[str, Any]) -> dict[str, Any]:
    return {"arn": LISTENER_ARN, "name": "http", "protocol": "HTTP", "port": 80, "defaultAction": action}


def rule_response(arn: str, action: dict[str, Any], *, is_default: bool = False) -> dict[str, Any]:
    return {
        "arn": arn,
        "id": arn.rsplit("/", 1)[-1],
        "name": "v2-routes",
        "isDefault": is_default,
        "priority": 10,
        "match": {"httpMatch": {"pathMatch": {"match": {"prefix": "/v2"}, "caseSensitive": True}}},
        "action": action,
    }


def record(changed: list[str], alarm: str = ALARM) -> str:
    event = alarm_event(alarm)
    value = {"rollbackId": event["id"], "alarm": alarm, "at": event["time"], "service": SERVICE, "changed": changed}
    return json.dumps(value, sort_keys=True)


class Clients:
    """Real boto3 clients with Stubbers; the SNS messages published are captured."""

    def __init__(self) -> None:
        self.lattice = client("vpc-lattice")
        self.ssm = client("ssm")
        self.sns = client("sns")
        self.lattice_stub = Stubber(self.lattice)
        self.ssm_stub = Stubber(self.ssm)
        self.sns_stub = Stubber(self.sns)
        self.published: list[dict[str, Any]] = []
        self.sns.meta.events.register("before-parameter-build.sns.Publish", self._capture)

    def _capture(self, params: dict[str, Any], **_: Any) -> None:
        self.published.append(dict(params))

    def expect_publish(self, subject: str) -> None:
        self.sns_stub.add_response(
            "publish", {"MessageId": "m-1"}, {"TopicArn": TOPIC, "Subject": subject, "Message": ANY}
        )

    def expect_record(self, changed: list[str], alarm: str = ALARM) -> None:
        self.ssm_stub.add_response(
            "put_parameter",
            {"Version": 1, "Tier": "Standard"},
            {"Name": PREFIX + SERVICE, "Type": "String", "Overwrite": True, "Value": record(changed, alarm)},
        )

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lattice_stub, self.ssm_stub, self.sns_stub:
            result: dict[str, Any] = handler.rollback(
                event, GUARDED, TOPIC, PREFIX, lattice=self.lattice, ssm=self.ssm, sns=self.sns
            )
            self.assert_all_used()
        return result

    def assert_all_used(self) -> None:
        self.lattice_stub.assert_no_pending_responses()
        self.ssm_stub.assert_no_pending_responses()
        self.sns_stub.assert_no_pending_responses()

    def message(self) -> dict[str, Any]:
        assert len(self.published) == 1
        body: dict[str, Any] = json.loads(self.published[0]["Message"])
        return body


@pytest.fixture
def aws() -> Clients:
    return Clients()


def test_unknown_alarm_is_ignored_without_calls(aws: Clients) -> None:
    # No responses queued: any AWS call would fail with "Unexpected API Call".
    result = aws.run(alarm_event("someone-elses-alarm"))
    assert result["status"] == "ignored"
    assert result["alarm"] == "someone-elses-alarm"
    assert aws.published == []


def test_ok_state_is_ignored(aws: Clients) -> None:
    result = aws.run(alarm_event(ALARM, state="OK"))
    assert result["status"] == "ignored"
    assert "OK" in result["reason"]
    assert aws.published == []


def test_default_rule_rolled_back_through_update_listener(aws: Clients) -> None:
    aws.lattice_stub.add_response("get_listener", listener_response(forward(90, 10)), LISTENER_KEYS)
    aws.lattice_stub.add_response(
        "update_listener", listener_response(ROLLED_BACK), {**LISTENER_KEYS, "defaultAction": ROLLED_BACK}
    )
    # The rule sends nothing to the canary: no UpdateRule is queued, so calling it would fail the test.
    aws.lattice_stub.add_response(
        "get_rule", rule_response(RULE_ARN, forward(100, 0)), {**LISTENER_KEYS, "ruleIdentifier": RULE_ARN}
    )
    aws.expect_record([LISTENER_ARN])
    aws.expect_publish(f"Canary rolled back: {SERVICE} (alarm {ALARM})")

    result = aws.run(alarm_event())

    assert result["status"] == "rolled_back"
    assert result["changed"] == [LISTENER_ARN]
    assert result["rollbackId"] == alarm_event()["id"]
    message = aws.message()
    assert message["status"] == "rolled_back"
    assert message["changed"] == [LISTENER_ARN]


def test_non_default_rule_rolled_back_through_update_rule(aws: Clients) -> None:
    rule_keys = {**LISTENER_KEYS, "ruleIdentifier": RULE_ARN}
    # Default rule forwards only to the stable group (weight defaults to 100 with one group).
    aws.lattice_stub.add_response(
        "get_listener",
        listener_response({"forward": {"targetGroups": [{"targetGroupIdentifier": STABLE}]}}),
        LISTENER_KEYS,
    )
    aws.lattice_stub.add_response("get_rule", rule_response(RULE_ARN, forward(80, 20)), rule_keys)
    # Only the action is sent: match and priority are optional in UpdateRule (PATCH) and stay as they are.
    aws.lattice_stub.add_response(
        "update_rule", rule_response(RULE_ARN, ROLLED_BACK), {**rule_keys, "action": ROLLED_BACK}
    )
    aws.expect_record([RULE_ARN], alarm=ALARM2)
    aws.expect_publish(f"Canary rolled back: {SERVICE} (alarm {ALARM2})")

    result = aws.run(alarm_event(ALARM2))

    assert result["status"] == "rolled_back"
    assert result["changed"] == [RULE_ARN]


def test_already_rolled_back_changes_nothing_and_keeps_the_record(aws: Clients) -> None:
    # Second alarm of the same service after the first rollback: no update, no record write.
    aws.lattice_stub.add_response("get_listener", listener_response(ROLLED_BACK), LISTENER_KEYS)
    aws.lattice_stub.add_response(
        "get_rule", rule_response(RULE_ARN, ROLLED_BACK), {**LISTENER_KEYS, "ruleIdentifier": RULE_ARN}
    )
    aws.expect_publish(f"Canary already rolled back: {SERVICE} (alarm {ALARM2})")

    result = aws.run(alarm_event(ALARM2))

    assert result["status"] == "already_rolled_back"
    assert result["changed"] == []
    assert aws.message()["status"] == "already_rolled_back"


def test_default_rule_listed_as_a_rule_is_not_sent_to_update_rule(aws: Clients) -> None:
    guarded = {ALARM: {**GUARD, "ruleArns": [RULE2_ARN]}}
    aws.lattice_stub.add_response("get_listener", listener_response(ROLLED_BACK), LISTENER_KEYS)
    aws.lattice_stub.add_response(
        "get_rule",
        rule_response(RULE2_ARN, forward(50, 50), is_default=True),
        {**LISTENER_KEYS, "ruleIdentifier": RULE2_ARN},
    )
    aws.expect_publish(f"Canary already rolled back: {SERVICE} (alarm {ALARM})")
    with aws.lattice_stub, aws.ssm_stub, aws.sns_stub:
        result = handler.rollback(alarm_event(), guarded, TOPIC, PREFIX, aws.lattice, aws.ssm, aws.sns)
        aws.assert_all_used()
    assert result["status"] == "already_rolled_back"


@pytest.mark.parametrize(
    ("code", "status", "fail_at"),
    [("ConflictException", 409, "update_listener"), ("AccessDeniedException", 403, "get_listener")],
)
def test_api_error_publishes_failure_and_reraises(aws: Clients, code: str, status: int, fail_at: str) -> None:
    if fail_at == "update_listener":
        aws.lattice_stub.add_response("get_listener", listener_response(forward(90, 10)), LISTENER_KEYS)
        aws.lattice_stub.add_client_error(
            "update_listener", code, "nope", status, expected_params={**LISTENER_KEYS, "defaultAction": ROLLED_BACK}
        )
    else:
        aws.lattice_stub.add_client_error("get_listener", code, "nope", status, expected_params=LISTENER_KEYS)
    aws.expect_publish(f"Canary rollback FAILED: {SERVICE} ({code})")
    # No put_parameter queued: writing the record would fail the test.

    with pytest.raises(ClientError) as raised:
        aws.run(alarm_event())

    assert raised.value.response["Error"]["Code"] == code
    aws.assert_all_used()
    message = aws.message()
    assert message["status"] == "failed"
    assert message["error"] == code
    assert message["changed"] == []


def test_failure_names_what_was_already_changed(aws: Clients) -> None:
    aws.lattice_stub.add_response("get_listener", listener_response(forward(90, 10)), LISTENER_KEYS)
    aws.lattice_stub.add_response(
        "update_listener", listener_response(ROLLED_BACK), {**LISTENER_KEYS, "defaultAction": ROLLED_BACK}
    )
    aws.lattice_stub.add_client_error(
        "get_rule", "ResourceNotFoundException", "gone", 404, {**LISTENER_KEYS, "ruleIdentifier": RULE_ARN}
    )
    aws.expect_publish(f"Canary rollback FAILED: {SERVICE} (ResourceNotFoundException)")
    with pytest.raises(ClientError):
        aws.run(alarm_event())
    assert aws.message()["changed"] == [LISTENER_ARN]


def test_failure_is_reraised_even_if_the_notification_fails(aws: Clients) -> None:
    aws.lattice_stub.add_client_error("get_listener", "AccessDeniedException", "nope", 403, LISTENER_KEYS)
    aws.sns_stub.add_client_error("publish", "AuthorizationError", "no publish", 403)
    with pytest.raises(ClientError) as raised:
        aws.run(alarm_event())
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"


# Stubber answers in the "before-call" event, before botocore's retry loop, so a ThrottlingException queued in a
# Stubber is raised at once (checked: it is). These tests answer at the HTTP layer ("before-send") instead, so the
# real standard-mode retry handler of the client built with RETRY_CONFIG does the retrying.


class FakeLatticeHttp:
    """Answers vpc-lattice HTTP requests from a script of (status, body) per method."""

    def __init__(self, script: dict[str, list[tuple[int, dict[str, Any]]]]) -> None:
        self.script = script
        self.requests: list[tuple[str, str]] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append((request.method, request.url))
        status, body = self.script[request.method].pop(0)
        headers = {"Content-Type": "application/json"}
        if status >= 400:
            headers["x-amzn-ErrorType"] = body["__type"]
        return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


THROTTLED = (429, {"__type": "ThrottlingException", "message": "Rate exceeded"})


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    sleeps: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", sleeps.append)
    return sleeps


def test_throttling_is_retried_by_the_client_config(aws: Clients, no_sleep: list[float]) -> None:
    fake = FakeLatticeHttp(
        {
            "GET": [
                THROTTLED,
                THROTTLED,
                (200, listener_response(forward(90, 10))),
                (200, rule_response(RULE_ARN, ROLLED_BACK)),
            ],
            "PATCH": [THROTTLED, (200, listener_response(ROLLED_BACK))],
        }
    )
    aws.lattice.meta.events.register("before-send.vpc-lattice", fake)
    aws.expect_record([LISTENER_ARN])
    aws.expect_publish(f"Canary rolled back: {SERVICE} (alarm {ALARM})")
    with aws.ssm_stub, aws.sns_stub:
        result = handler.rollback(alarm_event(), GUARDED, TOPIC, PREFIX, aws.lattice, aws.ssm, aws.sns)
    assert result["status"] == "rolled_back"
    assert [method for method, _ in fake.requests] == ["GET", "GET", "GET", "PATCH", "PATCH", "GET"]
    assert len(no_sleep) == 3


def test_throttling_gives_up_after_five_retries(aws: Clients, no_sleep: list[float]) -> None:
    fake = FakeLatticeHttp({"GET": [THROTTLED] * 10})
    aws.lattice.meta.events.register("before-send.vpc-lattice", fake)
    aws.expect_publish(f"Canary rollback FAILED: {SERVICE} (ThrottlingException)")
    with pytest.raises(ClientError) as raised, aws.sns_stub:
        handler.rollback(alarm_event(), GUARDED, TOPIC, PREFIX, aws.lattice, aws.ssm, aws.sns)
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"
    # botocore Config max_attempts=5 means 5 retries after the first request.
    assert len(fake.requests) == 6
    assert aws.message()["status"] == "failed"


def test_the_compact_form_the_program_writes_expands_to_one_guard_per_alarm():
    compact = {"alarms": {ALARM: "orders", ALARM2: "orders"}, "services": {"orders": GUARD}}
    assert handler.load_guarded(json.dumps(compact)) == {ALARM: GUARD, ALARM2: GUARD}
    with pytest.raises(ValueError, match="name no service"):
        handler.load_guarded(json.dumps({"alarms": {ALARM: "other"}, "services": {"orders": GUARD}}))


def test_handle_reads_the_environment_and_builds_retrying_clients(
    aws: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: dict[str, Any] = {}
    stubbed = {"vpc-lattice": aws.lattice, "ssm": aws.ssm, "sns": aws.sns}

    def fake_client(name: str, **kwargs: Any) -> Any:
        built[name] = kwargs
        return stubbed[name]

    monkeypatch.setattr(handler.boto3, "client", fake_client)
    monkeypatch.setenv("GUARDED", json.dumps(GUARDED))
    monkeypatch.setenv("TOPIC_ARN", TOPIC)
    monkeypatch.setenv("RECORD_PREFIX", PREFIX)
    aws.lattice_stub.add_response("get_listener", listener_response(forward(0, 100)), LISTENER_KEYS)
    aws.lattice_stub.add_response(
        "update_listener", listener_response(ROLLED_BACK), {**LISTENER_KEYS, "defaultAction": ROLLED_BACK}
    )
    aws.lattice_stub.add_response(
        "get_rule", rule_response(RULE_ARN, ROLLED_BACK), {**LISTENER_KEYS, "ruleIdentifier": RULE_ARN}
    )
    aws.expect_record([LISTENER_ARN])
    aws.expect_publish(f"Canary rolled back: {SERVICE} (alarm {ALARM})")

    with aws.lattice_stub, aws.ssm_stub, aws.sns_stub:
        result = handler.handle(alarm_event(), None)
        aws.assert_all_used()

    assert result["status"] == "rolled_back"
    assert set(built) == {"vpc-lattice", "ssm", "sns"}
    for kwargs in built.values():
        # Config turns retries max_attempts=5 into 6 attempts in all (the first request plus 5 retries).
        assert kwargs["config"].retries == {"mode": "standard", "total_max_attempts": 6}


def test_canary_weight() -> None:
    arn = f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:targetgroup/{CANARY}"
    assert handler.canary_weight(forward(90, 10), CANARY) == 10
    assert handler.canary_weight(forward(100, 0), CANARY) == 0
    assert handler.canary_weight({"fixedResponse": {"statusCode": 404}}, CANARY) == 0
    assert handler.canary_weight(None, CANARY) == 0
    # One target group without a weight gets the API default of 100.
    assert handler.canary_weight({"forward": {"targetGroups": [{"targetGroupIdentifier": CANARY}]}}, CANARY) == 100
    # IDs and ARNs of the same target group match.
    assert (
        handler.canary_weight({"forward": {"targetGroups": [{"targetGroupIdentifier": arn, "weight": 5}]}}, CANARY) == 5
    )


def test_subject_stays_under_100_characters_on_one_line() -> None:
    subject = handler.subject_line("Canary rolled back: " + "x" * 200 + "\nsecond line")
    assert len(subject) < 100
    assert "\n" not in subject
    assert handler.subject_line("short\tsubject") == "short subject"


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        json.dumps({ALARM: "orders"}),
        json.dumps({ALARM: {k: v for k, v in GUARD.items() if k != "canaryTargetGroup"}}),
        json.dumps({ALARM: {**GUARD, "ruleArns": RULE_ARN}}),
    ],
)
def test_bad_guarded_is_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        handler.load_guarded(text)


def test_guarded_without_rules_is_accepted() -> None:
    guard = {k: v for k, v in GUARD.items() if k != "ruleArns"}
    assert handler.load_guarded(json.dumps({ALARM: guard})) == {ALARM: guard}
