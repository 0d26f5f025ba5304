/* bench/sscard.ts: iReadCardBas calls per second beside the same APDU sequence sent with
 * SCardTransmit directly, in one process, one reader.
 *   sscard-bench lib <seconds>          → "lib <calls> <seconds>"
 *   sscard-bench direct <seconds>       → "direct <sequences> <seconds>" (one connection for all)
 *   sscard-bench connect <seconds>      → "connect <sequences> <seconds>" (SCardConnect per sequence)
 *   sscard-bench trace                  → one direct sequence, each command as "> HEX" on stderr
 * The reader is SSCARD_READER, default "Virtual PCD 00 00". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>
#include "sscard.h"

/* The sequence libsscard sends for iReadCardBas (native/sscard/sscard.c; bench/sscard.ts
 * checks the two against each other with SSCARD_TRACE before measuring). */
static const char *SEQ[] = {
  "00A404000F7378312E73682EC9E7BBE1B1A3D5CF", /* SELECT SSSE (61xx → GET RESPONSE) */
  "00A4020002EF05", "00B2010012", "00B2030006", "00B2050006", "00B2060006", "00B207000B",
  "00A4020002EF06", "00B2080014", "00B2090020", "00B24E0002",
};
#define NSEQ (sizeof SEQ / sizeof SEQ[0])
static unsigned char cmds[NSEQ][64];
static DWORD lens[NSEQ];

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void hexout(const unsigned char *b, DWORD n) { fputs("> ", stderr); for (DWORD i = 0; i < n; i++) fprintf(stderr, "%02X", b[i]); fputc('\n', stderr); }

static int sequence(SCARDHANDLE h, DWORD proto, int trace) {
  const SCARD_IO_REQUEST *pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
  for (size_t i = 0; i < NSEQ; i++) {
    unsigned char cmd[64], resp[258];
    DWORD clen = lens[i];
    memcpy(cmd, cmds[i], clen);
    for (int round = 0; round < 4; round++) {
      DWORD rlen = sizeof resp;
      if (trace) hexout(cmd, clen);
      LONG rv = SCardTransmit(h, pci, cmd, clen, NULL, resp, &rlen);
      if (rv != SCARD_S_SUCCESS || rlen < 2) { fprintf(stderr, "SCardTransmit: %s\n", pcsc_stringify_error(rv)); return -1; }
      unsigned char sw1 = resp[rlen - 2], sw2 = resp[rlen - 1];
      if (sw1 == 0x61) { unsigned char gr[5] = {0, 0xC0, 0, 0, sw2}; memcpy(cmd, gr, 5); clen = 5; continue; }
      if (sw1 == 0x6C) { cmd[clen - 1] = sw2; continue; }
      break;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  double secs = argc > 2 ? atof(argv[2]) : 2;
  const char *reader = getenv("SSCARD_READER");
  if (!reader || !*reader) reader = "Virtual PCD 00 00";
  for (size_t i = 0; i < NSEQ; i++) {
    lens[i] = (DWORD)(strlen(SEQ[i]) / 2);
    for (DWORD j = 0; j < lens[i]; j++) sscanf(SEQ[i] + 2 * j, "%2hhx", &cmds[i][j]);
  }
  if (strcmp(argv[1], "lib") == 0) {
    char out[SSCARD_OUT_MAX];
    long n = 0;
    double t0 = now(), t;
    do {
      long rc = iReadCardBas(1, out);
      if (rc != 0) { fprintf(stderr, "iReadCardBas: %ld %s\n", rc, out); return 1; }
      n++;
    } while ((t = now() - t0) < secs);
    printf("lib %ld %.6f\n", n, t);
    return 0;
  }
  SCARDCONTEXT ctx;
  SCARDHANDLE h;
  DWORD proto;
  if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS) { fprintf(stderr, "no pcscd\n"); return 1; }
  int per_call = strcmp(argv[1], "connect") == 0;
  int trace = strcmp(argv[1], "trace") == 0;
  LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
  if (rv != SCARD_S_SUCCESS) { fprintf(stderr, "SCardConnect %s: %s\n", reader, pcsc_stringify_error(rv)); return 1; }
  if (trace) return sequence(h, proto, 1) ? 1 : 0;
  long n = 0;
  double t0 = now(), t;
  do {
    if (per_call) {
      SCardDisconnect(h, SCARD_LEAVE_CARD);
      if (SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto) != SCARD_S_SUCCESS) return 1;
    }
    if (sequence(h, proto, 0)) return 1;
    n++;
  } while ((t = now() - t0) < secs);
  printf("%s %ld %.6f\n", argv[1], n, t);
  SCardDisconnect(h, SCARD_LEAVE_CARD);
  SCardReleaseContext(ctx);
  return 0;
}
