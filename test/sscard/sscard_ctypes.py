#!/usr/bin/env python3
"""Calls libsscard.so through ctypes, as Linux HIS code loads such libraries (test/sscard).

    python3 sscard_ctypes.py <path to libsscard.so> read <iType>
    python3 sscard_ctypes.py <path to libsscard.so> verify <iType> <PIN>

Prints the return code on the first line and pOutInfo (bytes as hex, so the test sees the
exact encoding) on the second.
"""
import ctypes
import sys

OUT_MAX = 1024  # SSCARD_OUT_MAX in sscard.h


def main() -> int:
    lib = ctypes.CDLL(sys.argv[1])
    lib.iReadCardBas.argtypes = [ctypes.c_int, ctypes.c_char_p]
    lib.iReadCardBas.restype = ctypes.c_long
    lib.iVerifyPIN.argtypes = [ctypes.c_int, ctypes.c_char_p]
    lib.iVerifyPIN.restype = ctypes.c_long
    lib.iVerifyPINEx.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p]
    lib.iVerifyPINEx.restype = ctypes.c_long

    out = ctypes.create_string_buffer(OUT_MAX)
    what, i_type = sys.argv[2], int(sys.argv[3])
    if what == "read":
        rc = lib.iReadCardBas(i_type, out)
    elif what == "verify":
        rc = lib.iVerifyPINEx(i_type, sys.argv[4].encode("ascii"), out)
    else:
        print(f"unknown command {what}", file=sys.stderr)
        return 2
    print(rc)
    print(out.value.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
