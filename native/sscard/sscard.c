/*
 * libsscard: iReadCardBas / iVerifyPIN over PC/SC (pcsc-lite). See sscard.h and README.md.
 * Knows the card only as card-spec.md describes it (ISO 7816-4 APDUs); nothing of the emulator.
 */
/* ---- portability: pcsc-lite on Linux, winscard.dll on Windows (SSCardDriver.dll) ----------- */
#if defined(_WIN32)
/* C99 printf (%zu) from mingw's own stdio rather than msvcrt's. */
#  define __USE_MINGW_ANSI_STDIO 1
#  define SSCARD_BUILD /* sscard.h: __declspec(dllexport) */
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(_WIN32)
#  include <winscard.h> /* SCardListReaders etc. are the ...A functions here: no UNICODE */
#else
#  include <iconv.h>
#  include <winscard.h>
#endif

#include "sscard.h"

#ifndef MAX_ATR_SIZE
#  define MAX_ATR_SIZE 33 /* pcsc-lite's name for ISO 7816-3's maximum; Windows calls it SCARD_ATR_LENGTH */
#endif

#if defined(_WIN32)
/*
 * pcsc-lite's pcsc_stringify_error, for the codes a reader library meets (winerror.h values),
 * with the symbolic name: Windows' and pcsc-lite's texts differ, the names do not.
 */
#  define SSCARD_ERR(code, text) case code: return text " (" #code ")";
static const char *pcsc_stringify_error(LONG rv) {
  static __thread char other[48];
  switch (rv) {
  SSCARD_ERR(SCARD_S_SUCCESS, "Command successful.")
  SSCARD_ERR(SCARD_F_INTERNAL_ERROR, "Internal error.")
  SSCARD_ERR(SCARD_E_CANCELLED, "Command cancelled.")
  SSCARD_ERR(SCARD_E_INVALID_HANDLE, "Invalid handle.")
  SSCARD_ERR(SCARD_E_INVALID_PARAMETER, "Invalid parameter given.")
  SSCARD_ERR(SCARD_E_NO_MEMORY, "Not enough memory.")
  SSCARD_ERR(SCARD_E_INSUFFICIENT_BUFFER, "Insufficient buffer.")
  SSCARD_ERR(SCARD_E_UNKNOWN_READER, "Unknown reader specified.")
  SSCARD_ERR(SCARD_E_TIMEOUT, "Command timeout.")
  SSCARD_ERR(SCARD_E_SHARING_VIOLATION, "Sharing violation.")
  SSCARD_ERR(SCARD_E_NO_SMARTCARD, "No smart card inserted.")
  SSCARD_ERR(SCARD_E_PROTO_MISMATCH, "Card protocol mismatch.")
  SSCARD_ERR(SCARD_E_NOT_READY, "Subsystem not ready.")
  SSCARD_ERR(SCARD_E_INVALID_VALUE, "Invalid value given.")
  SSCARD_ERR(SCARD_E_READER_UNAVAILABLE, "Reader is unavailable.")
  SSCARD_ERR(SCARD_E_NO_SERVICE, "Service not available.")
  SSCARD_ERR(SCARD_E_SERVICE_STOPPED, "Service was stopped.")
  SSCARD_ERR(SCARD_E_NO_READERS_AVAILABLE, "Cannot find a smart card reader.")
  SSCARD_ERR(SCARD_E_COMM_DATA_LOST, "Communication data lost.")
  SSCARD_ERR(SCARD_W_UNRESPONSIVE_CARD, "Card is unresponsive.")
  SSCARD_ERR(SCARD_W_UNPOWERED_CARD, "Card is unpowered.")
  SSCARD_ERR(SCARD_W_RESET_CARD, "Card was reset.")
  SSCARD_ERR(SCARD_W_REMOVED_CARD, "Card was removed.")
  default:
    snprintf(other, sizeof other, "Unknown error 0x%08lX.", (unsigned long)rv);
    return other;
  }
}
#  undef SSCARD_ERR

/*
 * getenv through the Win32 environment: a Windows HIS may set SSCARD_* with
 * SetEnvironmentVariable after start, which the C runtime's copy does not see. A thread-local
 * buffer per variable name (names are string literals), so several values can be held at once.
 */
