/* exchange-on-read FILE A B: waits until FILE has been read and closed (inotify
   IN_CLOSE_NOWRITE), then swaps the names A and B (renameat2 RENAME_EXCHANGE): a directory
   becomes a symlink in the middle of a reader's walk. It prints "watching" once its watch is
   set, so that a test starts the reader only then. test/e2e/build-context.bats builds it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int fd = inotify_init();
  if (fd < 0 || inotify_add_watch(fd, argv[1], IN_CLOSE_NOWRITE) < 0) { perror("inotify"); return 1; }
  printf("watching\n");
  fflush(stdout);
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return 1;
    if (((struct inotify_event *)buf)->mask & IN_CLOSE_NOWRITE) break;
  }
  if (renameat2(AT_FDCWD, argv[2], AT_FDCWD, argv[3], RENAME_EXCHANGE) < 0) { perror("renameat2"); return 1; }
  fprintf(stderr, "exchange-on-read: swapped %s and %s\n", argv[2], argv[3]);
  return 0;
}
