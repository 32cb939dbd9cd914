"""Skeleton briefs, one per event kind, for ``briefgen new --event-kind KIND``.

Each skeleton validates as written (placeholders in angle brackets are text), so a
workspace builds at once; ``briefgen lint`` then lists what is still to be filled in.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["EVENT_KINDS", "skeleton"]

#: What each kind's event block holds beyond title, date and place.
EVENT_KINDS: dict[str, str] = {
    "summit": "participants with their roles, and the formats held (a leaders' meeting, a 2+2…)",
    "meeting": "participants with their roles, and the formats held",
    "call": "who was on the call, who asked for it, how long it ran, and each side's readout",
    "sanctions-designation": "who imposed it, the law, the targets and what each was listed for, the measures",
    "signing": "the agreements signed (by id; they go under agreements:), the signatories and witnesses",
    "delivery": "supplier, recipient, the item, quantity, delivery stage and the contract (by id, under agreements:)",
    "statement": "the speaker, the form (press release, speech…), the audience and its key words",
    "exercise": "the forces taking part (as participants), the domain, its scale and area, and its dates",
    "election": "the office, where, each candidate's result, turnout and the outcome",
}
_HEADER = """\
# yaml-language-server: $schema=../schema/brief.json
# A new brief about {a_kind}. Replace every <placeholder>, then: briefgen lint
# The event holds {what}.
# Facts kept in library/ are used by id: participants [{{actor: ID, role: …}}],
# sources [ID], sanction_risk {{law: ID, precedents: [ID]}}. See `briefgen library list`.

brief:
  id: {slug}
  title: "<Title of the brief>"
  date: {today}
  author: "<Your name>"
  summary: >-
    <Bottom line up front, in two or three sentences.>

sources:
  - id: source-1
    publisher: "<Publisher>"
    title: "<Title of the report or statement>"
    published: {today}
    kind: {source_kind}

key_judgments:
  - text: >-
      <What you judge will happen, and why.>
    likelihood: likely
    confidence: moderate
    sources: [source-1]

event:
  kind: {event_kind}
  title: "<What happened>"
  date: {today}
  place: {{city: "<City>", country: "<Country>"}}
"""

_PEOPLE = """\
  participants:
    - {name: "<Name, or use actor: ID>", role: "<Role at this event>", affiliation: "<Country>"}
    - {name: "<Name>", role: "<Role>", affiliation: "<Country>"}
"""

_BODY: dict[str, str] = {
    "summit": _PEOPLE
    + """\
  formats:
    - name: Leaders' meeting
      description: "<What the format was for>"
      sources: [source-1]
""",
    "meeting": _PEOPLE,
    "call": _PEOPLE
    + """\
  medium: video                                 # or phone
  initiated_by: "<Which side asked for it; or an actor ID>"
  duration: "<About how long>"
  readouts:
    - by: "<Who published it, e.g. a leader's office>"
      text: "<What their readout said, in your words>"
      sources: [source-1]
""",
    "sanctions-designation": """\
  imposed_by: "<Who imposed it, e.g. a ministry>"
  legal_basis: "<Law and section; or law: ID of a library authority>"
  targets:
    - name: "<Designated entity or person; or actor: ID>"
      country: "<Country>"
      listed_for: "<What it was designated for>"
      measures: ["<A measure on this target alone>"]
  measures:
    - "<A measure on every target>"
""",
    "signing": """\
  agreements: [agreement-1]                     # ids of the agreements below
  signatories:
    - {name: "<Who signed; or actor: ID>", role: "<Their office>", affiliation: "<Country>"}
    - {name: "<Who signed>", role: "<Their office>", affiliation: "<Country>"}
  witnesses:
    - {name: "<Who witnessed it>", role: "<Their office>"}
""",
    "delivery": """\
  supplier: "<Who delivered; or an actor ID>"
  recipient: "<Who received it; or an actor ID>"
  item: "<The item or system>"
  quantity: "<How many, e.g. 2 of 6>"
  stage: first                                  # first, partial or complete
  contract: agreement-1                         # id of the contract below
""",
    "statement": """\
  speaker: {name: "<Who spoke; or actor: ID>", role: "<Their office>", affiliation: "<Country>"}
  statement_type: press release                 # interview, speech, communique, joint statement, post, briefing
  audience: "<To whom, or where>"
  key_phrase: "<Its key words, exactly as said>"
""",
    "exercise": """\
  end_date: {today}
  participants:
    - {name: "<A force or state; or actor: ID>", role: "<Host, participant, observer>"}
    - {name: "<A force or state>", role: "<Role>"}
  domain: sea                                   # land, sea, air, joint, cyber or space
  scale: "<How big: troops, ships, aircraft>"
  area: "<The area it covers>"
""",
    "election": """\
  office: "<The office or body elected>"
  jurisdiction: "<The country or region voting>"
  turnout: 60.0                                 # per cent
  candidates:
    - {name: "<Candidate; or actor: ID>", party: "<Party>", vote_share: 51.0, elected: true}
    - {name: "<Candidate>", party: "<Party>", vote_share: 49.0}
  outcome: >-
    <Who won, and what it means.>
""",
}

_TAIL = """\
  summary: >-
    <What happened, in your own words.>
  sources: [source-1]
"""

_AGREEMENT = """
agreements:
  - id: agreement-1
    title: "<Agreement or contract>"
    kind: "{kind}"
    parties: ["<Party>", "<Party>"]
    signed: {today}
    status: {status}
    sources: [source-1]
"""


def skeleton(kind: str, today: dt.date) -> tuple[str, str]:
    """(file name, YAML text) of a new brief about an event of ``kind``."""
    if kind not in EVENT_KINDS:
        raise KeyError(kind)
    slug = f"new-{kind}-{today:%Y-%m}"
    words = kind.replace("-", " ")
    text = _HEADER.format(
        kind=words,
        a_kind=("an " if words[0] in "aeiou" else "a ") + words,
        what=EVENT_KINDS[kind],
        slug=slug,
        today=today.isoformat(),
        source_kind="official-statement" if kind in {"sanctions-designation", "statement"} else "news",
        event_kind=kind.replace("-", " "),
    )
    text += _BODY[kind].replace("{today}", today.isoformat()) + _TAIL
    if kind == "signing":
        text += _AGREEMENT.format(kind="agreement", status="signed", today=today.isoformat())
    if kind == "delivery":
        text += _AGREEMENT.format(kind="arms contract", status="delivering", today=today.isoformat())
    return f"{today.isoformat()}-{slug.removesuffix(f'-{today:%Y-%m}')}.yaml", text
