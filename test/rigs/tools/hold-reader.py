#!/usr/bin/python3
# A program that is not medcard holding a card exclusively, as a vendor's tool or a second
# test framework might: SCardConnect(SCARD_SHARE_EXCLUSIVE) on the reader named in argv[1],
# then "held" on stdout, then it keeps the card until killed. Uses Debian's pyscard.
import sys
import time
from smartcard.scard import (SCardEstablishContext, SCardConnect, SCARD_SCOPE_USER,
                             SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1,
                             SCARD_S_SUCCESS, SCardGetErrorMessage)

hresult, context = SCardEstablishContext(SCARD_SCOPE_USER)
if hresult != SCARD_S_SUCCESS:
    sys.exit('no PC/SC context: ' + SCardGetErrorMessage(hresult))
hresult, card, protocol = SCardConnect(context, sys.argv[1], SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
if hresult != SCARD_S_SUCCESS:
    sys.exit('cannot hold the card: ' + SCardGetErrorMessage(hresult))
print('held', flush=True)
while True:
    time.sleep(1)
