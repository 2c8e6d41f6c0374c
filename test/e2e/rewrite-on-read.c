/* rewrite-on-read FILE TEXT: waits until FILE has been read (IN_ACCESS) and then closed
   (IN_CLOSE_NOWRITE; before Linux 6.5 closing an O_PATH descriptor, as a walk does before it
   reads, raises that too), then writes TEXT over it in place (same inode: O_TRUNC, no
   rename), as a user who owns a build context would between the build's hash of a file and
   its copy. It prints "watching" once its watch is set, so that a test starts the reader
   only then. test/e2e/build.bats builds it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = inotify_init();
  if (fd < 0 || inotify_add_watch(fd, argv[1], IN_ACCESS | IN_CLOSE_NOWRITE) < 0) { perror("inotify"); return 1; }
  printf("watching\n");
  fflush(stdout);
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  int accessed = 0, done = 0;
  while (!done) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return 1;
    for (char *p = buf; p < buf + n; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
      const struct inotify_event *e = (const struct inotify_event *)p;
      if (e->mask & IN_ACCESS) accessed = 1;
      if ((e->mask & IN_CLOSE_NOWRITE) && accessed) done = 1;
    }
  }
  int out = open(argv[1], O_WRONLY | O_TRUNC | O_NOFOLLOW);
  size_t len = strlen(argv[2]);
  if (out < 0 || write(out, argv[2], len) != (ssize_t)len || close(out) < 0) { perror(argv[1]); return 1; }
  fprintf(stderr, "rewrite-on-read: rewrote %s in place\n", argv[1]);
  return 0;
}
