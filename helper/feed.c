/* feed.c: the command tupper-init starts for the script (feed.h). */
#define _GNU_SOURCE
#include "feed.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static int parse_fd(const char *flag, const char *text) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || value < 3 || value > INT_MAX)
    die("%s takes descriptors above 2, not '%s'", flag, text);
  return (int)value;
}

void feed_set_fds(struct feed *feed, const char *in, const char *out) {
  if (feed->in_fd > 0) die("--feed is given twice");
  feed->in_fd = parse_fd("--feed", in);
  feed->out_fd = parse_fd("--feed", out);
  if (feed->in_fd == feed->out_fd) die("--feed takes two descriptors, not %d twice", feed->in_fd);
}

void feed_add_arg(struct feed *feed, const char *arg) {
  if (feed->argc == FEED_MAX_ARGS) die("more than %d --feed-arg", FEED_MAX_ARGS);
  feed->argv[feed->argc++] = arg;
  feed->argv[feed->argc] = NULL;
}

void feed_add_env(struct feed *feed, const char *assignment) {
  if (feed->n_env == FEED_MAX_ENV) die("more than %d --feed-env", FEED_MAX_ENV);
  const char *equals = strchr(assignment, '=');
  if (equals == NULL || equals == assignment) die("--feed-env takes NAME=VALUE, not '%s'", assignment);
  feed->env[feed->n_env++] = (char *)assignment;
}

void feed_check(const struct feed *feed, int n_home, const int *taken, int n_taken) {
  for (int i = 0; i < n_taken; i++)
    if (feed->in_fd > 0 && (feed->in_fd == taken[i] || feed->out_fd == taken[i]))
      die("--feed %d %d: descriptor %d is another option's", feed->in_fd, feed->out_fd, taken[i]);
  if (feed->in_fd > 0 && feed->argc == 0) die("--feed needs its command: --feed-arg");
  /* (not in the container's cgroups: its limits, devices and freezer are not the command's) */
  if (feed->in_fd > 0 && n_home == 0) die("--feed needs --leave-cgroup: the cgroups to start its command in");
  if (feed->in_fd <= 0 && (feed->argc > 0 || feed->n_env > 0)) die("--feed-arg and --feed-env need --feed IN OUT");
}

/* In the child, a failure is said on the script's stderr (kept as ERRORS), not through
   die(): that would tell the script, on the report descriptor, that tupper-init failed. */
static void __attribute__((noreturn)) feed_fail(int errors, const char *what) {
  int error = errno;
  dprintf(errors, "tupper-init: %s (--feed): %s\n", what, strerror(error));
  _exit(127);
}

/* In the child: its cgroups, descriptors, signals and environment, then the command. */
static void __attribute__((noreturn)) feed_exec(struct feed *feed, const char *const *home, int n_home) {
  int errors = fcntl(2, F_DUPFD_CLOEXEC, 3);
  if (errors < 0) feed_fail(2, "fcntl F_DUPFD_CLOEXEC 2");
  for (int i = 0; i < n_home; i++) {
    int fd = open(home[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0) feed_fail(errors, home[i]);
    if (write(fd, "0\n", 2) != 2) feed_fail(errors, home[i]); /* 0: the writer */
    if (close(fd) < 0) feed_fail(errors, home[i]);
  }
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) feed_fail(errors, "open /dev/null");
  if (null < 3 && (null = fcntl(null, F_DUPFD_CLOEXEC, 3)) < 0) feed_fail(errors, "fcntl F_DUPFD_CLOEXEC /dev/null");
  if (dup2(feed->in_fd, 0) < 0) feed_fail(errors, "dup2 its input to 0");
  if (dup2(feed->out_fd, 1) < 0) feed_fail(errors, "dup2 its output to 1");
  if (dup2(null, 2) < 0) feed_fail(errors, "dup2 /dev/null to 2");
  /* (close-on-exec rather than closed: ERRORS stays open for a failed exec's message;
     before Linux 5.11, which has no CLOSE_RANGE_CLOEXEC, every other one is closed) */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    if (errno != EINVAL) feed_fail(errors, "close_range 3.. CLOEXEC");
    if (errors > 3 && syscall(SYS_close_range, 3U, (unsigned)errors - 1, 0U) < 0) feed_fail(errors, "close_range");
    if (syscall(SYS_close_range, (unsigned)errors + 1, ~0U, 0U) < 0) feed_fail(errors, "close_range");
  }
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    void (*disposition)(int) = (sig == SIGINT || sig == SIGQUIT || sig == SIGHUP) ? SIG_IGN : SIG_DFL;
    if (signal(sig, disposition) == SIG_ERR && errno != EINVAL) feed_fail(errors, "signal");
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) feed_fail(errors, "sigprocmask");
  for (int i = 0; i < feed->n_env; i++)
    if (putenv(feed->env[i]) != 0) feed_fail(errors, "putenv");
  execvp(feed->argv[0], (char *const *)feed->argv);
  feed_fail(errors, feed->argv[0]);
}

void feed_start(struct feed *feed, const char *const *home, int n_home) {
  if (feed->in_fd <= 0) return;
  pid_t pid = fork();
  if (pid < 0) die_errno("fork the --feed command %s", feed->argv[0]);
  if (pid == 0) feed_exec(feed, home, n_home);
  if (close(feed->in_fd) < 0) die_errno("close --feed %d", feed->in_fd);
  if (close(feed->out_fd) < 0) die_errno("close --feed %d", feed->out_fd);
  feed->in_fd = feed->out_fd = -1;
}
