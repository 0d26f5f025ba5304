/* A small C caller of libsscard, as HIS code written in C links it (the tests in test/sscard).
 * Each command prints "<return code>\n<output>\n":
 *   sscard-cli read <iType>               iReadCardBas
 *   sscard-cli verify <iType>             iVerifyPIN (PIN from SSCARD_PIN)
 *   sscard-cli change <iType>             iChangePIN (SSCARD_PIN → SSCARD_NEW_PIN)
 *   sscard-cli reload <iType> <new PIN>   iReloadPIN
 *   sscard-cli hsm1 <iType>               iReadCardBas_HSM_Step1
 *   sscard-cli hsm <iType>                Step1, then the pKey read from stdin, then Step2:
 *                                         prints Step1's two lines, then Step2's two lines
 *   sscard-cli init <json>                Init → "<rc>\n<pErrMsg>\n"
 *   sscard-cli platform <json>            Init, then ReadCardBas → "<rc>\n<pCardInfo>\n<pBusiCardInfo>\n"
 *   sscard-cli readcardbas 0              ReadCardBas alone (no Init in this process)
 *   sscard-cli threads <iType> <n>        4 threads, n iReadCardBas each → "<failures>\n<first line>\n"
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sscard.h"

/* threads: every call must give the same line (the library serializes calls on one context) */
static int g_type, g_n, g_failures;
static char g_first[SSCARD_OUT_MAX];
static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static void *reader_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < g_n; i++) {
    char out[SSCARD_OUT_MAX];
    long rc = iReadCardBas(g_type, out);
    pthread_mutex_lock(&g_m);
    if (rc != 0) g_failures++;
    else if (!g_first[0]) strcpy(g_first, out);
    else if (strcmp(g_first, out) != 0) g_failures++;
    pthread_mutex_unlock(&g_m);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s read|verify|change|reload|hsm1|hsm|init|platform <arg> [arg]\n", argv[0]); return 2; }
  char out[SSCARD_OUT_MAX];
  const char *cmd = argv[1];
  int iType = atoi(argv[2]);
  long rc;
  out[0] = 0;
  if (strcmp(cmd, "read") == 0) rc = iReadCardBas(iType, out);
  else if (strcmp(cmd, "verify") == 0) rc = iVerifyPIN(iType, out);
  else if (strcmp(cmd, "change") == 0) rc = iChangePIN(iType, out);
  else if (strcmp(cmd, "reload") == 0 && argc == 4) rc = iReloadPIN(iType, argv[3], out);
  else if (strcmp(cmd, "hsm1") == 0) rc = iReadCardBas_HSM_Step1(iType, out);
  else if (strcmp(cmd, "hsm") == 0) {
    rc = iReadCardBas_HSM_Step1(iType, out);
    printf("%ld\n%s\n", rc, out);
    fflush(stdout);
    char key[1024];
    if (!fgets(key, sizeof key, stdin)) key[0] = 0;
    key[strcspn(key, "\r\n")] = 0;
    out[0] = 0;
    rc = iReadCardBas_HSM_Step2(key, out);
  } else if (strcmp(cmd, "init") == 0) rc = Init(argv[2], out);
  else if (strcmp(cmd, "platform") == 0) {
    static char card[2048], busi[8192];
    rc = Init(argv[2], out);
    if (rc) { printf("%ld\n%s\n\n", rc, out); return 0; }
    rc = ReadCardBas(card, busi);
    printf("%ld\n%s\n%s\n", rc, card, busi);
    return 0;
  } else if (strcmp(cmd, "threads") == 0 && argc == 4) {
    pthread_t t[4];
    g_type = iType;
    g_n = atoi(argv[3]);
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, reader_thread, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("%d\n%s\n", g_failures, g_first);
    return 0;
  } else if (strcmp(cmd, "readcardbas") == 0) {
    static char card[2048], busi[8192];
    rc = ReadCardBas(card, busi);
    printf("%ld\n%s\n%s\n", rc, card, busi);
    return 0;
  } else { fprintf(stderr, "unknown command %s\n", cmd); return 2; }
  printf("%ld\n%s\n", rc, out);
  return 0;
}
