import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText, errorsOf } from "./helpers.js";
import { parsePort } from "../../src/model/ports.js";
import { formatIPv6, parseIPv6, parseSubnet, parseSubnet6 } from "../../src/model/addresses.js";

const service = (name: string, ...lines: string[]) =>
  `  ${name}:\n    image: rootfs:./r\n    command: [/bin/true]\n${lines.map((l) => `    ${l}\n`).join("")}`;
const spec = (services: string, top = "") => `name: p\nservices:\n${services}${top}`;

// Each bad input the networking issue names, as the user sees it: file, line, column, key.
const bad: [string, string, RegExp][] = [
  ["a port out of range", spec(service("web", 'ports: ["70000:80"]')), /app\.yaml:6:13: error: services\.web\.ports\[0\]: host port 70000 is out of range; ports run from 1 to 65535/],
  ["a container port of 0", spec(service("web", "ports: [{target: 0}]")), /services\.web\.ports\[0\]: container port 0 is out of range/],
  [
    "a duplicate host port",
    spec(service("a", 'ports: ["8080:80"]') + service("b", 'ports: ["127.0.0.1:8080:81"]')),
    /app\.yaml:10:13: error: services\.b\.ports\[0\]: host port 8080\/tcp is already published by services\.a\.ports\[0\]; use another host port/,
  ],
  [
    "a malformed subnet",
    spec(service("web"), "networks:\n  default:\n    ipam:\n      config:\n        - subnet: 10.0.0/8\n"),
    /app\.yaml:10:19: error: networks\.default\.ipam\.config\[0\]\.subnet: "10\.0\.0\/8": "10\.0\.0" is not an IPv4 address; use e\.g\. 172\.28\.0\.0\/16/,
  ],
  [
    "a subnet with host bits",
    spec(service("web"), "networks:\n  default:\n    ipam: {config: [{subnet: 10.1.2.3/16}]}\n"),
    /has host bits set; the subnet is 10\.1\.0\.0\/16/,
  ],
  [
    "a subnet too small",
    spec(service("a") + service("b") + service("c"), "networks:\n  default:\n    ipam: {config: [{subnet: 10.9.0.0/30}]}\n"),
    /networks\.default\.ipam\.config\[0\]\.subnet: 10\.9\.0\.0\/30 has 2 host addresses, too few for the gateway and 3 containers; use a shorter prefix/,
  ],
  [
    "an unknown network name",
    spec(service("web", "networks: [front, back]"), "networks:\n  front: {}\n"),
    /app\.yaml:6:23: error: services\.web\.networks\[1\]: network "back" is not declared under the top-level networks:; declare it, or use one of: front, default/,
  ],
  [
    "an address outside the subnet",
    spec(service("web", "networks: {net: {ipv4_address: 10.2.0.5}}"), "networks:\n  net: {ipam: {config: [{subnet: 10.1.0.0/16}]}}\n"),
    /ipv4_address: 10\.2\.0\.5 is not a host address of 10\.1\.0\.0\/16/,
  ],
  ["an address without a subnet", spec(service("web", "networks: {net: {ipv4_address: 10.2.0.5}}"), "networks:\n  net: {}\n"), /needs a fixed subnet; add ipam\.config subnet/],
  [
    "one address twice",
    spec(service("a", "networks: {n: {ipv4_address: 10.1.0.5}}") + service("b", "networks: {n: {ipv4_address: 10.1.0.5}}"), "networks:\n  n: {ipam: {config: [{subnet: 10.1.0.0/16}]}}\n"),
    /services\.b\.networks\.n\.ipv4_address: 10\.1\.0\.5 is given to another service too/,
  ],
  [
    "overlapping subnets",
    spec(service("web", "networks: [a, b]"), "networks:\n  a: {ipam: {config: [{subnet: 10.1.0.0/16}]}}\n  b: {ipam: {config: [{subnet: 10.1.2.0/24}]}}\n"),
    /networks\.b\.ipam\.config\[0\]\.subnet: 10\.1\.2\.0\/24 overlaps 10\.1\.0\.0\/16 of network a/,
  ],
  ["ports with network_mode host", spec(service("web", "network_mode: host", 'ports: ["80:80"]')), /services\.web\.ports: has no effect with network_mode host/],
  ["networks with network_mode", spec(service("web", "network_mode: none", "networks: [default]")), /services\.web\.networks: cannot be combined with network_mode/],
  ["an IPv6 port address", spec(service("web", 'ports: ["[::1]:80:80"]')), /IPv6 host addresses are not supported/],
  ["unequal port ranges", spec(service("web", 'ports: ["8000-8002:80-81"]')), /differ in length/],
  ["sctp", spec(service("web", 'ports: ["80/sctp"]')), /protocol "sctp" is not supported; use tcp or udp/],
  ["a bad extra host", spec(service("web", 'extra_hosts: ["db"]')), /services\.web\.extra_hosts\[0\]: "db" has no address; write NAME:IP/],
  ["an extra host with IPv6", spec(service("web", 'extra_hosts: ["db:::1"]')), /is not an IPv4 address; use e\.g\. 10\.0\.0\.5, or host-gateway/],
  ["a bad dns server", spec(service("web", "dns: 8.8.8")), /services\.web\.dns: "8\.8\.8" is not an IPv4 address/],
  ["a multicast MAC", spec(service("web", "mac_address: 01:00:5e:00:00:01")), /is a multicast address/],
  ["a link to nowhere", spec(service("web", "links: [db]")), /services\.web\.links\[0\]: there is no service "db"/],
  ["a link across networks", spec(service("a", "networks: [x]") + service("b", "networks: [y]", "links: [a]"), "networks:\n  x: {}\n  y: {}\n"), /a shares no network with this service/],
  ["a non-bridge driver", spec(service("web"), "networks:\n  default: {driver: overlay}\n"), /networks\.default\.driver: "overlay" is not allowed; use one of "bridge"/],
  ["an external network", spec(service("web"), "networks:\n  default: {external: true}\n"), /external: not supported yet: tupper does not implement it/],
  [
    "an IPv6 subnet on a network without enable_ipv6",
    spec(service("web"), "networks:\n  default: {ipam: {config: [{subnet: 10.1.0.0/16}, {subnet: 'fd00:1::/64'}]}}\n"),
    /networks\.default\.ipam\.config\[1\]\.subnet: is IPv6, but network default does not enable IPv6; add enable_ipv6: true to it/,
  ],
  [
    "two IPv6 subnets",
    spec(service("web"), "networks:\n  default: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00:1::/64'}, {subnet: 'fd00:2::/64'}]}}\n"),
    /networks\.default\.ipam\.config\[1\]: a second IPv6 entry; a tupper network has one subnet of each family/,
  ],
  ["an IPv6 subnet with host bits", spec(service("web"), "networks:\n  default: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00:1::5/64'}]}}\n"), /has host bits set; the subnet is fd00:1::\/64/],
  [
    "overlapping IPv6 subnets",
    spec(service("web", "networks: [a, b]"), "networks:\n  a: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00::/48'}]}}\n  b: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00:0:0:7::/64'}]}}\n"),
    /networks\.b\.ipam\.config: fd00:0:0:7::\/64 overlaps fd00::\/48 of network a/,
  ],
  [
    "ipv6_address on an IPv4-only network",
    spec(service("web", "networks: {n: {ipv6_address: 'fd00::5'}}"), "networks:\n  n: {}\n"),
    /services\.web\.networks\.n\.ipv6_address: network n does not enable IPv6/,
  ],
  [
    "ipv6_address outside the subnet",
    spec(service("web", "networks: {n: {ipv6_address: 'fd01::5'}}"), "networks:\n  n: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00::/64'}]}}\n"),
    /ipv6_address: fd01::5 is not a host address of fd00::\/64/,
  ],
  [
    "ipv6_address on the gateway",
    spec(service("web", "networks: {n: {ipv6_address: 'fd00::1'}}"), "networks:\n  n: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00::/64'}]}}\n"),
    /ipv6_address: fd00::1 is the IPv6 gateway of network n/,
  ],
  [
    "one IPv6 address twice",
    spec(service("a", "networks: {n: {ipv6_address: 'fd00::9'}}") + service("b", "networks: {n: {ipv6_address: 'fd00:0::9'}}"), "networks:\n  n: {enable_ipv6: true, ipam: {config: [{subnet: 'fd00::/64'}]}}\n"),
    /services\.b\.networks\.n\.ipv6_address: fd00::9 is given to another service too/,
  ],
  [
    "a bridge name longer than an interface name",
    spec(service("web"), "networks:\n  default: {driver_opts: {com.docker.network.bridge.name: br-0123456789abc}}\n"),
    /driver_opts\.com\.docker\.network\.bridge\.name: "br-0123456789abc" is not an interface name; use 1 to 15/,
  ],
  ["a bridge name with a slash", spec(service("web"), "networks:\n  default: {driver_opts: {com.docker.network.bridge.name: br/x}}\n"), /"br\/x" is not an interface name/],
  ["a bridge name of tupper's", spec(service("web"), "networks:\n  default: {driver_opts: {com.docker.network.bridge.name: tpb-x}}\n"), /starts with tpb- or tpv-, which tupper keeps/],
  [
    "one bridge name twice",
    spec(service("web", "networks: [a, b]"), "networks:\n  a: {driver_opts: {com.docker.network.bridge.name: br-x}}\n  b: {driver_opts: {com.docker.network.bridge.name: br-x}}\n"),
    /networks\.b\.driver_opts\.com\.docker\.network\.bridge\.name: "br-x" is the bridge of network a too/,
  ],
  ["another driver option", spec(service("web"), "networks:\n  default: {driver_opts: {com.docker.network.bridge.enable_icc: 'false'}}\n"), /com\.docker\.network\.bridge\.enable_icc/],
  ["ports on internal networks only", spec(service("web", 'ports: ["80:80"]'), "networks:\n  default: {internal: true}\n"), /only on internal networks/],
];
for (const [what, text, expected] of bad) {
  test(`${what} is a positioned compile error`, () => {
    const errors = errorsOf(text);
    assert.match(errors.join("\n"), expected);
    assert.match(errors[0]!, /^\/project\/specs\/app\.yaml:\d+:\d+: error: /);
  });
}

