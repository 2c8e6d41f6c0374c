/*
 * tupper-init --port-free tcp|udp PORT: the script's check that a port it publishes is not
 * taken by a process of this host. A bind() answers it at once; reading /proc/net/tcp or
 * asking ss costs milliseconds on an idle host (the kernel walks its whole socket table).
 * SO_REUSEADDR lets the bind pass over connections in TIME_WAIT, which hold no listener, and
 * still fails on a socket listening on the port (TCP) or bound to it (UDP), on any address.
 * The sockets are closed at once: nothing is left bound. A foreground run's tupper-init asks
 * the same with --check-port, before it makes its namespaces (one process less).
 */
#define _GNU_SOURCE
#include "port.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


/* Whether ADDR (of LENGTH bytes, family FAMILY) can be bound with TYPE; dies on other errors. */
static bool can_bind(int family, int type, const struct sockaddr *addr, socklen_t length, const char *port) {
  int one = 1;
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (family == AF_INET6 && errno == EAFNOSUPPORT) return true; /* no IPv6 here: nothing to hold it */
    die_errno("socket for port %s", port);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) die_errno("setsockopt SO_REUSEADDR for port %s", port);
  /* [::] alone: 0.0.0.0 is tried on its own socket */
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
    die_errno("setsockopt IPV6_V6ONLY for port %s", port);
  if (bind(fd, addr, length) == 0) {
    close(fd);
    return true;
  }
  if (errno == EADDRINUSE) {
    close(fd);
    return false;
  }
  die_errno("bind port %s", port);
}

/* Whether PROTOCOL port PORT (text, from the command line) can be bound; dies on bad words. */
bool port_free(const char *protocol, const char *port) {
  int type;
  if (strcmp(protocol, "tcp") == 0) type = SOCK_STREAM;
  else if (strcmp(protocol, "udp") == 0) type = SOCK_DGRAM;
  else die("port check: protocol %s is not tcp or udp", protocol);
  char *end;
  errno = 0;
  unsigned long number = strtoul(port, &end, 10);
  if (errno != 0 || *end != '\0' || port[0] < '0' || port[0] > '9' || number == 0 || number > 65535)
    die("port check: %s is not a port from 1 to 65535", port);

  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)number), .sin_addr.s_addr = htonl(INADDR_ANY)};
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)number), .sin6_addr = IN6ADDR_ANY_INIT};
  return can_bind(AF_INET, type, (struct sockaddr *)&v4, sizeof v4, port) &&
         can_bind(AF_INET6, type, (struct sockaddr *)&v6, sizeof v6, port);
}

void port_check(const char *protocol, const char *port) {
  exit(port_free(protocol, port) ? 0 : 1);
}
