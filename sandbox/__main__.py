"""python -m sandbox serve | describe: the offline Telegram as its own process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import signal
import sys
from pathlib import Path

from .cluster import Cluster
from .netmodel import LIMIT_PRESETS, NetworkModel, parse_fault
from .world import SCENARIOS, build_scenario, describe

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
        '"error": "SESSION_REVOKED"}, "lose_chat_access": {"after": 3}, "latency_ms": 50, "rate": 30}; '
        "every key is optional, listed faults replace the pending ones",
    )
    serve.add_argument(
        "--logged-out", action="store_true", help="write a session that still has to log in (login tests)"
    )
    serve.add_argument("--session-file", type=Path, required=True, help="where to write the client session")
    serve.add_argument(
        "--stats-file",
        type=Path,
        help="write request and flood-wait counts, and every request's time on the sandbox's clock "
        "(request_timings: received, seconds until answered), here as JSON on exit",
    )

    desc = commands.add_parser("describe", help="print the scenario's ground truth summary as JSON")
    desc.add_argument("--scenario", default="small")
    desc.add_argument("--seed", type=int, default=1)
    return parser


async def _serve(args: argparse.Namespace) -> int:
    world = build_scenario(args.scenario, seed=args.seed)
    if args.password:
        world.password = args.password
    world.takeout_confirmed = world.takeout_confirmed or args.takeout_confirmed
    network = NetworkModel(
        latency=args.latency_ms / 1000,
        jitter=args.jitter_ms / 1000,
        rate=args.rate,
        burst=args.burst,
        takeout_factor=args.takeout_factor,
        seed=args.seed,
        faults=[parse_fault(spec) for spec in args.fault],
    )
    if args.limits:
        network.use_limits(args.limits)
    ports = None
    if args.port:
        ports = {dc_id: args.port + index for index, dc_id in enumerate((2, 4))}
    cluster = Cluster(world, network=network, ports=ports)
    await cluster.start()
    try:
        cluster.write_session_file(args.session_file, logged_in=not args.logged_out)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if args.control:
            reload = asyncio.Event()
            loop.add_signal_handler(signal.SIGHUP, reload.set)
            watcher = asyncio.create_task(_watch_control(args.control, network, reload))
        dcs = " ".join(f"dc{dc.dc_id}=127.0.0.1:{dc.port}" for dc in cluster.dcs.values())
        print(f"sandbox ready: scenario={args.scenario} {dcs} session={args.session_file}", flush=True)
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
        return asyncio.run(_serve(args))
    except ValueError as exc:  # UnknownScenario and bad --fault specs
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
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
