/* The card container's program for test/containers/card-never-connects.test.ts: it starts,
   says one line, and never connects to vpcd (a card image that is broken, or a vpcd the
   container cannot reach). Built static, so the image needs nothing else. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  puts("a card that never connects to vpcd");
  fflush(stdout);
  for (;;) pause();
}
