"""Helper stores that may be down while the site carries on without them.

The page cache and the rate-limit store are helpers: when one fails, the request goes on
without it (rendered uncached, limits counted in this process). The broker is one too: an
outbox delivery not published waits for the sweeper (`dialog.core.outbox`). A failed store
is then left alone for a few seconds, so a hung one costs one request its socket timeout,
not every request; the log says once that it went and once that it is back.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

log = logging.getLogger(__name__)

# Long enough that a hung store is not waited for on every request, short enough that
# service comes back by itself soon after the store does.
RETRY_AFTER_SECONDS = 5.0


class Outage:
    """Whether one store is worth asking now, per app (and so per process)."""

    def __init__(self, name: str, consequence: str):
        self.name = name
        self.consequence = consequence
        self.down = False
        self._retry_at = 0.0

    def worth_trying(self) -> bool:
        return time.monotonic() >= self._retry_at

    def failed(self, error: Exception) -> None:
        self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
        if not self.down:
            self.down = True
            log.warning(
                "%s unreachable (%s: %s); %s, trying it again every %.0f s",
                self.name,
                type(error).__name__,
                error,
                self.consequence,
                RETRY_AFTER_SECONDS,
            )

    def succeeded(self) -> None:
        if self.down:
            self.down = False
            log.info("%s reachable again", self.name)


def of(name: str, consequence: str) -> Outage:
    """The app's record for the store called `name`."""
    outages = current_app.extensions.setdefault("dialog.outages", {})
    if name not in outages:
        outages[name] = Outage(name, consequence)
    return outages[name]
