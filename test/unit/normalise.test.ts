import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText } from "./helpers.js";
import { parseSize, parseDuration, splitShellWords, parseSignal } from "../../src/model/units.js";

test("units: sizes, durations, signals and shell words as Compose reads them", () => {
  assert.deepEqual(parseSize("256m"), { ok: true, value: 268435456 });
  assert.deepEqual(parseSize("1g"), { ok: true, value: 1073741824 });
  assert.deepEqual(parseSize(1024), { ok: true, value: 1024 });
  assert.deepEqual(parseDuration("1m30s"), { ok: true, value: 90000 });
  assert.deepEqual(parseDuration("500ms"), { ok: true, value: 500 });
  assert.deepEqual(parseSignal("SIGINT"), { ok: true, value: "INT" });
  assert.deepEqual(parseSignal("9"), { ok: true, value: "KILL" });
  assert.deepEqual(splitShellWords(`echo "a b" 'c d' e\\ f ""`), { ok: true, value: ["echo", "a b", "c d", "e f", ""] });
});

test("defaults are applied and every value is resolved", () => {
  const plan = compileText(`services:
  web:
    image: rootfs:./rootfs.tar.zst
    entrypoint: /bin/sh -c
    command: "echo hi"
    environment: {A: "1", B: 1.50, C: true, D: null}
    cpus: 0.5
    deploy: {resources: {limits: {memory: 64m, pids: 10}}}
`).plan!;
  const web = plan.services[0]!;
  assert.equal(plan.project.name, "specs"); // Compose's default: the spec's directory name
  assert.equal(plan.storage.mode, "auto");
  assert.equal(plan.specDirFromScript, "../specs");
  assert.equal(web.image.kind, "tar");
  assert.deepEqual(web.argv.entrypoint, ["/bin/sh", "-c"]);
  assert.deepEqual(web.argv.command, ["echo", "hi"]); // a string is split like a shell would
  assert.deepEqual(web.env.set, [
    { name: "A", value: "1" },
    { name: "B", value: "1.50" },
    { name: "C", value: "true" },
  ]);
  assert.deepEqual(web.env.passThrough, ["D"]);
  assert.equal(web.memory.bytes, 64 * 1024 * 1024);
  assert.equal(web.memory.key, "services.web.deploy.resources.limits.memory");
  assert.equal(web.cpus.quotaUs, 50000);
  assert.equal(web.pids.max, 10);
  assert.equal(web.stopSignal.signal, "TERM");
  assert.equal(web.stopGracePeriod.ms, 10000);
  assert.deepEqual(web.user, { key: "services.web.user", written: null, uid: 0, gid: 0, name: null });
  assert.equal(web.workingDir.path, null); // the image's WorkingDir, else /: decided at start
});

test("logging: json-file keeps everything unless max-size is set; local has Docker's local defaults; sizes are decimal", () => {
  const plan = compileText(`services:
  plain: {image: "rootfs:./r", command: ["true"]}
  rotated: {image: "rootfs:./r", command: ["true"], logging: {options: {max-size: 10m, max-file: "3"}}}
  local: {image: "rootfs:./r", command: ["true"], logging: {driver: local}}
  small: {image: "rootfs:./r", command: ["true"], logging: {driver: local, options: {max-size: 1.5k, max-file: 2}}}
  quiet: {image: "rootfs:./r", command: ["true"], logging: {driver: none}}
`).plan!;
  const logging = plan.services.map((s) => {
    const { driver, maxSize, maxFiles } = s.logging;
    return { driver, maxSize, maxFiles };
  });
  assert.deepEqual(logging, [
    { driver: "json-file", maxSize: null, maxFiles: 1 },
    { driver: "json-file", maxSize: 10_000_000, maxFiles: 3 },
    { driver: "json-file", maxSize: 20_000_000, maxFiles: 5 },
    { driver: "json-file", maxSize: 1500, maxFiles: 2 },
    { driver: "none", maxSize: null, maxFiles: 1 },
  ]);
});

