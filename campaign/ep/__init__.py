"""The European Parliament directory: today's MEPs, their details, and the bodies they sit on.

Five modules, importing each other in one direction only:

- ``parse``: pure functions over what the EP publishes (the XML list, the
  Open Data API's JSON-LD); no network, no store.
- ``net``: one httpx client and one GET (an overall deadline, capped bodies,
  redirects kept to the same host, retries), and the checks of fetch options.
- ``fetch``: the list of current MEPs, their details and the bodies, over
  ``net``, read with ``parse``; it writes nothing.
- ``bodies``: committees, subcommittees and delegations, and who sits on
  them: kept in the store, and read back to choose and address recipients.
- ``members``: the MEPs in the store (the list in one transaction, each
  member's details as they arrive), then their bodies through ``bodies``.

The names most callers need are re-exported here (``from campaign import ep;
ep.fetch_meps(...)``). To replace a module-level value in a test (``SLEEP``,
``save_details``) patch the module that defines it, not this package.
"""

from __future__ import annotations

from campaign.ep.fetch import (
    DEFAULT_PACE,
    IMPORT_HINT,
    MAX_PAGES,
    OFFLINE_HINT,
    PAGE_SIZE,
    Pace,
    Progress,
    current_url,
    eta,
    fetch_bodies,
    fetch_current,
    fetch_details,
    fetch_list,
    fetch_meps,
    list_url,
    read_list_file,
    read_saved,
    select,
)
from campaign.ep.members import (
    API_SOURCE,
    LIST_SOURCE,
    import_detail,
    incomplete,
    mark_former,
    missing_details,
    save_details,
    update_details,
    upsert_meps,
)
from campaign.ep.net import (
    BACKOFF,
    DEFAULT_API_URL,
    DEFAULT_BASE_URL,
    MAX_JSON_BYTES,
    MAX_LIST_BYTES,
    MAX_REDIRECTS,
    MAX_RETRY_WAIT,
    USER_AGENT,
    check_fetch_options,
    check_lang,
    check_timeout,
    check_url,
    get,
    make_client,
    now,
    retry_after,
)
from campaign.ep.parse import FormatError

__all__ = [
    "API_SOURCE", "BACKOFF", "DEFAULT_API_URL", "DEFAULT_BASE_URL", "DEFAULT_PACE",
    "IMPORT_HINT", "LIST_SOURCE", "MAX_JSON_BYTES", "MAX_LIST_BYTES", "MAX_PAGES",
    "MAX_REDIRECTS", "MAX_RETRY_WAIT", "OFFLINE_HINT", "PAGE_SIZE", "USER_AGENT", "FormatError",
    "Pace", "Progress", "check_fetch_options", "check_lang", "check_timeout", "check_url",
    "current_url", "eta", "fetch_bodies", "fetch_current", "fetch_details", "fetch_list",
    "fetch_meps", "get", "list_url", "make_client", "mark_former", "missing_details", "now",
    "read_list_file", "read_saved", "retry_after", "import_detail", "incomplete",
    "save_details", "select", "update_details", "upsert_meps",
]