static const char *sscard_getenv(const char *name) {
  static __thread struct { const char *name; char value[1024]; } slots[16];
  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
    if (slots[i].name && strcmp(slots[i].name, name) != 0) continue;
    slots[i].name = name;
    DWORD n = GetEnvironmentVariableA(name, slots[i].value, sizeof slots[i].value);
    return (n == 0 || n >= sizeof slots[i].value) ? NULL : slots[i].value;
  }
  return getenv(name); /* more than 16 names: the C runtime's copy */
}
#  define getenv(name) sscard_getenv(name)
#endif


/* SELECT the social security application by DF name: "sx1.sh." + 社会保障 (GBK) */
static const unsigned char SELECT_SSSE[] = {0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68,
                                            0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF};

typedef struct {
  SCARDCONTEXT ctx;
  SCARDHANDLE card;
  DWORD protocol;
  int have_ctx, have_card;
  unsigned char atr[MAX_ATR_SIZE];
  DWORD atr_len;
  char *out; /* caller's pOutInfo, for error messages */
} session;

static int trace_on(void) {
  const char *t = getenv("SSCARD_TRACE");
  return t && *t && strcmp(t, "0") != 0;
}

static void trace_hex(const char *dir, const unsigned char *b, DWORD n) {
  fprintf(stderr, "sscard %s ", dir);
  for (DWORD i = 0; i < n; i++) fprintf(stderr, "%02X", b[i]);
  fputc('\n', stderr);
}

/* Write a one-line reason into pOutInfo and return code. */
static long fail(session *s, long code, const char *fmt, ...) {
  if (s->out) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->out, SSCARD_OUT_MAX, fmt, ap);
    va_end(ap);
  }
  return code;
}

/* PC/SC errors that mean "no card" rather than "the reader failed". */
static int is_no_card(LONG rv) {
  return rv == (LONG)SCARD_E_NO_SMARTCARD || rv == (LONG)SCARD_W_REMOVED_CARD || rv == (LONG)SCARD_W_RESET_CARD ||
         rv == (LONG)SCARD_W_UNPOWERED_CARD;
}

static long pcsc_fail(session *s, LONG rv, const char *what) {
  return fail(s, is_no_card(rv) ? SSCARD_E_NO_CARD : SSCARD_E_READER, "%s: %s (0x%08lX)", what,
              pcsc_stringify_error(rv), (unsigned long)rv);
}

/* Is a card present in `reader`? 1 yes, 0 no, <0 PC/SC error (negated code in *err). */
static int card_present(session *s, const char *reader, LONG *err) {
  SCARD_READERSTATE st;
  memset(&st, 0, sizeof st);
  st.szReader = reader;
  st.dwCurrentState = SCARD_STATE_UNAWARE;
  LONG rv = SCardGetStatusChange(s->ctx, 0, &st, 1);
  if (rv != SCARD_S_SUCCESS && rv != (LONG)SCARD_E_TIMEOUT) {
    *err = rv;
    return -1;
  }
  return (st.dwEventState & SCARD_STATE_PRESENT) ? 1 : 0;
}

/*
 * Pick the reader and connect. The reader is the env var's exact name, else the first
 * reader that holds a card. iType 2 (contactless) uses SSCARD_CONTACTLESS_READER.
 */
