/*
 * veth.c: the veth pairs of a container on bridge networks, made by tupper-init itself.
 *
 * The script used to run `ip -batch` for them once tupper-init had made the network
 * namespace and said so (--await-net): a process of its own, about 7 ms on the VM that runs
 * CI, nearly all of it the process (the kernel's part is about 1 ms). tupper-init is running
 * already, so it asks the kernel itself, with the one route netlink message `ip link add
 * OUTSIDE master BRIDGE up type veth peer name INSIDE netns NS [address MAC]` sends:
 *  - the socket is opened in the host's network namespace before tupper-init unshares its
 *    own (a netlink socket stays in the namespace it was made in), and each bridge's index is
 *    looked up there too;
 *  - after the unshare, one RTM_NEWLINK per pair makes OUTSIDE on the host, on its bridge and
 *    up, with its peer INSIDE in this process's new namespace (IFLA_NET_NS_FD of
 *    /proc/self/ns/net), where configure_network gives it its address and brings it up.
 * Every name and address comes from the script's command line (the script chose them), and
 * is checked for length before it goes into the message; the kernel checks the rest and its
 * answer, an error or none, is read back for each message.
 */
#define _GNU_SOURCE
#include "veth.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* An interface name the kernel could take: 1 to 15 bytes, no '/', ':' or white space. */
static const char *checked_name(const char *flag, const char *name) {
  size_t length = strlen(name);
  if (length == 0 || length >= IFNAMSIZ || strpbrk(name, "/: \t\n") != NULL) die("%s: bad interface name '%s'", flag, name);
  return name;
}

static struct veth_pair *pair_of(struct veths *veths, const char *inside) {
  for (int i = 0; i < veths->n_pairs; i++)
    if (strcmp(veths->pairs[i].inside, inside) == 0) return &veths->pairs[i];
  return NULL;
}

void veth_add(struct veths *veths, const char *inside, const char *outside, const char *bridge) {
  if (veths->n_pairs == VETH_MAX_PAIRS) die("--veth: more than %d networks", VETH_MAX_PAIRS);
  if (pair_of(veths, checked_name("--veth", inside)) != NULL) die("--veth: %s given twice", inside);
  struct veth_pair *pair = &veths->pairs[veths->n_pairs++];
  memset(pair, 0, sizeof *pair);
  pair->inside = inside;
  pair->outside = checked_name("--veth", outside);
  pair->bridge = checked_name("--veth", bridge);
}

/* ADDRESS: six hexadecimal bytes with colons, 02:42:ac:11:00:02. */
void veth_set_mac(struct veths *veths, const char *inside, const char *address) {
  struct veth_pair *pair = pair_of(veths, inside);
  if (pair == NULL) die("--mac %s: no --veth %s before it", inside, inside);
  static const char digits[] = "0123456789abcdef";
  if (strlen(address) != 17) die("--mac needs an address such as 02:42:ac:11:00:02, got '%s'", address);
  for (int i = 0; i < 6; i++) {
    const char *byte = address + 3 * i;
    const char *high = strchr(digits, tolower((unsigned char)byte[0]));
    const char *low = strchr(digits, tolower((unsigned char)byte[1]));
    if (byte[0] == '\0' || byte[1] == '\0' || high == NULL || low == NULL || (i < 5 && byte[2] != ':'))
      die("--mac needs an address such as 02:42:ac:11:00:02, got '%s'", address);
    pair->mac[i] = (unsigned char)((high - digits) << 4 | (low - digits));
  }
  pair->has_mac = true;
}

void veth_prepare(struct veths *veths) {
  veths->host_netlink = -1;
  if (veths->n_pairs == 0) return;
  veths->host_netlink = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (veths->host_netlink < 0) die_errno("socket AF_NETLINK NETLINK_ROUTE (for the veth pairs)");
  for (int i = 0; i < veths->n_pairs; i++) {
    struct veth_pair *pair = &veths->pairs[i];
    pair->bridge_index = if_nametoindex(pair->bridge);
    if (pair->bridge_index == 0) die_errno("find bridge %s (for %s)", pair->bridge, pair->inside);
  }
}

/* ---- one route netlink request, built in place ---- */

struct request {
  union {
    struct nlmsghdr header; /* (and the buffer's alignment) */
    char bytes[1024];
  } u;
  size_t length;
};

/* Appends SIZE bytes of DATA, padded to netlink's alignment; the request must have room. */
static void *append(struct request *r, const void *data, size_t size) {
  size_t padded = NLMSG_ALIGN(size);
  if (padded < size || padded > sizeof r->u.bytes - r->length) die("netlink request for the veth pairs: too long");
  char *at = r->u.bytes + r->length;
  memset(at, 0, padded);
  if (size > 0) memcpy(at, data, size);
  r->length += padded;
  return at;
}

