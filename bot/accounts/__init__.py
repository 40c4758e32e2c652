"""Several exporting accounts: which account runs a job, leases held by heartbeat, flood waits kept."""

from .clients import AccountClients
from .pool import AccountPool, NoAccountCanRead, chat_keys, look_up

__all__ = ["AccountClients", "AccountPool", "NoAccountCanRead", "chat_keys", "look_up"]
