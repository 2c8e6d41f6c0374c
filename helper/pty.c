/*
 * Terminals: see pty.h. How the others do it, and what tupper takes from each:
 *
 *   - runc (libcontainer/init_linux.go, tty.go, utils_linux.go): with a terminal, the
 *     container's init opens /dev/ptmx inside the container after /dev/pts is mounted,
 *     sends the master over --console-socket (SCM_RIGHTS), calls setsid() and makes the
 *     slave its controlling terminal (TIOCSCTTY); `runc run` itself receives the master,
 *     puts its own terminal in raw mode and copies both ways (recvtty). Without one, stdio
 *     is passed through as is ("pass-through" mode), so runc alone hands a caller's
 *     terminal to the container: Docker and containerd always give it pipes instead.
 *   - crun (src/libcrun/terminal.c, linux.c): the same, in C: the pty is opened in the
 *     container, its master sent over a socket pair, setsid + TIOCSCTTY, raw mode restored
 *     on exit.
 *   - bubblewrap (--new-session): CVE-2017-5226 was this very attack, a sandboxed program
 *     typing into the caller's shell with TIOCSTI; bubblewrap's answer is setsid(), so the
 *     terminal is no longer the sandbox's controlling one. That alone still leaves the
 *     descriptor: a process with CAP_SYS_ADMIN may TIOCSTI into any terminal it holds
 *     open, and it can read the operator's keys. tupper does both: a new session always,
 *     and never a descriptor of a host terminal (a pty of the container's own, or pipes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "pty.h"
#include "util.h"

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die_errno("fcntl O_NONBLOCK on descriptor %d", fd);
}

/* ---- the pseudo-terminal --------------------------------------------------- */

/*
 * The container's own devpts instance (tupper-init mounts it newinstance), so the pty's
 * number and its /dev/pts/N are the container's. PTMX is looked up in the container's
 * mounts; a privileged container could have mounted something else there, so what opened
 * must be the multiplexer of a devpts file system before it is used.
 */
int pty_open_master(const char *ptmx) {
  int master = open(ptmx, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (master < 0) die_errno("open %s", ptmx);
  struct statfs fs;
  struct stat st;
  if (fstatfs(master, &fs) < 0 || fstat(master, &st) < 0) die_errno("stat %s", ptmx);
  if (fs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
    die("%s is not the pty multiplexer of a devpts file system", ptmx);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) die_errno("unlock a pty of %s", ptmx);
  return master;
}

/* TIOCGPTPEER (Linux 4.13) opens the slave through the master: no /dev/pts/N path that a
   process of the container could replace between ptsname() and open(). */
int pty_open_slave(int master) {
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) die_errno("open the pty's slave (TIOCGPTPEER)");
  return slave;
}

