"""CPU time of parsing (ops.ingest.parse_batch: parse_body + Rows.add), and whether another tree's
parse gives the same rows.

    python benchmarks/parse.py [--bodies N] [--repeat R] [--against DIR]

The corpus is benchmarks/corpus.py's (50,000 bodies by default), in the CLI's batches; the best of R
runs of time.process_time counts (the machine is shared: CPU time, not wall time). --against DIR
(e.g. `git archive main | tar -x -C DIR`) also parses the corpus in several shapes (SNS one line and
laid out, raw delivery, Message as an object, JSON in a string, bytes) with DIR's code, in a process of
its own, and compares every Rows list. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

ROWS = """
import pickle, sys
sys.path[:0] = [sys.argv[1]]
from sestui.ops.ingest import BATCH, parse_batch
bodies = pickle.load(sys.stdin.buffer)
out = []
for i in range(0, len(bodies), BATCH):
    r = parse_batch(bodies[i:i + BATCH], 1_700_000_000_000)
    out.append((r.events, r.records, r.messages, r.recipients, r.quarantine))
sys.stdout.buffer.write(pickle.dumps(out))
"""


def shapes(bodies: list[str]) -> list:
    """The corpus as bodies arrive in other shapes too."""
    sys.path.insert(0, str(HERE))
    import corpus

    out: list = list(bodies)
    some = bodies[:2000]
    for i, body in enumerate(some):
        envelope = json.loads(body)
        rec = json.loads(envelope["Message"])
        out += [corpus.sns_body(rec, i, one_line=False), json.dumps(rec, ensure_ascii=False), json.dumps(rec),
                json.dumps({**envelope, "Message": rec}), json.dumps(body), body.encode()]
    return out


def rows_of(tree: Path, bodies: list) -> list:
    proc = subprocess.run([sys.executable, "-c", ROWS, str(tree)], input=pickle.dumps(bodies), capture_output=True,
                          check=True)
    return pickle.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bodies", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--against", type=Path, help="a tree with another sestui/ to compare the rows with")
    args = ap.parse_args()
    sys.path[:0] = [str(HERE), str(HERE.parent)]
    import corpus

    from sestui.ops.ingest import BATCH, parse_batch

    bodies = corpus.bodies(args.bodies)
    batches = [bodies[i:i + BATCH] for i in range(0, len(bodies), BATCH)]
    times, events = [], 0
    for _ in range(args.repeat):
        gc.collect()
        start = time.process_time()
        events = sum(len(parse_batch(batch, 1).events) for batch in batches)
        times.append(time.process_time() - start)
    result: dict = {"bodies": len(bodies), "events": events, "parse_cpu_s": round(min(times), 3)}
    if args.against:
        every = shapes(bodies)
        ours, theirs = rows_of(HERE.parent, every), rows_of(args.against, every)
        result["compared_bodies"] = len(every)
        result["same_rows"] = repr(ours) == repr(theirs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
