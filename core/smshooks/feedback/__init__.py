"""The feedback emitter: delivery outcomes (and, on request, inbound SMS) to the
customer's own HTTPS endpoint, in the seed's payload shape, signed, retried.

- :mod:`~smshooks.feedback.emit` writes deliveries in the caller's transaction
  (``emit_for_report``, ``emit_message_status``, ``relay_inbound``);
- :mod:`~smshooks.feedback.payload` builds the JSON bodies;
- :mod:`~smshooks.feedback.delivery` is the worker's ``feedback`` job;
- :mod:`~smshooks.feedback.signing` holds Standard Webhooks and JWT;
- :mod:`smshooks.targets` keeps deliveries off private networks;
- :mod:`~smshooks.feedback.replay` sends deliveries again.
"""

from smshooks.feedback.emit import JOB_KIND, emit_for_report, emit_message_status, relay_inbound

__all__ = ["JOB_KIND", "emit_for_report", "emit_message_status", "relay_inbound"]
