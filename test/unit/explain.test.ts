import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText } from "./helpers.js";
import { explainPlan } from "../../src/explain/explain.js";

test("explain says, per service, what the script does: storage, isolation, command, limits, volumes, network, ports, stop", () => {
  const { plan } = compileText(`name: shop
services:
  web:
    image: rootfs:./rootfs
    command: ["/bin/httpd", "-f"]
    user: "1000:1000"
    mem_limit: 256m
    cpus: 0.5
    volumes: ["./site:/srv:ro"]
    ports: ["127.0.0.1:8080:80"]
    stop_signal: SIGINT
  batch:
    image: rootfs:./rootfs
    command: ["/bin/true"]
    network_mode: none
x-tupper: {storage: overlay}
`);
  const text = explainPlan(plan!, "generated/shop.sh");
  assert.match(text, /^Service web \(container shop-web-1\):$/m);
  assert.match(text, /its own copy of \.\/rootfs \(relative to the spec\): an overlay, so the image stays as it is/);
  assert.match(text, /Runs \/bin\/httpd -f as user 1000, group 1000, in \//);
  assert.match(text, /Limits it, through cgroups, to 256 MiB of memory \(the kernel kills it beyond that\), 0\.5 CPUs of time\./);
  assert.match(text, /Shows the host's \.\/site at \/srv in the container, read-only\./);
  assert.match(text, /Connects it to network default \(the 2nd address of its subnet\)/);
  assert.match(text, /Forwards host port 8080\/tcp on 127\.0\.0\.1 to the container's port 80\./);
  assert.match(text, /Stops it with SIGINT, and SIGKILL if it is still running 10 s later\./);
  assert.match(text, /Service batch[\s\S]*Gives it no network: only its own loopback interface\./);
  assert.match(text, /Sets no resource limits/);
  assert.match(text, /- default: a Linux bridge on the host for shop/);
});
