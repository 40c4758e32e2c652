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
- ``files_at_once`` 32: small files are one request each; at 130 ms 32 of them in flight move about
  10 MB/s of 40 KB photos. Each open file holds one file descriptor and at most its parts in flight.
- ``stall_seconds`` 60: a file is given up on (Stalled) after this long with parts in flight and no
  part answered; time waiting for a flood wait, our pacing or a free slot does not count. Telegram
  Desktop offers "skip this file" after 5 s; an unattended export can wait longer, while a 1 MiB part
  over a slow shared link (1 Mbit/s, 8 parts queued) still arrives well within a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20
# core.telegram.org/api/files: offsets and limits are multiples of 4 KiB and a limit divides 1 MiB.
_UNIT = 4096


@dataclass(frozen=True)
class MediaSettings:
    part_size: int = MIB
    connections_per_dc: int = 4
    bytes_per_connection: int = 4 * MIB
    parts_per_file: int = 16
    files_at_once: int = 32
    stall_seconds: float = 60.0
    # A longer flood wait on upload.getFile is not slept: the export stops (resumable) and says why.
    longest_flood_wait: float = 900.0

    def __post_init__(self) -> None:
        if self.part_size <= 0 or self.part_size % _UNIT or MIB % self.part_size:
            raise ValueError("part_size must be a multiple of 4 KiB that divides 1 MiB")
        for name in ("connections_per_dc", "bytes_per_connection", "parts_per_file", "files_at_once"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.stall_seconds <= 0:
            raise ValueError("stall_seconds must be positive")
