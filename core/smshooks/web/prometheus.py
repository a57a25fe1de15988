"""``GET /metrics``: the Prometheus text exposition (no key: restrict it at the proxy or the network).

The outbox gauges are read from the jobs table at each scrape; everything else is
counted as it happens (``smshooks.metrics``).
"""

from __future__ import annotations

from flask import Flask, Response

from smshooks import metrics
from smshooks.gateway import Gateway
from smshooks.outbox.kinds import KINDS


def install(app: Flask, gw: Gateway) -> None:
    outbox = metrics.OutboxCollector(gw.db, kinds=tuple(KINDS))

    @app.get("/metrics")
    def prometheus_metrics() -> Response:
        return Response(metrics.render(outbox), content_type=metrics.CONTENT_TYPE)
