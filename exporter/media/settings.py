"""How hard the media engine pulls: part size, connections, bytes in flight, when a file has stalled.

The defaults, and why:
- ``part_size`` 1 MiB: the largest ``limit`` upload.getFile takes (core.telegram.org/api/files: a
  multiple of 4 KiB that divides 1 MiB, and no request may cross a 1 MiB boundary), so the fewest
  round trips; Telethon's download_media asks 128 KiB at a time (at most 512 KiB), Telegram Desktop
  128 KiB.
- ``connections_per_dc`` 4 and ``bytes_per_connection`` 4 MiB: Telegram Desktop starts one download
  session per DC and grows to 8, each with 512 KiB in flight growing to 2 MiB
  (storage/download_manager_mtproto.cpp: kStartSessionsCount, kMaxSessionsCount,
  kStartWaitedInSession, kMaxWaitedInSession): 16 MiB per DC at most, as here; tdl keeps 4 requests
  of 1 MiB per file. A window counted in bytes, not requests, lets a connection carry one 1 MiB part
  or dozens of 40 KB photos, so small files are not held to a few requests per round trip. Measured
  on the sandbox at 130 ms, 10 MB/s per connection and 20 MB/s per account (one 200 MB file): 2
  connections of 4 MiB 14.7 MB/s, 1 of 8 MiB 9.5, 2 of 8 MiB 18.0, 3 of 4 MiB 19.4, 4 of 4 MiB 17.6
  (the machine busy with other work; one connection with 4 and 8 parts in flight carried 8.3 and 9.6
  MB/s of its 10). Opened only as load asks for them (exporter/media/connections.py).
- ``parts_per_file`` 16: one large file alone can fill its DC's window (16 × 1 MiB).
- ``files_at_once`` 256 and ``file_bytes_at_once`` 64 MiB: a file starts once its window (its size,
  at most ``parts_per_file`` parts) fits in 64 MiB beside the files running, and fewer than 256
  run. Concurrency is counted in bytes because a small file is one request: files move at files in
  flight × size / round trip, so 64 photos of 45 kB (media-many) at 130 ms carry at most 22 MB/s
  whatever the link, 256 up to 89 MB/s; then the DC's byte window (16 MiB, 129 MB/s at 130 ms),
  the link or the CPU limits them, not the count. Large files are four at a time (4 × 16 MiB), as
  before: their parts share the DC's window anyway, and more would only keep more ``.part`` files
  and parts waiting to be hashed. 256 file descriptors stay well under the usual limit of 1024.
- ``stall_seconds`` 60: a file is given up on (Stalled) once a part of it was overtaken by parts
  asked for later and it then went this long without progress (stalls.py says why overtaking, not
  time alone: a slow link is not a stall). Telegram Desktop offers "skip this file" after 5 s; an
  unattended export can afford to wait longer for a DC that is only slow to answer one part.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20
# core.telegram.org/api/files: offsets and limits are multiples of 4 KiB and a limit divides 1 MiB.
_UNIT = 4096


# The settings that count something, each at least 1.
LIMITS = (
    "connections_per_dc",
    "bytes_per_connection",
    "parts_per_file",
    "files_at_once",
    "file_bytes_at_once",
)


@dataclass(frozen=True)
class MediaSettings:
    part_size: int = MIB
    connections_per_dc: int = 4
    bytes_per_connection: int = 4 * MIB
    parts_per_file: int = 16
    files_at_once: int = 256
    file_bytes_at_once: int = 64 * MIB
    stall_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.part_size <= 0 or self.part_size % _UNIT or MIB % self.part_size:
            raise ValueError("part_size must be a multiple of 4 KiB that divides 1 MiB")
        for name in LIMITS:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.stall_seconds <= 0:
            raise ValueError("stall_seconds must be positive")
