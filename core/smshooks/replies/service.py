"""The reply templates of one scope: named messages the keyword settings answer subscribers with.

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors`. A template is checked
when saved by rendering it for a sample subscriber; every answer shows that sample and its SMS cost.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.errors import INVALID_FIELDS, Conflict, Invalid
from smshooks.gateway import Gateway
from smshooks.replies.templates import SAMPLE_CONTEXT, ReplyTemplateError, render, segments
from smshooks.scope import Scope
from smshooks.store.scoped import claim_name, get_scoped, in_scope
from smshooks.store.tables import ReplyTemplate, Webhook, utcnow

#: the longest template source (the API schema's bound)
TEMPLATE_MAX = 4000
#: what :func:`update_reply` may change
CHANGEABLE = ("name", "template")


@dataclass(frozen=True)
class ReplyInfo:
    """A reply template as callers see it, with a sample rendering and its SMS cost."""

    id: str
    name: str
    template: str
    #: :func:`sample` of the template
    sample: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def sample(template: str) -> dict[str, Any]:
    """``template`` rendered for the sample subscriber: ``{text, encoding, characters, segments}``,
    or ``{error}`` when it does not render (a template saved before a limit changed); never raises."""
    try:
        text = render(template, SAMPLE_CONTEXT)
    except ReplyTemplateError as exc:  # a listing never fails for one template
        return {"error": str(exc)}
    cost = segments(text)
    return {"text": text, "encoding": cost.encoding, "characters": cost.characters, "segments": cost.segments}


def check_template(template: str) -> None:
    """:class:`Invalid` (field ``template``) unless ``template`` renders a non-empty message for
    the sample subscriber: the rule a template is saved under."""
    if not 1 <= len(template) <= TEMPLATE_MAX:
        raise Invalid(INVALID_FIELDS, details={"template": [f"Length must be between 1 and {TEMPLATE_MAX}."]})
    try:
        text = render(template, SAMPLE_CONTEXT)
    except ReplyTemplateError as exc:
        raise Invalid("the template does not render", details={"template": [str(exc)]}) from None
    if not text:
        raise Invalid("the template renders to an empty message", details={"template": ["renders empty"]})


def list_replies(gw: Gateway, scope: Scope) -> list[ReplyInfo]:
    """Every reply template of ``scope``, oldest first."""
    with gw.db.session() as session:
        query = select(ReplyTemplate).where(*in_scope(ReplyTemplate, scope)).order_by(ReplyTemplate.created_at)
        return [_info(row) for row in session.execute(query).scalars()]


def get_reply(gw: Gateway, scope: Scope, reply_id: str) -> ReplyInfo:
    """One reply template; :class:`NotFound` ("no such reply") outside ``scope``."""
    with gw.db.session() as session:
        return _info(get_scoped(session, ReplyTemplate, reply_id, scope, "reply"))


def create_reply(gw: Gateway, scope: Scope, *, name: str, template: str) -> ReplyInfo:
    """A new reply template; refused when it does not render (:func:`check_template`) or the
    name is in use (:class:`Conflict`)."""
    check_template(template)
    with gw.db.transaction() as session:
        claim_name(session, ReplyTemplate, scope, name, "reply")
        reply = ReplyTemplate(
            id="rep_" + secrets.token_hex(8), org=scope.org, sandbox=scope.sandbox, name=name, template=template
        )
        session.add(reply)
    return _info(reply)


def update_reply(gw: Gateway, scope: Scope, reply_id: str, changes: Mapping[str, Any]) -> ReplyInfo:
    """Change the name and/or the template (checked as on create) named in ``changes``."""
    unknown = {key: ["Unknown field."] for key in changes if key not in CHANGEABLE}
    if unknown:
        raise Invalid(INVALID_FIELDS, details=unknown)
    if "template" in changes:
        check_template(changes["template"])
    with gw.db.transaction() as session:
        reply = get_scoped(session, ReplyTemplate, reply_id, scope, "reply")
        if "name" in changes:
            claim_name(session, ReplyTemplate, scope, changes["name"], "reply", exclude=reply.id)
        for key, value in changes.items():
            setattr(reply, key, value)
        reply.updated_at = utcnow()
    return _info(reply)


def delete_reply(gw: Gateway, scope: Scope, reply_id: str) -> None:
    """Delete a reply template; :class:`Conflict` (details: the webhook ids) while a webhook's
    keyword settings name it."""
    with gw.db.transaction() as session:
        reply = get_scoped(session, ReplyTemplate, reply_id, scope, "reply")
        users = webhooks_using(session, scope, reply.id)
        if users:
            raise Conflict("the reply is used by webhooks", details={"webhooks": users})
        session.delete(reply)


def webhooks_using(session: Session, scope: Scope, reply_id: str) -> list[str]:
    """The ids of the webhooks of ``scope`` whose keyword settings name ``reply_id``."""
    used = []
    for webhook_id, settings in session.execute(
        select(Webhook.id, Webhook.keyword_settings).where(
            *in_scope(Webhook, scope), Webhook.keyword_settings.is_not(None)
        )
    ):
        if reply_id in reply_ids_named(settings):
            used.append(webhook_id)
    return used


def reply_ids_named(settings: Mapping[str, Any]) -> set[str]:
    """The reply ids a webhook's keyword settings refer to (categories, fuzzy opt-out, default)."""
    ids = {c.get("reply_id") for c in settings.get("categories", [])}
    ids.add((settings.get("fuzzy_opt_out") or {}).get("reply_id"))
    ids.add(settings.get("default_reply_id"))
    return {i for i in ids if i}


def unknown_reply_ids(session: Session, scope: Scope, reply_ids: set[str]) -> list[str]:
    """Those of ``reply_ids`` that no reply template of ``scope`` has, sorted."""
    if not reply_ids:
        return []
    known = set(
        session.execute(
            select(ReplyTemplate.id).where(*in_scope(ReplyTemplate, scope), ReplyTemplate.id.in_(reply_ids))
        ).scalars()
    )
    return sorted(reply_ids - known)


def _info(reply: ReplyTemplate) -> ReplyInfo:
    return ReplyInfo(
        id=reply.id,
        name=reply.name,
        template=reply.template,
        sample=sample(reply.template),
        created_at=reply.created_at,
        updated_at=reply.updated_at,
    )