test("ports: short and long forms, ranges, addresses and protocols", () => {
  const p = (raw: unknown) => {
    const r = parsePort(raw);
    assert.ok(r.ok, JSON.stringify(r));
    return r.value.map((x) => `${x.hostIp ?? "*"}:${x.hostPortMin}-${x.hostPortMax}->${x.containerPort}/${x.protocol}`);
  };
  assert.deepEqual(p("8080:80"), ["*:8080-8080->80/tcp"]);
  assert.deepEqual(p(80), ["*:32768-60999->80/tcp"]);
  assert.deepEqual(p("127.0.0.1:8080:80/udp"), ["127.0.0.1:8080-8080->80/udp"]);
  assert.deepEqual(p("127.0.0.1::80"), ["127.0.0.1:32768-60999->80/tcp"]);
  assert.deepEqual(p("9090-9091:8080-8081"), ["*:9090-9090->8080/tcp", "*:9091-9091->8081/tcp"]);
  assert.deepEqual(p("9000-9010:80"), ["*:9000-9010->80/tcp"]);
  assert.deepEqual(p({ target: 80, published: "8080", host_ip: "0.0.0.0", protocol: "udp" }), ["*:8080-8080->80/udp"]);
});

test("subnets: CIDR only, network address only", () => {
  assert.deepEqual(parseSubnet("172.28.0.0/16"), { ok: true, value: { base: 0xac1c0000, prefix: 16 } });
  for (const bad of ["172.28.0.0", "172.28.0.0/33", "256.0.0.0/8", "172.28.0.1/16", "10.0.0.0/31"]) assert.equal(parseSubnet(bad).ok, false, bad);
});

