/* proxy6.c: a published TCP port on the host's IPv6 loopback, [::1]:PORT, relayed to a container. */
#ifndef TUPPER_PROXY6_H
#define TUPPER_PROXY6_H

/* tupper-init --proxy6 PORT ADDRESS CONTAINER_PORT: listens on [::1]:PORT, prints the PID of
   the relay it leaves running (in a session of its own) and exits 0; 125 when it cannot listen. */
void proxy6_main(const char *port, const char *address, const char *container_port) __attribute__((noreturn));

#endif
