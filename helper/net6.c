/*
 * net6.c: IPv6 on a container's interfaces, run by tupper-init inside the container's
 * network namespace (the sysctls under /proc/sys/net are those of the opener's namespace).
 *
 * As Docker's bridge driver does (libnetwork osl: setIPv6 and the endpoint's AddressIPv6):
 *  - an interface on an enable_ipv6 network gets its address with duplicate address
 *    detection off (Docker adds it with IFA_F_NODAD: the address tupper leased is unique in
 *    the subnet, and DAD would leave it "tentative", unusable, for a second or more), and
 *    the default route goes through the network's IPv6 gateway;
 *  - an interface on an IPv4-only network gets net.ipv6.conf.IFACE.disable_ipv6 = 1, so it
 *    has no link-local address and sends no IPv6 at all.
 * The address and route are set with the same ioctls as the IPv4 side (in6_ifreq, in6_rtmsg).
 */
#define _GNU_SOURCE
#include "net6.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <net/route.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static struct net6_interface *next_interface(struct net6 *net, const char *name) {
  if (net->n_interfaces == NET6_MAX_INTERFACES) die("more than %d interfaces", NET6_MAX_INTERFACES);
  size_t length = strlen(name);
  if (length == 0 || length >= IFNAMSIZ || strchr(name, '/') != NULL) die("bad interface name '%s'", name);
  struct net6_interface *iface = &net->interfaces[net->n_interfaces++];
  memset(iface, 0, sizeof *iface);
  iface->name = name;
  return iface;
}

/* "ADDRESS/PREFIX", e.g. fd00:1::2/64. */
void net6_add_address(struct net6 *net, const char *name, const char *cidr) {
  struct net6_interface *iface = next_interface(net, name);
  const char *slash = strchr(cidr, '/');
  if (slash == NULL) die("--ip6 needs ADDRESS/PREFIX, got '%s'", cidr);
  char *address = xstrndup(cidr, (size_t)(slash - cidr));
  char *end;
  errno = 0;
  long prefix = strtol(slash + 1, &end, 10);
  if (errno != 0 || *end != '\0' || slash[1] == '\0' || prefix < 1 || prefix > 128) die("--ip6: bad prefix length in '%s'", cidr);
  if (inet_pton(AF_INET6, address, &iface->address) != 1) die("--ip6 needs an IPv6 address, got '%s'", address);
  free(address);
  iface->enabled = true;
  iface->prefix_length = (int)prefix;
}

void net6_add_disabled(struct net6 *net, const char *name) {
  next_interface(net, name)->enabled = false;
}

void net6_set_gateway(struct net6 *net, const char *text) {
  if (inet_pton(AF_INET6, text, &net->gateway) != 1) die("--gateway6 needs an IPv6 address, got '%s'", text);
  net->gateway_text = text;
}

/* Writes VALUE to net.ipv6.conf.IFACE.KEY. Returns false when the host has no IPv6 at all (no such file) and MISSING_OK. */
static bool write_conf(const char *iface, const char *key, const char *value, bool missing_ok) {
  char *path = xasprintf("/proc/sys/net/ipv6/conf/%s/%s", iface, key);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT && missing_ok) {
      free(path);
      return false;
    }
    die_errno("open %s", path);
  }
  size_t length = strlen(value);
  ssize_t n = write(fd, value, length);
  if (n < 0) die_errno("write %s to %s", value, path);
  if ((size_t)n != length) die("write %s to %s: short write", value, path);
  if (close(fd) < 0) die_errno("close %s", path);
  free(path);
  return true;
}

static int interface_index(int sock, const char *name) {
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0) die_errno("find interface %s", name);
  return ifr.ifr_ifindex;
}

static void add_address(int sock, const struct net6_interface *iface) {
  /* no DAD for this address (Docker: IFA_F_NODAD), and IPv6 on even where the host's default is off */
  write_conf(iface->name, "accept_dad", "0", false);
  write_conf(iface->name, "disable_ipv6", "0", false);
  struct in6_ifreq req = {.ifr6_addr = iface->address, .ifr6_prefixlen = (__u32)iface->prefix_length, .ifr6_ifindex = interface_index(sock, iface->name)};
  if (ioctl(sock, SIOCSIFADDR, &req) < 0) {
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &iface->address, text, sizeof text);
    die_errno("set the IPv6 address %s/%d of %s", text, iface->prefix_length, iface->name);
  }
}

static void add_default_route(int sock, const struct net6 *net) {
  struct in6_rtmsg route = {0};
  route.rtmsg_gateway = net->gateway;
  route.rtmsg_dst_len = 0; /* ::/0 */
  route.rtmsg_metric = 1;
  route.rtmsg_flags = RTF_UP | RTF_GATEWAY;
  if (ioctl(sock, SIOCADDRT, &route) < 0) die_errno("add the IPv6 default route via %s", net->gateway_text);
}

void net6_configure(const struct net6 *net) {
  if (net->n_interfaces == 0) return;
  bool any = false;
  for (int i = 0; i < net->n_interfaces; i++) any |= net->interfaces[i].enabled;
  if (!any) {
    /* IPv4-only networks: a host without IPv6 has nothing to disable */
    for (int i = 0; i < net->n_interfaces; i++) write_conf(net->interfaces[i].name, "disable_ipv6", "1", true);
    return;
  }
  int sock = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) die_errno("socket for IPv6 network configuration (does this host have IPv6?)");
  for (int i = 0; i < net->n_interfaces; i++) {
    const struct net6_interface *iface = &net->interfaces[i];
    if (iface->enabled) add_address(sock, iface);
    else write_conf(iface->name, "disable_ipv6", "1", true);
  }
  if (net->gateway_text != NULL) add_default_route(sock, net);
  close(sock);
}
