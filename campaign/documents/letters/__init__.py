"""Letters: a mail merge to MEPs, embassies, authorities and prisoners.

Parliaments discard mass-identical copies, so every draft is personal: the
recipient's own salutation and address, the facts that concern them and the
sender's own paragraph. The Python builds a plain-data context per recipient;
the wording lives in ``templates/letter-<kind>.md.j2``. One template is compiled
once and rendered in a loop, so 705 letters take milliseconds, not seconds.

Five jobs, five modules, each readable alone:

- ``recipients``: who gets a letter (selection, names, salutations, addresses);
- ``facts``: what the store knows, read once for a merge, and what sets each
  recipient apart (relevance);
- ``compose``: the sender, the note, each letter's context and rendered text;
- ``layout``: where the letters go and how each format is encoded;
- ``commit``: the files and the outreach log, written together.

The public names stay importable from ``campaign.documents.letters``.
"""

from __future__ import annotations

from campaign.documents.letters.commit import (
    Result,
    commit,
    duplicates,
    mail_merge,
    who_gets_what,
)
from campaign.documents.letters.compose import (
    Letter,
    Sender,
    prepare,
    read_note,
    sender_from,
    template_name,
)
from campaign.documents.letters.facts import (
    Facts,
    RelevanceHook,
    default_demands,
    gather_facts,
    on_subject,
    role_hook,
)
from campaign.documents.letters.layout import (
    EXTENSIONS,
    FORMATS,
    PDF_PART,
    Plan,
    encode_combined,
    encode_one,
    file_names,
    letter_blocks,
    plan_output,
)
from campaign.documents.letters.recipients import (
    GROUPS,
    HEAD_OF_STATE_ROLE,
    KIND_WORD,
    KINDS,
    add_postal_address,
    check_person,
    closing,
    display_name,
    ep_addresses,
    group_labels,
    group_matches,
    is_ambassador,
    is_head_of_state,
    mep_address,
    missing_address,
    person_address,
    proper_name,
    recipient_address,
    salutation,
    select_contacts,
    select_prisoners,
)

__all__ = [
    "EXTENSIONS", "FORMATS", "GROUPS", "HEAD_OF_STATE_ROLE", "KINDS", "KIND_WORD", "PDF_PART",
    "Facts", "Letter", "Plan", "Result", "Sender", "closing", "commit", "default_demands",
    "display_name", "duplicates", "encode_combined", "encode_one", "ep_addresses",
    "file_names", "gather_facts", "group_labels", "group_matches", "is_ambassador",
    "is_head_of_state", "letter_blocks", "mail_merge", "mep_address", "missing_address",
    "plan_output", "prepare", "proper_name", "read_note", "recipient_address", "salutation",
    "RelevanceHook", "add_postal_address", "check_person", "person_address", "role_hook",
    "select_contacts", "select_prisoners", "sender_from", "template_name", "who_gets_what",
    "on_subject",
]
