"""``bwtui simulate``: serve the simulated provider APIs on loopback for any config to use."""

from __future__ import annotations

import argparse

from bwtui.cli_options import SPEED_MAX, SPEED_MIN, speed_option
from bwtui.exits import EXIT_OK

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="serve the simulated Hivelocity, Altostrat, Hetzner Cloud and Vultr APIs on loopback",
        description=(
            "Serve the project's simulated provider APIs on a loopback port, so a config can point"
            " at them (base_url = http://127.0.0.1:PORT/hivelocity/api/v2,"
            " http://127.0.0.1:PORT/altostrat, http://127.0.0.1:PORT/hetzner/v1 or"
            " http://127.0.0.1:PORT/vultr/v2)."
        ),
    )
    parser.add_argument("--port", type=int, default=8765, help="TCP port (default 8765)")
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK_HOSTS)
    parser.add_argument("--seed", type=int, default=7, help="traffic seed (default 7)")
    parser.add_argument("--services", type=int, default=12, help="Hivelocity services")
    parser.add_argument("--instances", type=int, default=6, help="Altostrat VPN instances")
    parser.add_argument("--hetzner-servers", type=int, default=4, help="Hetzner Cloud servers")
    parser.add_argument("--vultr-instances", type=int, default=4, help="Vultr instances")
    parser.add_argument(
        "--speed", type=speed_option("--speed"), default=1.0, metavar="N",
        help=f"run simulated time N times faster, {SPEED_MIN:g} to {SPEED_MAX:g} (default 1: real time)",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=3600, help="Hivelocity requests per hour per IP"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from bwtui.simulator import Simulator, SimulatorConfig, serve

    config = SimulatorConfig(
        seed=args.seed,
        hivelocity_services=args.services,
        altostrat_instances=args.instances,
        hetzner_servers=args.hetzner_servers,
        vultr_instances=args.vultr_instances,
        speed=args.speed,
        rate_limit_per_hour=args.rate_limit,
    )
    simulator = Simulator(config)
    base = f"http://{args.host}:{args.port}"
    print(f"Hivelocity API: {base}{simulator.hivelocity_base_url_path}  (X-API-KEY: {config.hivelocity_token})")
    print(f"Altostrat API:  {base}{simulator.altostrat_base_path}  (Bearer {config.altostrat_token})")
    print(f"Hetzner API:    {base}{simulator.hetzner_base_path}  (Bearer {config.hetzner_token})")
    print(f"Vultr API:      {base}{simulator.vultr_base_path}  (Bearer {config.vultr_token})")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        asyncio.run(serve(simulator, args.host, args.port))
    except KeyboardInterrupt:
        pass
    return EXIT_OK
