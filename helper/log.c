/*
 * The log of a detached container: see log.h for the format. Writing it must
 * never stop the container: a failed write (a full disk) drops that output and
 * says so in the next record that can be written; a failed rotation keeps
 * writing to the current file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "security.h"

#define TIMESTAMP_MAX 64 /* 2026-11-23T10:00:00.123456789Z: 30 */
#define HEADER_MAX (TIMESTAMP_MAX + sizeof " stdout P ")
#define PENDING_MAX (64 * 1024) /* records are written in batches of up to this */

static char pending[PENDING_MAX];
static size_t pending_used;

static void make_pipe(struct log_stream *s, const char *name) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) die_errno("pipe for the container's %s", name);
  /* Only the supervisor's end is non-blocking: a workload that writes faster than the log
     is written waits, as with Docker's default (blocking) delivery. */
  if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) die_errno("fcntl O_NONBLOCK on the %s pipe", name);
  s->name = name;
  s->read_fd = fds[0];
  s->write_fd = fds[1];
  s->used = 0;
}

void log_open(struct container_log *log, const char *path, long long max_size, int max_files) {
  log->path = path;
  log->max_size = max_size;
  log->max_files = max_files < 1 ? 1 : max_files;
  log->lost_errno = 0;
  log->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log->fd < 0) die_errno("open %s", path);
  struct stat st;
  if (fstat(log->fd, &st) < 0) die_errno("fstat %s", path);
  log->size = st.st_size; /* a container started again keeps its earlier output, as in Docker */
  make_pipe(&log->out, "stdout");
  make_pipe(&log->err, "stderr");
}

void log_attach(const struct container_log *log) {
  if (dup2(log->out.write_fd, STDOUT_FILENO) < 0) die_errno("dup2 the stdout pipe");
  if (dup2(log->err.write_fd, STDERR_FILENO) < 0) die_errno("dup2 the stderr pipe");
}

static void flush(struct container_log *log) {
  const char *data = pending;
  size_t left = pending_used;
  pending_used = 0;
  while (left > 0) {
    ssize_t n = write(log->fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      log->lost_errno = n < 0 ? errno : EIO;
      log->size -= (long long)left; /* counted when queued, never written */
      return;
    }
    data += n;
    left -= (size_t)n;
  }
}

/*
 * log → log.1 → … → log.(max_files-1); with one file, Docker's rule: start it again empty.
 * The path never goes missing, for a reader that opens it at any moment: the new file is
 * made under another name, the current one gets its second name log.1 (a hard link), and
 * the new one replaces it at log in one rename.
 */
static void rotate(struct container_log *log) {
  flush(log);
  if (log->max_files == 1) {
    if (ftruncate(log->fd, 0) < 0) log->lost_errno = errno;
    else log->size = 0;
    return;
  }
  char *next = xasprintf("%s.new", log->path), *first = xasprintf("%s.1", log->path);
  int fd = open(next, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    log->lost_errno = errno; /* keep writing where it was */
    goto out;
  }
  for (int i = log->max_files - 1; i >= 2; i--) {
    char *from = xasprintf("%s.%d", log->path, i - 1), *to = xasprintf("%s.%d", log->path, i);
    if (rename(from, to) < 0 && errno != ENOENT) log->lost_errno = errno;
    free(from);
    free(to);
  }
  if (log->max_files == 2 && unlink(first) < 0 && errno != ENOENT) log->lost_errno = errno;
  if (link(log->path, first) < 0 || rename(next, log->path) < 0) {
    log->lost_errno = errno;
    close(fd);
    unlink(next);
    goto out;
  }
  close(log->fd);
  log->fd = fd;
  log->size = 0;
out:
  free(next);
  free(first);
}

/* RFC 3339 in UTC with nanoseconds, as `docker logs -t` prints it. */
static void timestamp(char out[TIMESTAMP_MAX]) {
  struct timespec ts = {0};
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t len = strftime(out, TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + len, TIMESTAMP_MAX - len, ".%09ldZ", ts.tv_nsec);
}

static void add_record(struct container_log *log, const char *now, const char *stream, char tag,
                       const char *text, size_t len) {
  char header[HEADER_MAX];
  int header_len = snprintf(header, sizeof header, "%s %s %c ", now, stream, tag);
  size_t need = (size_t)header_len + len + 1;
  if (log->max_size > 0 && log->size > 0 && log->size + (long long)need > log->max_size) rotate(log);
  if (pending_used + need > sizeof pending) flush(log);
  memcpy(pending + pending_used, header, (size_t)header_len);
  memcpy(pending + pending_used + header_len, text, len);
  pending[pending_used + need - 1] = '\n';
  pending_used += need;
  log->size += (long long)need;
}

/* A record that earlier output was dropped, before the next output. */
static void report_loss(struct container_log *log, const char *now) {
  if (log->lost_errno == 0) return;
  char text[512];
  int len = snprintf(text, sizeof text, "tupper-init: some output was lost: writing %s: %s", log->path,
                     strerror(log->lost_errno));
  log->lost_errno = 0;
  add_record(log, now, "stderr", 'F', text, (size_t)len < sizeof text ? (size_t)len : sizeof text - 1);
}

void log_drain(struct container_log *log, struct log_stream *s, bool final) {
  char now[TIMESTAMP_MAX];
  timestamp(now);
  report_loss(log, now);
  for (;;) {
    ssize_t n = read(s->read_fd, s->line + s->used, sizeof s->line - s->used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EAGAIN: all read for now */
    s->used += (size_t)n;
    char *start = s->line, *end = s->line + s->used, *newline;
    while ((newline = memchr(start, '\n', (size_t)(end - start))) != NULL) {
      add_record(log, now, s->name, 'F', start, (size_t)(newline - start));
      start = newline + 1;
    }
    s->used = (size_t)(end - start);
    memmove(s->line, start, s->used);
    if (s->used == sizeof s->line) {
      add_record(log, now, s->name, 'P', s->line, s->used);
      s->used = 0;
    }
    if (!final) break; /* one read per wake-up: signals are not kept waiting by a chatty workload */
  }
  if (final && s->used > 0) {
    add_record(log, now, s->name, 'F', s->line, s->used);
    s->used = 0;
  }
  flush(log);
}

void log_message(struct container_log *log, const char *text) {
  char now[TIMESTAMP_MAX];
  timestamp(now);
  report_loss(log, now);
  add_record(log, now, "stderr", 'F', text, strlen(text));
  flush(log);
}
