"""The smshooks plugin contract.

A plugin is a module (or any object) with functions named after these specs and
decorated with :data:`hookimpl`. Installed plugins are found through the
``smshooks`` entry point group::

    [options.entry_points]
    smshooks =
        twilio = smshooks_twilio

Every hook below is documented here and exercised by the test suite
(``tests/test_hookspecs.py`` fails when one is not). The types the hooks
receive come from the other contract modules (:mod:`smshooks.events`,
:mod:`smshooks.contract.classification`, :mod:`smshooks.vendor`), never from the host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from typing import Any

    from smshooks.contract.classification import Classification, KeywordConfigView
    from smshooks.events import DeliveryReport, FeedbackEvent, InboundMessage, Status
    from smshooks.vendor import Vendor

PROJECT = "smshooks"

hookspec = pluggy.HookspecMarker(PROJECT)
#: decorate a plugin's hook functions with this
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def smshooks_register_vendors() -> list[Vendor]:
    """Return the vendor adapters this plugin provides.

    Each adapter is an instance of a :class:`smshooks.vendor.Vendor` subclass
    with a unique ``name``; credentials and webhooks refer to it by that name.
    Called once when the app is created.
    """


@hookspec
def smshooks_inbound_handled(message: InboundMessage, duplicate: bool) -> None:
    """Observe an inbound message after it was stored (the transaction committed).

    ``duplicate`` is true when the vendor re-delivered a message already
    stored; nothing was changed for it. Exceptions raised here are logged and
    never reach the vendor.
    """


@hookspec
def smshooks_delivery_report_handled(report: DeliveryReport, duplicate: bool, message_status: Status | None) -> None:
    """Observe a delivery report after it was stored (the transaction committed).

    ``message_status`` is the status of the reported message after this
    report was applied: statuses only move forward, so a late ``sent``
    leaves a ``delivered`` message ``delivered``. Exceptions raised here are
    logged and never reach the vendor.
    """


@hookspec
def smshooks_feedback_payload(payload: dict[str, Any], delivery: FeedbackEvent) -> None:
    """Add fields to a feedback payload about to be sent to a feedback webhook.

    Called in the worker before each attempt, before the body is signed, with
    a copy of the stored payload (``eventType`` ``message.feedback`` or
    ``message.inbound``) that the hook may change in place: add keys, never
    remove the seed's ones. ``delivery`` tells which delivery this is (its
    ``id`` is the ``webhook-id``), its organisation, sandbox, event type,
    message id, target URL and attempt number. The payload must stay
    JSON-serializable; when a hook raises, the error is logged and the
    payload is sent as built, without any hook's changes.
    """


@hookspec
def smshooks_classify(text: str | None, config: KeywordConfigView, result: Classification) -> Classification | None:
    """Refine or veto the fuzzy opt-out decision about one inbound message.

    Called after the built-in keyword rules classified ``text`` under the
    webhook's ``config`` into ``result``, only when fuzzy opt-out is enabled
    and nothing matched exactly (exact keywords are never put to plugins).
    ``config`` is read-only (:class:`smshooks.contract.classification.KeywordConfigView`).
    Return None for no opinion, a fuzzy opt-out
    (``Classification(Category.OPT_OUT, Match.FUZZY, rule="MODEL")``, all three
    from :mod:`smshooks.contract.classification`) to catch
    a revocation the rules missed, or ``NO_MATCH`` to veto a fuzzy opt-out;
    anything else is ignored with a warning. The first implementation that
    answers (in pluggy's call order) decides; when it disagrees with the
    rules, the stored decision carries its rule (at most 8 characters,
    "HOOK" if none) and ``decided_by`` naming the plugin. Must be pure and
    fast (it runs for every inbound message); exceptions are logged and the
    built-in decision stands. See ``smshooks.keywords.hooks``.
    """
