"""The gateway's Prometheus metrics: their definitions, and how ``/metrics`` renders them. No Flask.

Who counts what: the web layer counts vendor and API requests (an ``after_request``,
``smshooks.web.request_log``); the built-in plugin ``smshooks.builtin.metrics`` counts
stored and duplicate events on the observer hooks; ``smshooks.inbound.receive`` counts
the items of a batch it refused while taking the others; the keyword pipeline and the consent
ledger count decisions and changes with :func:`count_on_commit` (only what committed);
``smshooks.observe`` counts delivery attempts; :class:`OutboxCollector` reads the outbox
table at scrape time.

Labels are vendor names, webhook types, HTTP statuses, route templates, keyword
categories, pipeline actions, consent states, job kinds and outcomes: small fixed sets,
never an organisation, a number, a message or a secret.

Multi-process: with ``PROMETHEUS_MULTIPROC_DIR`` set (to an empty, writable directory)
before the first import of ``prometheus_client``, every process writes its samples to
files there and :func:`render` adds them up (prometheus_client's multiprocess mode) —
web processes and the ``smshooks worker`` processes of the same host alike.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from smshooks.outbox.jobs import PENDING, RUNNING
from smshooks.store.db import Database
from smshooks.store.tables import Job, utcnow
from smshooks.store.unit import Unit

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
#: seconds; a vendor request stores in milliseconds, a slow template or database in seconds
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: seconds; an HTTP call to a vendor API or a feedback receiver (timeouts at 15 s)
DELIVERY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)

VENDOR_REQUESTS = Counter(
    "smshooks_vendor_requests",
    "Requests vendors made to /hooks/<id>, by vendor, webhook type (inbound, feedback) and answer status",
    ["vendor", "webhook_type", "status"],
)
VENDOR_REQUEST_SECONDS = Histogram(
    "smshooks_vendor_request_duration_seconds",
    "Time to answer a vendor request to /hooks/<id>",
    ["vendor", "webhook_type"],
    buckets=REQUEST_BUCKETS,
)
API_REQUESTS = Counter(
    "smshooks_api_requests",
    "Admin API requests, by method, route template and answer status",
    ["method", "route", "status"],
)
API_REQUEST_SECONDS = Histogram(
    "smshooks_api_request_duration_seconds",
    "Time to answer an admin API request",
    ["method", "route"],
    buckets=REQUEST_BUCKETS,
)
API_KEY_REFUSALS = Counter(
    "smshooks_api_key_refusals",
    "API requests refused for their key: unknown (or revoked), expired, scope (403), throttled (429)",
    ["reason"],
)
EVENTS_STORED = Counter(
    "smshooks_events_stored",
    "Events stored for the first time, by vendor and kind (inbound, delivery_report)",
    ["vendor", "kind"],
)
EVENTS_DUPLICATE = Counter(
    "smshooks_events_duplicate",
    "Events a vendor delivered again (already stored; nothing changed)",
    ["vendor", "kind"],
)
REFUSED_ITEMS = Counter(
    "smshooks_refused_items",
    "Items of a vendor batch not stored because they could not be read (malformed, or not fit for storing)"
    " while the batch's other items were taken and the vendor answered 2xx",
    ["vendor"],
)
PIPELINE_DECISIONS = Counter(
    "smshooks_pipeline_decisions",
    "Inbound messages decided by the keyword pipeline, by category and action",
    ["category", "action"],
)
CONSENT_CHANGES = Counter(
    "smshooks_consent_changes",
    "Consent ledger entries, by the new state (opted_out, opted_in, pending, none) and action",
    ["new_state", "action"],
)
DELIVERY_ATTEMPTS = Counter(
    "smshooks_delivery_attempts",
    "Outbox delivery attempts (send_sms to a vendor, feedback to a receiver), by outcome:"
    " success, retry, failed (for good), disabled (the feedback endpoint is gone), error (unexpected; retried)",
    ["kind", "outcome"],
)
FEEDBACK_WEBHOOKS_DISABLED = Counter(
    "smshooks_feedback_webhooks_disabled",
    "Feedback webhooks smshooks disabled, by reason: gone (the endpoint answered 410),"
    " failing (no successful attempt for longer than SMSHOOKS_FEEDBACK_DISABLE_AFTER)",
    ["reason"],
)
DELIVERY_SECONDS = Histogram(
    "smshooks_delivery_duration_seconds",
    "Time of one delivery attempt's HTTP call",
    ["kind"],
    buckets=DELIVERY_BUCKETS,
)

_PENDING_COUNTS = "smshooks.metrics.on_commit"


#: (metric, label values) -> the labelled child: ``labels()`` checks and locks on every call
_CHILDREN: dict[tuple[Any, tuple[tuple[str, str], ...]], Any] = {}


def labelled(metric: Any, **labels: str) -> Any:
    """``metric.labels(**labels)``, kept: the vendor path counts the same few label sets on every request."""
    key = (metric, tuple(labels.items()))
    child = _CHILDREN.get(key)
    if child is None:
        if len(_CHILDREN) > 10_000:  # label values are small fixed sets; this is only a bound
            _CHILDREN.clear()
        child = _CHILDREN[key] = metric.labels(**labels)
    return child


def count_on_commit(writer: Session | Unit, counter: Counter, **labels: str) -> None:
    """Count one on ``counter`` when ``writer``'s transaction commits (nothing if it rolls back)."""
    if isinstance(writer, Unit):
        writer.after_commit(labelled(counter, **labels).inc)
        return
    writer.info.setdefault(_PENDING_COUNTS, []).append((counter, labels))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING_COUNTS, ()):
        labelled(counter, **labels).inc()


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_COUNTS, None)


