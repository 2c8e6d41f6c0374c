// Multi-service project keys: env_file, container_name, labels, profiles, and `tupper config`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { compileText, errorsOf, tempDir } from "./helpers.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import { projectConfig } from "../../src/config/config.js";

function projectDir(files: Record<string, string>): string {
  const dir = tempDir("tupper-project-");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test("env_file: read when compiling, later files override earlier ones, environment overrides them all; the script names each file", () => {
  const dir = projectDir({ "a.env": "A=1\nSHARED=from-a\n", "b.env": "SHARED=from-b\nB='two words'\n" });
  const r = compileText(
    `services:
  app:
    image: rootfs:./r
    command: [/bin/true]
    env_file: [./a.env, b.env, {path: ./none.env, required: false}]
    environment: {B: mine, C: "3"}
`,
    join(dir, "app.yaml"),
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.plan!.services[0]!.env.set, [
    { name: "A", value: "1" },
    { name: "SHARED", value: "from-b" },
    { name: "B", value: "mine" },
    { name: "C", value: "3" },
  ]);
  assert.match(r.script!, /# services\.app\.env_file\[0\]: \.\/a\.env → A, SHARED\n/);
  assert.match(r.script!, /# services\.app\.env_file\[1\]: b\.env → SHARED, B\n/);
  assert.match(r.script!, /svc_env=\('A=1' 'SHARED=from-b' 'B=mine' 'C=3'\)/);
});

test("env_file: a missing file and a malformed line are positioned errors naming the file", () => {
  const dir = projectDir({ "bad.env": "OK=1\nnot a variable\n" });
  const r = compileText(`services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    env_file: [./gone.env, ./bad.env]\n`, join(dir, "app.yaml"));
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    `${dir}/app.yaml:5:16: error: services.app.env_file[0]: ${dir}/gone.env: no such file; give a path relative to the spec's directory, or mark it required: false`,
    `${dir}/app.yaml:5:28: error: services.app.env_file[1]: ${dir}/bad.env:2: "not a variable" is not NAME=VALUE; write NAME=VALUE`,
  ]);
});

test("container_name names the container everywhere the script does, and other services reach it by it", () => {
  const r = compileText(`name: shop
services:
  db: {image: rootfs:./r, command: [/bin/true], container_name: shop-db}
  web: {image: rootfs:./r, command: [/bin/true]}
`);
  assert.deepEqual(r.diagnostics, []);
  assert.match(r.script!, /container_name_of\(\) \{\n  case \$1 in\n    'db'\) REPLY='shop-db' ;; # services\.db\.container_name: shop-db\n    \*\) REPLY="\$PROJECT-\$1-\$\{2:-1\}" ;;\n  esac\n\}/);
  assert.match(r.script!, /add_host 'default' 2 0 'db shop-db'/);
  assert.match(r.script!, /add_host 'default' 3 0 'web shop-web-1'/);
});

test("container_name: twice the same, another service's name, or not a name, is an error", () => {
  assert.deepEqual(
    errorsOf(`name: shop
services:
  a: {image: rootfs:./r, command: [/bin/true], container_name: same}
  b: {image: rootfs:./r, command: [/bin/true], container_name: same}
  c: {image: rootfs:./r, command: [/bin/true], container_name: shop-a-1}
  d: {image: rootfs:./r, command: [/bin/true], container_name: "-x"}
`),
    [
      `/project/specs/app.yaml:4:64: error: services.b.container_name: "same" is already the container_name of a; give each its own`,
      `/project/specs/app.yaml:5:64: error: services.c.container_name: "shop-a-1" is the name of service a's container; choose another`,
      `/project/specs/app.yaml:6:64: error: services.d.container_name: "-x" is not valid; use letters, digits, _ . -, starting with a letter or digit`,
    ],
  );
});

test("labels and environment: map or list, values as written; a name given twice in a list is a warning and the last value counts, as Compose reads a list as a map", () => {
  const r = compileText(`services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    labels: {com.example.v: 1.10, team: "it's ours"}\n`);
  assert.match(r.script!, /svc_labels=\('com\.example\.v=1\.10' 'team=it'\\''s ours'\)/);
  const twice = compileText(`services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    labels: [a=1, b=2, a=3]\n    environment: [A=1, B=2, A=3]\n`);
  assert.deepEqual(
    twice.diagnostics.map((d) => `${d.line}:${d.col}: ${d.severity}: ${d.path}: ${d.message}`),
    [
      "5:24: warning: services.app.labels[2]: the label a is set twice; the last value counts, as in Compose; keep one",
      "6:29: warning: services.app.environment[2]: A is set twice; the last value counts, as in Compose; keep one",
    ],
  );
  assert.match(twice.script!, /svc_labels=\('b=2' 'a=3'\)/);
  assert.match(twice.script!, /'B=2' 'A=3'/);
});

test("profiles: kept per service for up to choose from at run time", () => {
  const r = compileText(`services:\n  app: {image: rootfs:./r, command: [/bin/true], profiles: [debug, tools]}\n`);
  assert.match(r.script!, /# services\.app\.profiles: \["debug","tools"\]\n  svc_profiles=\('debug' 'tools'\)/);
  assert.match(errorsOf(`services:\n  app: {image: rootfs:./r, command: [/bin/true], profiles: ["bad name"]}\n`)[0]!, /profiles\[0\]: "bad name" is not valid/);
});

test("tupper config: interpolated, env_file merged, maps and long forms, profiles filtered, $ written $$, and it compiles to the same project", () => {
  const dir = projectDir({ "w.env": "MODE=prod\n" });
  const spec = join(dir, "compose.yaml");
  const text = `services:
  web:
    image: rootfs:./r
    command: ["/bin/sh", "-c", "echo $$MODE \${TAG:-1}"]
    env_file: w.env
    environment: [EXTRA=1, PASSED]
    labels: [b=2, a=1]
    depends_on: [db]
  db: {image: rootfs:./r, command: [/bin/true]}
  tool: {image: rootfs:./r, command: [/bin/true], profiles: [debug]}
x-notes: kept
`;
  const r = compileText(text, spec);
  const out = projectConfig(r.data as Record<string, unknown>, r.plan!, []);
  const doc = parse(out);
  assert.equal(doc.name, dir.split("/").pop()!.toLowerCase().replace(/[^a-z0-9_-]/g, ""));
  assert.deepEqual(Object.keys(doc.services), ["db", "web"]);
  assert.deepEqual(doc.services.web, {
    command: ["/bin/sh", "-c", "echo $$MODE 1"],
    depends_on: { db: { condition: "service_started", required: true } },
    environment: { EXTRA: "1", MODE: "prod", PASSED: null },
    image: "rootfs:./r",
    labels: { a: "1", b: "2" },
  });
  assert.equal(doc["x-notes"], "kept");
  assert.deepEqual(Object.keys(parse(projectConfig(r.data as Record<string, unknown>, r.plan!, ["debug"])).services), ["db", "tool", "web"]);
  const again = compileText(out, spec);
  assert.deepEqual(again.diagnostics, []);
  assert.deepEqual(again.plan!.services.find((s) => s.name === "web")!.argv.command, ["/bin/sh", "-c", "echo $MODE 1"]);
});

test("secrets: a file secret is a read-only bind at /run/secrets/NAME or its target; an undeclared one, or uid/gid/mode, is an error", () => {
  const r = compileText(`services:
  app:
    image: rootfs:./r
    command: [/bin/true]
    secrets: [db-password, {source: api, target: api_key}, {source: api, target: /etc/api}]
secrets:
  db-password: {file: ./db/password.txt}
  api: {file: /srv/api.txt}
`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.plan!.services[0]!.binds.map((b) => [b.key, b.source, b.target, b.readOnly, b.createHostPath]),
    [
      ["services.app.secrets[0]", "./db/password.txt", "/run/secrets/db-password", true, false],
      ["services.app.secrets[1]", "/srv/api.txt", "/run/secrets/api_key", true, false],
      ["services.app.secrets[2]", "/srv/api.txt", "/etc/api", true, false],
    ],
  );
  assert.deepEqual(
    errorsOf(`services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    secrets: [nope, {source: s, mode: 0400}]\nsecrets:\n  s: {environment: TOKEN}\n`),
    [
      `/project/specs/app.yaml:5:15: error: services.app.secrets[0]: there is no secret "nope" in the top-level secrets; declare it there with file:`,
      "/project/specs/app.yaml:5:33: error: services.app.secrets[1].mode: not supported yet: a file secret is the host file itself, bind-mounted; give it its mode on the host; remove it for now",
      "/project/specs/app.yaml:7:3: error: secrets.s: file is missing; add file:",
      "/project/specs/app.yaml:7:7: error: secrets.s.environment: not supported yet: tupper would have to write the variable's value into a file or the script; use file:; remove it for now",
    ],
  );
});

test("network_mode, ipc, pid: service:NAME start NAME first; a chain of shared networks, and keys the shared network decides, are errors", () => {
  const r = compileText(`services:
  app:
    image: rootfs:./r
    command: [/bin/true]
    network_mode: service:net
    ipc: service:net
    pid: service:tools
  tools: {image: rootfs:./r, command: [/bin/true], pid: host, ipc: shareable}
  net: {image: rootfs:./r, command: [/bin/true]}
`);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.plan!.services.map((s) => s.name), ["net", "tools", "app"]);
  const app = r.plan!.services[2]!;
  assert.deepEqual([app.network.mode, app.network.peer, app.ipc.mode, app.ipc.peer, app.pid.mode, app.pid.peer], ["service", "net", "service", "net", "service", "tools"]);
  assert.deepEqual(app.dependsOn.on, [{ service: "net", condition: "service_started" }, { service: "tools", condition: "service_started" }]);
  assert.match(r.script!, /svc_network_mode='service' svc_network_peer='net'/);
  assert.match(r.script!, /svc_pid='host' svc_pid_peer=''/);
  assert.deepEqual(
    errorsOf(`services:
  a: {image: rootfs:./r, command: [/bin/true], network_mode: "service:b", hostname: x, sysctls: {net.core.somaxconn: 1}}
  b: {image: rootfs:./r, command: [/bin/true], network_mode: "service:c"}
  c: {image: rootfs:./r, command: [/bin/true], ipc: "service:a", sysctls: {kernel.shmmax: 1}}
  d: {image: rootfs:./r, command: [/bin/true], pid: private}
`).map((e) => e.replace(/^[^ ]+ error: /, "")),
    [
      "services.a.network_mode: makes a cycle: a → b → c → a; no service can start first, so remove one of these dependencies (e.g. a on b)",
      "services.a.network_mode: b shares the network of c itself; use network_mode: service:c",
      "services.a.hostname: conflicts with network_mode: service:b, whose container's network, names and /etc files this one shares; remove it",
      "services.a.sysctls: net.core.somaxconn would change the network of b, which this service shares (network_mode); set it there",
      "services.c.sysctls: kernel.shmmax would change the IPC namespace this service shares (ipc: service:a); set it where it is made",
      'services.d.pid: "private" is not valid; use host or service:NAME',
    ],
  );
});

test("scale / deploy.replicas: consecutive addresses, every replica in /etc/hosts by the service's name and its own; what one container owns is an error", () => {
  const r = compileText(`name: shop
services:
  web: {image: rootfs:./r, command: [/bin/true], scale: 3, ports: ["8000-8002:80"]}
  api: {image: rootfs:./r, command: [/bin/true], deploy: {replicas: 2}}
`);
  assert.deepEqual(r.diagnostics, []);
  const [web, api] = r.plan!.services;
  assert.deepEqual([web!.replicas.count, api!.replicas.count], [3, 2]);
  assert.deepEqual(web!.network.attachments.map((a) => a.offset), [2]);
  assert.deepEqual(api!.network.attachments.map((a) => a.offset), [5]);
  assert.deepEqual(
    web!.hosts.map((h) => `${h.offset} ${h.names.join(" ")}`),
    ["2 web shop-web-1", "3 web shop-web-2", "4 web shop-web-3", "5 api shop-api-1", "6 api shop-api-2"],
  );
  assert.match(r.script!, /SERVICE_SCALE\['web'\]=3 # services\.web\.scale: 3\nSERVICE_SCALE\['api'\]=2 # services\.api\.deploy\.replicas: 2\n/);
  assert.deepEqual(
    errorsOf(`services:
  a: {image: rootfs:./r, command: [/bin/true], scale: 2, container_name: one, ports: ["80:80"], deploy: {replicas: 3}}
`).map((e) => e.replace(/^[^ ]+ error: /, "")),
    [
      "services.a.scale: is 2 but deploy.replicas is 3; give one of them",
      "services.a.container_name: names one container, but scale makes 2; remove container_name",
      'services.a.ports[0]: publishes one host port, which only one of the 2 containers (scale) could take; give a range (e.g. "8000-8001:80") or no host port',
    ],
  );
});
