#!/usr/bin/env python3
"""Calls libsscard.so through ctypes, as Linux HIS code loads such libraries (test/sscard).

    python3 sscard_ctypes.py <libsscard.so> read <iType>
    python3 sscard_ctypes.py <libsscard.so> verify <iType> <PIN>
    python3 sscard_ctypes.py <libsscard.so> change <iType> <old PIN> <new PIN>    (iChangePINEx)
    python3 sscard_ctypes.py <libsscard.so> reload <iType> <new PIN>              (iReloadPIN)
    python3 sscard_ctypes.py <libsscard.so> hsm <iType>     Step1, pKey from stdin, Step2
    python3 sscard_ctypes.py <libsscard.so> hsm-step2-only <iType>   Step2 with no Step1 before it
    python3 sscard_ctypes.py <libsscard.so> platform <Init JSON>                 Init + ReadCardBas

Prints the return code on one line and each output buffer (bytes as hex, so the test sees
the exact encoding) on the next; `hsm` prints Step1's pair, then Step2's.
"""
import ctypes
import sys

OUT_MAX = 1024  # SSCARD_OUT_MAX in sscard.h


def main() -> int:
    lib = ctypes.CDLL(sys.argv[1])
    c_long, c_int, c_char_p = ctypes.c_long, ctypes.c_int, ctypes.c_char_p
    for name, args in {
        "iReadCardBas": [c_int, c_char_p],
        "iVerifyPINEx": [c_int, c_char_p, c_char_p],
        "iChangePINEx": [c_int, c_char_p, c_char_p, c_char_p],
        "iReloadPIN": [c_int, c_char_p, c_char_p],
        "iReadCardBas_HSM_Step1": [c_int, c_char_p],
        "iReadCardBas_HSM_Step2": [c_char_p, c_char_p],
        "Init": [c_char_p, c_char_p],
        "ReadCardBas": [c_char_p, c_char_p],
    }.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = c_long

    out = ctypes.create_string_buffer(OUT_MAX)
    what = sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    ascii_args = [a.encode("ascii") for a in sys.argv[4:]]
    if what == "read":
        rc = lib.iReadCardBas(int(arg), out)
    elif what == "verify":
        rc = lib.iVerifyPINEx(int(arg), ascii_args[0], out)
    elif what == "change":
        rc = lib.iChangePINEx(int(arg), ascii_args[0], ascii_args[1], out)
    elif what == "reload":
        rc = lib.iReloadPIN(int(arg), ascii_args[0], out)
    elif what == "hsm":
        rc = lib.iReadCardBas_HSM_Step1(int(arg), out)
        print(rc)
        print(out.value.hex(), flush=True)
        key = sys.stdin.readline().strip().encode("ascii")
        out = ctypes.create_string_buffer(OUT_MAX)
        rc = lib.iReadCardBas_HSM_Step2(key, out)
    elif what == "hsm-step2-only":
        rc = lib.iReadCardBas_HSM_Step2(b"0" * 64, out)
    elif what == "platform":
        err = ctypes.create_string_buffer(2048)
        rc = lib.Init(arg.encode("utf-8"), err)
        if rc != 0:
            print(rc)
            print(err.value.hex())
            print("")
            return 0
        card = ctypes.create_string_buffer(2048)
        busi = ctypes.create_string_buffer(8192)
        rc = lib.ReadCardBas(card, busi)
        print(rc)
        print(card.value.hex())
        print(busi.value.hex())
        return 0
    else:
        print(f"unknown command {what}", file=sys.stderr)
        return 2
    print(rc)
    print(out.value.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
