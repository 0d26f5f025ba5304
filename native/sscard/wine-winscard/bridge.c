/*
 * winscard.dll for Wine 8.0 on pcsc-lite: a Winelib builtin (winegcc) that forwards the PC/SC
 * calls a reader library makes to the Linux pcscd through libpcsclite.so.1.
 *
 * Why: Debian 12's Wine 8.0 ships a winscard.dll whose SCardEstablishContext is a stub
 * (it answers SCARD_F_INTERNAL_ERROR), so a Windows program there reaches no reader. Wine
 * itself got a pcsc-lite backend after 8.0; this bridge stands in for it on Wine 8.0 only.
 *
 * The two ABIs differ and every call converts: on Linux x86_64 pcsc-lite's DWORD and LONG are
 * 64-bit (`unsigned long`, `long`), on Windows 32-bit; SCARD_READERSTATE and SCARD_IO_REQUEST
 * differ in size; SCardStatus gives a bit field on pcsc-lite and a number on Windows; the RAW
 * protocol and SCARD_E_UNSUPPORTED_FEATURE have other values. pcsc-lite is opened with dlopen
 * so its names (the same as the ones exported here) never meet ours.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windef.h"
#include "winbase.h"
#include "winscard.h"

/* ---- pcsc-lite's types on Linux x86_64 (its wintypes.h / pcsclite.h), prefixed ---------- */
typedef unsigned long P_DWORD;
typedef long P_LONG;
typedef long P_CTX;
#define P_MAX_ATR_SIZE 33
#define P_AUTOALLOCATE ((P_DWORD)-1)
#define P_PROTOCOL_RAW 0x0004
#define P_E_UNSUPPORTED_FEATURE 0x8010001F
typedef struct {
  const char *szReader;
  void *pvUserData;
  P_DWORD dwCurrentState, dwEventState, cbAtr;
  unsigned char rgbAtr[P_MAX_ATR_SIZE];
} P_READERSTATE;
typedef struct {
  P_DWORD dwProtocol, cbPciLength;
} P_IO_REQUEST;

static struct {
  P_LONG (*EstablishContext)(P_DWORD, const void *, const void *, P_CTX *);
  P_LONG (*ReleaseContext)(P_CTX);
  P_LONG (*IsValidContext)(P_CTX);
  P_LONG (*ListReaders)(P_CTX, const char *, char *, P_DWORD *);
  P_LONG (*FreeMemory)(P_CTX, const void *);
  P_LONG (*GetStatusChange)(P_CTX, P_DWORD, P_READERSTATE *, P_DWORD);
  P_LONG (*Cancel)(P_CTX);
  P_LONG (*Connect)(P_CTX, const char *, P_DWORD, P_DWORD, P_CTX *, P_DWORD *);
  P_LONG (*Reconnect)(P_CTX, P_DWORD, P_DWORD, P_DWORD, P_DWORD *);
  P_LONG (*Disconnect)(P_CTX, P_DWORD);
  P_LONG (*BeginTransaction)(P_CTX);
  P_LONG (*EndTransaction)(P_CTX, P_DWORD);
  P_LONG (*Status)(P_CTX, char *, P_DWORD *, P_DWORD *, P_DWORD *, unsigned char *, P_DWORD *);
  P_LONG (*Transmit)(P_CTX, const P_IO_REQUEST *, const unsigned char *, P_DWORD, P_IO_REQUEST *, unsigned char *,
                     P_DWORD *);
} pcsc;
static int pcsc_state; /* 0 not tried, 1 loaded, -1 missing */

/* Loaded on the first SCardEstablishContext: without libpcsclite.so.1 every call fails as a
 * Windows machine without the smart card service does (SCARD_E_NO_SERVICE). */
static int load_pcsc(void) {
  if (pcsc_state) return pcsc_state > 0;
  void *h = dlopen("libpcsclite.so.1", RTLD_NOW | RTLD_LOCAL);
  int ok = h != NULL;
#define SYM(field, name) if (ok && !(*(void **)&pcsc.field = dlsym(h, name))) ok = 0;
  SYM(EstablishContext, "SCardEstablishContext")
  SYM(ReleaseContext, "SCardReleaseContext")
  SYM(IsValidContext, "SCardIsValidContext")
  SYM(ListReaders, "SCardListReaders")
  SYM(FreeMemory, "SCardFreeMemory")
  SYM(GetStatusChange, "SCardGetStatusChange")
  SYM(Cancel, "SCardCancel")
  SYM(Connect, "SCardConnect")
  SYM(Reconnect, "SCardReconnect")
  SYM(Disconnect, "SCardDisconnect")
  SYM(BeginTransaction, "SCardBeginTransaction")
  SYM(EndTransaction, "SCardEndTransaction")
  SYM(Status, "SCardStatus")
  SYM(Transmit, "SCardTransmit")
#undef SYM
  pcsc_state = ok ? 1 : -1;
  return ok;
}

