/* veth.c: the veth pairs that connect a container's new network namespace to its bridges. */
#ifndef TUPPER_VETH_H
#define TUPPER_VETH_H

#include <stdbool.h>

#define VETH_MAX_PAIRS 16

struct veth_pair {
  const char *inside;         /* the container's end, in its namespace: eth0, eth1, ... */
  const char *outside;        /* the host's end, on the bridge: tpv-XXXXXXXX */
  const char *bridge;         /* the network's bridge */
  unsigned bridge_index;      /* its interface index on the host (veth_prepare) */
  bool has_mac;               /* --mac INSIDE ADDRESS: the inside end's MAC address */
  unsigned char mac[6];
};

struct veths {
  struct veth_pair pairs[VETH_MAX_PAIRS];
  int n_pairs;
  int host_netlink; /* a route netlink socket of the host's network namespace, or -1 */
};

/* --veth INSIDE OUTSIDE BRIDGE and --mac INSIDE ADDRESS into VETHS. */
void veth_add(struct veths *veths, const char *inside, const char *outside, const char *bridge);
void veth_set_mac(struct veths *veths, const char *inside, const char *address);

/* In the host's network namespace, before the container's is made: the socket that will
   make the pairs there, and each bridge's index. */
void veth_prepare(struct veths *veths);

/* In the container's new network namespace: makes each pair, its outside end up on its
   bridge, its inside end in this namespace (brought up with its address by the caller). */
void veth_create(struct veths *veths);

#endif
