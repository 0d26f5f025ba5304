/* A small C caller of libsscard, as HIS code written in C links it (test/sscard/*.test.ts).
 *   sscard-cli read <iType>        → prints "<return code>\n<pOutInfo>\n"
 *   sscard-cli verify <iType>      → iVerifyPIN (PIN from SSCARD_PIN)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sscard.h"

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s read|verify <iType>\n", argv[0]); return 2; }
  char out[SSCARD_OUT_MAX];
  int iType = atoi(argv[2]);
  long rc;
  if (strcmp(argv[1], "read") == 0) rc = iReadCardBas(iType, out);
  else if (strcmp(argv[1], "verify") == 0) rc = iVerifyPIN(iType, out);
  else { fprintf(stderr, "unknown command %s\n", argv[1]); return 2; }
  printf("%ld\n%s\n", rc, out);
  return 0;
}
