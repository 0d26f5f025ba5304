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
#  include <bcrypt.h>   /* BCryptGenRandom */
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


/* ---- OS helpers: a process-wide lock, random bytes, GBK -> UTF-8 (POSIX, or Windows below).
 * Everything after them is portable C over PC/SC. ---- */
#if defined(_WIN32)
/* A slim reader/writer lock needs no initialisation call, like PTHREAD_MUTEX_INITIALIZER. */
static SRWLOCK g_lock = SRWLOCK_INIT;
static void lib_lock(void) { AcquireSRWLockExclusive(&g_lock); }
static void lib_unlock(void) { ReleaseSRWLockExclusive(&g_lock); }

/* n random bytes from the system RNG (bcrypt.dll). 0 ok. */
static int os_random(unsigned char *b, size_t n) {
  return BCryptGenRandom(NULL, b, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0 ? 0 : -1;
}

/* GBK (code page 936) -> UTF-16 -> UTF-8. 0 ok, -1 not valid GBK, -2 no converter. */
static int gbk_to_utf8(const unsigned char *gbk, size_t n, char *out, size_t cap) {
  WCHAR wide[512];
  if (n == 0) { out[0] = 0; return 0; }
  int w = MultiByteToWideChar(936, MB_ERR_INVALID_CHARS, (const char *)gbk, (int)n, wide, 512);
  if (w == 0) {
    if (GetLastError() == ERROR_INVALID_PARAMETER) { errno = EINVAL; return -2; } /* code page 936 missing */
    return -1;
  }
  int u = WideCharToMultiByte(CP_UTF8, 0, wide, w, out, (int)cap - 1, NULL, NULL);
  if (u == 0) return -1;
  out[u] = 0;
  return 0;
}
#else
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static void lib_lock(void) { pthread_mutex_lock(&g_lock); }
static void lib_unlock(void) { pthread_mutex_unlock(&g_lock); }

/* n random bytes from the system (the terminal's own challenge for INTERNAL AUTHENTICATE). 0 ok. */
static int os_random(unsigned char *b, size_t n) {
  int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0) return -1;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, b + got, n - got);
    if (r <= 0) { close(fd); return -1; }
    got += (size_t)r;
  }
  close(fd);
  return 0;
}

/* GBK bytes → UTF-8 in out (NUL-terminated). 0 ok, -1 not valid GBK, -2 no converter. */
static int gbk_to_utf8(const unsigned char *gbk, size_t n, char *out, size_t cap) {
  iconv_t cd = iconv_open("UTF-8", "GBK");
  if (cd == (iconv_t)-1) return -2;
  char *in = (char *)gbk, *o = out;
  size_t inleft = n, outleft = cap - 1;
  size_t r = iconv(cd, &in, &inleft, &o, &outleft);
  iconv_close(cd);
  if (r == (size_t)-1) return -1;
  *o = 0;
  return 0;
}
#endif

/* ---- settings: environment first, then the SSCARD_CONFIG file ---------------------------- */

/* SELECT the social security application by DF name: "sx1.sh." + 社会保障 (GBK) */
static const unsigned char SELECT_SSSE[] = {0x00, 0xA4, 0x04, 0x00, 0x0F, 0x73, 0x78, 0x31, 0x2E, 0x73, 0x68,
                                            0x2E, 0xC9, 0xE7, 0xBB, 0xE1, 0xB1, 0xA3, 0xD5, 0xCF};
/* SELECT the PSAM's application by DF name "PSAM.SSSE" */
static const unsigned char SELECT_PSAM[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0x50, 0x53, 0x41, 0x4D, 0x2E, 0x53, 0x53, 0x53, 0x45};

#define NAME_MAX_LEN 256
typedef struct {
  char reader[NAME_MAX_LEN], contactless[NAME_MAX_LEN], psam[NAME_MAX_LEN];
  char terminal_no[65], device_no[65];
  int utf8, trace;
} settings;

/* One KEY=value line of the config file: trims blanks, skips comments. 1 when key matched. */
static int config_line(char *line, const char *key, char *buf, size_t cap) {
  while (*line == ' ' || *line == '\t') line++;
  if (*line == '#' || *line == ';') return 0;
  char *eq = strchr(line, '=');
  if (!eq) return 0;
  char *k_end = eq;
  while (k_end > line && (k_end[-1] == ' ' || k_end[-1] == '\t')) k_end--;
  if ((size_t)(k_end - line) != strlen(key) || strncmp(line, key, k_end - line) != 0) return 0;
  char *v = eq + 1;
  while (*v == ' ' || *v == '\t') v++;
  size_t n = strlen(v);
  while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r' || v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n >= cap) n = cap - 1;
  memcpy(buf, v, n);
  buf[n] = 0;
  return 1;
}

/* KEY's value: the environment wins; else the config file's KEY=value lines (PINs never from the file). */
static int setting(const char *key, const char *file, char *buf, size_t cap) {
  buf[0] = 0;
  const char *e = getenv(key);
  if (e && *e) {
    snprintf(buf, cap, "%s", e);
    return 1;
  }
  if (!file || strstr(key, "PIN")) return 0;
  int found = 0;
  char line[512];
  for (const char *p = file; *p;) {
    size_t n = strcspn(p, "\n");
    snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
    if (config_line(line, key, buf, cap)) found = 1; /* the last line naming the key wins */
    p += n + (p[n] == '\n');
  }
  return found && buf[0];
}

/* The settings for one call; the SSCARD_CONFIG file is read once. -1 when it cannot be read. */
static int load_settings(settings *st, char *why, size_t why_cap) {
  char v[32];
  static char file[16384]; /* used under g_lock only */
  const char *path = getenv("SSCARD_CONFIG");
  const char *text = NULL;
  if (path && *path) {
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(why, why_cap, "cannot read the SSCARD_CONFIG file %.200s: %s", path, strerror(errno)); return -1; }
    size_t n = fread(file, 1, sizeof file - 1, f);
    fclose(f);
    file[n] = 0;
    text = file;
  }
  setting("SSCARD_READER", text, st->reader, sizeof st->reader);
  setting("SSCARD_CONTACTLESS_READER", text, st->contactless, sizeof st->contactless);
  setting("SSCARD_PSAM_READER", text, st->psam, sizeof st->psam);
  setting("SSCARD_TERMINAL_NO", text, st->terminal_no, sizeof st->terminal_no);
  setting("SSCARD_DEVICE_NO", text, st->device_no, sizeof st->device_no);
  st->utf8 = setting("SSCARD_ENCODING", text, v, sizeof v) && (strcasecmp(v, "utf-8") == 0 || strcasecmp(v, "utf8") == 0);
  st->trace = setting("SSCARD_TRACE", text, v, sizeof v) && strcmp(v, "0") != 0;
  return 0;
}

/* ---- the PC/SC context, kept across calls (under g_lock) ---------------------------------- */

static SCARDCONTEXT g_ctx;
static int g_have_ctx;
static void hsm_forget(void);

/* Errors after which the context is dropped and established anew (pcscd restarted or gone). */
static int is_service_error(LONG rv) {
  return rv == (LONG)SCARD_E_NO_SERVICE || rv == (LONG)SCARD_E_SERVICE_STOPPED || rv == (LONG)SCARD_E_INVALID_HANDLE ||
         rv == (LONG)SCARD_F_COMM_ERROR || rv == (LONG)SCARD_F_INTERNAL_ERROR;
}

static void drop_ctx(void) {
  hsm_forget(); /* its card handle belonged to this context */
  if (g_have_ctx) SCardReleaseContext(g_ctx);
  g_have_ctx = 0;
}

