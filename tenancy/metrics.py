"""The metrics this project alarms on and draws, defined once: the alarms and the dashboard read the same list.

Plain data, tested without Pulumi. Access-log metrics come from metric filters on the Lattice access log group
(patterns in tenancy.config.AccessLogPatterns); service metrics are VPC Lattice's own (names UNCONFIRMED, overridable
per service as `alarms.metrics`, see tenancy.config.CanaryMetrics).
"""

from __future__ import annotations

from dataclasses import dataclass

from tenancy.config import AccessLogPatterns, CanaryMetrics, MonitoringAlarms


@dataclass(frozen=True)
class AccessLogMetric:
    """A metric a filter counts from the access logs: 1 per matching record."""

    key: str  # also the alarm name's suffix
    metric_name: str
    pattern: str
    # One low-cardinality dimension (a service ARN: few per stack), or None for a single series.
    dimension: tuple[str, str] | None
    threshold: int
    title: str


def access_log_metrics(patterns: AccessLogPatterns, alarms: MonitoringAlarms) -> list[AccessLogMetric]:
    return [
        AccessLogMetric(
            "denied", "DeniedRequests", patterns.denied, ("Service", "$.serviceArn"), alarms.denied_requests,
            "Requests denied by auth policy, per service",
        ),
        AccessLogMetric(
            "server-errors", "ServerErrors", patterns.server_errors, ("Service", "$.serviceArn"), alarms.server_errors,
            "5xx responses, per service",
        ),
        AccessLogMetric(
            "db-connection-failures", "DatabaseConnectionFailures", patterns.database_connection_failures, None,
            alarms.database_connection_failures, "Failed connections on the database path",
        ),
    ]  # fmt: skip


def service_metrics(metrics: CanaryMetrics) -> list[tuple[str, str, str]]:
    """(metric name, statistic, title) of a Lattice service's own metrics, by the Service dimension."""
    return [
        (metrics.requests, "Sum", "requests"),
        (metrics.errors, "Sum", "5xx"),
        (metrics.latency, "p99", "p99 latency (ms)"),
    ]
