"""One email per recipient: Jinja templates for the words, css-inline for the looks, the
standard ``email`` package for the MIME structure.

The templates live in ``templates/email/`` (``subject.txt.j2``, ``message.txt.j2``,
``message.html.j2`` and ``email.css``); a workspace overrides any of them by putting a file of
the same name in its own ``templates/email/``. HTML templates autoescape: a stakeholder's name
or a fact can never inject markup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    import jinja2

    from briefgen.config import Stakeholder
    from briefgen.facts.schema import Brief

__all__ = [
    "Attachment",
    "Content",
    "assemble",
    "attachment_name",
    "brief_article",
    "content_hash",
    "inline_css",
    "message_id",
    "render_content",
]

TEMPLATES = ("email/subject.txt.j2", "email/message.txt.j2", "email/message.html.j2")


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes

    @property
    def size_text(self) -> str:
        size = len(self.data)
        return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


@dataclass(frozen=True)
class Content:
    """The rendered words of one message, before it gets headers."""

    subject: str
    text: str
    html: str


def content_hash(brief: Brief) -> str:
    """What a delivery is of: the brief's facts, not its rendering, so that a new theme or
    WeasyPrint release does not count as a new brief and re-send everything."""
    return hashlib.sha256(brief.model_dump_json().encode("utf-8")).hexdigest()


def message_id(document: str, recipient: str, channel: str, sender: str, *, variant: str = "") -> str:
    """The Message-ID of ``document`` (a brief or edition id) for ``recipient`` on ``channel``:
    the same on every run and every machine, so a receiver can drop a copy whatever happened
    to the sender's ledger. ``variant`` tells an explicit resend of a delivered message apart."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    digest = hashlib.sha256("\0".join((document, recipient.lower(), channel, variant)).encode()).hexdigest()
    readable = re.sub(r"[^A-Za-z0-9.-]", "", document)[:16].strip(".") or "briefgen"  # short: no folding
    return f"<{readable}.{digest[:24]}@{domain}>"


def attachment_name(brief: Brief) -> str:
    """The brief's id, dated unless the id already carries the month: ``2030-03-02-harbour.pdf``."""
    brief_id, date = brief.brief.id, brief.brief.date.isoformat()
    return f"{brief_id}.pdf" if date[:7] in brief_id else f"{date}-{brief_id}.pdf"


# --------------------------------------------------------------------------- HTML


def inline_css(html: str) -> str:
    """Move the ``<style>`` rules onto the elements, as mail clients want; fetch nothing."""
    import css_inline

    inliner = css_inline.CSSInliner(
        load_remote_stylesheets=False, keep_at_rules=True, resolve_css_variables=True, keep_link_tags=False
    )
    return inliner.inline(html)


_ARTICLE = re.compile(r"<article\b.*</article>", re.DOTALL)
_PRINT_ONLY = re.compile(r'<nav class="toc".*?</nav>', re.DOTALL)


def brief_article(page: str) -> Markup:
    """The ``<article>`` of a built HTML brief with its stylesheet inlined, to put in a
    message body (the page itself is ours: built from escaped, sanitised facts)."""
    inlined = inline_css(_PRINT_ONLY.sub("", page, count=1))
    match = _ARTICLE.search(inlined)
    return Markup(match[0] if match else "")  # noqa: S704 - our own rendered, sanitised page


# --------------------------------------------------------------------------- templates


def render_content(
    env: jinja2.Environment,
    brief: Brief,
    recipient: Stakeholder,
    *,
    attachment: Attachment | None,
    article: Markup | None,
    sender: str,
    notice: str | None = None,
) -> Content:
    """Subject, plain text and inlined HTML for one recipient.

    ``article`` (the whole brief) goes in the body for recipients who asked for ``html`` or
    ``both``; the others get a short summary, the key judgments and the PDF. ``notice`` (e.g.
    "sent without approval") opens both bodies, added here rather than in the templates so a
    workspace's own templates cannot leave it out.
    """
    sender_name, sender_address = parseaddr(sender)
    context = {
        "brief": brief,
        "meta": brief.brief,
        "recipient": recipient,
        "attachment": attachment,
        "article": article,
        "sender": {"name": sender_name, "address": sender_address},
    }
    from briefgen import i18n
    from briefgen.render.environment import render_template

    with i18n.using(brief.brief.language):  # the message is in the brief's language
        subject = " ".join(render_template(env, TEMPLATES[0], context).split())
        text = render_template(env, TEMPLATES[1], context)
        html = render_template(env, TEMPLATES[2], context)
    if notice:
        text = f"{notice}\n\n{text}"
        banner = _NOTICE_HTML.format(escape(notice))
        html, found = _BODY.subn(lambda m: m[0] + banner, html, count=1)
        html = html if found else banner + html
    return Content(subject or brief.brief.title, text, inline_css(html))


_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_NOTICE_HTML = (
    '<p class="mail-notice" role="alert" style="margin:0 0 12px;padding:10px 12px;border:2px solid #b00020;'
    'color:#b00020;font-weight:bold">{}</p>'
)


# --------------------------------------------------------------------------- MIME


def _address(mailbox: str) -> Address:
    name, addr = parseaddr(mailbox)
    return Address(display_name=name, addr_spec=addr)


def assemble(
    content: Content,
    *,
    sender: str,
    recipient: Stakeholder,
    reply_to: str | None,
    message_id: str,
    date: dt.datetime,
    attachment: Attachment | None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The MIME message: ``multipart/alternative`` (text, then HTML), inside
    ``multipart/mixed`` with the PDF when there is one."""
    msg = EmailMessage()
    msg["Subject"] = content.subject
    msg["From"] = _address(sender)
    msg["To"] = Address(display_name=recipient.name or "", addr_spec=recipient.email)
    if reply_to:
        msg["Reply-To"] = _address(reply_to)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    # quoted-printable keeps every part 7-bit clean, so no server has to support 8BITMIME.
    msg.set_content(content.text, cte="quoted-printable")
    msg.add_alternative(content.html, subtype="html", cte="quoted-printable")
    if attachment is not None:
        msg.add_attachment(attachment.data, maintype="application", subtype="pdf", filename=attachment.filename)
    return msg