static LONG get_ctx(SCARDCONTEXT *out) {
  if (g_have_ctx && SCardIsValidContext(g_ctx) != SCARD_S_SUCCESS) drop_ctx();
  if (!g_have_ctx) {
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &g_ctx);
    if (rv != SCARD_S_SUCCESS) return rv;
    g_have_ctx = 1;
  }
  *out = g_ctx;
  return SCARD_S_SUCCESS;
}

/* ---- a call's session: the card's connection and, when used, the PSAM's ------------------- */

typedef struct {
  SCARDHANDLE h;
  DWORD protocol;
  int open;
  unsigned char atr[MAX_ATR_SIZE];
  DWORD atr_len;
  char reader[NAME_MAX_LEN];
} conn;

typedef struct {
  settings st;
  SCARDCONTEXT ctx;
  char *list; /* SCardListReaders' multi-string */
  conn card, psam;
  unsigned char fci[258]; /* the SSSE SELECT answer (for the algorithm tag 9F0C) */
  DWORD fci_len;
  char psam_terminal[13]; /* the PSAM's terminal number, 12 digits, once read */
  char *out;              /* caller's buffer, for error messages */
} session;

static void trace_apdu(const char *dir, const unsigned char *b, DWORD n, int hide_data) {
  fprintf(stderr, "sscard %s ", dir);
  /* VERIFY / CHANGE PIN / RELOAD PIN: the PIN digits never reach a trace */
  DWORD shown = hide_data && n > 5 ? 5 : n;
  for (DWORD i = 0; i < shown; i++) fprintf(stderr, "%02X", b[i]);
  if (shown < n) fprintf(stderr, " <%lu bytes of PIN data hidden>", (unsigned long)(n - 5));
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

static int g_drop_ctx; /* a service error seen: drop the context when the call ends */

static long pcsc_fail(session *s, LONG rv, const char *what) {
  if (is_service_error(rv)) g_drop_ctx = 1;
  return fail(s, is_no_card(rv) ? SSCARD_E_NO_CARD : SSCARD_E_READER, "%s: %s (0x%08lX)", what,
              pcsc_stringify_error(rv), (unsigned long)rv);
}

static void close_conn(conn *c) {
  if (c->open) SCardDisconnect(c->h, SCARD_LEAVE_CARD);
  c->open = 0;
}

static void end_session(session *s) {
  close_conn(&s->card);
  close_conn(&s->psam);
  if (s->list) SCardFreeMemory(s->ctx, s->list);
  s->list = NULL;
  if (g_drop_ctx) drop_ctx();
  g_drop_ctx = 0;
}

static long session_ctx(session *s) {
  LONG rv = get_ctx(&s->ctx);
  if (rv != SCARD_S_SUCCESS) return fail(s, SSCARD_E_READER, "no PC/SC service (is pcscd running?): %s", pcsc_stringify_error(rv));
  return SSCARD_OK;
}

/* The kept context (or a new one). The reader list is fetched only when a call needs it. */
static long begin_session(session *s, char *out) {
  memset(s, 0, sizeof *s);
  s->out = out;
  if (out) out[0] = 0;
  char why[300];
  if (load_settings(&s->st, why, sizeof why)) return fail(s, SSCARD_E_PARAM, "%s", why);
  return session_ctx(s);
}

/* The reader list; a context that went stale (pcscd restarted) is replaced once. */
static long ensure_list(session *s) {
  if (s->list) return SSCARD_OK;
  for (int attempt = 0; attempt < 2; attempt++) {
    DWORD len = SCARD_AUTOALLOCATE;
    LONG rv = SCardListReaders(s->ctx, NULL, (LPSTR)&s->list, &len);
    if (rv == SCARD_S_SUCCESS) return SSCARD_OK;
    s->list = NULL;
    if (rv == (LONG)SCARD_E_NO_READERS_AVAILABLE) return fail(s, SSCARD_E_READER, "no PC/SC reader connected");
    if (!is_service_error(rv) || attempt == 1) return pcsc_fail(s, rv, "SCardListReaders");
    drop_ctx(); /* pcscd restarted: a new context, once */
    long rc = session_ctx(s);
    if (rc) return rc;
  }
  return SSCARD_E_READER;
}

static int reader_known(session *s, const char *name) {
  if (ensure_list(s)) return 0;
  for (char *r = s->list; r && *r; r += strlen(r) + 1)
    if (strcmp(r, name) == 0) return 1;
  return 0;
}

/* Is a card present in `reader`? 1 yes, 0 no, -1 PC/SC error (in *err). */
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

/* After SCardConnect: the reader's name and the ATR. */
static long connect_status(session *s, conn *c, const char *reader) {
  LONG rv;
  c->open = 1;
  snprintf(c->reader, sizeof c->reader, "%s", reader);
  char rname[NAME_MAX_LEN];
  DWORD rlen = sizeof rname, state = 0, proto = 0;
  c->atr_len = sizeof c->atr;
  rv = SCardStatus(c->h, rname, &rlen, &state, &proto, c->atr, &c->atr_len);
  if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardStatus");
  return SSCARD_OK;
}

static long connect_reader(session *s, conn *c, const char *reader) {
  LONG rv = SCardConnect(s->ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->protocol);
  if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardConnect");
  return connect_status(s, c, reader);
}

/*
 * Send one command APDU; handles T=0's 61xx (GET RESPONSE) and 6Cxx (resend with Le = xx).
 * *sw gets the final status word, data (without SW) goes to resp / *rlen.
 */
static long transmit(session *s, conn *c, const unsigned char *apdu, DWORD alen, unsigned char *resp, DWORD *rlen, unsigned *sw) {
  unsigned char cmd[261], buf[258];
  DWORD clen = alen;
  memcpy(cmd, apdu, alen);
  DWORD have = 0, cap = *rlen;
  const SCARD_IO_REQUEST *pci = c->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
  int hide = alen > 5 && (apdu[1] == 0x20 || apdu[1] == 0x5E);
  for (int round = 0; round < 16; round++) {
    DWORD blen = sizeof buf;
    if (s->st.trace) trace_apdu(">", cmd, clen, hide && round == 0);
    LONG rv = SCardTransmit(c->h, pci, cmd, clen, NULL, buf, &blen);
    if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardTransmit");
    if (s->st.trace) trace_apdu("<", buf, blen, 0);
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

/* A command that carries data and expects data back: under T=1 it needs Le = 00 (case 4);
 * under T=0 it stays case 3 and the card announces its answer with 61xx. */
static long transmit_in_out(session *s, conn *c, const unsigned char *apdu, DWORD alen, unsigned char *resp, DWORD *rlen, unsigned *sw) {
  unsigned char cmd[262];
  memcpy(cmd, apdu, alen);
  if (c->protocol == SCARD_PROTOCOL_T1) cmd[alen++] = 0x00;
  return transmit(s, c, cmd, alen, resp, rlen, sw);
}

/* A card status word as the return code, as the public code lists give them: 63C2 → -25538. */
static long sw_code(unsigned sw) { return -(long)sw; }

static long select_ssse(session *s) {
  unsigned sw = 0;
  s->fci_len = sizeof s->fci;
  long rc = transmit_in_out(s, &s->card, SELECT_SSSE, sizeof SELECT_SSSE, s->fci, &s->fci_len, &sw);
  if (rc) return rc;
  if (sw != 0x9000)
    return fail(s, SSCARD_E_CARD_TYPE, "not a social security card: SELECT SSSE answered %04X (reader \"%s\")", sw, s->card.reader);
  return SSCARD_OK;
}

/*
 * A named reader for the card: connect at once (no reader list, no presence check: SCardConnect
 * says both, and the two requests to pcscd they cost are most of a call's overhead).
 */
static long try_named_card(session *s, const char *name, int *found) {
  conn *c = &s->card;
  LONG rv = SCARD_S_SUCCESS;
  for (int attempt = 0; attempt < 2; attempt++) {
    rv = SCardConnect(s->ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &c->h, &c->protocol);
    if (!is_service_error(rv) || attempt == 1) break;
    drop_ctx(); /* pcscd restarted: a new context, once */
    long rc = session_ctx(s);
    if (rc) return rc;
  }
  if (rv == (LONG)SCARD_E_UNKNOWN_READER || rv == (LONG)SCARD_E_READER_UNAVAILABLE)
    return fail(s, SSCARD_E_READER, "no PC/SC reader named \"%s\" (check SSCARD_READER / SSCARD_CONTACTLESS_READER)", name);
  if (rv == (LONG)SCARD_E_NO_SMARTCARD || rv == (LONG)SCARD_W_REMOVED_CARD) return fail(s, SSCARD_E_NO_CARD, "no card in reader \"%s\"", name);
  if (rv != SCARD_S_SUCCESS) return pcsc_fail(s, rv, "SCardConnect");
  *found = 1;
  long rc = connect_status(s, c, name);
  if (!rc) rc = select_ssse(s);
  return rc;
}

static long find_card(session *s, int *found) {
  long code = ensure_list(s);
  if (code) return code;
  code = SSCARD_E_NO_CARD;
  for (char *r = s->list; r && *r; r += strlen(r) + 1) {
    if (strcmp(r, s->st.psam) == 0 || strcmp(r, s->st.contactless) == 0) continue;
    LONG err = 0;
    if (card_present(s, r, &err) != 1) continue;
    long rc = connect_reader(s, &s->card, r);
    if (!rc) rc = select_ssse(s);
    if (!rc) { *found = 1; return SSCARD_OK; }
    close_conn(&s->card);
    code = rc; /* a card, but not ours (its message stays in pOutInfo) */
  }
  if (code == SSCARD_E_NO_CARD) fail(s, code, "no card in any PC/SC reader");
  return code;
}

/*
 * Pick the card's reader, connect and SELECT SSSE. iType 1: SSCARD_READER, or with none the first
 * reader whose card has the application (the PSAM and contactless readers skipped); 2:
 * SSCARD_CONTACTLESS_READER; 3 / 4: both, contact / contactless first.
 */
static long open_card(session *s, int iType) {
  if (iType < SSCARD_CONTACT || iType > SSCARD_AUTO_CONTACTLESS_FIRST)
    return fail(s, SSCARD_E_PARAM, "iType must be 1 (contact), 2 (contactless), 3 or 4 (auto), got %d", iType);
  const char *contact = s->st.reader[0] ? s->st.reader : NULL;
  const char *contactless = s->st.contactless[0] ? s->st.contactless : NULL;
  if (iType == SSCARD_CONTACTLESS && !contactless)
    return fail(s, SSCARD_E_READER, "no contactless reader: set SSCARD_CONTACTLESS_READER to its exact PC/SC name");
  /* slots in order; "" = the contact slot found by probing */
  const char *order[2] = {NULL, NULL};
  int n = 0;
  if (iType == SSCARD_CONTACT) order[n++] = contact ? contact : "";
  else if (iType == SSCARD_CONTACTLESS) order[n++] = contactless;
  else if (iType == SSCARD_AUTO_CONTACT_FIRST) { order[n++] = contact ? contact : ""; if (contactless) order[n++] = contactless; }
  else { if (contactless) order[n++] = contactless; order[n++] = contact ? contact : ""; }
  long rc = SSCARD_E_NO_CARD;
  for (int i = 0; i < n; i++) {
    int found = 0;
    rc = order[i][0] ? try_named_card(s, order[i], &found) : find_card(s, &found);
    if (found || rc == SSCARD_OK) return rc; /* a card was there: its answer is the result */
  }
  return rc;
}

/* The PSAM: SSCARD_PSAM_READER, or another reader whose card answers SELECT PSAM.SSSE. */
static long open_psam(session *s) {
  if (s->psam.open) return SSCARD_OK;
  unsigned char resp[258];
  unsigned sw = 0;
  if (s->st.psam[0]) {
    const char *r = s->st.psam;
    if (!reader_known(s, r)) return fail(s, SSCARD_E_NO_PSAM, "no PSAM: no PC/SC reader named \"%s\" (SSCARD_PSAM_READER)", r);
    LONG err = 0;
    if (card_present(s, r, &err) != 1) return fail(s, SSCARD_E_NO_PSAM, "no PSAM: no card in reader \"%s\" (SSCARD_PSAM_READER)", r);
    long rc = connect_reader(s, &s->psam, r);
    if (rc) return fail(s, SSCARD_E_NO_PSAM, "no PSAM: cannot connect to reader \"%s\"", r);
    DWORD rlen = sizeof resp;
    rc = transmit_in_out(s, &s->psam, SELECT_PSAM, sizeof SELECT_PSAM, resp, &rlen, &sw);
    if (rc) return rc;
    if (sw != 0x9000) return fail(s, SSCARD_E_NO_PSAM, "no PSAM: the card in \"%s\" answered SELECT PSAM.SSSE with %04X", r, sw);
    return SSCARD_OK;
  }
  if (ensure_list(s)) {
    char why[SSCARD_OUT_MAX];
    snprintf(why, sizeof why, "%s", s->out);
    return fail(s, SSCARD_E_NO_PSAM, "no PSAM: %s", why);
  }
  for (char *r = s->list; r && *r; r += strlen(r) + 1) {
    if (strcmp(r, s->card.reader) == 0) continue;
    LONG err = 0;
    if (card_present(s, r, &err) != 1) continue;
    if (connect_reader(s, &s->psam, r)) { close_conn(&s->psam); continue; }
    DWORD rlen = sizeof resp;
    if (transmit_in_out(s, &s->psam, SELECT_PSAM, sizeof SELECT_PSAM, resp, &rlen, &sw) == SSCARD_OK && sw == 0x9000) return SSCARD_OK;
    close_conn(&s->psam);
  }
  return fail(s, SSCARD_E_NO_PSAM, "no PSAM: no reader other than the card's holds a card answering SELECT PSAM.SSSE (set SSCARD_PSAM_READER)");
}

static long select_ef(session *s, unsigned char fid_lo) {
  unsigned char apdu[7] = {0x00, 0xA4, 0x02, 0x00, 0x02, 0xEF, fid_lo};
  unsigned char resp[258];
  DWORD rlen = sizeof resp;
  unsigned sw = 0;
  long rc = transmit(s, &s->card, apdu, sizeof apdu, resp, &rlen, &sw);
  if (rc) return rc;
  if (sw != 0x9000) return fail(s, SSCARD_E_CARD_TYPE, "SELECT EF%02X answered %04X", fid_lo, sw);
  return SSCARD_OK;
}

/*
 * READ RECORD by identifier on the selected EF: 00 B2 <tag> 00 <len+2> (card-spec §3). The
 * record is a TLV whose tag is the identifier; its value goes to val / *vlen. A missing
 * record gives *vlen = -1 when optional, else -1 wrong card type. With `sw_out`, a 6982
 * (security status not satisfied) is handed back there instead of failing.
 */
static long read_record_sw(session *s, unsigned char tag, unsigned char len, int optional, unsigned char *val, int *vlen, unsigned *sw_out) {
  unsigned char apdu[5] = {0x00, 0xB2, tag, 0x00, (unsigned char)(len + 2)};
  unsigned char resp[258];
  DWORD rlen = sizeof resp;
  unsigned sw = 0;
  long rc = transmit(s, &s->card, apdu, sizeof apdu, resp, &rlen, &sw);
  if (rc) return rc;
  if (sw_out) *sw_out = sw;
  if (sw_out && sw == 0x6982) return SSCARD_OK;
  if (optional && (sw == 0x6A83 || sw == 0x6A82)) { *vlen = -1; return SSCARD_OK; }
  if (sw != 0x9000) return fail(s, SSCARD_E_CARD_TYPE, "READ RECORD %02X answered %04X", tag, sw);
  if (rlen < 2 || resp[0] != tag || resp[1] > rlen - 2)
    return fail(s, SSCARD_E_CARD_TYPE, "record %02X is not a TLV with tag %02X", tag, tag);
  *vlen = resp[1];
  memcpy(val, resp + 2, resp[1]);
  return SSCARD_OK;
}

static long read_record(session *s, unsigned char tag, unsigned char len, int optional, unsigned char *val, int *vlen) {
  return read_record_sw(s, tag, len, optional, val, vlen, NULL);
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

static int from_hex(const char *h, int n, unsigned char *out) {
  for (int i = 0; i < n; i++) {
    int v = 0;
    for (int j = 0; j < 2; j++) {
      char ch = h[2 * i + j];
      int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    out[i] = (unsigned char)v;
  }
  return 0;
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

static void historical_hex(const conn *c, char *out /* 31 */) {
  const unsigned char *hist = NULL;
  int l = atr_historical(c->atr, (int)c->atr_len, &hist);
  if (l > 15) l = 15;
  to_hex(hist, l, out);
}

/*
 * The algorithm from tag 9F0C in the SSSE FCI, two hex digits; "01" without it (card-spec §6).
 * Cards give it as 9F0C 01 <alg>, or 9F0C 03 86 01 <alg> as the public reader code looks for it.
 */
static int algorithm_hex(const session *s, char *out /* 3 */) {
  strcpy(out, "01");
  for (DWORD i = 0; i + 3 < s->fci_len; i++) {
    if (s->fci[i] != 0x9F || s->fci[i + 1] != 0x0C) continue;
    unsigned l = s->fci[i + 2];
    if (l == 0 || i + 3 + l > s->fci_len) return 0;
    to_hex(&s->fci[i + 3 + l - 1], 1, out);
    return 1;
  }
  return 0;
}

/* The name in the output encoding: GBK as on the card, or UTF-8. */
static long encode_name(session *s, const unsigned char *gbk, int n, char *out, size_t cap) {
  if (!s->st.utf8) {
    if ((size_t)n >= cap) n = (int)cap - 1;
    memcpy(out, gbk, n);
    out[n] = 0;
    return SSCARD_OK;
  }
  int r = gbk_to_utf8(gbk, (size_t)n, out, cap);
  if (r == -2) return fail(s, SSCARD_E_READER, "iconv cannot convert GBK to UTF-8: %s", strerror(errno));
  if (r) return fail(s, SSCARD_E_CARD_TYPE, "the name on the card is not valid GBK");
  return SSCARD_OK;
}

/* ---- the card's records ------------------------------------------------------------------ */

typedef struct {
  unsigned char id[256], ver[256], iss[256], exp[256], no[256], ssn[256], name[256], ext[256];
  int l_id, l_ver, l_iss, l_exp, l_no, l_ssn, l_name, l_ext;
} records;

static long read_ef05(session *s, records *r) {
  long rc;
  if ((rc = select_ef(s, 0x05)) || (rc = read_record(s, 0x01, 16, 0, r->id, &r->l_id)) ||
      (rc = read_record(s, 0x03, 4, 0, r->ver, &r->l_ver)) || (rc = read_record(s, 0x05, 4, 0, r->iss, &r->l_iss)) ||
      (rc = read_record(s, 0x06, 4, 0, r->exp, &r->l_exp)) || (rc = read_record(s, 0x07, 9, 0, r->no, &r->l_no)))
    return rc;
  if (r->l_id != 16) return fail(s, SSCARD_E_CARD_TYPE, "the card identification code has %d bytes, not 16", r->l_id);
  return SSCARD_OK;
}

static long read_ef06_rest(session *s, records *r) {
  long rc;
  if ((rc = read_record(s, 0x09, 30, 0, r->name, &r->l_name)) || (rc = read_record(s, 0x4E, 0, 1, r->ext, &r->l_ext))) return rc;
  return SSCARD_OK;
}

/* The 11-field line (iReadCardBas, iReadCardBas_HSM_Step2, ReadCardBas). */
static long compose_line(session *s, const records *r, const char *terminal_no, char *out) {
  char f_id[2 * 16 + 1], f_region[7], f_ver[8], f_iss[9], f_exp[9], f_no[16], f_ssn[32], f_hist[2 * 15 + 1];
  to_hex(r->id, 16, f_id);
  memcpy(f_region, f_id, 6);
  f_region[6] = 0;
  to_ascii(r->ver, r->l_ver > 7 ? 7 : r->l_ver, f_ver);
  to_hex(r->iss, r->l_iss > 4 ? 4 : r->l_iss, f_iss);
  to_hex(r->exp, r->l_exp > 4 ? 4 : r->l_exp, f_exp);
  to_ascii(r->no, r->l_no > 15 ? 15 : r->l_no, f_no);
  to_ascii(r->ssn, r->l_ssn > 31 ? 31 : r->l_ssn, f_ssn);
  historical_hex(&s->card, f_hist);
  /* name = EF06/09 followed by the name extension EF06/4E (when the card has one) */
  unsigned char full[512];
  int l_full = trimmed_len(r->name, r->l_name);
  memcpy(full, r->name, l_full);
  if (r->l_ext > 0) {
    int e = trimmed_len(r->ext, r->l_ext);
    memcpy(full + l_full, r->ext, e);
    l_full += e;
  }
  char f_name[512];
  long rc = encode_name(s, full, l_full, f_name, sizeof f_name);
  if (rc) return rc;
  int w = snprintf(out, SSCARD_OUT_MAX, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%.64s|%.64s|", f_region, f_ssn, f_no, f_id, f_name, f_hist,
                   f_ver, f_iss, f_exp, terminal_no, s->st.device_no);
  if (w < 0 || w >= SSCARD_OUT_MAX) return fail(s, SSCARD_E_READER, "output longer than SSCARD_OUT_MAX");
  return SSCARD_OK;
}

/*
 * A third-generation card: spec version 3.x and the algorithm tag in its SSSE FCI. Such a card
 * is authenticated before EF06 is read, always (it may still be authenticated from an earlier
 * call, which must not change the answer). Any other card is authenticated only when it
 * refuses EF06 with 6982; a second-generation card reporting version 3.00 reads as it is.
 */
static int third_generation(const session *s, const records *r) {
  char alg[3];
  return r->l_ver > 0 && r->ver[0] == '3' && algorithm_hex(s, alg);
}

/* ---- external authentication through the PSAM -------------------------------------------- */

/* The card's answer to EXTERNAL AUTHENTICATE as a return code. */
static long ext_auth_result(session *s, unsigned sw) {
  if (sw == 0x9000) return SSCARD_OK;
  if ((sw & 0xFFF0) == 0x63C0)
    return fail(s, sw_code(sw), "external authentication refused by the card: %u tries left (%04X)", sw & 0x0F, sw);
  if (sw == 0x6983) return fail(s, sw_code(sw), "external authentication key locked on the card (6983)");
  if (sw == 0x6D00) return fail(s, SSCARD_E_CARD_TYPE, "the card has no EXTERNAL AUTHENTICATE (6D00): not a third-generation card");
  return fail(s, sw_code(sw), "EXTERNAL AUTHENTICATE answered %04X", sw);
}

static long psam_result(session *s, unsigned sw, const char *what) {
  if (sw == 0x6A88) return fail(s, SSCARD_E_PSAM_NO_KEY, "no key: the PSAM has no RKSSSE key for this card (%s answered 6A88)", what);
  return fail(s, sw_code(sw), "the PSAM answered %s with %04X", what, sw);
}

/*
 * RKSSSE external authentication (card-spec §7): a challenge from the card, the PSAM
 * diversifies its key with the card identification code and encrypts the challenge, the
 * card checks the first 8 bytes. Also reads the PSAM's terminal number (field 10).
 */
static long psam_external_auth(session *s, const unsigned char idcode[16]) {
  long rc = open_psam(s);
  if (rc) return rc;
  unsigned char resp[258], cmd[64];
  DWORD rlen;
  unsigned sw = 0;

  static const unsigned char TERMINAL_NO[] = {0x00, 0xB0, 0x96, 0x00, 0x06}; /* READ BINARY, SFI 0x16 */
  rlen = sizeof resp;
  if ((rc = transmit(s, &s->psam, TERMINAL_NO, sizeof TERMINAL_NO, resp, &rlen, &sw))) return rc;
  if (sw != 0x9000 || rlen < 6) return psam_result(s, sw, "READ BINARY of the terminal number (SFI 16)");
  to_hex(resp, 6, s->psam_terminal);

  static const unsigned char GET_CHALLENGE[] = {0x00, 0x84, 0x00, 0x00, 0x08};
  unsigned char challenge[8];
  rlen = sizeof resp;
  if ((rc = transmit(s, &s->card, GET_CHALLENGE, sizeof GET_CHALLENGE, resp, &rlen, &sw))) return rc;
  if (sw != 0x9000 || rlen != 8) return fail(s, sw == 0x9000 ? SSCARD_E_CARD_TYPE : sw_code(sw), "GET CHALLENGE answered %04X (%lu bytes)", sw, (unsigned long)rlen);
  memcpy(challenge, resp, 8);

  /* DELIVERY KEY 80 1A 01 01 10 <card identification code>: the PSAM diversifies RKSSSE */
  memcpy(cmd, "\x80\x1A\x01\x01\x10", 5);
  memcpy(cmd + 5, idcode, 16);
  rlen = sizeof resp;
  if ((rc = transmit(s, &s->psam, cmd, 21, resp, &rlen, &sw))) return rc;
  if (sw != 0x9000) return psam_result(s, sw, "DELIVERY KEY");

  /* CIPHER DATA 80 FA 00 00 10 <challenge ‖ 80 00 … 00> → 16 bytes */
  memcpy(cmd, "\x80\xFA\x00\x00\x10", 5);
  memcpy(cmd + 5, challenge, 8);
  memcpy(cmd + 13, "\x80\x00\x00\x00\x00\x00\x00\x00", 8);
  rlen = sizeof resp;
  if ((rc = transmit_in_out(s, &s->psam, cmd, 21, resp, &rlen, &sw))) return rc;
  if (sw != 0x9000) return psam_result(s, sw, "CIPHER DATA");
  if (rlen < 8) return fail(s, SSCARD_E_READER, "the PSAM's CIPHER DATA gave %lu bytes, not 16", (unsigned long)rlen);

  /* EXTERNAL AUTHENTICATE 00 82 00 01 08 <first 8 bytes> */
  memcpy(cmd, "\x00\x82\x00\x01\x08", 5);
  memcpy(cmd + 5, resp, 8);
  unsigned char r2[258];
  DWORD r2len = sizeof r2;
  if ((rc = transmit(s, &s->card, cmd, 13, r2, &r2len, &sw))) return rc;
  return ext_auth_result(s, sw);
}

/*
 * The holder's records (EF06). A card that refuses them with 6982 (a third-generation card
 * before external authentication) is authenticated through the PSAM first, then read again.
 */
static long read_ef06_with_psam(session *s, records *r, int *used_psam) {
  long rc;
  unsigned sw = 0;
  *used_psam = 0;
  if (third_generation(s, r)) {
    if ((rc = psam_external_auth(s, r->id))) return rc;
    *used_psam = 1;
  }
  if ((rc = select_ef(s, 0x06)) || (rc = read_record_sw(s, 0x08, 18, 0, r->ssn, &r->l_ssn, &sw))) return rc;
  if (sw == 0x6982 && !*used_psam) {
    if ((rc = psam_external_auth(s, r->id))) return rc;
    *used_psam = 1;
    if ((rc = read_record(s, 0x08, 18, 0, r->ssn, &r->l_ssn))) return rc;
  }
  return read_ef06_rest(s, r);
}

/* iReadCardBas's work, under the lock; the line goes to out. */
static long read_card_basic(session *s, int iType, char *out) {
  records r;
  memset(&r, 0, sizeof r);
  int used_psam = 0;
  long rc;
  if ((rc = open_card(s, iType)) || (rc = read_ef05(s, &r)) || (rc = read_ef06_with_psam(s, &r, &used_psam))) return rc;
  return compose_line(s, &r, used_psam ? s->psam_terminal : s->st.terminal_no, out);
}

SSCARD_API long SSCARD_CALL iReadCardBas(int iType, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  lib_lock();
  session s;
  long rc = begin_session(&s, pOutInfo);
  if (!rc) rc = read_card_basic(&s, iType, pOutInfo);
  end_session(&s);
  lib_unlock();
  return rc;
}

/* ---- PIN --------------------------------------------------------------------------------- */

/* A PIN argument: digits only, min..max long. */
static long check_pin(session *s, const char *pin, size_t min, size_t max, const char *what) {
  if (!pin || !*pin) return fail(s, SSCARD_E_PARAM, "no %s given (this library has no PIN pad)", what);
  size_t n = strlen(pin);
  if (n < min || n > max) {
    if (min == max) return fail(s, SSCARD_E_PARAM, "the %s has %zu digits, got %zu characters", what, min, n);
    return fail(s, SSCARD_E_PARAM, "the %s has %zu to %zu digits, got %zu characters", what, min, max, n);
  }
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)pin[i])) return fail(s, SSCARD_E_PARAM, "the %s has digits only", what);
  return SSCARD_OK;
}

/* PIN digits → BCD, F-padded; returns the byte count. */
static DWORD pin_bcd(const char *pin, unsigned char *out) {
  size_t n = strlen(pin);
  DWORD lc = (DWORD)((n + 1) / 2);
  for (DWORD i = 0; i < lc; i++) {
    int hi = pin[2 * i] - '0';
    int lo = (2 * i + 1 < n) ? pin[2 * i + 1] - '0' : 0x0F;
    out[i] = (unsigned char)((hi << 4) | lo);
  }
  return lc;
}

/* VERIFY / CHANGE PIN answers: 0, -51 with the tries left, -52 locked. */
static long pin_result(session *s, unsigned sw, const char *what) {
  if (sw == 0x9000) return SSCARD_OK;
  if ((sw & 0xFFF0) == 0x63C0) {
    if ((sw & 0x0F) == 0) return fail(s, SSCARD_E_PIN_LOCKED, "PIN locked (63C0)");
    snprintf(s->out, SSCARD_OUT_MAX, "%u", sw & 0x0F);
    return SSCARD_E_PIN_WRONG;
  }
  if (sw == 0x6983) return fail(s, SSCARD_E_PIN_LOCKED, "PIN locked (6983)");
  return fail(s, SSCARD_E_CARD_TYPE, "%s answered %04X", what, sw);
}

SSCARD_API long SSCARD_CALL iVerifyPINEx(int iType, const char *pPin, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  lib_lock();
  session s;
  long rc = begin_session(&s, pOutInfo);
  if (!rc) rc = check_pin(&s, pPin, 4, 12, "PIN (SSCARD_PIN)");
  /* VERIFY 00 20 00 00 Lc <PIN in BCD, F-padded> (card-spec §4) */
  unsigned char apdu[5 + 6] = {0x00, 0x20, 0x00, 0x00, 0x00};
  if (!rc) apdu[4] = (unsigned char)pin_bcd(pPin, apdu + 5);
  if (!rc) rc = open_card(&s, iType);
  if (!rc) {
    unsigned char resp[258];
    DWORD rlen = sizeof resp;
    unsigned sw = 0;
    rc = transmit(&s, &s.card, apdu, 5 + apdu[4], resp, &rlen, &sw);
    if (!rc) rc = pin_result(&s, sw, "VERIFY");
  }
  if (!rc) pOutInfo[0] = 0;
  end_session(&s);
  lib_unlock();
  return rc;
}

SSCARD_API long SSCARD_CALL iVerifyPIN(int iType, char *pOutInfo) {
  return iVerifyPINEx(iType, getenv("SSCARD_PIN"), pOutInfo);
}

SSCARD_API long SSCARD_CALL iChangePINEx(int iType, const char *pOldPin, const char *pNewPin, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  lib_lock();
  session s;
  long rc = begin_session(&s, pOutInfo);
  if (!rc) rc = check_pin(&s, pOldPin, 6, 6, "old PIN (SSCARD_PIN)");
  if (!rc) rc = check_pin(&s, pNewPin, 6, 6, "new PIN (SSCARD_NEW_PIN)");
  if (!rc) rc = open_card(&s, iType);
  if (!rc) {
    /* CHANGE PIN 80 5E 01 00 07 <old, 3 bytes BCD> FF <new, 3 bytes BCD> (card-spec §4) */
    unsigned char apdu[12] = {0x80, 0x5E, 0x01, 0x00, 0x07};
    pin_bcd(pOldPin, apdu + 5);
    apdu[8] = 0xFF;
    pin_bcd(pNewPin, apdu + 9);
    unsigned char resp[258];
    DWORD rlen = sizeof resp;
    unsigned sw = 0;
    rc = transmit(&s, &s.card, apdu, sizeof apdu, resp, &rlen, &sw);
    if (!rc) rc = pin_result(&s, sw, "CHANGE PIN");
  }
  if (!rc) pOutInfo[0] = 0;
  end_session(&s);
  lib_unlock();
  return rc;
}

SSCARD_API long SSCARD_CALL iChangePIN(int iType, char *pOutInfo) {
  return iChangePINEx(iType, getenv("SSCARD_PIN"), getenv("SSCARD_NEW_PIN"), pOutInfo);
}

SSCARD_API long SSCARD_CALL iReloadPIN(int iType, char *pCardInfo, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  lib_lock();
  session s;
  long rc = begin_session(&s, pOutInfo);
  if (!rc) rc = check_pin(&s, pCardInfo, 6, 6, "new PIN (pCardInfo)");
  unsigned char id[256];
  int l_id = 0;
  if (!rc) rc = open_card(&s, iType);
  if (!rc && !(rc = select_ef(&s, 0x05)) && !(rc = read_record(&s, 0x01, 16, 0, id, &l_id)) && l_id != 16)
    rc = fail(&s, SSCARD_E_CARD_TYPE, "the card identification code has %d bytes, not 16", l_id);
  if (!rc) rc = psam_external_auth(&s, id);
  if (rc == SSCARD_E_CARD_TYPE && strstr(pOutInfo, "6D00"))
    fail(&s, rc, "the card has no EXTERNAL AUTHENTICATE (6D00): a second-generation card's PIN is reloaded only by its issuer's own system");
  if (!rc) {
    /* RELOAD PIN 80 5E 00 00 03 <new PIN, 3 bytes BCD>, after EXTERNAL AUTHENTICATE */
    unsigned char apdu[8] = {0x80, 0x5E, 0x00, 0x00, 0x03};
    pin_bcd(pCardInfo, apdu + 5);
    unsigned char resp[258];
    DWORD rlen = sizeof resp;
    unsigned sw = 0;
    rc = transmit(&s, &s.card, apdu, sizeof apdu, resp, &rlen, &sw);
    if (!rc && sw != 0x9000) rc = fail(&s, sw_code(sw), "RELOAD PIN answered %04X", sw);
  }
  if (!rc) pOutInfo[0] = 0;
  end_session(&s);
  lib_unlock();
  return rc;
}

/* ---- iReadCardBas_HSM_Step1 / Step2: the platform's encryption machine in between ---------- */

/*
 * What Step1 leaves for Step2 (process-wide, under g_lock): the card's connection stays open,
 * unreset, between the two calls, with the records read so far and the internal-
 * authentication result the HSM's answer must match.
 */
static struct {
  int active, need_auth;
  conn card;
  records r;
  unsigned char int_result[8];
  settings st;
} g_hsm;

static void hsm_forget(void) {
  if (g_hsm.active) close_conn(&g_hsm.card);
  memset(&g_hsm, 0, sizeof g_hsm);
}

SSCARD_API long SSCARD_CALL iReadCardBas_HSM_Step1(int iType, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  lib_lock();
  hsm_forget();
  session s;
  long rc = begin_session(&s, pOutInfo);
  records r;
  memset(&r, 0, sizeof r);
  unsigned sw = 0;
  if (!rc) rc = open_card(&s, iType);
  if (!rc) rc = read_ef05(&s, &r);
  /* a third-generation card, or one that guards EF06 (6982 until EXTERNAL AUTHENTICATE)? */
  int need_auth = !rc && third_generation(&s, &r);
  if (!rc && !need_auth && !(rc = select_ef(&s, 0x06))) rc = read_record_sw(&s, 0x08, 18, 0, r.ssn, &r.l_ssn, &sw);
  char f5[17] = "", f6[17] = "", f7[17] = "", f8[17] = "";
  if (!rc && sw == 0x6982) need_auth = 1;
  if (!rc && need_auth) {
    /* INTERNAL AUTHENTICATE 00 88 00 00 10 <factor ‖ data>: the terminal's own random, so the
     * card cannot choose what it is tested with; the HSM computes the same and Step2 compares */
    unsigned char in[5 + 16] = {0x00, 0x88, 0x00, 0x00, 0x10}, resp[258];
    if (os_random(in + 5, 16)) rc = fail(&s, SSCARD_E_READER, "no random bytes from the system");
    DWORD rlen = sizeof resp;
    if (!rc) rc = transmit_in_out(&s, &s.card, in, sizeof in, resp, &rlen, &sw);
    if (!rc && (sw != 0x9000 || rlen < 8)) rc = fail(&s, sw == 0x9000 ? SSCARD_E_CARD_TYPE : sw_code(sw), "INTERNAL AUTHENTICATE answered %04X (%lu bytes)", sw, (unsigned long)rlen);
    if (!rc) {
      memcpy(g_hsm.int_result, resp, 8);
      to_hex(in + 5, 8, f5);
      to_hex(in + 13, 8, f6);
    }
    /* external authentication: a random (field 8), then the factor the card will check (field 7),
     * in the public driver's order; the last GET CHALLENGE is what EXTERNAL AUTHENTICATE answers */
    static const unsigned char GET_CHALLENGE[] = {0x00, 0x84, 0x00, 0x00, 0x08};
    for (int k = 0; k < 2 && !rc; k++) {
      rlen = sizeof resp;
      rc = transmit(&s, &s.card, GET_CHALLENGE, sizeof GET_CHALLENGE, resp, &rlen, &sw);
      if (!rc && (sw != 0x9000 || rlen != 8)) rc = fail(&s, sw == 0x9000 ? SSCARD_E_CARD_TYPE : sw_code(sw), "GET CHALLENGE answered %04X", sw);
      if (!rc) to_hex(resp, 8, k == 0 ? f8 : f7);
    }
  }
  if (!rc) {
    char f_id[33], f_hist[31], f_alg[3];
    to_hex(r.id, 16, f_id);
    historical_hex(&s.card, f_hist);
    algorithm_hex(&s, f_alg);
    snprintf(pOutInfo, SSCARD_OUT_MAX, "%.6s|%s|%s|%s|%s|%s|%s|%s|%.64s|", f_id, f_hist, f_alg, f_id, f5, f6, f7, f8, s.st.device_no);
    g_hsm.active = 1;
    g_hsm.need_auth = need_auth;
    g_hsm.card = s.card;
    g_hsm.r = r;
    g_hsm.st = s.st;
    s.card.open = 0; /* kept for Step2 */
  }
  end_session(&s);
  lib_unlock();
  return rc;
}

SSCARD_API long SSCARD_CALL iReadCardBas_HSM_Step2(char *pKey, char *pOutInfo) {
  if (!pOutInfo) return SSCARD_E_PARAM;
  lib_lock();
  session s;
  long rc = begin_session(&s, pOutInfo);
  if (!rc && !g_hsm.active) rc = fail(&s, SSCARD_E_NOT_CONNECTED, "iReadCardBas_HSM_Step1 has not been called (or its card session has ended)");
  if (rc) { end_session(&s); lib_unlock(); return rc; }
  s.card = g_hsm.card;
  s.st = g_hsm.st;
  g_hsm.active = 0; /* the session ends with this call, whatever its outcome */
  records r = g_hsm.r;
  if (g_hsm.need_auth) {
    /* pKey: HSM's internal-auth result (16 hex) ‖ internal-auth data (16) ‖ [|] ‖ factor (16) ‖ cryptogram (16) */
    char key[512];
    size_t n = 0;
    for (const char *p = pKey ? pKey : ""; *p && n < sizeof key - 1; p++)
      if (*p != '|' && *p != ' ') key[n++] = *p;
    key[n] = 0;
    unsigned char head[16], ext[16];
    if (n < 64 || from_hex(key, 16, head) || from_hex(key + 32, 16, ext))
      rc = fail(&s, SSCARD_E_BAD_DATA, "pKey must hold at least 64 hex digits ('|' ignored), got %zu characters", n);
    else if (memcmp(head, g_hsm.int_result, 8) != 0)
      rc = fail(&s, SSCARD_E_HSM_MISMATCH, "the card's internal authentication does not match the HSM's: the card is not genuine");
    else {
      /* EXTERNAL AUTHENTICATE 00 82 00 01 10 <factor ‖ cryptogram> */
      unsigned char cmd[21] = {0x00, 0x82, 0x00, 0x01, 0x10}, resp[258];
      memcpy(cmd + 5, ext, 16);
      DWORD rlen = sizeof resp;
      unsigned sw = 0;
      rc = transmit(&s, &s.card, cmd, sizeof cmd, resp, &rlen, &sw);
      if (!rc) rc = ext_auth_result(&s, sw);
    }
    if (!rc) rc = select_ef(&s, 0x06);
    if (!rc) rc = read_record(&s, 0x08, 18, 0, r.ssn, &r.l_ssn);
  } else if (!(rc = select_ef(&s, 0x06))) {
    rc = read_record(&s, 0x08, 18, 0, r.ssn, &r.l_ssn);
  }
  if (!rc) rc = read_ef06_rest(&s, &r);
  if (!rc) rc = compose_line(&s, &r, s.st.terminal_no, pOutInfo);
  memset(&g_hsm, 0, sizeof g_hsm);
  end_session(&s);
  lib_unlock();
  return rc;
}

/* ---- the national platform library's Init / ReadCardBas (HeaSecReadInfo-style) ------------ */

static struct {
  int done;
  char ip[128], log_path[512];
  long port, timeout, sfz_driver_type;
} g_init;

/* A small JSON reader: validates the whole text, hands top-level members to a callback. */
typedef struct { const char *p; const char *err; } json;
static void json_ws(json *j) { while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++; }
static int json_value(json *j, char *sbuf, size_t scap, int *is_str, int depth);

static int json_string(json *j, char *buf, size_t cap) {
  size_t n = 0;
  if (*j->p != '"') { j->err = "expected a string"; return -1; }
  j->p++;
  while (*j->p != '"') {
    unsigned char ch = (unsigned char)*j->p;
    if (!ch) { j->err = "unterminated string"; return -1; }
    if (ch < 0x20) { j->err = "control character in a string"; return -1; }
    if (ch == '\\') {
      j->p++;
      char e = *j->p;
      const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
      const char *m = e ? strchr(map, e) : NULL;
      if (e == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!isxdigit((unsigned char)j->p[i])) { j->err = "bad \\u escape"; return -1; }
        j->p += 4;
        ch = '?'; /* non-ASCII escapes are not needed for the fields read here */
      } else if (m && (m - map) % 2 == 0) ch = (unsigned char)m[1];
      else { j->err = "bad escape in a string"; return -1; }
    }
    if (buf && n + 1 < cap) buf[n++] = (char)ch;
    j->p++;
  }
  j->p++;
  if (buf) buf[n] = 0;
  return 0;
}

static int json_value(json *j, char *sbuf, size_t scap, int *is_str, int depth) {
  json_ws(j);
  if (is_str) *is_str = 0;
  if (sbuf) sbuf[0] = 0;
  if (depth > 32) { j->err = "nested too deeply"; return -1; }
  char c = *j->p;
  if (c == '"') { if (is_str) *is_str = 1; return json_string(j, sbuf, scap); }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    j->p++;
    json_ws(j);
    if (*j->p == close) { j->p++; return 0; }
    for (;;) {
      json_ws(j);
      if (c == '{') {
        if (json_string(j, NULL, 0)) return -1;
        json_ws(j);
        if (*j->p != ':') { j->err = "expected ':'"; return -1; }
        j->p++;
      }
      if (json_value(j, NULL, 0, NULL, depth + 1)) return -1;
      json_ws(j);
      if (*j->p == ',') { j->p++; continue; }
      if (*j->p == close) { j->p++; return 0; }
      j->err = c == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
      return -1;
    }
  }
  if (c == '-' || isdigit((unsigned char)c)) {
    const char *start = j->p;
    if (*j->p == '-') j->p++;
    if (!isdigit((unsigned char)*j->p)) { j->err = "bad number"; return -1; }
    if (*j->p == '0') j->p++; else while (isdigit((unsigned char)*j->p)) j->p++;
    if (*j->p == '.') { j->p++; if (!isdigit((unsigned char)*j->p)) { j->err = "bad number"; return -1; } while (isdigit((unsigned char)*j->p)) j->p++; }
    if (*j->p == 'e' || *j->p == 'E') {
      j->p++;
      if (*j->p == '+' || *j->p == '-') j->p++;
      if (!isdigit((unsigned char)*j->p)) { j->err = "bad number"; return -1; }
      while (isdigit((unsigned char)*j->p)) j->p++;
    }
    if (sbuf) snprintf(sbuf, scap, "%.*s", (int)(j->p - start), start);
    return 0;
  }
  static const char *lits[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++)
    if (strncmp(j->p, lits[i], strlen(lits[i])) == 0) { j->p += strlen(lits[i]); return 0; }
  j->err = "unexpected character";
  return -1;
}

/* A whole number from a JSON number or numeric string; -1 when it is neither. */
static int json_long(const char *v, long *out) {
  if (!*v) return -1;
  char *end = NULL;
  long x = strtol(v, &end, 10);
  if (*end) return -1;
  *out = x;
  return 0;
}

/*
 * Init(pInitInfo, pErrMsg): {"IP", "PORT", "TIMEOUT", "LOG_PATH", "SFZ_DRIVER_TYPE", …}. The
 * fields are kept; this library reads the card only and makes no platform call, so none is
 * used for a connection. 0 ok; -1 with the reason in pErrMsg.
 */
SSCARD_API long SSCARD_CALL Init(char *pInitInfo, char *pErrMsg) {
  char dummy[SSCARD_OUT_MAX];
  char *err = pErrMsg ? pErrMsg : dummy;
  err[0] = 0;
  if (!pInitInfo) { snprintf(err, SSCARD_OUT_MAX, "pInitInfo is NULL: Init takes a JSON object"); return SSCARD_E_CARD_TYPE; }
  lib_lock();
  json j = {pInitInfo, NULL};
  long rc = SSCARD_OK;
  char ip[128] = "", log_path[512] = "";
  long port = 0, timeout = 0, sfz = 0;
  json_ws(&j);
  if (*j.p != '{') { j.err = "expected a JSON object"; rc = -1; }
  else {
    j.p++;
    json_ws(&j);
    if (*j.p == '}') j.p++;
    else for (;;) {
      char key[64], val[512];
      int is_str = 0;
      json_ws(&j);
      if (json_string(&j, key, sizeof key)) { rc = -1; break; }
      json_ws(&j);
      if (*j.p != ':') { j.err = "expected ':'"; rc = -1; break; }
      j.p++;
      const char *at = j.p;
      if (json_value(&j, val, sizeof val, &is_str, 0)) { rc = -1; break; }
      long *num = strcmp(key, "PORT") == 0 ? &port : strcmp(key, "TIMEOUT") == 0 ? &timeout : strcmp(key, "SFZ_DRIVER_TYPE") == 0 ? &sfz : NULL;
      if (num && json_long(val, num)) { snprintf(err, SSCARD_OUT_MAX, "Init: %s must be a whole number, got %.40s", key, at); rc = -2; break; }
      if (strcmp(key, "IP") == 0 || strcmp(key, "LOG_PATH") == 0) {
        if (!is_str) { snprintf(err, SSCARD_OUT_MAX, "Init: %s must be a string", key); rc = -2; break; }
        snprintf(strcmp(key, "IP") == 0 ? ip : log_path, strcmp(key, "IP") == 0 ? sizeof ip : sizeof log_path, "%s", val);
      }
      json_ws(&j);
      if (*j.p == ',') { j.p++; continue; }
      if (*j.p == '}') { j.p++; break; }
      j.err = "expected ',' or '}'";
      rc = -1;
      break;
    }
    if (!rc) { json_ws(&j); if (*j.p) { j.err = "text after the JSON object"; rc = -1; } }
  }
  if (rc == -1) snprintf(err, SSCARD_OUT_MAX, "Init: pInitInfo is not valid JSON: %s at offset %ld", j.err ? j.err : "error", (long)(j.p - pInitInfo));
  if (rc) rc = SSCARD_E_CARD_TYPE;
  else {
    g_init.done = 1;
    snprintf(g_init.ip, sizeof g_init.ip, "%s", ip);
    snprintf(g_init.log_path, sizeof g_init.log_path, "%s", log_path);
    g_init.port = port;
    g_init.timeout = timeout;
    g_init.sfz_driver_type = sfz;
  }
  lib_unlock();
  return rc;
}

/* Append a JSON string (quotes included). GBK: a lead byte and its trail byte are copied as a
 * unit, so a trail byte 0x5C is not mistaken for a backslash. 0 ok, -1 no room. */
static int json_put(char *out, size_t cap, size_t *n, const char *v, int gbk) {
  char tmp[8];
  if (*n + 1 >= cap) return -1;
  out[(*n)++] = '"';
  for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
    const char *piece = tmp;
    size_t len = 1;
    if (gbk && *p >= 0x81 && *p <= 0xFE && p[1]) { tmp[0] = (char)p[0]; tmp[1] = (char)p[1]; len = 2; p++; }
    else if (*p == '"' || *p == '\\') { tmp[0] = '\\'; tmp[1] = (char)*p; len = 2; }
    else if (*p < 0x20) { snprintf(tmp, sizeof tmp, "\\u%04x", *p); len = 6; }
    else tmp[0] = (char)*p;
    if (*n + len + 1 >= cap) return -1;
    memcpy(out + *n, piece, len);
    *n += len;
  }
  if (*n + 2 >= cap) return -1;
  out[(*n)++] = '"';
  out[*n] = 0;
  return 0;
}

