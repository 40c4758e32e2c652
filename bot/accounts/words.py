"""What /stats says about the exporting accounts."""

from __future__ import annotations

from db.accounts import AccountLoad

from .. import text

# The window of "recent" in /stats' account lines.
RECENT_DAYS = 7


def stats_lines(loads: list[AccountLoad], days: int = RECENT_DAYS) -> list[str]:
    if not loads:
        return []
    lines = [text.STATS_ACCOUNTS.format(days=days)]
    for load in loads:
        rate = load.rate
        lines.append(
            text.STATS_ACCOUNT.format(
                name=load.account.name,
                id=load.account.id,
                paused=text.STATS_ACCOUNT_PAUSED if load.account.paused else "",
                exports=load.exports,
                rate=text.STATS_ACCOUNT_NO_RATE
                if rate is None
                else text.STATS_ACCOUNT_RATE.format(rate=rate),
                waits=load.flood_waits,
                waited=load.flood_seconds,
            )
        )
    return lines
