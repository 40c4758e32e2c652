"""Several exporting accounts: which account runs a job, leases held by heartbeat, flood waits kept."""

from .clients import AccountClients
from .pool import AccountPool, NoAccountCanRead, chat_keys, look_up, same_for_every_account

__all__ = [
    "AccountClients",
    "AccountPool",
    "NoAccountCanRead",
    "chat_keys",
    "look_up",
    "same_for_every_account",
]