test("depends_on: services come in start order (each after its dependencies, else spec order), with their conditions", () => {
  const plan = compileText(`services:
  web: {image: "rootfs:./r", command: [a], depends_on: {api: {condition: service_healthy}, gone: {required: false}}}
  api: {image: "rootfs:./r", command: [a], depends_on: [db, migrate], healthcheck: {test: ["CMD", "true"]}}
  cache: {image: "rootfs:./r", command: [a]}
  migrate: {image: "rootfs:./r", command: [a], depends_on: {db: {condition: service_started}}}
  db: {image: "rootfs:./r", command: [a]}
`).plan!;
  assert.deepEqual(plan.services.map((s) => s.name), ["db", "migrate", "api", "web", "cache"]);
  assert.deepEqual(plan.services.find((s) => s.name === "web")!.dependsOn.on, [{ service: "api", condition: "service_healthy" }]);
  assert.deepEqual(plan.services.find((s) => s.name === "api")!.dependsOn.on, [
    { service: "db", condition: "service_started" },
    { service: "migrate", condition: "service_started" },
  ]);
});

test("named volumes: named PROJECT_KEY, or name:, or KEY when external; nocopy from the short and long forms", () => {
  const plan = compileText(`name: shop
services:
  web:
    image: rootfs:./r
    command: [a]
    volumes: ["data:/var/lib/data", "cache:/cache:ro,nocopy", {type: volume, source: shared, target: /shared, volume: {nocopy: true}}, "./a:/a"]
volumes:
  data:
  cache: {name: shop-cache}
  shared: {external: true}
`).plan!;
  assert.deepEqual(
    plan.volumes.map((v) => [v.declared, v.name, v.external]),
    [["data", "shop_data", false], ["cache", "shop-cache", false], ["shared", "shared", true]],
  );
  assert.deepEqual(
    plan.services[0]!.binds.map((b) => [b.target, b.readOnly, b.volume]),
    [
      ["/var/lib/data", false, { name: "shop_data", external: false, nocopy: false, anonymous: false }],
      ["/cache", true, { name: "shop-cache", external: false, nocopy: true, anonymous: false }],
      ["/shared", false, { name: "shared", external: true, nocopy: true, anonymous: false }],
      ["/a", false, null],
    ],
  );
});

test("volumes: short syntax creates a missing host directory, long syntax only when asked", () => {
  const web = compileText(`services:
  web:
    image: rootfs:./r
    command: [a]
    volumes: ["./a:/a:ro", {type: bind, source: /b, target: /b}, {type: bind, source: ./c, target: /c, bind: {create_host_path: true}}]
`).plan!.services[0]!;
  assert.deepEqual(
    web.binds.map((b) => [b.source, b.target, b.readOnly, b.createHostPath]),
    [["./a", "/a", true, true], ["/b", "/b", false, false], ["./c", "/c", false, true]],
  );
});

test("anonymous volumes: short /path and long form without source; each container's own, suffixed by a hash of the target", () => {
  const r = compileText(`services:
  app:
    image: rootfs:./r
    command: [/bin/true]
    volumes: ["/data", {type: volume, target: /cache, volume: {nocopy: true}}]
`);
  assert.deepEqual(r.diagnostics, []);
  const [data, cache] = r.plan!.services[0]!.binds;
  assert.deepEqual([data!.target, data!.volume?.anonymous, data!.volume?.nocopy], ["/data", true, false]);
  assert.deepEqual([cache!.target, cache!.volume?.anonymous, cache!.volume?.nocopy], ["/cache", true, true]);
  assert.match(data!.volume!.name, /^anon-[0-9a-f]{12}$/);
  assert.match(r.script!, /add_volume 'anon-[0-9a-f]{12}' '\/data' 'rw' 'anonymous' 'copy'/);
});