/* Appends attribute TYPE with SIZE bytes of DATA; returns its offset (for a nest's end). */
static size_t attribute(struct request *r, unsigned short type, const void *data, size_t size) {
  size_t at = r->length;
  if (size > 0xffff - RTA_LENGTH(0)) die("netlink attribute %u: too long", type);
  struct rtattr head = {.rta_len = (unsigned short)RTA_LENGTH(size), .rta_type = type};
  append(r, &head, sizeof head); /* (4 bytes: aligned already) */
  if (size > 0) append(r, data, size);
  return at;
}

/* A nest's length is what was appended after its start. */
static void nest_end(struct request *r, size_t at) {
  size_t length = r->length - at;
  if (length > 0xffff) die("netlink attribute: nest too long");
  ((struct rtattr *)(void *)(r->u.bytes + at))->rta_len = (unsigned short)length;
}

/* Sends R on SOCK and reads the kernel's answer, the only message the socket gets (it is in
   no multicast group): 0, or the kernel's errno for the request. WHAT names the request in
   the messages of a failed send or receive, and of an answer that is not one. */
static int transact(int sock, struct request *r, const char *what) {
  r->u.header.nlmsg_len = (unsigned)r->length;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do sent = sendto(sock, r->u.bytes, r->length, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) die_errno("RTM_NEWLINK: send %s", what);
  if ((size_t)sent != r->length) die("RTM_NEWLINK: send %s: short write", what);
  union {
    struct nlmsghdr header;
    char bytes[4096];
  } answer;
  ssize_t n;
  do n = recv(sock, answer.bytes, sizeof answer.bytes, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) die_errno("RTM_NEWLINK: receive the answer to %s", what);
  if ((size_t)n > sizeof answer.bytes) die("RTM_NEWLINK: the answer to %s is longer (%zd bytes) than %zu", what, n, sizeof answer.bytes);
  const struct nlmsghdr *h = &answer.header;
  if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) || h->nlmsg_len > (size_t)n || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
      h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != r->u.header.nlmsg_seq)
    die("RTM_NEWLINK: %s: an answer that is not the kernel's to it (%zd bytes, type %u, sequence %u)", what, n, h->nlmsg_type, h->nlmsg_seq);
  const struct nlmsgerr *e = NLMSG_DATA(h);
  return e->error < 0 ? -e->error : e->error;
}

void veth_create(struct veths *veths) {
  if (veths->n_pairs == 0) return;
  int netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (netns < 0) die_errno("open /proc/self/ns/net (for the veth pairs)");
  for (int i = 0; i < veths->n_pairs; i++) {
    const struct veth_pair *pair = &veths->pairs[i];
    struct request r = {.length = 0};
    append(&r, &(struct nlmsghdr){.nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, .nlmsg_seq = (unsigned)i + 1}, sizeof(struct nlmsghdr));
    append(&r, &(struct ifinfomsg){.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP}, sizeof(struct ifinfomsg));
    attribute(&r, IFLA_IFNAME, pair->outside, strlen(pair->outside) + 1);
    attribute(&r, IFLA_MASTER, &pair->bridge_index, sizeof pair->bridge_index);
    size_t info = attribute(&r, IFLA_LINKINFO, NULL, 0);
    attribute(&r, IFLA_INFO_KIND, "veth", sizeof "veth");
    size_t data = attribute(&r, IFLA_INFO_DATA, NULL, 0);
    size_t peer = attribute(&r, VETH_INFO_PEER, NULL, 0);
    append(&r, &(struct ifinfomsg){.ifi_family = AF_UNSPEC}, sizeof(struct ifinfomsg));
    attribute(&r, IFLA_IFNAME, pair->inside, strlen(pair->inside) + 1);
    unsigned fd = (unsigned)netns;
    attribute(&r, IFLA_NET_NS_FD, &fd, sizeof fd);
    if (pair->has_mac) attribute(&r, IFLA_ADDRESS, pair->mac, sizeof pair->mac);
    nest_end(&r, peer);
    nest_end(&r, data);
    nest_end(&r, info);
    char *what = xasprintf("veth pair %s (master %s) and %s (in the container's network namespace)", pair->outside, pair->bridge, pair->inside);
    int error = transact(veths->host_netlink, &r, what);
    if (error != 0) {
      /* what each answer means here, as far as the request goes */
      const char *hint = "";
      if (error == EEXIST) hint = " (an interface of that name exists on the host)";
      if (error == EOPNOTSUPP) hint = " (this needs the veth module, modprobe veth, and a bridge to put it on)";
      if (error == ENODEV || error == EINVAL) hint = " (is the bridge still there? down and up make the network again)";
      errno = error;
      die_errno("RTM_NEWLINK %s%s", what, hint);
    }
    free(what);
  }
  if (close(netns) < 0) die_errno("close /proc/self/ns/net");
  if (close(veths->host_netlink) < 0) die_errno("close the host's netlink socket");
  veths->host_netlink = -1;
}
