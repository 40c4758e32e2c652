"""Network and limits model: latency, bandwidth, the per-account flood buckets, injected faults.

Telegram does not publish its limits.  The model is a token bucket per account
for history-type methods: ``rate`` requests per second sustained, ``burst`` at
once.  Guesses, written down because they shape every benchmark:
- a request over the limit is refused with FLOOD_WAIT_X, X = whole seconds until
  a token is back (at least 1, as Telegram never sends 0), and the refused
  request costs no token;
- takeout sessions get ``rate * takeout_factor`` (Telegram says takeout lowers
  some limits but not by how much);
- latency is paid by every RPC, errors included, and requests run concurrently.

File downloads (upload.getFile) have a model of their own, all of it guess: Telegram publishes no
speeds. ``bandwidth`` caps the file bytes one connection carries per second and ``account_bandwidth``
those of all an account's connections together; each answer waits, after its latency, until its bytes
have gone through both (every link is a queue: a part starts when the part before it on that link is
done). ``file_rate``/``file_burst`` is a flood bucket for upload.getFile alone; core.telegram.org/method/
upload.getFile lists 420 FLOOD_PREMIUM_WAIT_%d for it ("or purchase a Telegram Premium subscription to
remove this rate limit") besides the 420 FLOOD_WAIT_X any method may get (core.telegram.org/api/errors).
"""

from __future__ import annotations

import asyncio
import math
import random
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .mtproto.tl import RpcError

# Methods that share Telegram's history flood limit.
HISTORY_METHODS = frozenset(
    {
        "messages.getHistory",
        "messages.getReplies",
        "messages.getForumTopics",
        "messages.search",
        "messages.getMessages",
        "channels.getMessages",
    }
)
FILE_METHOD = "upload.getFile"
FILE_FLOOD_ERRORS = ("FLOOD_WAIT", "FLOOD_PREMIUM_WAIT")
# Megabits (10^6 bits) per second, as network speeds are quoted, in bytes per second.
MBPS = 125_000


@dataclass(frozen=True)
class LimitPreset:
    """A named flood limit for history methods (``python -m sandbox serve --limits NAME``)."""

    rate: float
    burst: float
    takeout_factor: float
    evidence: str


LIMIT_PRESETS = {
    # Telethon PR #565 reports FLOOD_WAIT after "3000 messages within 30 seconds" of getHistory, and
    # Telethon's iter_messages therefore waits 1 s between requests beyond 3000 messages
    # (client/messages.py, ``wait_time``): 30 requests of 100 at once, then about one a second.
    # guess: takeout doubles the sustained rate (api/takeout says only that takeout sessions get
    # "reduced flood limits"; no one has published by how much).
    "strict": LimitPreset(
        rate=1.0,
        burst=30.0,
        takeout_factor=2.0,
        evidence="Telethon PR #565: 3000 messages within 30 s, then ~1 request/s",
    ),
}


