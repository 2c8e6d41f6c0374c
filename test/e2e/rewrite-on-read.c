/* rewrite-on-read FILE TEXT: waits until FILE has been read and closed (inotify
   IN_CLOSE_NOWRITE), then writes TEXT over it in place (same inode: O_TRUNC, no rename),
   as a user who owns a build context would between the build's hash of a file and its copy.
   It prints "watching" once its watch is set, so that a test starts the reader only then.
   test/e2e/build.bats and build-context.bats build it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
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
  int out = open(argv[1], O_WRONLY | O_TRUNC | O_NOFOLLOW);
  size_t len = strlen(argv[2]);
  if (out < 0 || write(out, argv[2], len) != (ssize_t)len || close(out) < 0) { perror(argv[1]); return 1; }
  fprintf(stderr, "rewrite-on-read: rewrote %s in place\n", argv[1]);
  return 0;
}
