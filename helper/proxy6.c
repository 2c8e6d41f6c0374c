/*
 * proxy6.c: tupper-init --proxy6 PORT ADDRESS CONTAINER_PORT, the userland relay for a TCP
 * port published on an enable_ipv6 network, on [::1]:PORT.
 *
 * Every other address of the host reaches a published port by DNAT. ::1 cannot: the kernel
 * drops a packet from ::1 on any interface but lo and has no route_localnet for IPv6, so a
 * connection to [::1]:PORT never reaches the bridge. Docker reaches it the same way as this,
 * with docker-proxy (a process per published port that accepts on the host and dials the
 * container). Here: one listener, a child per connection that copies bytes both ways and
 * passes each half-close on, all in one session (the script ends it with kill -- -PID).
 * The relay reads nothing it acts on: the container's bytes are only copied back.
 */
#define _GNU_SOURCE
#include "proxy6.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint16_t parse_port(const char *what, const char *text) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || text[0] == '\0' || n == 0 || n > 65535) die("--proxy6: %s %s is not a port from 1 to 65535", what, text);
  return (uint16_t)n;
}

static int listen_loopback(uint16_t port) {
  int one = 1;
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die_errno("socket for [::1]:%u", port);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die_errno("setsockopt SO_REUSEADDR for [::1]:%u", port);
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) die_errno("setsockopt IPV6_V6ONLY for [::1]:%u", port);
  struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die_errno("bind [::1]:%u", port);
  if (listen(fd, 128) < 0) die_errno("listen on [::1]:%u", port);
  return fd;
}

/* Copies what FROM has into TO; false at end of input (TO's write side is then shut). */
static bool copy_some(int from, int to) {
  char buffer[16384];
  ssize_t n = read(from, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    shutdown(to, SHUT_WR);
    return false;
  }
  for (ssize_t done = 0; done < n;) {
    ssize_t w = write(to, buffer + done, (size_t)(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(0); /* the other side is gone: so is this connection */
    done += w;
  }
  return true;
}

/* One connection: dial the container, then copy both ways until both sides have ended. */
static void relay(int client, const struct sockaddr_in6 *target) {
  int server = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (server < 0 || connect(server, (const struct sockaddr *)target, sizeof *target) < 0) _exit(0); /* the client sees the close */
  struct pollfd fds[2] = {{.fd = client, .events = POLLIN}, {.fd = server, .events = POLLIN}};
  bool open[2] = {true, true};
  while (open[0] || open[1]) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(0);
    }
    for (int i = 0; i < 2; i++) {
      if (open[i] && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
        open[i] = copy_some(fds[i].fd, fds[1 - i].fd);
        if (!open[i]) fds[i].fd = -1; /* poll skips it */
      }
    }
  }
  _exit(0);
}

static void serve(int listener, const struct sockaddr_in6 *target) {
  struct sigaction reap = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
  if (sigaction(SIGCHLD, &reap, NULL) < 0) die_errno("sigaction SIGCHLD");
  for (;;) {
    int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      _exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(listener);
      relay(client, target);
    }
    close(client); /* fork failed: the client sees the close */
  }
}

void proxy6_main(const char *port_text, const char *address, const char *container_port_text) {
  uint16_t port = parse_port("host port", port_text);
  struct sockaddr_in6 target = {.sin6_family = AF_INET6, .sin6_port = htons(parse_port("container port", container_port_text))};
  if (inet_pton(AF_INET6, address, &target.sin6_addr) != 1) die("--proxy6: %s is not an IPv6 address", address);
  int listener = listen_loopback(port); /* listening before the script goes on: no race with a first client */
  pid_t pid = fork();
  if (pid < 0) die_errno("fork the relay of [::1]:%u", port);
  if (pid > 0) {
    printf("%d\n", (int)pid);
    exit(fflush(stdout) == 0 ? 0 : 125);
  }
  /* the relay: a session of its own, nothing of the script's open but its socket (a
   * descriptor it kept, of whoever ran the script, would stay open as long as it runs) */
  if (setsid() < 0) die_errno("setsid");
  if (listener < 3) { /* (the script's stdin, stdout or stderr was closed: the socket took its number) */
    int moved = fcntl(listener, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) die_errno("fcntl F_DUPFD the socket of [::1]:%u", port);
    listener = moved;
  }
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) die_errno("open /dev/null");
  for (int fd = 0; fd < 3; fd++) {
    if (dup2(null, fd) < 0) die_errno("dup2 /dev/null");
  }
  if (listener > 3 && syscall(SYS_close_range, 3U, (unsigned)listener - 1, 0U) < 0) die_errno("close_range 3..%d", listener - 1);
  if (syscall(SYS_close_range, (unsigned)listener + 1, ~0U, 0U) < 0) die_errno("close_range %d..", listener + 1);
  serve(listener, &target);
  _exit(0);
}