test("each service has a fixed offset per network; /etc/hosts lines name every service on a shared network", () => {
  const result = compileText(
    spec(
      service("web", "networks: {front: {aliases: [www]}, back: null}") + service("db", "networks: {back: {ipv4_address: 10.5.0.9}}") + service("cli", "links: ['web:site']", "networks: [front]"),
      "networks:\n  front: {}\n  back: {ipam: {config: [{subnet: 10.5.0.0/24, gateway: 10.5.0.254}]}}\n",
    ),
  );
  assert.deepEqual(result.diagnostics, []);
  const script = result.script!;
  // web: offset 1 on back (the gateway is .254, db has .9), its first free one; 2 on front.
  assert.match(script, /'web'\)[\s\S]*?add_network 'front' 2 0\n[\s\S]*?add_network 'back' 1 0\n/);
  assert.match(script, /# services\.web\.networks\.front: \{"aliases":\["www"\]\}\n/);
  assert.match(script, /'db'\)[\s\S]*?add_network 'back' 9 0\n/);
  assert.match(script, /'cli'\)[\s\S]*?add_host 'front' 2 0 'web www p-web-1 site'\n\s+add_host 'front' 3 0 'cli p-cli-1'\n/);
  assert.match(script, /'web'\)[\s\S]*?add_host 'back' 9 0 'db p-db-1'\n/);
  assert.match(script, /'back'\)\n\s+# networks\.back: .*\n\s+# subnet: 10\.5\.0\.0\/24\n\s+net_subnet='10\.5\.0\.0\/24'\n\s+net_gateway_offset=254 net_internal=0 net_first_free=10\n/);
  // The gateway sits above every service; one-off containers start after the last service.
  assert.match(script, /'front'\)\n[\s\S]*?net_subnet=''\n\s+net_gateway_offset=1 net_internal=0 net_first_free=4\n/);
});