static long open_card(session *s, int iType) {
  if (iType < SSCARD_CONTACT || iType > SSCARD_AUTO_CONTACTLESS_FIRST)
    return fail(s, SSCARD_E_PARAM, "iType must be 1 (contact), 2 (contactless), 3 or 4 (auto), got %d", iType);
  const char *contact = getenv("SSCARD_READER");
  const char *contactless = getenv("SSCARD_CONTACTLESS_READER");
  if (contact && !*contact) contact = NULL;
  if (contactless && !*contactless) contactless = NULL;
  if (iType == SSCARD_CONTACTLESS && !contactless)
    return fail(s, SSCARD_E_READER, "no contactless reader: set SSCARD_CONTACTLESS_READER to its exact PC/SC name");

  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &s->ctx);
  if (rv != SCARD_S_SUCCESS) return fail(s, SSCARD_E_READER, "no PC/SC service (is pcscd running?): %s", pcsc_stringify_error(rv));
  s->have_ctx = 1;

  char *list = NULL;
  DWORD len = SCARD_AUTOALLOCATE;
  rv = SCardListReaders(s->ctx, NULL, (LPSTR)&list, &len);
  if (rv == (LONG)SCARD_E_NO_READERS_AVAILABLE) return fail(s, SSCARD_E_READER, "no PC/SC reader connected");
  if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardListReaders");

  /* candidate order: the readers the iType names, in its order; none named: every reader */
  const char *named[2] = {NULL, NULL};
  int n_named = 0;
  if (iType == SSCARD_CONTACT) named[n_named++] = contact;
  else if (iType == SSCARD_CONTACTLESS) named[n_named++] = contactless;
  else if (iType == SSCARD_AUTO_CONTACT_FIRST) { named[n_named++] = contact; named[n_named++] = contactless; }
  else { named[n_named++] = contactless; named[n_named++] = contact; }

  const char *chosen = NULL;
  int any_named = 0;
  long code = SSCARD_E_NO_CARD;
  for (int i = 0; i < n_named && !chosen; i++) {
    if (!named[i]) continue;
    any_named = 1;
    int known = 0;
    for (char *r = list; *r; r += strlen(r) + 1)
      if (strcmp(r, named[i]) == 0) known = 1;
    if (!known) {
      fail(s, SSCARD_E_READER, "no PC/SC reader named \"%s\" (check SSCARD_READER)", named[i]);
      code = SSCARD_E_READER;
      continue;
    }
    LONG err = 0;
    int p = card_present(s, named[i], &err);
    if (p < 0) { pcsc_fail(s, err, "SCardGetStatusChange"); code = SSCARD_E_READER; continue; }
    if (p == 1) chosen = named[i];
    else { fail(s, SSCARD_E_NO_CARD, "no card in reader \"%s\"", named[i]); code = SSCARD_E_NO_CARD; }
  }
  if (!any_named) {
    for (char *r = list; *r && !chosen; r += strlen(r) + 1) {
      LONG err = 0;
      if (card_present(s, r, &err) == 1) chosen = r;
    }
    if (!chosen) fail(s, SSCARD_E_NO_CARD, "no card in any PC/SC reader");
  }
  if (!chosen) {
    SCardFreeMemory(s->ctx, list);
    return code;
  }

  rv = SCardConnect(s->ctx, chosen, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &s->card, &s->protocol);
  if (rv != SCARD_S_SUCCESS) {
    long c = pcsc_fail(s, rv, "SCardConnect");
    SCardFreeMemory(s->ctx, list);
    return c;
  }
  s->have_card = 1;
  char rname[256];
  DWORD rlen = sizeof rname, state = 0, proto = 0;
  s->atr_len = sizeof s->atr;
  rv = SCardStatus(s->card, rname, &rlen, &state, &proto, s->atr, &s->atr_len);
  SCardFreeMemory(s->ctx, list);
  if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardStatus");
  return SSCARD_OK;
}

static void close_card(session *s) {
  if (s->have_card) SCardDisconnect(s->card, SCARD_LEAVE_CARD);
  if (s->have_ctx) SCardReleaseContext(s->ctx);
  s->have_card = s->have_ctx = 0;
}

/*
 * Send one command APDU; handles T=0's 61xx (GET RESPONSE) and 6Cxx (resend with Le = xx).
 * *sw gets the final status word, data (without SW) goes to resp / *rlen.
 */
static long transmit(session *s, const unsigned char *apdu, DWORD alen, unsigned char *resp, DWORD *rlen, unsigned *sw) {
  unsigned char cmd[261], buf[258];
  DWORD clen = alen;
  memcpy(cmd, apdu, alen);
  DWORD have = 0, cap = *rlen;
  const SCARD_IO_REQUEST *pci = s->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
  for (int round = 0; round < 16; round++) {
    DWORD blen = sizeof buf;
    if (trace_on()) trace_hex(">", cmd, clen);
    LONG rv = SCardTransmit(s->card, pci, cmd, clen, NULL, buf, &blen);
    if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardTransmit");
    if (trace_on()) trace_hex("<", buf, blen);
    if (blen < 2) return fail(s, SSCARD_E_READER, "the card answered %lu bytes (no status word)", (unsigned long)blen);
    unsigned sw1 = buf[blen - 2], sw2 = buf[blen - 1];
    DWORD n = blen - 2;
    if (have + n > cap) n = cap - have;
    memcpy(resp + have, buf, n);
    have += n;
    if (sw1 == 0x61) { /* more data: GET RESPONSE */
      unsigned char gr[5] = {0x00, 0xC0, 0x00, 0x00, (unsigned char)sw2};
      memcpy(cmd, gr, 5);
      clen = 5;
      continue;
    }
    if (sw1 == 0x6C) { /* wrong Le: resend with the card's */
      if (alen < 5) return fail(s, SSCARD_E_CARD_TYPE, "the card answered 6C%02X to a command without Le", sw2);
      memcpy(cmd, apdu, alen);
      clen = alen;
      cmd[clen - 1] = (unsigned char)sw2;
      have = 0;
      continue;
    }
    *sw = (sw1 << 8) | sw2;
    *rlen = have;
    return SSCARD_OK;
  }
  return fail(s, SSCARD_E_READER, "the card kept asking for more exchanges (61xx / 6Cxx loop)");
}

