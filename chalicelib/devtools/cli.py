"""Command line: ``python -m chalicelib.devtools.cli COMMAND``.

serve     run the API, the pages and the analysis worker on the local backend (``make run``)
token     mint a sign-in token for the local backend (a store, a merchandiser or HQ)
check     analyse one photo against a guideline file: the rule table and the overlay
eval      analyse a labelled folder: per-rule precision, recall, F1, confusion, latency
redrive   move the analysis dead letters back to the queue, after a fix
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any


def serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("VETRINA_BACKEND", "local")
    from chalicelib.core.auth import mint
    from chalicelib.devtools import demo
    from chalicelib.local.server import LocalService

    service = LocalService(args.host, args.port)
    settings = service.services.settings
    data_dir = settings.data_dir

    def sign_in(role: str, **scope: Any) -> str:
        return mint(settings, role, **scope)

    if not args.no_demo:

        def seed_demo() -> None:
            try:
                if demo.seed(service.url, data_dir / "demo-photos", sign_in):
                    print(
                        f"Seeded the demo campaign {demo.CAMPAIGN_ID}; its photos are in {data_dir / 'demo-photos'}", flush=True
                    )
            except Exception:
                logging.getLogger(__name__).exception("seeding the demo failed; the service runs without it")

        threading.Thread(target=seed_demo, daemon=True).start()
    print(f"Vetrina on {service.url} — data in {data_dir.resolve()} (Ctrl+C stops)", flush=True)
    print(
        "Sign in by opening one of these links (valid 12 hours; `python -m chalicelib.devtools.cli token` mints more):",
        flush=True,
    )
    for label, page, role, scope in (
        ("store S001", "/", "store", {"stores": ("S001",)}),
        ("merchandiser, region north", "/gallery", "merchandiser", {"regions": ("north",)}),
        ("HQ", "/gallery", "hq", {}),
    ):
        print(f"  {label:28} {service.url}{page}#token={sign_in(role, **scope)}", flush=True)
    try:
        service.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def token(args: argparse.Namespace) -> int:
    """Print a local sign-in token (the local backend's key is in its data folder)."""
    from chalicelib.core.auth import mint
    from chalicelib.core.settings import Settings

    try:
        print(
            mint(
                Settings.from_env(),
                args.role,
                username=args.name,
                stores=tuple(args.store),
                regions=tuple(args.region),
                hours=args.hours,
            )
        )
    except ValueError as err:
        print(f"cannot mint the token: {err}", file=sys.stderr)
        return 2
    return 0


def redrive(args: argparse.Namespace) -> int:
    from chalicelib.wiring import services

    moved = services().queue.redrive()
    print(f"moved {moved} message(s) from the dead-letter queue back to the analysis queue")
    return 0


def check(args: argparse.Namespace) -> int:
    from chalicelib.devtools import tryout

    return tryout.check(Path(args.photo), Path(args.guideline), Path(args.overlay) if args.overlay else None)


def evaluate(args: argparse.Namespace) -> int:
    from chalicelib.devtools import tryout

    report = tryout.evaluate_folder(Path(args.folder), Path(args.guideline))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("python_multipart").setLevel(logging.WARNING)  # it logs every form part
    parser = argparse.ArgumentParser(
        prog="python -m chalicelib.devtools.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run the service locally (embedded backend)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--no-demo", action="store_true", help="do not seed the demo campaign")
    p.set_defaults(func=serve)

    p = commands.add_parser("token", help="mint a sign-in token for the local backend")
    p.add_argument("--role", required=True, choices=("store", "merchandiser", "hq"))
    p.add_argument("--store", action="append", default=[], help="a store the user acts for (repeatable; role store)")
    p.add_argument("--region", action="append", default=[], help="a region the user reviews (repeatable; role merchandiser)")
    p.add_argument("--name", help="the user's name, recorded on reviews and comments")
    p.add_argument("--hours", type=float, default=12, help="how long the token is valid (default 12)")
    p.set_defaults(func=token)

    p = commands.add_parser("check", help="analyse one photo against a guideline file")
    p.add_argument("photo")
    p.add_argument("--guideline", required=True, help="YAML or JSON guideline; pack files beside it")
    p.add_argument("--overlay", help="where to write the overlay JPEG (default: PHOTO.overlay.jpg)")
    p.set_defaults(func=check)

    p = commands.add_parser("eval", help="analyse a labelled folder (labels.json) and score each rule")
    p.add_argument("folder")
    p.add_argument("--guideline", required=True, help="YAML or JSON guideline; pack files beside it")
    p.add_argument("--json", help="also write the figures to this file")
    p.set_defaults(func=evaluate)

    p = commands.add_parser("redrive", help="re-queue the analysis dead letters")
    p.set_defaults(func=redrive)

    args = parser.parse_args(argv)
    from chalicelib.core.guideline import GuidelineError

    try:
        return args.func(args)
    except GuidelineError as err:
        print(f"the guideline is not valid: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