/*
 * ReadCardBas(pCardInfo ≥ 2048, pBusiCardInfo ≥ 8192): the 11-field line, and the input a HIS
 * sends in transaction 1101 for this card (platform-api.md §2) as JSON.
 */
SSCARD_API long SSCARD_CALL ReadCardBas(char *pCardInfo, char *pBusiCardInfo) {
  if (!pCardInfo) return SSCARD_E_PARAM;
  if (pBusiCardInfo) pBusiCardInfo[0] = 0;
  lib_lock();
  session s;
  long rc = begin_session(&s, pCardInfo);
  if (!rc && !g_init.done) rc = fail(&s, SSCARD_E_CARD_TYPE, "Init has not been called: call Init(pInitInfo, pErrMsg) first");
  if (!rc) rc = read_card_basic(&s, SSCARD_AUTO_CONTACT_FIRST, pCardInfo);
  if (!rc && pBusiCardInfo) {
    /* the line's fields, from 0: 1 SSN, 2 card number, 3 card identification code, 4 name */
    char copy[SSCARD_OUT_MAX], *f[11];
    snprintf(copy, sizeof copy, "%s", pCardInfo);
    char *p = copy;
    for (int i = 0; i < 11; i++) { f[i] = p; p = strchr(p, '|'); if (!p) break; *p++ = 0; }
    size_t n = 0;
    const size_t cap = 8192;
    int gbk = !s.st.utf8;
    int bad = 0;
    n = (size_t)snprintf(pBusiCardInfo, cap, "{\"mdtrt_cert_type\":\"03\",\"mdtrt_cert_no\":");
    bad |= json_put(pBusiCardInfo, cap, &n, f[2], gbk);
    n += (size_t)snprintf(pBusiCardInfo + n, cap - n, ",\"card_sn\":");
    bad |= json_put(pBusiCardInfo, cap, &n, f[3], gbk);
    n += (size_t)snprintf(pBusiCardInfo + n, cap - n, ",\"certno\":");
    bad |= json_put(pBusiCardInfo, cap, &n, f[1], gbk);
    n += (size_t)snprintf(pBusiCardInfo + n, cap - n, ",\"psn_name\":");
    bad |= json_put(pBusiCardInfo, cap, &n, f[4], gbk);
    n += (size_t)snprintf(pBusiCardInfo + n, cap - n, "}");
    if (bad) rc = fail(&s, SSCARD_E_READER, "pBusiCardInfo would be longer than 8192 bytes");
  }
  end_session(&s);
  lib_unlock();
  return rc;
}
