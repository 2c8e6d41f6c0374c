/* net6.c: the IPv6 side of a container's interfaces on enable_ipv6 networks (and IPv6 off on the others). */
#ifndef TUPPER_NET6_H
#define TUPPER_NET6_H

#include <netinet/in.h>
#include <stdbool.h>

#define NET6_MAX_INTERFACES 16

struct net6_interface {
  const char *name;
  bool enabled; /* false: --no-ipv6, the interface's disable_ipv6 is set */
  struct in6_addr address;
  int prefix_length;
};

struct net6 {
  struct net6_interface interfaces[NET6_MAX_INTERFACES];
  int n_interfaces;
  const char *gateway_text; /* NULL: no IPv6 default route */
  struct in6_addr gateway;
};

/* --ip6 NAME ADDRESS/PREFIX, --no-ipv6 NAME and --gateway6 ADDRESS into NET. */
void net6_add_address(struct net6 *net, const char *name, const char *cidr);
void net6_add_disabled(struct net6 *net, const char *name);
void net6_set_gateway(struct net6 *net, const char *text);

/* Run inside the container's network namespace, after the IPv4 side brought the interfaces up. */
void net6_configure(const struct net6 *net);

#endif
