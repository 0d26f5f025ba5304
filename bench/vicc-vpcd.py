#!/usr/bin/python3
"""Anchor for bench/apdu-vpcd.ts: vicc's VirtualICC serving the card of vicc_card.py to
vpcd (port in argv[1]), so vicc and our card answer the same commands through pcscd."""
import logging
import sys

from virtualsmartcard.VirtualSmartcard import VirtualICC
from vicc_card import build

port = int(sys.argv[1]) if len(sys.argv) > 1 else 35963
icc = VirtualICC(None, "iso7816", "localhost", port, logginglevel=logging.CRITICAL)
icc.os = build()
print("connected", flush=True)
icc.run()