test("a spec without network keys joins the project's default network, like Compose", () => {
  const script = compileText(spec(service("web"))).script!;
  assert.match(script, /# services\.web\.networks: not set \(the project's default network\)\n\s+svc_network_mode='bridge' svc_network_peer=''/);
  assert.match(script, /add_network 'default' 2 0\n/);
  assert.doesNotMatch(compileText(spec(service("web", "network_mode: none"))).script!, /add_network '/);
});

test("IPv6: addresses and subnets parse and print as RFC 5952 says", () => {
  const round = (text: string) => {
    const r = parseIPv6(text);
    assert.ok(r.ok, text);
    return formatIPv6(r.value);
  };
  assert.equal(round("fd4d:6169:6c63:6f77::"), "fd4d:6169:6c63:6f77::");
  assert.equal(round("FD00:0:0:0:0:0:0:10"), "fd00::10");
  assert.equal(round("::1"), "::1");
  assert.equal(round("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
  assert.equal(round("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
  for (const bad of ["fd00:::1", "1::2::3", "fd00:1", "12345::", "::ffff:1.2.3.4", "fe80::1%eth0"]) assert.equal(parseIPv6(bad).ok, false, bad);
  assert.equal(parseSubnet6("fd00:1::/64").ok, true);
  for (const bad of ["fd00:1::", "fd00:1::/129", "fd00::/8", "fd00:1::1/64"]) assert.equal(parseSubnet6(bad).ok, false, bad);
});

test("IPv6: enable_ipv6 networks give each service an IPv6 offset of its own, allocated as IPv4's (mailcow's shape)", () => {
  const result = compileText(
    spec(
      service("unbound", "networks: {m: {ipv4_address: 172.22.1.254}}") + service("mysql", "networks: [m]") + service("web", "networks: {m: {ipv6_address: 'fd4d:6169:6c63:6f77::10'}}"),
      "networks:\n  m:\n    enable_ipv6: true\n    driver_opts: {com.docker.network.bridge.name: br-mailcow}\n    ipam:\n      config:\n        - subnet: 172.22.1.0/24\n        - subnet: 'fd4d:6169:6c63:6f77::/64'\n",
    ),
  );
  assert.deepEqual(result.diagnostics, []);
  const script = result.script!;
  // IPv4 .254 pinned, IPv6 the first free offset; the pinned IPv6 ::10 (offset 16)
  assert.match(script, /'unbound'\)[\s\S]*?add_network 'm' 254 2\n/);
  assert.match(script, /'mysql'\)[\s\S]*?add_network 'm' 2 3\n/);
  assert.match(script, /'web'\)[\s\S]*?add_network 'm' 3 16\n/);
  assert.match(script, /add_host 'm' 254 2 'unbound p-unbound-1'\n/);
  assert.match(script, /net_ipv6=1 net_subnet6='fd4d61696c636f770000000000000000\/64' net_gateway6_offset=1 net_first_free6=17\n/);
  assert.match(script, /# driver_opts: com\.docker\.network\.bridge\.name: br-mailcow\n\s+net_bridge_name='br-mailcow'\n/);
});

test("IPv6: a network without enable_ipv6 has no IPv6 side, and the default network keeps tupper's bridge name", () => {
  const script = compileText(spec(service("web"))).script!;
  assert.match(script, /net_ipv6=0 net_subnet6='' net_gateway6_offset=0 net_first_free6=0\n\s+net_bridge_name=''\n/);
});
