"""Following an import until it finishes, through a restart of the server on the way."""

from __future__ import annotations

import time
from collections.abc import Callable

from loadbay.client.api import LoadbayClient
from loadbay.client.errors import ApiError, ServerUnreachable
from loadbay.client.schemas import ImportDetail

FIRST_POLL_SECONDS = 0.2
MAX_POLL_SECONDS = 2.0
# An accepted import survives a restart of the server (a deploy, a crash), so the wait does too:
# no answer, or 502/503/504, is tolerated for this long in a row before the command gives up.
OUTAGE_SECONDS = 60.0
_TRANSIENT = (502, 503, 504)


def wait_finished(
    client: LoadbayClient,
    reference_id: str,
    *,
    on_update: Callable[[ImportDetail], None],
    message_limit: int = 100,
    outage_seconds: float = OUTAGE_SECONDS,
) -> ImportDetail:
    """Poll the import until it is ``processed`` or ``failed``; ``on_update`` sees every answer.

    Polls quickly at first (most imports are small) and then every ``MAX_POLL_SECONDS``. The answer
    returned carries the first ``message_limit`` messages.
    """
    interval = FIRST_POLL_SECONDS
    outage_since: float | None = None
    while True:
        try:
            detail = client.import_detail(reference_id, limit=message_limit)
        except (ServerUnreachable, ApiError) as exc:
            if isinstance(exc, ApiError) and exc.status_code not in _TRANSIENT:
                raise
            outage_since = outage_since or time.monotonic()
            if time.monotonic() - outage_since > outage_seconds:
                raise
        else:
            outage_since = None
            on_update(detail)
            if detail["status"] != "pending":
                return detail
        time.sleep(interval)
        interval = min(interval * 1.5, MAX_POLL_SECONDS)
