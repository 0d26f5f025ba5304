/* A Windows caller of SSCardDriver.dll, as HIS code loads a reader vendor's library: LoadLibrary,
 * then GetProcAddress by the undecorated names, stdcall (test/sscard/windows-dll.test.ts runs
 * it under wine). Built with mingw; needs no header of the library, as such callers have none.
 *   sscard-win-cli [opts] read <iType>         -> "<rc>\n<pOutInfo in hex>\n"
 *   sscard-win-cli [opts] verify <iType>       -> iVerifyPIN (PIN from SSCARD_PIN), same output
 *   sscard-win-cli [opts] bench <iType> <n>    -> n iReadCardBas in one process: "<rc>\n<ms>\n"
 *   sscard-win-cli [opts] exports              -> one line per name: "<name> <found 0|1>"
 *   sscard-win-cli winscard                    -> winscard.dll itself: SCardEstablishContext and
 *                                                 SCardListReadersA, "<name> <rc hex>", the readers
 * opts: -dll <path> (default SSCardDriver.dll beside the .exe); -env NAME=VALUE, set with
 * SetEnvironmentVariable after start, as a HIS configures its reader library at run time.
 * Output in hex: the name is GBK, and the console would translate bytes and line ends.
 */
#include <windows.h>
#include <winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef long(__stdcall *read_fn)(int, char *);

static void hex_line(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) printf("%02X", *p);
  printf("\n");
}

int main(int argc, char **argv) {
  const char *dll = "SSCardDriver.dll"; /* beside the .exe, where HIS installs put it */
  int a = 1;
  for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
    if (strcmp(argv[a], "-dll") == 0) dll = argv[a + 1];
    else if (strcmp(argv[a], "-env") == 0) {
      char *eq = strchr(argv[a + 1], '=');
      if (!eq) { fprintf(stderr, "-env wants NAME=VALUE\n"); return 2; }
      *eq = 0;
      SetEnvironmentVariableA(argv[a + 1], eq + 1);
    } else { fprintf(stderr, "unknown option %s\n", argv[a]); return 2; }
  }
  if (argc <= a) { fprintf(stderr, "usage: %s [-dll path] read|verify <iType> | exports | winscard\n", argv[0]); return 2; }
  const char *cmd = argv[a];

  if (strcmp(cmd, "winscard") == 0) {
    SCARDCONTEXT ctx = 0;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
    printf("SCardEstablishContext %08lX\n", (unsigned long)rv);
    char list[4096];
    DWORD n = sizeof list;
    rv = SCardListReadersA(ctx, NULL, list, &n);
    printf("SCardListReadersA %08lX\n", (unsigned long)rv);
    if (rv == SCARD_S_SUCCESS)
      for (char *r = list; *r; r += strlen(r) + 1) printf("reader %s\n", r);
    if (ctx) SCardReleaseContext(ctx);
    return 0;
  }

  HMODULE lib = LoadLibraryA(dll);
  if (!lib) { fprintf(stderr, "LoadLibrary(%s) failed: error %lu\n", dll, (unsigned long)GetLastError()); return 3; }
  if (strcmp(cmd, "exports") == 0) {
    static const char *const names[] = {"iReadCardBas", "iVerifyPIN", "iVerifyPINEx", "_iReadCardBas@8", "iReadCardBas@8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
      printf("%s %d\n", names[i], GetProcAddress(lib, names[i]) != NULL);
    return 0;
  }
  int bench = strcmp(cmd, "bench") == 0;
  if (argc != a + 2 + bench) { fprintf(stderr, "%s needs <iType>%s\n", cmd, bench ? " <n>" : ""); return 2; }
  const char *fn = strcmp(cmd, "read") == 0 || bench ? "iReadCardBas" : strcmp(cmd, "verify") == 0 ? "iVerifyPIN" : NULL;
  if (!fn) { fprintf(stderr, "unknown command %s\n", cmd); return 2; }
  read_fn f = (read_fn)(void (*)(void))GetProcAddress(lib, fn);
  if (!f) { fprintf(stderr, "GetProcAddress(%s) failed: error %lu\n", fn, (unsigned long)GetLastError()); return 3; }
  char out[1024];
  memset(out, 0, sizeof out);
  if (bench) {
    int n = atoi(argv[a + 2]);
    long rc = 0;
    LARGE_INTEGER freq, t0, t1;
    QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&t0);
    for (int i = 0; i < n && rc == 0; i++) rc = f(atoi(argv[a + 1]), out);
    QueryPerformanceCounter(&t1);
    printf("%ld\n%.1f\n", rc, (double)(t1.QuadPart - t0.QuadPart) * 1000.0 / (double)freq.QuadPart);
    return 0;
  }
  long rc = f(atoi(argv[a + 1]), out);
  printf("%ld\n", rc);
  hex_line(out);
  return 0;
}
