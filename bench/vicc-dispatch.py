#!/usr/bin/python3
"""Anchor for bench/apdu-inprocess.ts: vicc's own dispatch (Iso7816OS.execute) in a Python
loop, on a card shaped like ours (MF, a DF named with the SSSE AID, a record EF with SFI 5),
with the same APDU mix. Prints one JSON line: {"apdus": n, "seconds": s, "rate": r, "sample": {...}}.
Run with Debian's /usr/bin/python3 and PYTHONPATH=<virtualsmartcard>:<dir with Crypto link>."""
import json
import logging
import sys
import time

from vicc_card import AID, build


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    mix = [bytes.fromhex(h) for h in json.loads(sys.argv[2])] if len(sys.argv) > 2 else [
        bytes.fromhex("00A404000F") + AID, bytes.fromhex("00B2072C0B"), bytes.fromhex("0084000008")]
    card = build()
    sample = {m.hex().upper(): card.execute(m).hex().upper() for m in mix}
    n = 0
    execute = card.execute
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for m in mix:
            execute(m)
        n += len(mix)
        if (n & 1023) < len(mix) and time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - start
    print(json.dumps({"apdus": n, "seconds": elapsed, "rate": n / elapsed, "sample": sample}))


if __name__ == "__main__":
    main()
