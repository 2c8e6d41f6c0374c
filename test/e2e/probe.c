/*
 * probe: one escape attempt per subcommand, for test/e2e/security.bats. Each prints
 * "NAME: ok" when the kernel let it through, or "NAME: <errno text>", and exits 0 or 1.
 * Built statically by the test, bind-mounted into the container read-only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *name, long result) {
  if (result < 0) {
    printf("%s: %s\n", name, strerror(errno));
    return 1;
  }
  printf("%s: ok\n", name);
  return 0;
}

/* The effective capability mask, as /proc/self/status shows it. */
static void print_caps(const char *label) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "CapEff:", 7) == 0 || strncmp(line, "CapPrm:", 7) == 0) printf("%s %s", label, line);
  if (f != NULL) fclose(f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: probe ATTEMPT [ARG]\n", stderr);
    return 2;
  }
  const char *what = argv[1];
  const char *arg = argc > 2 ? argv[2] : "";
  if (strcmp(what, "mount") == 0) return report(what, mount("none", "/tmp", "tmpfs", 0, NULL));
  if (strcmp(what, "mount-cgroup") == 0) return report(what, mount("none", "/tmp", "cgroup2", 0, NULL));
  if (strcmp(what, "mknod-disk") == 0) {
    /* /dev/sda's numbers: making the node is allowed (as in Docker), using it must not be */
    if (mknod("/tmp/disk", S_IFBLK | 0600, makedev(8, 0)) < 0 && errno != EEXIST) return report("mknod", -1);
    return report("open-disk", open("/tmp/disk", O_RDONLY));
  }
  if (strcmp(what, "open") == 0) return report(what, open(arg, O_RDONLY | O_NONBLOCK));
  if (strcmp(what, "bind") == 0) { /* a TCP port on all addresses */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(arg))};
    return report(what, fd < 0 ? fd : bind(fd, (struct sockaddr *)&sa, sizeof sa));
  }
  if (strcmp(what, "open-write") == 0) return report(what, open(arg, O_WRONLY | O_NONBLOCK));
  if (strcmp(what, "unshare-user") == 0) return report(what, unshare(CLONE_NEWUSER));
  if (strcmp(what, "clone-user") == 0) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    return report(what, pid);
  }
  if (strcmp(what, "setns") == 0) return report(what, setns(open("/proc/self/ns/net", O_RDONLY), 0));
  if (strcmp(what, "finit-module") == 0) return report(what, syscall(SYS_finit_module, open("/probe/probe", O_RDONLY), "", 0));
  if (strcmp(what, "keyctl") == 0) return report(what, syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "probe"));
  if (strcmp(what, "bpf") == 0) return report(what, syscall(SYS_bpf, 0, NULL, 0));
  if (strcmp(what, "userfaultfd") == 0) return report(what, syscall(SYS_userfaultfd, 0));
  if (strcmp(what, "personality") == 0) return report(what, personality(ADDR_NO_RANDOMIZE));
  if (strcmp(what, "vsock") == 0) return report(what, socket(40 /* AF_VSOCK */, SOCK_STREAM, 0));
  if (strcmp(what, "io_uring") == 0) {
    /* a ring of one entry: io_uring_setup returns its descriptor */
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    return report(what, syscall(SYS_io_uring_setup, 1, &params));
  }
  if (strcmp(what, "raw-socket") == 0) return report(what, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  if (strcmp(what, "ptrace") == 0) return report(what, ptrace(PTRACE_ATTACH, (pid_t)atoi(arg), 0, 0));
  if (strcmp(what, "kill") == 0) return report(what, kill((pid_t)atoi(arg), 0));
  if (strcmp(what, "sethostname") == 0) return report(what, sethostname("escaped", 7));
  if (strcmp(what, "setuid") == 0) {
    /* root becomes UID without PR_SET_KEEPCAPS: its capabilities must go */
    int r = setuid((uid_t)atoi(arg));
    print_caps("after-setuid");
    return report(what, r);
  }
  if (strcmp(what, "as") == 0 && argc > 3) {
    /* become UID (and GID UID) the plain way, then exec argv[3]... */
    uid_t id = (uid_t)atoi(arg);
    if (setgroups(0, NULL) < 0 || setgid(id) < 0 || setuid(id) < 0) return report(what, -1);
    execv(argv[3], &argv[3]);
    return report(what, -1);
  }
  if (strcmp(what, "ids") == 0) {
    printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
    return 0;
  }
  fprintf(stderr, "probe: unknown attempt %s\n", what);
  return 2;
}
