"""The webhook channel: Microsoft Teams (Adaptive Card), Slack (Block Kit) or plain JSON.

Written on the standard library's ``http.client`` rather than a client library: the ledger
needs to know exactly when the request's last byte left (the point of no return), and which
failures happened before it (safe to retry) or after it (the receiver may have acted).

What happens on each answer:

- 2xx: delivered.
- 429 and 5xx: the receiver says it did not act; retried with back-off (``Retry-After`` when
  given, capped), with the same ``Idempotency-Key``, up to ``retries`` times, then a transient
  failure (the next run tries again).
- other 4xx: a clear permanent failure (a revoked or mistyped URL will not heal by itself).
- connection refused, or dropped before the request was sent: retried like a 5xx.
- a timeout, or the connection dropped after the request was sent: *uncertain* (the post may
  have landed; Teams and Slack ignore idempotency keys), never retried blindly.

The URL is a secret (whoever has it can post to the channel): it comes from the environment
or a file, and is scrubbed from every reply and error; the destination shown is its host.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from briefgen.deliver.channel import DeliveryError, Envelope
from briefgen.deliver.redact import redact
from briefgen.i18n import N_

if TYPE_CHECKING:
    from briefgen.facts.schema import Brief

__all__ = ["WebhookTransport", "payload"]

WebhookKind = Literal["teams", "slack", "json"]

#: The longest ``Retry-After`` honoured, seconds: a receiver asking for more gets a failure
#: now and the next run later, rather than a run that hangs.
MAX_RETRY_AFTER = 120.0


@dataclass(frozen=True)
class Summary:
    """What a webhook post says: the title, the bottom line, the key judgments, a link."""

    title: str
    bottom_line: str
    judgments: list[tuple[str, str]]  # (text, "likely; moderate confidence")
    link: str | None
    marking: str
    read: str = "Read the brief"  # the link's label, in the brief's language


#: A key judgment's confidence after its likelihood in a post: "likely; moderate confidence".
_CONFIDENCE = {
    # Translators: ICD 203 confidence in a Teams or Slack post, lower case after the likelihood.
    "high": N_("high confidence"),
    "moderate": N_("moderate confidence"),
    "low": N_("low confidence"),
}


def summarise(brief: Brief, link: str | None = None) -> Summary:
    """The post's words, with its labels in the brief's language (the facts as written)."""
    from briefgen.analysis.estimative import UnknownLikelihood, parse_likelihood
    from briefgen.i18n import gettext as _
    from briefgen.i18n import using

    judgments = []
    with using(brief.brief.language):
        for kj in brief.key_judgments:
            parts = []
            if kj.likelihood is not None:
                try:
                    parts.append(_(parse_likelihood(kj.likelihood).text()))
                except UnknownLikelihood:  # lint reports it; the post still says what was written
                    parts.append(str(kj.likelihood))
            if kj.confidence:
                parts.append(_(_CONFIDENCE[kj.confidence]))
            judgments.append((kj.text, "; ".join(parts)))
        read = _("Read the brief")
    return Summary(brief.brief.title, brief.brief.summary or "", judgments, link, brief.brief.marking, read)


def payload(kind: WebhookKind, summary: Summary) -> dict[str, Any]:
    """The JSON body for one kind of receiver."""
    if kind == "teams":
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": summary.marking, "weight": "Bolder", "color": "Attention", "size": "Small"},
            {"type": "TextBlock", "text": summary.title, "weight": "Bolder", "size": "Large", "wrap": True},
            {"type": "TextBlock", "text": summary.bottom_line, "wrap": True},
        ]
        if summary.judgments:
            body.append(
                {
                    "type": "FactSet",
                    "facts": [{"title": estimate or "-", "value": text} for text, estimate in summary.judgments],
                }
            )
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
        }
        if summary.link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": summary.read, "url": summary.link}]
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    if kind == "slack":
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": summary.title[:150]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": summary.marking}]},
            {"type": "section", "text": {"type": "mrkdwn", "text": summary.bottom_line or " "}},
        ]
        if summary.judgments:
            lines = "\n".join(
                f"• {text}" + (f" _({estimate})_" if estimate else "") for text, estimate in summary.judgments
            )
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": lines}})
        if summary.link:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{summary.link}|{summary.read}>"}})
        return {"text": summary.title, "blocks": blocks}
    return {
        "title": summary.title,
        "marking": summary.marking,
        "bottom_line": summary.bottom_line,
        "key_judgments": [{"text": text, "estimate": estimate} for text, estimate in summary.judgments],
        "link": summary.link,
    }


class WebhookTransport:
    """Posts one JSON body per delivery to one webhook URL."""

    channel = "webhook"
    #: Teams and Slack post a second message for a second request.
    replayable = False

    def __init__(
        self,
        url: str,
        *,
        name: str = "webhook",
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 1.0,
        secrets: Sequence[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"webhook {name}: the URL is not an http(s) URL", "permanent", fatal=True)
        self._url = url
        self._parts = parts
        self._secrets = [url, *secrets, *(p for p in (parts.path, parts.query) if len(p) > 1)]
        self.destination = f"{name} ({parts.hostname})"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        #: Requests sent (for the fault tests' counts).
        self.requests = 0

    def scrub(self, text: str) -> str:
        return redact(text, self._secrets)

    def close(self) -> None:
        """Nothing to close: one connection per request."""

    def deliver(self, envelope: Envelope, data: bytes, ready: Callable[[], None]) -> str:
        """Post ``data`` (a JSON body) with an idempotency key that is the same for every retry
        of this document to this destination (and differs for new content)."""
        import hashlib

        key = hashlib.sha256(b"\0".join([envelope.brief_id.encode(), envelope.recipient.encode(), data])).hexdigest()[
            :32
        ]
        calls = [0]

        def once() -> None:
            # The ledger's fencing check is for the first post; a retry after a 429/5xx is the
            # same hand-over, which the receiver refused.
            calls[0] += 1
            if calls[0] == 1:
                ready()

        for attempt in range(self.retries + 1):
            try:
                status, reason, headers, body = self._post(data, key, once)
            except DeliveryError as exc:
                exc.detail = self.scrub(exc.detail)
                exc.args = (exc.detail,)
                if exc.kind != "transient" or attempt == self.retries:
                    raise
                self.sleep(self.backoff * 2**attempt)
                continue
            text = self.scrub(f"{status} {reason} {body[:200]}".strip())
            if 200 <= status < 300:
                return text
            if status == 429 or status >= 500:
                if attempt == self.retries:
                    raise DeliveryError(
                        f"webhook answered {text} after {attempt + 1} attempts", "transient", code=status
                    )
                self.sleep(self._wait(headers.get("Retry-After"), attempt))
                continue
            raise DeliveryError(
                f"webhook refused the post: {text} (check the URL and the workflow's permissions)",
                "permanent",
                fatal=status in (401, 403, 404, 410),
                code=status,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, retry_after: str | None, attempt: int) -> float:
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), MAX_RETRY_AFTER)
            except ValueError:
                import email.utils

                when = email.utils.parsedate_to_datetime(retry_after) if retry_after.strip() else None
                if when is not None:
                    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)
        return float(self.backoff * 2**attempt)

    def _post(self, data: bytes, key: str, ready: Callable[[], None]) -> tuple[int, str, http.client.HTTPMessage, str]:
        parts = self._parts
        connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(parts.hostname or "", parts.port, timeout=self.timeout)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            try:
                connection.connect()
            except OSError as exc:
                raise DeliveryError(f"cannot connect to the webhook: {exc}", "transient") from None
            ready()
            try:
                connection.request(
                    "POST",
                    path,
                    body=data,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Idempotency-Key": key,
                        "User-Agent": "briefgen",
                    },
                )
            except OSError as exc:
                # The request did not go out whole: the receiver cannot have acted on it.
                raise DeliveryError(f"connection lost while posting: {exc}", "transient") from None
            self.requests += 1
            try:
                response = connection.getresponse()
                body = response.read().decode("utf-8", "replace")
            except TimeoutError:
                raise DeliveryError(
                    f"no answer within {self.timeout:g} s after the post was sent; it may have been delivered",
                    "uncertain",
                ) from None
            except (OSError, http.client.HTTPException) as exc:
                raise DeliveryError(
                    f"connection dropped after the post was sent ({type(exc).__name__}); it may have been delivered",
                    "uncertain",
                ) from None
            return response.status, response.reason, response.headers, " ".join(body.split())
        finally:
            connection.close()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
