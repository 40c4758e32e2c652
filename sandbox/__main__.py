"""python -m sandbox serve | describe: the offline Telegram as its own process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import os
import signal
import sys
from pathlib import Path

from .cluster import Cluster
from .netmodel import FILE_FLOOD_ERRORS, LIMIT_PRESETS, MBPS, NetworkModel, parse_fault
from .world import SCENARIOS, FileFaults, FileSet, World, build_scenario, describe, expected_files
from .world.files import UNAVAILABLE_ERRORS
from .world.live import LiveForum
from .world.model import Chat

# How often the --control file is looked at: changes apply within this time.
CONTROL_POLL_SECONDS = 0.1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the fake data centres until SIGTERM/SIGINT")
    serve.add_argument("--scenario", default="small", help=f"one of: {', '.join(SCENARIOS)}")
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--latency-ms", type=float, default=0.0, help="fixed latency of every request")
    serve.add_argument("--jitter-ms", type=float, default=0.0, help="± uniform jitter on the latency")
    serve.add_argument("--rate", type=float, default=None, help="history requests per second (flood limit)")
    serve.add_argument("--burst", type=float, default=20.0, help="history requests allowed at once")
    serve.add_argument("--takeout-factor", type=float, default=1.0, help="rate multiplier inside takeout")
    serve.add_argument(
        "--limits",
        choices=sorted(LIMIT_PRESETS),
        help="a named flood limit instead of --rate/--burst/--takeout-factor: strict = the strictest "
        "public reports for messages.getHistory (30 at once, then 1 request/s; takeout 2x, a guess)",
    )
    _file_arguments(serve)
    serve.add_argument("--port", type=int, default=0, help="port of the home DC (others follow); 0 = any")
    serve.add_argument("--password", default=None, help="2FA password of the account (default: none)")
    serve.add_argument(
        "--takeout-confirmed",
        action="store_true",
        help="the account already allowed a data export (else the first takeout waits: TAKEOUT_INIT_DELAY)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. messages.getHistory@3=420:FLOOD_WAIT_5 or messages.getHistory@3=drop",
    )
    serve.add_argument(
        "--control",
        type=Path,
        metavar="FILE",
        help="a JSON file of faults, re-read whenever it changes (and on SIGHUP) while serving: "
        '{"faults": ["messages.getHistory@2=500:INTERNAL*9"], "revoke_session": {"after": 5, '
        '"error": "SESSION_REVOKED"}, "lose_chat_access": {"after": 3}, "latency_ms": 50, "rate": 30, '
        '"bandwidth_mbps": 200, "account_bandwidth_mbps": null, "file_rate": 10}; '
        "every key is optional, listed faults replace the pending ones",
    )
    serve.add_argument(
        "--logged-out", action="store_true", help="write a session that still has to log in (login tests)"
    )
    serve.add_argument(
        "--live-forum",
        metavar="USERNAME",
        help="this forum keeps receiving messages while it is read: one after every --live-every requests",
    )
    serve.add_argument("--live-every", type=int, default=5, metavar="N", help="see --live-forum (default 5)")
    serve.add_argument(
        "--session-file",
        type=Path,
        action="append",
        required=True,
        help="where to write the client session; repeated, one session each (a key of its own): the bot "
        "and each worker need their own, as one key used from two processes is ended (AUTH_KEY_DUPLICATED)",
    )
    serve.add_argument(
        "--stats-file",
        type=Path,
        help="write request and flood-wait counts, and every request's time on the sandbox's clock "
        "(request_timings: received, seconds until answered), here as JSON on exit",
    )

    desc = commands.add_parser("describe", help="print the scenario's ground truth summary as JSON")
    desc.add_argument("--scenario", default="small")
    desc.add_argument("--seed", type=int, default=1)

    files = commands.add_parser(
        "files",
        help="print every file of the scenario's messages (thumbnails and custom emoji included) as "
        "JSON lines: chat_id, msg_id, kind, file_id, thumb, size, dc_id, mime, name, sha256",
    )
    files.add_argument("--scenario", default="small")
    files.add_argument("--seed", type=int, default=1)
    files.add_argument("--no-sha256", action="store_true", help="leave out sha256 (it reads every byte)")
    return parser


def _file_arguments(serve: argparse.ArgumentParser) -> None:
    """Flags of the file model (sandbox.netmodel and sandbox.world.files); a scenario's own file faults
    stay unless a flag about them is given."""
    group = serve.add_argument_group("files (upload.getFile)")
    group.add_argument(
        "--bandwidth-mbps",
        type=float,
        help="file bytes one connection carries, in megabits/s (default: no cap)",
    )
    group.add_argument(
        "--account-bandwidth-mbps", type=float, help="file bytes of all the account's connections, megabits/s"
    )
    group.add_argument("--file-rate", type=float, help="upload.getFile requests per second per account")
    group.add_argument(
        "--file-burst", type=float, default=20.0, help="upload.getFile requests allowed at once"
    )
    group.add_argument(
        "--file-flood", choices=FILE_FLOOD_ERRORS, default="FLOOD_WAIT", help="the error over --file-rate"
    )
    group.add_argument(
        "--reference-ttl",
        type=float,
        help="file references expire this many seconds after they are handed out",
    )
    group.add_argument("--reference-uses", type=int, help="the n-th upload.getFile with one reference fails")
    group.add_argument(
        "--expiring-files", type=float, default=1.0, help="fraction of files whose references expire"
    )
    group.add_argument("--unavailable-files", type=float, help="fraction of files upload.getFile refuses")
    group.add_argument("--unavailable-error", choices=UNAVAILABLE_ERRORS, default="LOCATION_INVALID")
    group.add_argument("--stalling-files", type=float, help="fraction of files whose parts go unanswered")
    group.add_argument("--stall-seconds", type=float, default=600.0, help="how long a stalling file stalls")
    group.add_argument("--stall-at", type=int, default=0, help="the byte offset from which a file stalls")


def _file_faults(args: argparse.Namespace, world: World) -> FileFaults:
    chosen = (args.reference_ttl, args.reference_uses, args.unavailable_files, args.stalling_files)
    if all(value is None for value in chosen):
        return world.file_faults
    return FileFaults(
        reference_ttl=args.reference_ttl,
        reference_uses=args.reference_uses,
        expiring=FileSet.of(args.expiring_files),
        unavailable=FileSet.of(args.unavailable_files or 0.0),
        unavailable_error=args.unavailable_error,
        stalling=FileSet.of(args.stalling_files or 0.0),
        stall_seconds=args.stall_seconds,
        stall_at=args.stall_at,
    )


def _print_files(args: argparse.Namespace) -> None:
    world = build_scenario(args.scenario, seed=args.seed)
    for chat in world.chats.values():
        for f in expected_files(world, chat):
            line = {
                "chat_id": f.chat_id,
                "msg_id": f.msg_id,
                "kind": f.kind,
                "file_id": f.file_id,
                "thumb": f.thumb,
                "size": f.size,
                "dc_id": f.dc_id,
                "mime": f.mime,
                "name": f.name,
                "fault": f.fault,
                "reference_expires": f.reference_expires,
            }
            if not args.no_sha256:
                line["sha256"] = f.sha256
            print(json.dumps(line, ensure_ascii=False))


async def _serve(args: argparse.Namespace) -> int:
    world = build_scenario(args.scenario, seed=args.seed)
    if args.password:
        world.password = args.password
    world.takeout_confirmed = world.takeout_confirmed or args.takeout_confirmed
    if args.live_forum:
        forum = world.by_username(args.live_forum)
        if not isinstance(forum, Chat) or forum.kind != "forum":
            raise ValueError(f"--live-forum: the scenario has no forum @{args.live_forum.lstrip('@')}")
        world.live = LiveForum(forum.peer_id, every=args.live_every)
    network = NetworkModel(
        latency=args.latency_ms / 1000,
        jitter=args.jitter_ms / 1000,
        rate=args.rate,
        burst=args.burst,
        takeout_factor=args.takeout_factor,
        seed=args.seed,
        faults=[parse_fault(spec) for spec in args.fault],
        bandwidth=None if args.bandwidth_mbps is None else args.bandwidth_mbps * MBPS,
        account_bandwidth=None if args.account_bandwidth_mbps is None else args.account_bandwidth_mbps * MBPS,
        file_rate=args.file_rate,
        file_burst=args.file_burst,
        file_flood_error=args.file_flood,
    )
    world.file_faults = _file_faults(args, world)
    if args.limits:
        network.use_limits(args.limits)
    ports = None
    if args.port:
        ports = {dc_id: args.port + index for index, dc_id in enumerate((2, 4))}
    cluster = Cluster(world, network=network, ports=ports)
    await cluster.start()
    try:
        for session_file in args.session_file:
            cluster.write_session_file(session_file, logged_in=not args.logged_out)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if args.control:
            reload = asyncio.Event()
            loop.add_signal_handler(signal.SIGHUP, reload.set)
            watcher = asyncio.create_task(_watch_control(args.control, network, reload))
        dcs = " ".join(f"dc{dc.dc_id}=127.0.0.1:{dc.port}" for dc in cluster.dcs.values())
        print(
            f"sandbox ready: scenario={args.scenario} {dcs} session={','.join(map(str, args.session_file))}",
            flush=True,
        )
        await stop.wait()
        if args.control:
            watcher.cancel()
    finally:
        await cluster.stop()
        if args.stats_file:
            stats: dict[str, object] = {**cluster.stats(), "request_timings": cluster.request_timings()}
            args.stats_file.write_text(json.dumps(stats, indent=1, sort_keys=True))
    return 0


async def _watch_control(path: Path, network: NetworkModel, reload: asyncio.Event) -> None:
    """Apply the control file whenever its contents change or SIGHUP asks; a bad file is reported
    and leaves the faults as they were."""
    applied: bytes | None = None
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reload.wait(), CONTROL_POLL_SECONDS)
        forced = reload.is_set()
        reload.clear()
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            continue
        if content == applied and not forced:
            continue
        applied = content
        try:
            network.apply(json.loads(content or b"{}"))
        except (ValueError, TypeError) as exc:
            print(f"sandbox: control file {path} not applied: {exc}", file=sys.stderr, flush=True)
            continue
        print(f"sandbox: control file {path} applied", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "describe":
            json.dump(describe(build_scenario(args.scenario, seed=args.seed)), sys.stdout, indent=2)
            print()
            return 0
        if args.command == "files":
            _print_files(args)
            return 0
        return asyncio.run(_serve(args))
    except ValueError as exc:  # UnknownScenario and bad --fault specs
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `describe | head`: the reader has what it wanted. Python would print a traceback, and
        # another at exit flushing stdout, unless stdout is pointed elsewhere (Python docs, signal:
        # "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"sandbox: port {args.port} is already in use; pick another with --port, or 0",
                file=sys.stderr,
            )
            return 2
        raise


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