class OutboxCollector:
    """The outbox as it is at scrape time, read from the jobs table: the jobs waiting
    (pending or running) and how late the oldest due pending job of each kind is.

    ``smshooks_database_up`` is 0 when the query fails (the other series are then absent).
    """

    def __init__(self, db: Database, kinds: Sequence[str]) -> None:
        self.db = db
        self.kinds = tuple(kinds)

    def describe(self) -> list[Any]:
        return []  # not collected at registration: no query before the first scrape

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("smshooks_database_up", "1 when the outbox query at this scrape succeeded")
        now = utcnow()
        try:
            with self.db.session() as session:
                counts = session.execute(
                    select(Job.kind, Job.state, func.count())
                    .where(Job.state.in_([PENDING, RUNNING]))
                    .group_by(Job.kind, Job.state)
                ).all()
                oldest = session.execute(
                    select(Job.kind, func.min(Job.due_at))
                    .where(Job.state == PENDING, Job.due_at <= now)
                    .group_by(Job.kind)
                ).all()
        except Exception as exc:
            log.warning("metrics: the outbox query failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(
            "smshooks_outbox_jobs",
            "Outbox jobs not finished, by kind and state (pending, running)",
            labels=["kind", "state"],
        )
        found = {(kind, state): count for kind, state, count in counts}
        for kind in sorted(set(self.kinds) | {kind for kind, _ in found}):
            for state in (PENDING, RUNNING):
                depth.add_metric([kind, state], found.get((kind, state), 0))
        yield depth
        age = GaugeMetricFamily(
            "smshooks_outbox_oldest_due_age_seconds",
            "Seconds the oldest due pending job of each kind has waited past its due time (0: none due)",
            labels=["kind"],
        )
        due = {kind: at for kind, at in oldest}
        for kind in sorted(set(self.kinds) | set(due)):
            at = due.get(kind)
            age.add_metric([kind], max(0.0, (now - at).total_seconds()) if at is not None else 0.0)
        yield age


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def start_metrics_server(host: str, port: int) -> Any:
    """Serve this process's samples (or, in multi-process mode, all of them) at ``http://host:port/metrics``
    from a daemon thread: ``smshooks worker --metrics-port``, for a worker with no web process beside it.
    Returns the server (``shutdown()`` stops it). The outbox gauges are left to the web processes'
    ``/metrics``: they read the shared database, and one copy per worker would only repeat them."""
    from prometheus_client import start_http_server

    registry: CollectorRegistry = REGISTRY
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server


def render(outbox: OutboxCollector | None = None) -> bytes:
    """The exposition text of this process (or, in multi-process mode, of all the processes
    writing to ``PROMETHEUS_MULTIPROC_DIR``), followed by the outbox read now."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if outbox is not None:
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(outbox)
        text += generate_latest(scrape)
    return text
