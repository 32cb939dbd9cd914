"""Words of briefgen's controlled vocabularies that reach readers: the schema's fixed values
(an agreement's status, a source's kind), impact and confidence levels, the risk model's ratings.

Templates print them with ``_(value)``; this module only marks them for extraction, so the
catalogs have them. Free-text fields (an event's kind, an agreement's kind) are the analyst's
words and are not translated.
"""

from __future__ import annotations

from briefgen.i18n import N_

VOCABULARY: dict[str, tuple[str, ...]] = {
    # Agreement status (schema: Agreement.status)
    "status": (
        N_("proposed"),
        N_("under negotiation"),
        N_("agreed"),
        N_("signed"),
        N_("in force"),
        N_("delivering"),
        N_("target"),
        N_("completed"),
        N_("suspended"),
        N_("cancelled"),
    ),
    # Impact, confidence and the risk model's ratings
    "levels": (
        N_("low"),
        N_("moderate"),
        N_("high"),
        N_("severe"),
        N_("critical"),
    ),
    # Kinds of source (schema: Source.kind)
    "source_kind": (
        N_("news"),
        N_("government"),
        N_("legislation"),
        N_("official-statement"),
        N_("think-tank"),
        N_("academic"),
        N_("dataset"),
        N_("law-firm"),
        N_("other"),
    ),
    # Kinds of library action (facts.library.ActionKind)
    "action_kind": (
        N_("designation"),
        N_("listing"),
        N_("delisting"),
        N_("waiver"),
        N_("delivery"),
        N_("signing"),
        N_("statement"),
    ),
    # Kinds of event and the fixed values of their fields (schema: Event and library actions)
    "event_kind": (
        N_("summit"),
        N_("meeting"),
        N_("call"),
        N_("sanctions designation"),
        N_("signing"),
        N_("delivery"),
        N_("statement"),
        N_("exercise"),
        N_("election"),
    ),
    "medium": (
        N_("phone"),
        N_("video"),
        N_("in person"),
    ),
    "stage": (
        N_("first"),
        N_("partial"),
        N_("complete"),
    ),
    "statement_type": (
        N_("press release"),
        N_("interview"),
        N_("speech"),
        N_("communique"),
        N_("joint statement"),
        N_("post"),
        N_("briefing"),
        N_("other"),
    ),
    "domain": (
        N_("land"),
        N_("sea"),
        N_("air"),
        N_("joint"),
        N_("cyber"),
        N_("space"),
    ),
    "action_kind_more": (
        N_("call"),
        N_("exercise"),
        N_("election"),
    ),
}
