/* port.c: whether a host port is free, the way Docker's userland proxy finds out: by binding it. */
#ifndef TUPPER_PORT_H
#define TUPPER_PORT_H

#include <stdbool.h>

/* Exits 0 when PROTOCOL (tcp or udp) port PORT can be bound on every IPv4 and IPv6 address,
   1 when some socket of this host holds it, 125 on any other failure. */
void port_check(const char *protocol, const char *port) __attribute__((noreturn));

/* Whether PROTOCOL (tcp or udp) port PORT can be bound on every IPv4 and IPv6 address; dies
   on a bad protocol or port, or any failure but EADDRINUSE. */
bool port_free(const char *protocol, const char *port);

#endif