/* pcsc-lite's codes are Windows' (winerror.h) but for one; the 64-bit value's low half is the code. */
static LONG code(P_LONG rv) {
  unsigned long v = (unsigned long)rv & 0xFFFFFFFFul;
  if (v == P_E_UNSUPPORTED_FEATURE) return (LONG)SCARD_E_UNSUPPORTED_FEATURE;
  return (LONG)(DWORD)v;
}

/* PCSCBRIDGE_TRACE=1: each call's pcsc-lite result to stderr (the Unix one: Winelib code is Linux code). */
static int tracing(void) {
  static int trace = -1;
  if (trace < 0) { const char *t = getenv("PCSCBRIDGE_TRACE"); trace = t && *t && strcmp(t, "0") != 0; }
  return trace;
}
static LONG done(const char *fn, P_LONG rv) {
  if (tracing()) fprintf(stderr, "pcscbridge %s -> 0x%08lX\n", fn, (unsigned long)rv & 0xFFFFFFFFul);
  return code(rv);
}

static P_DWORD proto_to_pcsc(DWORD p) {
  P_DWORD r = p & (SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1);
  if (p & SCARD_PROTOCOL_RAW) r |= P_PROTOCOL_RAW;
  return r;
}
static DWORD proto_from_pcsc(P_DWORD p) {
  DWORD r = (DWORD)(p & (SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1));
  if (p & P_PROTOCOL_RAW) r |= SCARD_PROTOCOL_RAW;
  return r;
}

/*
 * SCardStatus: pcsc-lite sets one bit per state reached (SCARD_ABSENT 0x02 ... SCARD_SPECIFIC
 * 0x40), Windows gives the highest as a number (winsmcrd.h: SCARD_UNKNOWN 0, SCARD_ABSENT 1
 * ... SCARD_SPECIFIC 6; Wine's headers leave these out).
 */
static DWORD state_from_pcsc(P_DWORD s) {
  for (DWORD n = 6; n >= 1; n--)
    if (s & (1ul << n)) return n;
  return 0;
}

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

/* A caller's length in or out: SCARD_AUTOALLOCATE is all ones in either width. */
static P_DWORD len_in(const DWORD *p) { return !p ? 0 : *p == SCARD_AUTOALLOCATE ? P_AUTOALLOCATE : *p; }

LONG WINAPI SCardEstablishContext(DWORD scope, LPCVOID r1, LPCVOID r2, LPSCARDCONTEXT ctx) {
  if (!ctx) return SCARD_E_INVALID_PARAMETER;
  if (!load_pcsc()) return SCARD_E_NO_SERVICE;
  P_CTX c = 0;
  P_LONG rv = pcsc.EstablishContext(scope, r1, r2, &c);
  *ctx = (SCARDCONTEXT)c;
  return done("SCardEstablishContext", rv);
}

#define NEED_PCSC() do { if (pcsc_state <= 0) return SCARD_E_INVALID_HANDLE; } while (0)

LONG WINAPI SCardReleaseContext(SCARDCONTEXT ctx) { NEED_PCSC(); return done("SCardReleaseContext", pcsc.ReleaseContext((P_CTX)ctx)); }
LONG WINAPI SCardIsValidContext(SCARDCONTEXT ctx) { NEED_PCSC(); return done("SCardIsValidContext", pcsc.IsValidContext((P_CTX)ctx)); }
LONG WINAPI SCardCancel(SCARDCONTEXT ctx) { NEED_PCSC(); return done("SCardCancel", pcsc.Cancel((P_CTX)ctx)); }

/* Groups are passed on as given; with SCARD_AUTOALLOCATE, readers receives pcsc-lite's block,
 * which SCardFreeMemory hands back to pcsc-lite. */
LONG WINAPI SCardListReadersA(SCARDCONTEXT ctx, LPCSTR groups, LPSTR readers, LPDWORD len) {
  NEED_PCSC();
  if (!len) return SCARD_E_INVALID_PARAMETER;
  P_DWORD n = len_in(len);
  P_LONG rv = pcsc.ListReaders((P_CTX)ctx, groups, readers, &n);
  if (n != P_AUTOALLOCATE) *len = (DWORD)n;
  return done("SCardListReadersA", rv);
}

LONG WINAPI SCardFreeMemory(SCARDCONTEXT ctx, LPCVOID mem) { NEED_PCSC(); return done("SCardFreeMemory", pcsc.FreeMemory((P_CTX)ctx, mem)); }

