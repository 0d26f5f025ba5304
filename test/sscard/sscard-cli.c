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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sscard.h"

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
  } else if (strcmp(cmd, "readcardbas") == 0) {
    static char card[2048], busi[8192];
    rc = ReadCardBas(card, busi);
    printf("%ld\n%s\n%s\n", rc, card, busi);
    return 0;
  } else { fprintf(stderr, "unknown command %s\n", cmd); return 2; }
  printf("%ld\n%s\n", rc, out);
  return 0;
}
