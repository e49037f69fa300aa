"""`python -m stellars_operator`: run the operator for some namespaces or all of them."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import kopf

from stellars_operator import handlers  # noqa: F401  (importing registers the handlers)
from stellars_operator.kube import Kube, load_api_client
from stellars_operator.leader_election import (
    ElectionSettings,
    LeaderElector,
    serve_standby_health,
)

logger = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stellars_operator", description="The StellarsHub operator."
    )
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--namespace",
        "-n",
        action="append",
        dest="namespaces",
        metavar="NS",
        help="watch this namespace (repeat for several; globs allowed)",
    )
    scope.add_argument("--all-namespaces", "-A", action="store_true", help="watch every namespace")
    parser.add_argument(
        "--liveness",
        metavar="URL",
        default=None,
        help="serve the liveness endpoint, e.g. http://0.0.0.0:8080/healthz",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def _lose_leadership(holder: str) -> None:
    # kopf cannot be paused: leave at once, so that only the new holder writes.
    logger.critical("lost the leader lease to %s: exiting", holder)
    logging.shutdown()
    os._exit(1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    kopf.configure(verbose=args.verbose)
    election = ElectionSettings.from_environment(os.environ)
    elector = None
    if election is not None:
        elector = LeaderElector(Kube(load_api_client()), election)
        standby = serve_standby_health(args.liveness) if args.liveness else None
        try:
            elector.acquire()
        finally:
            if standby is not None:
                standby.shutdown()
                standby.server_close()
        elector.keep_leading(_lose_leadership)
    try:
        # standalone: kopf's own peering is off; the Lease above decides who runs.
        kopf.run(
            standalone=True,
            clusterwide=bool(args.all_namespaces),
            namespaces=args.namespaces or (),
            liveness_endpoint=args.liveness,
        )
    finally:
        if elector is not None:
            elector.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