void pty_make_controlling(int slave) {
  if (getsid(0) != getpid() && setsid() < 0) die_errno("setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die_errno("make the pty the controlling terminal (TIOCSCTTY)");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) die_errno("dup2 the pty onto %d", fd);
  if (slave > 2) close(slave);
}

void pty_give_to(uid_t uid) {
  if (fchown(STDIN_FILENO, uid, (gid_t)-1) < 0) die_errno("chown the pty to uid %u", (unsigned)uid);
}

void pty_clear_onlcr(int master) {
  struct termios t;
  if (tcgetattr(master, &t) < 0) die_errno("tcgetattr on the pty");
  t.c_oflag &= ~(tcflag_t)ONLCR;
  if (tcsetattr(master, TCSANOW, &t) < 0) die_errno("tcsetattr on the pty");
}

void pty_copy_size(int host_tty, int master, unsigned short rows, unsigned short cols) {
  struct winsize size = {.ws_row = rows, .ws_col = cols};
  if (host_tty >= 0 && (ioctl(host_tty, TIOCGWINSZ, &size) < 0 || size.ws_row == 0 || size.ws_col == 0))
    size = (struct winsize){.ws_row = rows, .ws_col = cols};
  if (ioctl(master, TIOCSWINSZ, &size) < 0) die_errno("set the pty's size (TIOCSWINSZ)");
}

/* A one-byte message with room for one descriptor (SCM_RIGHTS), as both ends of the
   socketpair use it. Its pointers point into itself: set up in place, never copied. */
struct fd_message {
  char byte;
  struct iovec iov;
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg;
};

static void fd_message_init(struct fd_message *m, char byte) {
  memset(m, 0, sizeof *m);
  m->byte = byte;
  m->iov = (struct iovec){.iov_base = &m->byte, .iov_len = 1};
  m->msg = (struct msghdr){.msg_iov = &m->iov, .msg_iovlen = 1, .msg_control = m->control.buffer, .msg_controllen = sizeof m->control.buffer};
}

/* One byte, with MASTER as the message's one descriptor; then waits for the supervisor's
   byte back: by then it has set the size, so the workload never sees 0x0 at start. */
void pty_send_master(int sock, int master) {
  struct fd_message m;
  fd_message_init(&m, 't');
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
  ssize_t n;
  while ((n = sendmsg(sock, &m.msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  if (n != 1) die_errno("send the pty to the supervisor");
  while ((n = read(sock, &m.byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) die("the supervisor ended before it took the pty");
}

int pty_receive_master(int sock) {
  struct fd_message m;
  fd_message_init(&m, 0);
  ssize_t n;
  while ((n = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n == 0) return -1; /* PID 1 ended before it sent one */
  if (n < 0) die_errno("receive the pty from the container");
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&m.msg);
  if ((m.msg.msg_flags & MSG_CTRUNC) || cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
      cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
    die("the container sent something else than one pty");
  int master, number;
  memcpy(&master, CMSG_DATA(cmsg), sizeof(int));
  if (ioctl(master, TIOCGPTN, &number) < 0) die_errno("the descriptor the container sent is not a pty master");
  return master;
}

void pty_acknowledge(int sock) {
  char byte = 'k';
  if (send(sock, &byte, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE) die_errno("answer the container's PID 1");
}

/* ---- the host's terminal --------------------------------------------------- */

static struct termios saved_mode;
static int raw_fd = -1;
static pid_t raw_owner;

/* Only the process that changed the mode restores it (a child forked later inherits the
   atexit handler, and a die() of its own must not touch the terminal). */
void terminal_restore(void) {
  if (raw_fd >= 0 && getpid() == raw_owner) tcsetattr(raw_fd, TCSANOW, &saved_mode);
}

void terminal_make_raw(int fd) {
  if (raw_fd >= 0) return;
  if (tcgetattr(fd, &saved_mode) < 0) die_errno("tcgetattr on the terminal");
  struct termios raw = saved_mode;
  cfmakeraw(&raw);
  raw_fd = fd;
  raw_owner = getpid();
  if (atexit(terminal_restore) != 0) die("atexit");
  if (tcsetattr(fd, TCSANOW, &raw) < 0) die_errno("put the terminal in raw mode");
}

int host_terminal(void) {
  if (isatty(STDIN_FILENO)) return STDIN_FILENO;
  if (isatty(STDOUT_FILENO)) return STDOUT_FILENO;
  return -1;
}

/* The end of stdin becomes the pty's EOF character when it is a pipe or a file; a terminal
   (or /dev/null, a detached container's) has no end to pass on. */
static enum pump_end input_end(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0 || S_ISCHR(st.st_mode)) return PUMP_KEEP;
  return PUMP_VEOF;
}

void relay_terminal(struct relay *r, int master) {
  if (isatty(STDIN_FILENO)) terminal_make_raw(STDIN_FILENO);
  relay_add(r, STDIN_FILENO, master, input_end(STDIN_FILENO), false);
  relay_add(r, master, STDOUT_FILENO, PUMP_KEEP, true);
}

/* ---- pipes and relays ------------------------------------------------------- */

/* /dev/null (the char device 1:3) is the one host descriptor a workload may hold: it
   reaches nothing. A closed descriptor stays closed. */
static bool passes_through(int fd) {
  struct stat st;
  if (fstat(fd, &st) < 0) {
    if (errno == EBADF) return true;
    die_errno("fstat descriptor %d", fd);
  }
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/*
 * Not only terminals: a file, socket or pipe of the host's, given as is, is reopened by
 * the workload through /proc/self/fd/N with the container root's rights (`exec -T app
 * psql < dump.sql` rewrote a root-only dump; `> file` read it back). Docker and
 * containerd never give a container a host descriptor (its streams are FIFOs or a
 * socket of the shim's); runc alone passes them through. tupper relays them all.
 */
void stdio_pipes(struct relay *r, struct stdio_ends *ends) {
  for (int fd = 0; fd < 3; fd++) {
    ends->fd[fd] = -1;
    if (passes_through(fd)) continue;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) die_errno("pipe for descriptor %d", fd);
    if (fd == STDIN_FILENO) {
      ends->fd[fd] = p[0];
      relay_add(r, fd, p[1], PUMP_CLOSE, false);
    } else {
      ends->fd[fd] = p[1];
      relay_add(r, p[0], fd, PUMP_KEEP, true);
      r->pumps[r->n - 1].close_on_epipe = true;
    }
  }
}

void stdio_install(const struct stdio_ends *ends) {
  for (int fd = 0; fd < 3; fd++)
    if (ends->fd[fd] >= 0 && dup2(ends->fd[fd], fd) < 0) die_errno("dup2 a pipe onto %d", fd);
}

void stdio_close(struct stdio_ends *ends) {
  for (int fd = 0; fd < 3; fd++) {
    if (ends->fd[fd] >= 0) close(ends->fd[fd]);
    ends->fd[fd] = -1;
  }
}

/* The workload's side is non-blocking (the relay never waits on it); the host's is left
   as it is: its open file is shared with the operator's shell. */
void relay_add(struct relay *r, int from, int to, enum pump_end at_end, bool output) {
  if (r->n == RELAY_PUMPS) die("more than %d relays", RELAY_PUMPS);
  struct pump *p = &r->pumps[r->n++];
  p->from = from;
  p->to = to;
  p->at_end = at_end;
  p->output = output;
  p->done = false;
  p->close_on_epipe = false;
  p->start = p->end = 0;
  p->poll_slot = -1;
  set_nonblocking(output ? from : to);
}

/* Its input has ended (EOF, or EIO: a pty whose slave is closed, a terminal hung up). */
static void pump_ended(struct pump *p) {
  p->done = true;
  if (p->at_end == PUMP_CLOSE) {
    close(p->to);
  } else if (p->at_end == PUMP_VEOF) {
    struct termios t;
    char eof = tcgetattr(p->to, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
    if (write(p->to, &eof, 1) < 0) { /* the workload is gone: nothing to tell */
    }
  }
}

/* Writes what is buffered; false when it must wait for the descriptor. A reader gone
   (EPIPE, EIO) ends an input pump; an output pump goes on reading and drops what it
   reads, so that the workload is not blocked by a terminal that went away, except a
   pipe's (close_on_epipe): its read end is closed, so that the workload's next write
   fails with EPIPE (SIGPIPE), as it would on the host's pipe itself (`run app yes | head`). */
static bool pump_flush(struct pump *p) {
  while (p->start < p->end) {
    if (p->to < 0) break;
    ssize_t n = write(p->to, p->buffer + p->start, p->end - p->start);
    if (n > 0) {
      p->start += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return false;
    } else if (p->output && n < 0 && errno == EPIPE && p->close_on_epipe) {
      close(p->from);
      p->done = true;
      break;
    } else if (p->output) {
      p->to = -1;
    } else {
      p->done = true;
      break;
    }
  }
  p->start = p->end = 0;
  return true;
}

/* One read, written on at once. */
static void pump_read(struct pump *p) {
  ssize_t n = read(p->from, p->buffer, sizeof p->buffer);
  if (n > 0) {
    p->start = 0;
    p->end = (size_t)n;
    pump_flush(p);
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    pump_ended(p);
  }
}

nfds_t relay_poll_fds(struct relay *r, struct pollfd *fds) {
  nfds_t n = 0;
  for (int i = 0; i < r->n; i++) {
    struct pump *p = &r->pumps[i];
    p->poll_slot = -1;
    if (p->done) continue;
    if (p->start < p->end) fds[n] = (struct pollfd){.fd = p->to, .events = POLLOUT};
    else fds[n] = (struct pollfd){.fd = p->from, .events = POLLIN};
    p->poll_slot = (int)n++;
  }
  return n;
}

void relay_move(struct relay *r, const struct pollfd *fds) {
  for (int i = 0; i < r->n; i++) {
    struct pump *p = &r->pumps[i];
    if (p->poll_slot < 0 || p->done || fds[p->poll_slot].revents == 0) continue;
    if (p->start < p->end) pump_flush(p);
    else pump_read(p);
  }
}

void relay_drain(struct relay *r) {
  for (int i = 0; i < r->n; i++) {
    struct pump *p = &r->pumps[i];
    if (!p->output) continue;
    while (!p->done) {
      if (p->start < p->end && !pump_flush(p)) {
        struct pollfd out = {.fd = p->to, .events = POLLOUT};
        if (poll(&out, 1, -1) < 0 && errno != EINTR) die_errno("poll");
        continue;
      }
      ssize_t n = read(p->from, p->buffer, sizeof p->buffer);
      if (n > 0) {
        p->start = 0;
        p->end = (size_t)n;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        p->done = true; /* the end, or all there is now */
      }
    }
  }
}
