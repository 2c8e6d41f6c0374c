/*
 * The output of a detached container (log.c): its stdout and stderr come to the
 * supervisor through two pipes, and the supervisor writes them to the log file
 * a line at a time, each line a record in the CRI log format that Kubernetes
 * and Podman use:
 *
 *     2026-11-23T10:00:00.123456789Z stdout F the line
 *
 * (time in UTC, the stream, F for a full line or P for the part of a line
 * longer than LOG_LINE_MAX that continues in the next record). The file is
 * rotated at a size, as Docker's json-file driver does: log → log.1 → … →
 * log.N-1, the oldest dropped.
 */
#ifndef TUPPER_LOG_H
#define TUPPER_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_LINE_MAX 16384 /* Docker's limit too: longer lines are split */

struct log_stream {
  const char *name; /* stdout, stderr */
  int read_fd, write_fd;
  char line[LOG_LINE_MAX];
  size_t used;
};

struct container_log {
  const char *path;
  int fd;
  long long size;     /* of the current file */
  long long max_size; /* 0: no limit */
  int max_files;      /* the current file included */
  int lost_errno;     /* a write failed: output was dropped, said in the next record */
  struct log_stream out, err;
};

/* Opens PATH for appending and makes the two pipes. Exits on failure: nothing has started. */
void log_open(struct container_log *log, const char *path, long long max_size, int max_files);
/* In PID 1 before anything else: its stdout and stderr become the pipes. */
void log_attach(const struct container_log *log);
/* Reads what STREAM has and writes its complete lines; FINAL: everything, the last part too. */
void log_drain(struct container_log *log, struct log_stream *stream, bool final);
/* One record of the supervisor's own (its errors), on stderr. */
void log_message(struct container_log *log, const char *text);

#endif
