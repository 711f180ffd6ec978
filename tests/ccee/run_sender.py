"""A sender process for the crash and concurrency tests: settings from the environment
(SMF_DATABASE_URL, SMF_CCEE_*); gives back dead claims of this host, sends until nothing is due,
prints its report as JSON."""

from __future__ import annotations

import json
import sys

from ccee import sender
from ccee.client import CceeClient
from db.settings import load_ccee


def main() -> int:
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    cfg = load_ccee()
    released = sender.release_dead_claims()
    with sender.Sender(None, CceeClient(cfg), cfg) as s:
        rep = s.run(batch=batch)
    print(json.dumps({"released": released, **rep.counts()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