static long select_ssse(session *s) {
  unsigned char resp[258];
  DWORD rlen = sizeof resp;
  unsigned sw = 0;
  long rc = transmit(s, SELECT_SSSE, sizeof SELECT_SSSE, resp, &rlen, &sw);
  if (rc) return rc;
  if (sw != 0x9000) return fail(s, SSCARD_E_CARD_TYPE, "not a social security card: SELECT SSSE answered %04X", sw);
  return SSCARD_OK;
}

static long select_ef(session *s, unsigned char fid_lo) {
  unsigned char apdu[7] = {0x00, 0xA4, 0x02, 0x00, 0x02, 0xEF, fid_lo};
  unsigned char resp[258];
  DWORD rlen = sizeof resp;
  unsigned sw = 0;
  long rc = transmit(s, apdu, sizeof apdu, resp, &rlen, &sw);
  if (rc) return rc;
  if (sw != 0x9000) return fail(s, SSCARD_E_CARD_TYPE, "SELECT EF%02X answered %04X", fid_lo, sw);
  return SSCARD_OK;
}

/*
 * READ RECORD by identifier on the selected EF: 00 B2 <tag> 00 <len+2> (card-spec §3). The
 * record is a TLV whose tag is the identifier; its value goes to val / *vlen. A missing
 * record gives *vlen = -1 when optional, else -1 wrong card type.
 */
static long read_record(session *s, unsigned char tag, unsigned char len, int optional, unsigned char *val, int *vlen) {
  unsigned char apdu[5] = {0x00, 0xB2, tag, 0x00, (unsigned char)(len + 2)};
  unsigned char resp[258];
  DWORD rlen = sizeof resp;
  unsigned sw = 0;
  long rc = transmit(s, apdu, sizeof apdu, resp, &rlen, &sw);
  if (rc) return rc;
  if (optional && (sw == 0x6A83 || sw == 0x6A82)) { *vlen = -1; return SSCARD_OK; }
  if (sw != 0x9000) return fail(s, SSCARD_E_CARD_TYPE, "READ RECORD %02X answered %04X", tag, sw);
  if (rlen < 2 || resp[0] != tag || resp[1] > rlen - 2)
    return fail(s, SSCARD_E_CARD_TYPE, "record %02X is not a TLV with tag %02X", tag, tag);
  *vlen = resp[1];
  memcpy(val, resp + 2, resp[1]);
  return SSCARD_OK;
}

/* text fields: trailing 00 / 20 / FF padding trimmed (card-spec §3) */
static int trimmed_len(const unsigned char *b, int n) {
  while (n > 0 && (b[n - 1] == 0x00 || b[n - 1] == 0x20 || b[n - 1] == 0xFF)) n--;
  return n;
}

static void to_hex(const unsigned char *b, int n, char *out) {
  static const char H[] = "0123456789ABCDEF";
  for (int i = 0; i < n; i++) { out[2 * i] = H[b[i] >> 4]; out[2 * i + 1] = H[b[i] & 15]; }
  out[2 * n] = 0;
}

static void to_ascii(const unsigned char *b, int n, char *out) {
  n = trimmed_len(b, n);
  for (int i = 0; i < n; i++) out[i] = (b[i] >= 0x20 && b[i] < 0x7F) ? (char)b[i] : '?';
  out[n] = 0;
}

/* ISO 7816-3: the historical bytes of an ATR (NULL / 0 when malformed). */
static int atr_historical(const unsigned char *atr, int n, const unsigned char **hist) {
  if (n < 2) return 0;
  int k = atr[1] & 0x0F, y = atr[1] >> 4, i = 2;
  for (;;) {
    for (int bit = 1; bit <= 4; bit <<= 1) if (y & bit) i++;
    if (!(y & 8)) break;
    if (i >= n) return 0;
    y = atr[i++] >> 4;
  }
  if (i + k > n) return 0;
  *hist = atr + i;
  return k;
}

