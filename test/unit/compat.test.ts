// Compose compatibility (issue 22): what real compose files write, and tupper now takes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { compileSpec, specVariables } from "../../src/compile.js";
import { compatibilityTable } from "../../src/spec/compat.js";
import { packageRoot } from "../../src/paths.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import { compileText, errorsOf, tempDir, testHelper } from "./helpers.js";

const service = (lines: string) => `services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n${lines.replace(/^/gm, "    ")}\n`;

function scriptOf(text: string, variables: Record<string, string> = {}): string {
  const result = compileText(text, undefined, variables);
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
  return result.script!;
}

test("SELinux labels (:z, :Z, bind.selinux, label=disable) are accepted, applied nowhere, and the script says so", () => {
  const script = scriptOf(
    service(`volumes:
  - ./a:/a:Z
  - ./b:/b:ro,z
  - {type: bind, source: ./c, target: /c, bind: {selinux: z}}
  - ./d:/d
security_opt: [label=disable]`),
  );
  const note = "SELinux label not applied: tupper gives containers no SELinux label";
  assert.match(script, new RegExp(`# services\\.app\\.volumes\\[0\\]: \\./a:/a:Z \\(${note}`));
  assert.match(script, /# services\.app\.volumes\[1\]: \.\/b:\/b:ro,z \(SELinux label not applied/);
  assert.match(script, /add_bind "\$SPEC_DIR"\/'\.\/b' '\/b' 'ro' 'create-host-path'/);
  assert.match(script, /# services\.app\.volumes\[2\]: .*\(SELinux label not applied/);
  assert.match(script, /# services\.app\.volumes\[3\]: \.\/d:\/d\n/);
  assert.match(script, /# services\.app\.security_opt: \["label=disable"\] \(label=disable: tupper applies no SELinux label to any container\)/);
});

test("apparmor=unconfined is what tupper does; a profile or label to apply is refused", () => {
  assert.match(scriptOf(service('security_opt: ["apparmor:unconfined"]')), /tupper loads no AppArmor profile for any container/);
  assert.deepEqual(errorsOf(service('security_opt: ["apparmor=docker-default", "label=type:svirt_t"]')), [
    "/project/specs/app.yaml:5:20: error: services.app.security_opt[0]: tupper does not load AppArmor profiles (it accepts apparmor=unconfined only, which is what it does); remove it",
    "/project/specs/app.yaml:5:47: error: services.app.security_opt[1]: tupper does not apply SELinux labels (it accepts label=disable only, which is what it does); remove it",
  ]);
});

test("${VAR} in a typed key is converted as Compose's loader does (interpolateTypeCastMapping)", () => {
  const script = scriptOf(
    service(`read_only: \${RO}
privileged: "\${PRIV}"
pids_limit: \${PIDS}
cpus: $CPUS
healthcheck: {test: [CMD, "true"], retries: $RETRIES}
ulimits: {nofile: {soft: $SOFT, hard: $HARD}}
ports: [{target: $PORT, published: "8080"}]`),
    { RO: "yes", PRIV: "off", PIDS: "200", CPUS: "0.5", RETRIES: "7", SOFT: "1024", HARD: "2048", PORT: "80" },
  );
  assert.match(script, /^\s+--read-only # services\.app\.read_only: yes$/m);
  assert.match(script, /svc_privileged=0/);
  assert.match(script, /svc_pids_max=200/);
  assert.match(script, /svc_health_timing=\(30000 30000 7 0 5000\)/);
});

test("a typed value that does not convert names the variable, its value and where it was set", () => {
  const dir = tempDir("tupper-cast-");
  const spec = join(dir, "app.yaml");
  writeFileSync(join(dir, ".env"), "# settings\nTUPPER_TEST_RO=maybe\n");
  const text = service("read_only: ${TUPPER_TEST_RO}\npids_limit: ${TUPPER_TEST_UNSET_PIDS}\ninit: TRUE");
  const errors = compileSpec(spec, text, join(dir, "app.sh"), testHelper, specVariables(spec))
    .diagnostics.filter((d) => d.severity === "error")
    .map(formatDiagnostic);
  assert.deepEqual(errors, [
    `${spec}:5:16: error: services.app.read_only: \${TUPPER_TEST_RO} gives "maybe" (TUPPER_TEST_RO=maybe in ${dir}/.env line 2), which is not true or false; set TUPPER_TEST_RO to true or false`,
    `${spec}:6:17: error: services.app.pids_limit: \${TUPPER_TEST_UNSET_PIDS} gives "" (TUPPER_TEST_UNSET_PIDS is not set), which is not a whole number; set TUPPER_TEST_UNSET_PIDS to a whole number`,
  ]);
});

test("~ in a bind source is the home directory of whoever compiles, written or through a variable; ~user is refused", () => {
  const script = scriptOf(service("volumes: ['~/data:/data', '${DIR}:/other', {type: bind, source: '~', target: /home}]"), { DIR: "~/x" });
  assert.match(script, new RegExp(`add_bind '${homedir()}/data' '/data'`));
  assert.match(script, new RegExp(`add_bind '${homedir()}/x' '/other'`));
  assert.match(script, new RegExp(`add_bind '${homedir()}' '/home'`));
  assert.match(errorsOf(service("volumes: ['~bob/data:/data']")).join("\n"), /"~bob": only ~ \(the home directory of whoever compiles\) is expanded, as in Compose/);
});

test("every problem of a volume entry is reported at once", () => {
  assert.deepEqual(errorsOf(service("volumes: ['data:relative:shared,zz', 'x:y:z:w']")), [
    '/project/specs/app.yaml:5:15: error: services.app.volumes[0]: the target "relative" is not an absolute path; use e.g. /data; and mode "shared", "zz" are not known; use ro or rw (and nocopy), and z or Z',
    '/project/specs/app.yaml:5:42: error: services.app.volumes[1]: "x:y:z:w" has more than three :-separated parts; use SOURCE:TARGET[:ro]',
  ]);
  assert.match(errorsOf(service("tmpfs: ['/run:size=16M,bogus,exec,nope']")).join("\n"), /tmpfs options "bogus", "nope" are not one of/);
});

test("two volumes on one target: the last is mounted, as Compose mounts it, with a warning that names the one left out", () => {
  const text = `${service("volumes: ['./etc/prometheus:/prometheus', 'prom_data:/prometheus/', './conf:/etc/app']")}volumes:\n  prom_data:\n`;
  const result = compileText(text);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    "/project/specs/app.yaml:5:47: warning: services.app.volumes[1]: mounts on /prometheus as volumes[0] does: as in Compose, the last entry for a target is the one mounted, so volumes[0] is left out; remove one of them",
  ]);
  const binds = result.plan!.services[0]!.binds.map((b) => [b.key, b.source, b.target]);
  assert.deepEqual(binds, [
    ["services.app.volumes[1]", "prom_data", "/prometheus/"],
    ["services.app.volumes[2]", "./conf", "/etc/app"],
  ]);
  assert.doesNotMatch(result.script!, /etc\/prometheus/);
});

test("a file in Compose's first format (services at the top level) is said once, as Compose v2 refuses it too", () => {
  assert.deepEqual(errorsOf("db:\n  image: postgres\nweb:\n  image: nginx\n  links: [db]\nx-note: 1\n"), [
    "/project/specs/app.yaml:1:1: error: services is missing: this file is in Compose's first format, with its services (db, web) at the top level, which Compose v2 no longer reads either; put them under services:",
  ]);
});

test("tmpfs sizes take their unit in either case, as the kernel and Docker do", () => {
  assert.match(scriptOf(service("tmpfs: ['/run:size=16M,mode=1750,exec', '/tmp:size=1g']")), /^\s+--tmpfs '\/run' 'size=16M,mode=1750,exec' # /m);
});

test("a healthcheck without test takes the image's HEALTHCHECK at start, with the timings given", () => {
  const script = scriptOf(service("healthcheck: {interval: 5s, retries: 2}"));
  assert.match(script, /svc_health_image=\(5000 '' 2 '' ''\) # no test: the image's HEALTHCHECK/);
  assert.match(script, /^image_healthcheck\(\) \{$/m);
  assert.match(script, /if \(\(\$\{#svc_health_image\[@\]\}\)\); then image_healthcheck "\$dir"; fi/);
  assert.match(scriptOf(service("healthcheck: {disable: false}")), /svc_health_image=\('' '' '' '' ''\)/);
  // none asked for: nothing of it in the script
  assert.doesNotMatch(scriptOf(service("healthcheck: {test: [CMD, 'true']}")), /image_healthcheck|svc_health_image/);
  // depends_on service_healthy may wait for the image's
  assert.deepEqual(errorsOf(`services:\n  db:\n    image: rootfs:./r\n    command: [/bin/true]\n    healthcheck: {}\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    depends_on: {db: {condition: service_healthy}}\n`), []);
});

test("attach: false keeps a service's output out of up's", () => {
  const script = scriptOf(`services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    attach: false\n  web:\n    image: rootfs:./r\n    command: [/bin/true]\n`);
  assert.match(script, /\nreadonly UNATTACHED=\('app'\) # attach: false/);
  assert.match(scriptOf(service("attach: true")), /\nreadonly UNATTACHED=\(\) # attach: false/);
});

test("networks.NAME.name is accepted (a tupper network belongs to its project)", () => {
  scriptOf(`${service("networks: [front]")}networks:\n  front:\n    name: shared-front\n`);
});

test("platform: empty after interpolation is unset; a Linux platform is checked against the host before a start; another OS is refused", () => {
  assert.doesNotMatch(scriptOf(service("platform: ${DOCKER_PLATFORM:-}")), /svc_platform/);
  const script = scriptOf(service("platform: linux/amd64"));
  assert.match(script, /# services\.app\.platform: linux\/amd64\n\s+svc_platform='linux\/amd64'/);
  assert.match(script, /gaps\+=\("a linux\/\$machine host: service \$svc_name is for \$svc_platform \(platform:\)/);
  assert.deepEqual(errorsOf(service("platform: windows/amd64")), [
    "/project/specs/app.yaml:5:15: error: services.app.platform: windows/amd64 is not a Linux platform; tupper runs Linux images (e.g. linux/amd64)",
  ]);
  assert.doesNotMatch(scriptOf(service('hostname: "${MAIL_HOST:-}"')), /svc_hostname='[^']/);
});

test("anchors merged hundreds of times are read; an error inside a merged anchor points at the anchor's line", () => {
  const merges = Array.from({ length: 400 }, (_, i) => `  s${i}:\n    <<: *common\n`).join("");
  const ok = compileText(`x-common: &common\n  image: rootfs:./r\n  command: [/bin/true]\n  restart: always\nservices:\n${merges}`);
  assert.equal(ok.diagnostics.filter((d) => d.severity === "error").length, 0);
  assert.deepEqual(errorsOf(`x-common: &common\n  image: rootfs:./r\n  pids_limit: lots\nservices:\n  app:\n    <<: *common\n    command: [/bin/true]\n`), [
    '/project/specs/app.yaml:3:15: error: services.app.pids_limit: is the string "lots"; expected a whole number; use a whole number of processes, or -1 for no limit',
  ]);
});

test("build: is compiled: a context that is not there is an error at each build:", () => {
  const errors = errorsOf(`services:\n  web:\n    build: ./web\n  worker:\n    build: ./worker\n  db:\n    image: rootfs:./r\n    command: [/bin/true]\n`);
  assert.deepEqual(errors, [
    '/project/specs/app.yaml:3:12: error: services.web.build: the context "./web" is not a directory (/project/specs/web); make it, or fix build.context',
    '/project/specs/app.yaml:5:12: error: services.worker.build: the context "./worker" is not a directory (/project/specs/worker); make it, or fix build.context',
  ]);
});

test("an unset variable used many times in a block scalar is one warning, at the line that uses it", () => {
  const result = compileText("services:\n  app:\n    image: rootfs:./r\n    command:\n      - sh\n      - -c\n      - |\n        echo start\n        echo $FOO\n        echo ${FOO} $BAR\n        echo $FOO\n");
  assert.deepEqual(
    result.diagnostics.map((d) => `${d.line}:${d.col} ${d.path} ${d.message.slice(0, 28)}`),
    ["9:14 services.app.command[2] the variable FOO is not set,", "10:21 services.app.command[2] the variable BAR is not set,"],
  );
});

test("services that publish one host port conflict only when they run together (profiles)", () => {
  const two = (a: string, b: string) =>
    `services:\n  a:\n    image: rootfs:./r\n    command: [/bin/true]\n    ports: ["9000:80"]\n${a}  b:\n    image: rootfs:./r\n    command: [/bin/true]\n    ports: ["9000:80"]\n${b}`;
  assert.deepEqual(errorsOf(two("    profiles: [full]\n", "    profiles: [small]\n")), []);
  assert.match(errorsOf(two("    profiles: [full]\n", "")).join("\n"), /host port 9000\/tcp is already published by services\.a\.ports\[0\]/);
  assert.match(errorsOf(two("    profiles: [full, small]\n", "    profiles: [small]\n")).join("\n"), /already published/);
});

test("the README's compatibility table is the schema's (every Compose key, supported, accepted and not applied, or refused, with why)", () => {
  const readme = readFileSync(join(packageRoot, "README.md"), "utf8");
  const table = compatibilityTable();
  assert.ok(readme.includes(table), "README.md's table differs from src/spec/compat.ts's: paste compatibilityTable() into the Compose compatibility section");
  for (const key of ["services.*.build", "services.*.platform", "services.*.attach", "networks.*.name", "networks.*.enable_ipv6"]) assert.match(table, new RegExp(`\\| \`${key.replace(/[.*]/g, "\\$&")}\` \\|`));
});

test("tupper's defaults are one table (src/model/defaults.ts), and the schema documents the same ones", async () => {
  const { DEFAULTS } = await import("../../src/model/defaults.js");
  const { parseDuration } = await import("../../src/model/units.js");
  const schema = JSON.parse(readFileSync(join(packageRoot, "src", "spec", "schema.json"), "utf8"));
  const service = schema.definitions.service.properties;
  const ms = (text: string) => {
    const d = parseDuration(text);
    assert.ok(d.ok);
    return d.value;
  };
  assert.equal(ms(service.stop_grace_period.default), DEFAULTS.stopGraceMs);
  const h = service.healthcheck.properties;
  assert.deepEqual(
    [ms(h.interval.default), ms(h.timeout.default), h.retries.default, ms(h.start_period.default), ms(h.start_interval.default)],
    [DEFAULTS.healthcheck.intervalMs, DEFAULTS.healthcheck.timeoutMs, DEFAULTS.healthcheck.retries, DEFAULTS.healthcheck.startPeriodMs, DEFAULTS.healthcheck.startIntervalMs],
  );
  assert.equal(schema.properties["x-tupper"].properties.storage.default, DEFAULTS.storage);
  assert.equal(Number(service.logging.properties.options.properties["max-file"].default), DEFAULTS.logFiles.jsonFile);
  assert.equal(service.restart.default, DEFAULTS.restart.policy);
  assert.equal(service.stop_signal.default, `SIG${DEFAULTS.stopSignal}`);
});