LONG WINAPI SCardGetStatusChangeA(SCARDCONTEXT ctx, DWORD timeout, LPSCARD_READERSTATEA states, DWORD n) {
  NEED_PCSC();
  if (n && !states) return SCARD_E_INVALID_PARAMETER;
  P_READERSTATE *p = n ? calloc(n, sizeof *p) : NULL;
  if (n && !p) return SCARD_E_NO_MEMORY;
  for (DWORD i = 0; i < n; i++) {
    p[i].szReader = states[i].szReader;
    p[i].pvUserData = states[i].pvUserData;
    p[i].dwCurrentState = states[i].dwCurrentState;
  }
  P_LONG rv = pcsc.GetStatusChange((P_CTX)ctx, timeout, p, n);
  for (DWORD i = 0; i < n; i++) {
    if (tracing()) fprintf(stderr, "pcscbridge   \"%s\" current 0x%lX event 0x%lX\n", p[i].szReader, p[i].dwCurrentState, p[i].dwEventState);
    states[i].dwEventState = (DWORD)p[i].dwEventState;
    DWORD a = (DWORD)p[i].cbAtr;
    if (a > sizeof states[i].rgbAtr) a = sizeof states[i].rgbAtr;
    states[i].cbAtr = a;
    memcpy(states[i].rgbAtr, p[i].rgbAtr, a);
  }
  free(p);
  return done("SCardGetStatusChangeA", rv);
}

LONG WINAPI SCardConnectA(SCARDCONTEXT ctx, LPCSTR reader, DWORD share, DWORD protocols, LPSCARDHANDLE card, LPDWORD active) {
  NEED_PCSC();
  if (!card || !active) return SCARD_E_INVALID_PARAMETER;
  P_CTX h = 0;
  P_DWORD a = 0;
  P_LONG rv = pcsc.Connect((P_CTX)ctx, reader, share, proto_to_pcsc(protocols), &h, &a);
  *card = (SCARDHANDLE)h;
  *active = proto_from_pcsc(a);
  return done("SCardConnectA", rv);
}

LONG WINAPI SCardReconnect(SCARDHANDLE card, DWORD share, DWORD protocols, DWORD init, LPDWORD active) {
  NEED_PCSC();
  P_DWORD a = 0;
  P_LONG rv = pcsc.Reconnect((P_CTX)card, share, proto_to_pcsc(protocols), init, &a);
  if (active) *active = proto_from_pcsc(a);
  return done("SCardReconnect", rv);
}

LONG WINAPI SCardDisconnect(SCARDHANDLE card, DWORD disposition) { NEED_PCSC(); return done("SCardDisconnect", pcsc.Disconnect((P_CTX)card, disposition)); }
LONG WINAPI SCardBeginTransaction(SCARDHANDLE card) { NEED_PCSC(); return done("SCardBeginTransaction", pcsc.BeginTransaction((P_CTX)card)); }
LONG WINAPI SCardEndTransaction(SCARDHANDLE card, DWORD disposition) { NEED_PCSC(); return done("SCardEndTransaction", pcsc.EndTransaction((P_CTX)card, disposition)); }

LONG WINAPI SCardStatusA(SCARDHANDLE card, LPSTR names, LPDWORD names_len, LPDWORD state, LPDWORD protocol, LPBYTE atr,
                         LPDWORD atr_len) {
  NEED_PCSC();
  P_DWORD nl = len_in(names_len), st = 0, pr = 0, al = len_in(atr_len);
  P_LONG rv = pcsc.Status((P_CTX)card, names, names_len ? &nl : NULL, &st, &pr, atr, atr_len ? &al : NULL);
  if (names_len && nl != P_AUTOALLOCATE) *names_len = (DWORD)nl;
  if (atr_len && al != P_AUTOALLOCATE) *atr_len = (DWORD)al;
  if (state) *state = state_from_pcsc(st);
  if (protocol) *protocol = proto_from_pcsc(pr);
  return done("SCardStatusA", rv);
}

/* The protocol control information is re-made in pcsc-lite's layout; extra PCI bytes (none for
 * T=0 / T=1) are not passed on. */
LONG WINAPI SCardTransmit(SCARDHANDLE card, LPCSCARD_IO_REQUEST send_pci, LPCBYTE send, DWORD send_len,
                          LPSCARD_IO_REQUEST recv_pci, LPBYTE recv, LPDWORD recv_len) {
  NEED_PCSC();
  if (!send_pci || !recv_len) return SCARD_E_INVALID_PARAMETER;
  P_IO_REQUEST sp = {proto_to_pcsc(send_pci->dwProtocol), sizeof(P_IO_REQUEST)}, rp = {0, sizeof(P_IO_REQUEST)};
  P_DWORD rl = *recv_len;
  P_LONG rv = pcsc.Transmit((P_CTX)card, &sp, send, send_len, recv_pci ? &rp : NULL, recv, &rl);
  *recv_len = (DWORD)rl;
  if (recv_pci) recv_pci->dwProtocol = proto_from_pcsc(rp.dwProtocol);
  return done("SCardTransmit", rv);
}
