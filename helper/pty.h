/*
 * Terminals (pty.c): no descriptor of a host terminal ever reaches a container process.
 *
 * A workload gets either
 *   - a pseudo-terminal of its own, from the container's own devpts instance: it is the
 *     slave's session leader and the slave is its controlling terminal; tupper-init keeps
 *     the master outside and relays bytes between it and the host's terminal (raw mode,
 *     window size followed on SIGWINCH), or writes its output to the container's log; or
 *   - pipes in place of each of its standard descriptors that is not /dev/null (a terminal,
 *     file, socket or pipe of the host's: none reaches a container), relayed the same way,
 *     in a session of its own with no controlling terminal.
 *
 * Either way the workload cannot reach the operator's terminal: ioctl(TIOCSTI) on its own
 * descriptors types into its own pty or fails on a pipe, and /dev/tty is its own pty or
 * nothing (the TIOCSTI attack of bubblewrap's CVE-2017-5226, which bubblewrap answers
 * with --new-session; runc and crun answer it with a pty or pipes from the runtime).
 */
#ifndef TUPPER_PTY_H
#define TUPPER_PTY_H

#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#define PUMP_BUFFER 16384
#define RELAY_PUMPS 4

/* What reaching the end of a pump's input does to its output. */
enum pump_end {
  PUMP_KEEP,  /* nothing (the host's own descriptors) */
  PUMP_CLOSE, /* close it: the workload's stdin pipe, so that it reads EOF */
  PUMP_VEOF,  /* write the pty's EOF character (^D): the terminal's way to say EOF */
};

/* Bytes from one descriptor to another through a buffer. */
struct pump {
  int from, to;
  enum pump_end at_end;
  bool output;  /* from the workload: drained to the end when it exits */
  bool done;
  bool close_on_epipe; /* the workload's pipe: a reader gone closes it (see pump_flush) */
  size_t start, end;
  int poll_slot; /* index in the last relay_poll_fds array, or -1 */
  char buffer[PUMP_BUFFER];
};

struct relay {
  struct pump pumps[RELAY_PUMPS];
  int n;
};

/* The container's end of the workload's standard descriptors: -1 keeps the inherited one. */
struct stdio_ends {
  int fd[3];
};

/* ---- the pseudo-terminal --------------------------------------------------- */

/* Opens PTMX (the container's /dev/pts/ptmx, as the caller's root and mounts name it),
   checked to be a devpts multiplexer, unlocked. Returns the master (close-on-exec). */
int pty_open_master(const char *ptmx);
/* The slave of MASTER, opened through the master itself (no path lookup). */
int pty_open_slave(int master);
/* In the workload's process: a new session whose controlling terminal is SLAVE, which
   becomes its stdin, stdout and stderr. */
void pty_make_controlling(int slave);
/* The workload's pty (its stdin) to its user, as runc does for its stdio. */
void pty_give_to(uid_t uid);
/* No \n → \r\n on the slave's output: a log's lines end in \n (as runc's recvtty does). */
void pty_clear_onlcr(int master);
/* The size of HOST_TTY (or ROWS x COLS when HOST_TTY is -1) onto the pty: the kernel
   sends SIGWINCH to its foreground process group when it changes. */
void pty_copy_size(int host_tty, int master, unsigned short rows, unsigned short cols);

/* The master from the container's PID 1 to the supervisor, over a socketpair
   (SCM_RIGHTS, as runc's --console-socket and crun's terminal.c do). */
void pty_send_master(int sock, int master);
/* Returns the master, checked to be one; -1 if the sender ended without sending. */
int pty_receive_master(int sock);
/* The supervisor's answer once it has set the size: PID 1 goes on. */
void pty_acknowledge(int sock);

/* ---- the host's terminal --------------------------------------------------- */

/* FD, a terminal, in raw mode (every key a byte to the workload, ^C included) until this
   process exits, however it exits (atexit; every signal is blocked and handled). */
void terminal_make_raw(int fd);

/* The terminal's mode as terminal_make_raw found it (by the process that changed it; at exit
   too), before an exec that is not the container's (tupper-init.c hand_back). */
void terminal_restore(void);
/* The first of stdin, stdout that is a terminal, or -1. */
int host_terminal(void);
/* MASTER relayed with this process's stdin (raw mode if a terminal; its end, if a pipe or
   file, becomes the pty's EOF character) and stdout. */
void relay_terminal(struct relay *r, int master);

/* ---- pipes and relays ------------------------------------------------------- */

/* In the supervisor, before the fork: a pipe for each of stdin, stdout and stderr that is
   open and not /dev/null (a terminal, file, socket or pipe of the host's), its far end in
   ENDS, the relay pump added to R. */
void stdio_pipes(struct relay *r, struct stdio_ends *ends);
/* In the workload's process: ENDS onto 0, 1 and 2. */
void stdio_install(const struct stdio_ends *ends);
void stdio_close(struct stdio_ends *ends);

void relay_add(struct relay *r, int from, int to, enum pump_end at_end, bool output);
/* Fills FDS (room for RELAY_PUMPS) with what the pumps wait for; returns how many. */
nfds_t relay_poll_fds(struct relay *r, struct pollfd *fds);
/* Moves what the poll found ready. */
void relay_move(struct relay *r, const struct pollfd *fds);
/* The workload has exited: what it wrote is copied out, to the end or to what is there
   now (a process it left behind may hold its end open); its input is dropped. */
void relay_drain(struct relay *r);

#endif