def limit_preset(name: str) -> LimitPreset:
    try:
        return LIMIT_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown limits {name!r}: expected one of {', '.join(LIMIT_PRESETS)}") from None


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = time.monotonic()

    def take(self, factor: float = 1.0) -> int:
        """Take a token; 0 when granted, else the seconds to wait (>= 1)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate * factor)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / (self.rate * factor)))


@dataclass
class Link:
    """A queue of bytes at ``rate`` bytes per second."""

    rate: float
    free_at: float = 0.0

    def reserve(self, nbytes: int, now: float) -> float:
        """When ``nbytes`` handed over now are through, after everything queued before them."""
        self.free_at = max(now, self.free_at) + nbytes / self.rate
        return self.free_at


@dataclass
class Fault:
    """Answer the ``nth`` call of ``method`` (1-based, counted from when the fault is added)
    with an RPC error, or drop the client's connection instead of answering.

    ``times`` consecutive calls are hit, starting with the nth.
    """

    method: str
    nth: int = 1
    error: RpcError | None = None
    drop_connection: bool = False
    times: int = 1
    seen: int = 0

    def hits(self, method: str) -> bool:
        if method != self.method and self.method != "*":
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times

    @property
    def spent(self) -> bool:
        return self.seen >= self.nth + self.times - 1


def parse_fault(spec: str) -> Fault:
    """'messages.getHistory@3=420:FLOOD_WAIT_5', 'messages.getHistory@3=drop', with '*2' for two calls.

    Used by ``python -m sandbox serve --fault``.
    """
    try:
        where, what = spec.split("=", 1)
        method, _, nth = where.partition("@")
        what, _, times = what.partition("*")
        calls, count = int(nth or 1), int(times or 1)
        if what == "drop":
            return Fault(method, calls, drop_connection=True, times=count)
        code, message = what.split(":", 1)
        return Fault(method, calls, error=RpcError(int(code), message), times=count)
    except ValueError as exc:
        raise ValueError(
            f"bad fault {spec!r}: expected METHOD[@N]=CODE:MESSAGE[*TIMES] or METHOD[@N]=drop[*TIMES], "
            "e.g. messages.getHistory@3=420:FLOOD_WAIT_5"
        ) from exc


@dataclass
class NetworkModel:
    latency: float = 0.0
    jitter: float = 0.0
    rate: float | None = None
    burst: float = 20.0
    takeout_factor: float = 1.0
    seed: int = 1
    faults: list[Fault] = field(default_factory=list)
    flood_waits: Counter[str] = field(default_factory=Counter)
    # Seconds the refusals asked for, per method.
    flood_wait_seconds: Counter[str] = field(default_factory=Counter)
    # The account's sessions are revoked once this many more of its calls were answered (None: never).
    revoke_after: int | None = None
    revoke_error: str = "AUTH_KEY_UNREGISTERED"
    # The account loses access to its chats once this many more history calls were answered.
    private_after: int | None = None
    # File downloads: bytes per second of one connection and of one account (None: unlimited), and
    # upload.getFile's own flood bucket (requests per second per account; None: no limit).
    bandwidth: float | None = None
    account_bandwidth: float | None = None
    file_rate: float | None = None
    file_burst: float = 20.0
    file_flood_error: str = "FLOOD_WAIT"
    # File bytes answered, per DC ("dc2").
    file_bytes: Counter[str] = field(default_factory=Counter)
    _buckets: dict[int, TokenBucket] = field(default_factory=dict)
    _file_buckets: dict[int, TokenBucket] = field(default_factory=dict)
    _links: weakref.WeakKeyDictionary[object, Link] = field(default_factory=weakref.WeakKeyDictionary)
    _account_links: dict[int, Link] = field(default_factory=dict)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        if self.file_flood_error not in FILE_FLOOD_ERRORS:
            raise ValueError(f"file_flood_error must be one of {', '.join(FILE_FLOOD_ERRORS)}")
        for name in ("bandwidth", "account_bandwidth", "file_rate"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive (None: unlimited)")

    def bandwidth_bound(self, connections: int = 1) -> float | None:
        """The most file bytes per second an account can get over ``connections`` connections."""
        bounds = [b for b in (self.account_bandwidth,) if b is not None]
        if self.bandwidth is not None:
            bounds.append(self.bandwidth * connections)
        return min(bounds) if bounds else None

    async def transfer(self, connection: object, user_id: int | None, nbytes: int, dc_id: int) -> None:
        """Wait until ``nbytes`` of file data went through the connection's and the account's links."""
        self.file_bytes[f"dc{dc_id}"] += nbytes
        now = time.monotonic()
        done = now
        if self.bandwidth is not None:
            link = self._links.get(connection)
            if link is None:
                link = self._links[connection] = Link(self.bandwidth)
            done = link.reserve(nbytes, now)
        if self.account_bandwidth is not None and user_id is not None:
            link = self._account_links.get(user_id)
            if link is None:
                link = self._account_links[user_id] = Link(self.account_bandwidth)
            done = max(done, link.reserve(nbytes, now))
        if done > now:
            await asyncio.sleep(done - now)

    def use_limits(self, name: str) -> LimitPreset:
        """Apply a named preset's rate, burst and takeout factor."""
        preset = limit_preset(name)
        self.rate, self.burst, self.takeout_factor = preset.rate, preset.burst, preset.takeout_factor
        self._buckets.clear()
        return preset

    def delay(self) -> float:
        if self.jitter:
            return max(0.0, self.latency + self._rng.uniform(-self.jitter, self.jitter))
        return self.latency

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def fault_for(self, method: str) -> Fault | None:
        hit = None
        for fault in self.faults:
            if fault.hits(method) and hit is None:
                hit = fault
        self.faults = [fault for fault in self.faults if not fault.spent]
        return hit

    def revoke_session(self, after: int = 0, error: str = "AUTH_KEY_UNREGISTERED") -> None:
        """Every call of the logged-in account after the next ``after`` gets 401 ``error``.

        Source: https://core.telegram.org/api/errors#401-unauthorized — AUTH_KEY_UNREGISTERED (the
        key is not registered), SESSION_REVOKED (the user terminated the session, e.g. in Settings →
        Devices), both code 401, after which the client must log in again.
        """
        if error not in {"AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "USER_DEACTIVATED", "SESSION_EXPIRED"}:
            raise ValueError(f"{error} is not a 401 error of https://core.telegram.org/api/errors")
        self.revoke_after, self.revoke_error = int(after), error

    def lose_chat_access(self, after: int = 0) -> None:
        """History calls after the next ``after`` get 400 CHANNEL_PRIVATE, as when the account is
        banned or the chat turns private mid-export.

        Source: https://core.telegram.org/method/messages.getHistory lists "400 CHANNEL_PRIVATE
        You haven't joined this channel/supergroup"; guess: the sandbox applies it to every chat.
        """
        self.private_after = int(after)

    def apply(self, control: dict[str, Any]) -> None:
        """Change faults while serving (``python -m sandbox serve --control``).

        Keys, all optional: ``faults`` (specs as for --fault; they replace the pending ones and
        count from now), ``revoke_session`` ({"after": N, "error": "SESSION_REVOKED"}),
        ``lose_chat_access`` ({"after": N}), ``latency_ms``, ``rate`` (history requests/s, null: no
        limit), ``bandwidth_mbps`` and ``account_bandwidth_mbps`` (null: unlimited), ``file_rate``
        (upload.getFile requests/s, null: no limit). Raises ValueError, leaving the model as it was,
        when anything is wrong."""
        known = {"faults", "revoke_session", "lose_chat_access", "latency_ms", "rate"}
        speeds = {"bandwidth_mbps": "bandwidth", "account_bandwidth_mbps": "account_bandwidth"}
        unknown = set(control) - known - set(speeds) - {"file_rate"}
        if unknown:
            raise ValueError(f"unknown control keys: {', '.join(sorted(unknown))}")
        faults = [parse_fault(str(spec)) for spec in _list(control.get("faults", []))]
        limits = {speeds[key]: _positive(control[key], MBPS) for key in speeds if key in control}
        if "file_rate" in control:
            limits["file_rate"] = _positive(control["file_rate"], 1)
        revoke, lose = control.get("revoke_session"), control.get("lose_chat_access")
        if revoke is not None:
            self.revoke_session(**_dict(revoke))
        if lose is not None:
            self.lose_chat_access(**_dict(lose))
        if "latency_ms" in control:
            self.latency = float(control["latency_ms"]) / 1000
        if "rate" in control:
            self.rate = None if control["rate"] is None else float(control["rate"])
            self._buckets.clear()
        for name, value in limits.items():
            setattr(self, name, value)
        if limits:
            self._links.clear()
            self._account_links.clear()
            self._file_buckets.clear()
        self.faults = faults

    def access_check(self, user_id: int | None, method: str) -> None:
        """Session revocation and loss of chat access, counted down per answered call."""
        if user_id is None:
            return
        if self.revoke_after is not None:
            if self.revoke_after <= 0:
                raise RpcError(401, self.revoke_error)
            self.revoke_after -= 1
        if self.private_after is not None and method in HISTORY_METHODS:
            if self.private_after <= 0:
                raise RpcError(400, "CHANNEL_PRIVATE")
            self.private_after -= 1

    def flood_check(self, user_id: int | None, method: str, *, takeout: bool) -> None:
        if method == FILE_METHOD:
            self._file_flood_check(user_id)
            return
        if self.rate is None or user_id is None or method not in HISTORY_METHODS:
            return
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = TokenBucket(self.rate, self.burst)
        wait = bucket.take(self.takeout_factor if takeout else 1.0)
        if wait:
            self.flood_waits[method] += 1
            self.flood_wait_seconds[method] += wait
            raise RpcError(420, f"FLOOD_WAIT_{wait}")

    def _file_flood_check(self, user_id: int | None) -> None:
        if self.file_rate is None or user_id is None:
            return
        bucket = self._file_buckets.get(user_id)
        if bucket is None:
            bucket = self._file_buckets[user_id] = TokenBucket(self.file_rate, self.file_burst)
        wait = bucket.take()
        if wait:
            self.flood_waits[FILE_METHOD] += 1
            self.flood_wait_seconds[FILE_METHOD] += wait
            raise RpcError(420, f"{self.file_flood_error}_{wait}")


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        # apply() promises ValueError for anything wrong in a control file.
        raise ValueError(f"expected a list, got {value!r}")  # noqa: TRY004
    return value


def _dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"expected an object, got {value!r}")  # noqa: TRY004
    return value


def _positive(value: object, unit: float) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"expected a positive number or null, got {value!r}")
    return float(value) * unit