static int utf8_wanted(void) {
  const char *e = getenv("SSCARD_ENCODING");
  return e && (strcasecmp(e, "utf-8") == 0 || strcasecmp(e, "utf8") == 0);
}

/* The name in the output encoding: GBK as on the card, or UTF-8 (iconv; on Windows code page 936). */
static long encode_name(session *s, const unsigned char *gbk, int n, char *out, size_t cap) {
  if (!utf8_wanted()) {
    if ((size_t)n >= cap) n = (int)cap - 1;
    memcpy(out, gbk, n);
    out[n] = 0;
    return SSCARD_OK;
  }
#if defined(_WIN32)
  /* GBK -> UTF-16 -> UTF-8; MB_ERR_INVALID_CHARS so a bad name fails as it does with iconv */
  WCHAR wide[512];
  int w = n ? MultiByteToWideChar(936, MB_ERR_INVALID_CHARS, (const char *)gbk, n, wide, 512) : 0;
  if (n && w == 0) {
    DWORD e = GetLastError();
    if (e == ERROR_INVALID_PARAMETER) return fail(s, SSCARD_E_READER, "code page 936 (GBK) is not available");
    return fail(s, SSCARD_E_CARD_TYPE, "the name on the card is not valid GBK");
  }
  int u = w ? WideCharToMultiByte(CP_UTF8, 0, wide, w, out, (int)cap - 1, NULL, NULL) : 0;
  if (w && u == 0) return fail(s, SSCARD_E_READER, "the UTF-8 name does not fit (%lu)", (unsigned long)GetLastError());
  out[u] = 0;
  return SSCARD_OK;
#else
  iconv_t cd = iconv_open("UTF-8", "GBK");
  if (cd == (iconv_t)-1) return fail(s, SSCARD_E_READER, "iconv cannot convert GBK to UTF-8: %s", strerror(errno));
  char *in = (char *)gbk, *o = out;
  size_t inleft = n, outleft = cap - 1;
  size_t r = iconv(cd, &in, &inleft, &o, &outleft);
  iconv_close(cd);
  if (r == (size_t)-1) return fail(s, SSCARD_E_CARD_TYPE, "the name on the card is not valid GBK");
  *o = 0;
  return SSCARD_OK;
#endif
}

SSCARD_API long SSCARD_CALL iReadCardBas(int iType, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  session s;
  memset(&s, 0, sizeof s);
  s.out = pOutInfo;
  pOutInfo[0] = 0;
  long rc = open_card(&s, iType);
  if (rc) { close_card(&s); return rc; }

  unsigned char idcode[256], version[256], issue[256], expiry[256], cardno[256], ssn[256], name[256], ext[256];
  int l_id, l_ver, l_iss, l_exp, l_no, l_ssn, l_name, l_ext;
  if ((rc = select_ssse(&s)) || (rc = select_ef(&s, 0x05)) ||
      (rc = read_record(&s, 0x01, 16, 0, idcode, &l_id)) || (rc = read_record(&s, 0x03, 4, 0, version, &l_ver)) ||
      (rc = read_record(&s, 0x05, 4, 0, issue, &l_iss)) || (rc = read_record(&s, 0x06, 4, 0, expiry, &l_exp)) ||
      (rc = read_record(&s, 0x07, 9, 0, cardno, &l_no)) || (rc = select_ef(&s, 0x06)) ||
      (rc = read_record(&s, 0x08, 18, 0, ssn, &l_ssn)) || (rc = read_record(&s, 0x09, 30, 0, name, &l_name)) ||
      (rc = read_record(&s, 0x4E, 0, 1, ext, &l_ext))) {
    close_card(&s);
    return rc;
  }
  close_card(&s);

  char f_id[2 * 16 + 1], f_region[7], f_ver[8], f_iss[9], f_exp[9], f_no[16], f_ssn[32], f_hist[2 * 15 + 1];
  if (l_id < 3) return fail(&s, SSCARD_E_CARD_TYPE, "card identification code has %d bytes", l_id);
  if (l_id > 16) l_id = 16;
  to_hex(idcode, l_id, f_id);
  memcpy(f_region, f_id, 6);
  f_region[6] = 0;
  to_ascii(version, l_ver > 7 ? 7 : l_ver, f_ver);
  to_hex(issue, l_iss > 4 ? 4 : l_iss, f_iss);
  to_hex(expiry, l_exp > 4 ? 4 : l_exp, f_exp);
  to_ascii(cardno, l_no > 15 ? 15 : l_no, f_no);
  to_ascii(ssn, l_ssn > 31 ? 31 : l_ssn, f_ssn);
  const unsigned char *hist = NULL;
  int l_hist = atr_historical(s.atr, (int)s.atr_len, &hist);
  if (l_hist > 15) l_hist = 15;
  to_hex(hist, l_hist, f_hist);

  /* name = EF06/09 followed by the name extension EF06/4E (when the card has one) */
  unsigned char full[512];
  int l_full = trimmed_len(name, l_name);
  memcpy(full, name, l_full);
  if (l_ext > 0) {
    int e = trimmed_len(ext, l_ext);
    memcpy(full + l_full, ext, e);
    l_full += e;
  }
  char f_name[512];
  if ((rc = encode_name(&s, full, l_full, f_name, sizeof f_name))) return rc;

  const char *term = getenv("SSCARD_TERMINAL_NO");
  const char *dev = getenv("SSCARD_DEVICE_NO");
  int w = snprintf(pOutInfo, SSCARD_OUT_MAX, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%.64s|%.64s|", f_region, f_ssn, f_no, f_id,
                   f_name, f_hist, f_ver, f_iss, f_exp, term ? term : "", dev ? dev : "");
  if (w < 0 || w >= SSCARD_OUT_MAX) return fail(&s, SSCARD_E_READER, "output longer than SSCARD_OUT_MAX");
  return SSCARD_OK;
}

