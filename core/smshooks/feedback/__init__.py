"""The customer's feedback webhook: delivery outcomes (and, on request, inbound SMS) to the
customer's own HTTPS endpoint, in the seed's payload shape, signed, retried. (Not a vendor
webhook of type ``feedback``, which brings delivery reports in: see ``smshooks.inbound``.)

The services the API and the console call (each takes a Gateway and a Scope):

- :mod:`~smshooks.feedback.settings` the webhook of a scope: get, create, update, delete,
  rotate its signing secret, enable it again (replaying what it missed);
- :mod:`~smshooks.feedback.rules` what its fields may hold (headers, auth, secrets);
- :mod:`~smshooks.feedback.deliveries` the delivery log with attempts, replay one or many;
- :mod:`~smshooks.feedback.sample` a signed sample event sent now.

The machinery:

- :mod:`~smshooks.feedback.emit` writes deliveries in the caller's transaction
  (``emit_for_report``, ``emit_message_status``, ``relay_inbound``);
- :mod:`~smshooks.feedback.payload` builds the JSON bodies;
- :mod:`~smshooks.feedback.delivery` is the worker's ``feedback`` job;
- :mod:`~smshooks.feedback.signing` holds Standard Webhooks and JWT, and
  :mod:`~smshooks.feedback.transport` one signed POST;
- :mod:`~smshooks.feedback.endpoint_health` disables an endpoint failing for too long;
- :mod:`smshooks.targets` keeps deliveries off private networks;
- :mod:`~smshooks.feedback.replay` sends deliveries again.
"""

from smshooks.feedback.emit import JOB_KIND, emit_for_report, emit_message_status, relay_inbound

__all__ = ["JOB_KIND", "emit_for_report", "emit_message_status", "relay_inbound"]