SSCARD_API long SSCARD_CALL iVerifyPINEx(int iType, const char *pPin, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  session s;
  memset(&s, 0, sizeof s);
  s.out = pOutInfo;
  pOutInfo[0] = 0;
  if (!pPin || !*pPin) return fail(&s, SSCARD_E_PARAM, "no PIN given: set SSCARD_PIN (this library has no PIN pad)");
  size_t n = strlen(pPin);
  if (n < 4 || n > 12) return fail(&s, SSCARD_E_PARAM, "the PIN has 4 to 12 digits, got %zu characters", n);
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)pPin[i])) return fail(&s, SSCARD_E_PARAM, "the PIN has digits only");
  /* VERIFY 00 20 00 00 Lc <PIN in BCD, F-padded> (card-spec §4) */
  unsigned char apdu[5 + 6];
  DWORD lc = (DWORD)((n + 1) / 2);
  apdu[0] = 0x00; apdu[1] = 0x20; apdu[2] = 0x00; apdu[3] = 0x00; apdu[4] = (unsigned char)lc;
  for (DWORD i = 0; i < lc; i++) {
    int hi = pPin[2 * i] - '0';
    int lo = (2 * i + 1 < n) ? pPin[2 * i + 1] - '0' : 0x0F;
    apdu[5 + i] = (unsigned char)((hi << 4) | lo);
  }
  long rc = open_card(&s, iType);
  if (!rc) rc = select_ssse(&s);
  if (rc) { close_card(&s); return rc; }
  unsigned char resp[258];
  DWORD rlen = sizeof resp;
  unsigned sw = 0;
  rc = transmit(&s, apdu, 5 + lc, resp, &rlen, &sw);
  close_card(&s);
  if (rc) return rc;
  if (sw == 0x9000) return SSCARD_OK;
  if ((sw & 0xFFF0) == 0x63C0) {
    if ((sw & 0x0F) == 0) return fail(&s, SSCARD_E_PIN_LOCKED, "PIN locked (63C0)");
    snprintf(pOutInfo, SSCARD_OUT_MAX, "%u", sw & 0x0F);
    return SSCARD_E_PIN_WRONG;
  }
  if (sw == 0x6983) return fail(&s, SSCARD_E_PIN_LOCKED, "PIN locked (6983)");
  return fail(&s, SSCARD_E_CARD_TYPE, "VERIFY answered %04X", sw);
}

SSCARD_API long SSCARD_CALL iVerifyPIN(int iType, char *pOutInfo) {
  return iVerifyPINEx(iType, getenv("SSCARD_PIN"), pOutInfo);
}
