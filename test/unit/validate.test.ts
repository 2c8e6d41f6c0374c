import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText, errorsOf, minimal } from "./helpers.js";

test("a minimal spec compiles without diagnostics", () => {
  const result = compileText(minimal);
  assert.deepEqual(result.diagnostics, []);
  assert.ok(result.script?.startsWith("#!/bin/bash\n"));
});

test("every problem of a spec is reported in one run, in file order, with file, line, column and key", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    mem_limit: lots
    cpus: -1
    pids_limt: 5
    volumes_from: [db]
  db:
    command: "echo 'unclosed"
`);
  assert.deepEqual(errors, [
    '/project/specs/app.yaml:5:16: error: services.web.mem_limit: "lots" is not a size; use a number with b, k, m or g (e.g. 256m)',
    "/project/specs/app.yaml:6:11: error: services.web.cpus: -1 is not a number of CPUs greater than 0; use e.g. 0.5 or 2",
    '/project/specs/app.yaml:7:5: error: services.web.pids_limt: unknown key "pids_limt"; did you mean pids_limit?',
    "/project/specs/app.yaml:8:5: error: services.web.volumes_from: not supported yet: volumes_from is not implemented yet; name the same volumes in both services; remove it for now",
    "/project/specs/app.yaml:9:3: error: services.db: image is missing; add image: (e.g. image: rootfs:./rootfs), or build: to build it from a Dockerfile",
    "/project/specs/app.yaml:10:14: error: services.db.command: has an unclosed ' quote; close the quote or use the list form",
  ]);
});

const cases: [string, string, RegExp][] = [
  ["image names that are not references", "image: 'Alpine:3.20'", /"Alpine:3.20" is not an image reference: its name must be lowercase/],
  ["digests that are not sha256", "image: alpine@md5:abc", /the digest "md5:abc" is not sha256: and 64 hex digits/],
  ["tags with characters a tag cannot have", "image: alpine:3.20+x", /the tag "3.20\+x" is not a tag/],
  ["archives without a path", "image: 'docker-archive:'", /docker-archive: needs a path; use docker-archive:.\/image.tar/],
  ["an empty rootfs path", "image: 'rootfs:'", /rootfs: needs a path/],
  ["a type error", "init: yes", /services\.app\.init: is the string "yes"; expected true or false/],
  ["a bad stop signal", "stop_signal: SIGNOPE", /is not a signal name; use a name such as SIGTERM/],
  ["a bad duration", "stop_grace_period: soon", /"soon" is not a duration; use e.g. 10s/],
  ["a tiny memory limit", "mem_limit: 1k", /below the 6m minimum/],
  ["a malformed user", "user: \"www data\"", /is not a user name, uid, name:group or uid:gid; use e.g. www-data/],
  ["a relative working_dir", "working_dir: app", /not an absolute path; use e.g. \/app/],
  ["a hostname too long", `hostname: ${"h".repeat(65)}`, /must be 1 to 64 bytes long/],
  ["a bad cpuset", "cpuset: 3-1", /is not a CPU list/],
  ["the network of a service that is not there", "network_mode: service:db", /"db" is not a service of this project; services: app/],
  ["the network of a container outside the project", "network_mode: container:db", /"container:db" names a container outside the project, which tupper does not manage; use service:NAME/],
  ["unknown network modes", "network_mode: wifi", /"wifi" is not a network mode; use none, host, bridge or service:NAME/],
  ["an undeclared named volume", "volumes: ['data:/data']", /volume "data" is not declared; add it to the top-level volumes \(volumes: \{data: \{\}\}\), or use \.\/data/],
  ["an anonymous volume on a relative path", "volumes: ['data']", /the target "data" is not an absolute path/],
  ["nocopy on a bind", "volumes: ['./d:/d:nocopy']", /mode "nocopy" is not known; use ro or rw/],
  ["a path as a volume's source", "volumes: [{type: volume, source: ./d, target: /d}]", /is a path; use type: bind/],
  ["a relative volume target", "volumes: ['./d:data']", /the target "data" is not an absolute path/],
  ["unknown volume modes (z and Z are SELinux's, accepted)", "volumes: ['./d:/d:z,shared,zz']", /mode "shared", "zz" are not known; use ro or rw, and z or Z/],
  ["tmpfs volumes", "volumes: [{type: tmpfs, target: /t}]", /type "tmpfs" is not supported yet; use type: bind or type: volume/],
  ["a NUL byte", 'environment: {A: "x\\0y"}', /contains a NUL byte/],
  ["a pass-through that is no shell name", "environment: [A-B]", /cannot be passed through/],
  ["limits set twice, differently", "mem_limit: 64m\n    deploy: {resources: {limits: {memory: 128m}}}", /differs from mem_limit/],
  ["build: with a path in image:", "build: .", /services\.app\.image: next to build: image: names the image built, as a reference/],
  ["build: a context that is no directory", "image: app:1\n    build: ./nowhere", /services\.app\.build: the context "\.\/nowhere" is not a directory \(\/project\/specs\/nowhere\); make it, or fix build\.context/],
  ["a misspelt key far from any", "frobnicate: 1", /unknown key "frobnicate"; remove it \(keys of your own must start with x-\)/],
];
for (const [what, line, expected] of cases) {
  test(`${what} is a positioned error`, () => {
    const image = line.startsWith("image:") ? "" : "    image: rootfs:./r\n";
    const errors = errorsOf(`services:\n  app:\n${image}    command: [/bin/true]\n    ${line}\n`);
    assert.match(errors.join("\n"), expected);
    assert.match(errors[0]!, /^\/project\/specs\/app\.yaml:\d+:\d+: error: /);
  });
}

test("a service without any command is an error (a rootfs has no default command)", () => {
  assert.match(errorsOf("services:\n  a:\n    image: rootfs:./r\n").join(), /has no command/);
});

test("bad service and project names are errors at the name", () => {
  const errors = errorsOf("name: My App\nservices:\n  ../x:\n    image: rootfs:./r\n    command: [a]\n");
  assert.match(errors.join("\n"), /1:7: error: name: "My App" is not valid; use lowercase/);
  assert.match(errors.join("\n"), /3:3: error: services\.\.\.\/x: "\.\.\/x" is not a valid name/);
});

test("x- extension keys are ignored as in Compose, version is a warning", () => {
  const result = compileText(`version: "3.8"\nx-common: &c {a: 1}\n${minimal}    x-note: hi\n`);
  assert.deepEqual(result.diagnostics.map((d) => d.severity), ["warning"]);
  assert.match(result.diagnostics[0]!.message, /obsolete/);
  assert.ok(result.script);
});

test("restart and healthcheck: bad values are positioned errors that say what is right", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    restart: sometimes
    healthcheck:
      test: ["RUN", "true"]
      interval: soon
      retries: 0
  db:
    image: rootfs:./r
    command: ["/bin/true"]
    healthcheck: {interval: 5s} # no test: the image's (test/unit/compat.test.ts)
  cache:
    image: rootfs:./r
    command: ["/bin/true"]
    healthcheck: {test: ["CMD-SHELL", "a", "b"], timeout: 0s}
`);
  assert.deepEqual(errors, [
    '/project/specs/app.yaml:5:14: error: services.web.restart: "sometimes" is not valid; use no, always, unless-stopped, on-failure or on-failure:N',
    '/project/specs/app.yaml:7:13: error: services.web.healthcheck.test: a test list starts with CMD, CMD-SHELL or NONE, not "RUN"; e.g. ["CMD", "wget", "-qO-", "http://localhost/"]',
    '/project/specs/app.yaml:8:17: error: services.web.healthcheck.interval: "soon" is not a duration; use e.g. 30s, 1m30s or 500ms',
    "/project/specs/app.yaml:9:16: error: services.web.healthcheck.retries: 0 must be >= 1",
    "/project/specs/app.yaml:17:25: error: services.cache.healthcheck.test: CMD-SHELL takes one command string after it",
    "/project/specs/app.yaml:17:59: error: services.cache.healthcheck.timeout: must be longer than 0; use e.g. 30s",
  ]);
});

test("logging: unknown drivers and options, bad sizes, and rotation settings that do nothing are positioned errors", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    logging: {driver: syslog, options: {syslog-address: "udp://1.2.3.4:514"}}
  db:
    image: rootfs:./r
    command: ["/bin/true"]
    logging:
      options: {max-size: ten, max-file: 0}
  cache:
    image: rootfs:./r
    command: ["/bin/true"]
    logging: {options: {max-file: "3"}}
  quiet:
    image: rootfs:./r
    command: ["/bin/true"]
    logging: {driver: none, options: {max-size: 1m}}
  tagged:
    image: rootfs:./r
    command: ["/bin/true"]
    labels: {tier: web}
    logging: {options: {labels: "other,tier,com.docker.compose.service"}}
`);
  assert.deepEqual(errors, [
    `/project/specs/app.yaml:5:23: error: services.web.logging.driver: "syslog" is not allowed; use one of "json-file", "local", "none" (json-file (the default), local (the same, with Docker's local defaults: max-size 20m, max-file 5) or none (no log is kept))`,
    '/project/specs/app.yaml:5:41: error: services.web.logging.options.syslog-address: unknown key "syslog-address"; remove it (keys of your own must start with x-); known keys here: max-size, max-file, labels',
    '/project/specs/app.yaml:10:27: error: services.db.logging.options.max-size: "ten" is not a size; use a number with k, m or g (e.g. 10m)',
    "/project/specs/app.yaml:10:42: error: services.db.logging.options.max-file: 0 must be >= 1",
    "/project/specs/app.yaml:14:25: error: services.cache.logging.options.max-file: has no effect without max-size (the log would never rotate); add max-size, e.g. 10m",
    "/project/specs/app.yaml:18:29: error: services.quiet.logging.options: the none driver keeps no log, so it takes no options; remove options or use json-file",
    // labels that no label of the service has are accepted (Docker adds nothing then)
    "/project/specs/app.yaml:23:33: error: services.tagged.logging.options.labels: names tier, com.docker.compose.service, labels the container has (the service's, its build's or Compose's own com.docker.compose.*), whose values Docker's json-file adds to each log record; tupper's log records (CRI format) carry no attributes: remove them from labels",
  ]);
});

test("depends_on: unknown services, itself, a healthy wait on a service without healthcheck, and cycles are positioned errors", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    depends_on: [db, cach]
  db:
    image: rootfs:./r
    command: ["/bin/true"]
    depends_on: {web: {condition: service_started}}
  cache:
    image: rootfs:./r
    command: ["/bin/true"]
    depends_on: {cache: {}, gone: {required: false}}
  worker:
    image: rootfs:./r
    command: ["/bin/true"]
    depends_on: {cache: {condition: service_healthy}}
`);
  assert.deepEqual(errors, [
    "/project/specs/app.yaml:5:5: error: services.web.depends_on: makes a cycle: web → db → web; no service can start first, so remove one of these dependencies (e.g. web on db)",
    '/project/specs/app.yaml:5:22: error: services.web.depends_on[1]: "cach" is not a service of this project; did you mean cache? services: web, db, cache, worker',
    "/project/specs/app.yaml:13:25: error: services.cache.depends_on.cache: a service cannot depend on itself; remove this entry",
    "/project/specs/app.yaml:17:25: error: services.worker.depends_on.cache: cache has no healthcheck, so it never becomes healthy; give it a healthcheck, or use condition: service_started",
  ]);
  // a dependency with required: false that is not there is only a warning
  const warnings = compileText(`services:\n  a: {image: "rootfs:./r", command: [x], depends_on: {gone: {required: false}}}\n`).diagnostics;
  assert.deepEqual(warnings.map((d) => [d.severity, d.message]), [
    ["warning", '"gone" is not a service of this project; services: a (required: false: a starts without it)'],
  ]);
});

test("security keys: unknown capabilities, options, tmpfs options, host-wide sysctls and ulimits are positioned errors", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    cap_add: [NET_ADMN, cap_sys_ptrace]
    cap_drop: [all]
    security_opt: ["seccomp:/etc/profile.json", "apparmor:docker-default", "no-new-privileges:maybe"]
    tmpfs: ["/run:size=1m,exec", "run", "/tmp:bogus"]
    sysctls: {kernel.panic: "1", net.ipv4.ip_forward: "1", kernel.shmmni: "10"}
    ulimits: {nofile: {soft: 10, hard: 5}, open_files: 10}
  host:
    image: rootfs:./r
    command: ["/bin/true"]
    network_mode: host
    sysctls: ["net.ipv4.ip_forward=1"]
`);
  assert.deepEqual(errors, [
    '/project/specs/app.yaml:5:15: error: services.web.cap_add[0]: "NET_ADMN" is not a Linux capability; did you mean NET_ADMIN? use a name such as NET_ADMIN, or ALL',
    "/project/specs/app.yaml:7:20: error: services.web.security_opt[0]: seccomp profile /etc/profile.json: no such file; give the path of a Docker-format JSON profile, relative to the spec's directory",
    "/project/specs/app.yaml:7:49: error: services.web.security_opt[1]: tupper does not load AppArmor profiles (it accepts apparmor=unconfined only, which is what it does); remove it",
    '/project/specs/app.yaml:7:76: error: services.web.security_opt[2]: no-new-privileges takes true or false, not "maybe"',
    '/project/specs/app.yaml:8:34: error: services.web.tmpfs[1]: "run" is not an absolute path in the container (and not / itself); use e.g. /run',
    '/project/specs/app.yaml:8:41: error: services.web.tmpfs[2]: tmpfs option "bogus" is not one of ro, rw, exec, noexec, suid, nosuid, dev, nodev, size=N[kmg%], nr_inodes=N, mode=OCTAL, uid=N, gid=N',
    "/project/specs/app.yaml:9:15: error: services.web.sysctls.kernel.panic: kernel.panic is not namespaced: it would change the whole host. A container may set kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and net.*",
    "/project/specs/app.yaml:10:23: error: services.web.ulimits.nofile: soft limit 10 is above hard limit 5",
    '/project/specs/app.yaml:10:44: error: services.web.ulimits.open_files: "open_files" is not a resource limit; use one of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack',
    "/project/specs/app.yaml:15:15: error: services.host.sysctls[0]: net.ipv4.ip_forward would change the host's network stack (network_mode: host); remove it or use a network of the container's own",
  ]);
});

test("devices and device_cgroup_rules: Docker's syntax, with positioned errors that show the right form", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    devices: ["/dev/fuse", "/dev/sdb:/dev/xvdb:r", "/dev/kvm:rw", "dev/null", "/dev/sdc:/dev/xvdc:rx", "nvidia.com/gpu=all"]
    device_cgroup_rules: ["c 1:3 mr", "a *:* rwm", "c 1 rw", "x 1:3 r"]
`);
  assert.deepEqual(errors, [
    '/project/specs/app.yaml:5:67: error: services.web.devices[3]: "dev/null" is not an absolute path to a device node on the host; use e.g. /dev/fuse',
    '/project/specs/app.yaml:5:79: error: services.web.devices[4]: "rx" is not a device permission; use r, w and m, e.g. rwm or r',
    "/project/specs/app.yaml:5:104: error: services.web.devices[5]: CDI device names are not supported; name a device node such as /dev/fuse",
    '/project/specs/app.yaml:6:52: error: services.web.device_cgroup_rules[2]: "c 1 rw" is not a device rule; use TYPE MAJOR:MINOR ACCESS with type c, b or a, * for any number, access of r, w and m, e.g. "c 1:3 mr"',
    '/project/specs/app.yaml:6:62: error: services.web.device_cgroup_rules[3]: "x 1:3 r" is not a device rule; use TYPE MAJOR:MINOR ACCESS with type c, b or a, * for any number, access of r, w and m, e.g. "c 1:3 mr"',
  ]);
  const plan = compileText(`services:\n  app:\n    image: rootfs:./r\n    command: ["/bin/true"]\n    devices: ["/dev/fuse", "/dev/kvm:rw", "/dev/sdb:/dev/xvdb:r"]\n`).plan!.services[0]!;
  assert.deepEqual(plan.devices.map(({ host, container, permissions }) => [host, container, permissions]), [
    ["/dev/fuse", "/dev/fuse", "rwm"],
    ["/dev/kvm", "/dev/kvm", "rw"],
    ["/dev/sdb", "/dev/xvdb", "r"],
  ]);
});

test("x-tupper.userns: a host range of the service's own; what it cannot go with is a positioned error", () => {
  const errors = errorsOf(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    privileged: true
    user: "70000"
    x-tupper: {userns: {host_uid: 4294960000}}
  host:
    image: rootfs:./r
    command: ["/bin/true"]
    network_mode: host
    userns_mode: private
    x-tupper: {userns: {host_uid: 100000, size: 0, shift: 1}}
`);
  assert.equal(errors.length, 7, errors.join("\n"));
  assert.ok(errors.includes('/project/specs/app.yaml:12:18: error: services.host.userns_mode: "private" is not allowed; use one of "host" (host (the default); to map container root to an unprivileged host range, use x-tupper.userns instead)'), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("services.host.x-tupper.userns: network_mode: host shares the host's network")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("services.web.x-tupper.userns: privileged needs the host's user namespace")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("services.web.x-tupper.userns.host_uid: host_uid 4294960000 with size 65536 goes past the last id")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes('services.web.user: "70000" is outside x-tupper.userns, which maps ids 0 to 65535')), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes('services.host.x-tupper.userns.shift: unknown key "shift"')), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("services.host.x-tupper.userns.size")), errors.join("\n"));
  const plan = compileText(`services:\n  app:\n    image: rootfs:./r\n    command: ["/bin/true"]\n    userns_mode: host\n    x-tupper: {userns: {host_uid: 100000}}\n`).plan!.services[0]!;
  assert.deepEqual(plan.userns.map, { hostUid: 100000, hostGid: 100000, size: 65536 });
});

test("capabilities resolve as Docker resolves them; security_opt is kept as written", () => {
  const plan = (lines: string) => compileText(`services:\n  app:\n    image: rootfs:./r\n    command: ["/bin/true"]\n${lines}`).plan!.services[0]!;
  assert.deepEqual(plan("").capabilities.kept, ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"]);
  assert.deepEqual(plan("    cap_drop: [ALL]\n    cap_add: [kill, CAP_NET_BIND_SERVICE]\n").capabilities.kept, ["KILL", "NET_BIND_SERVICE"]);
  assert.deepEqual(plan("    cap_add: [ALL]\n    cap_drop: [SYS_ADMIN]\n").capabilities.kept.length, 40);
  assert.equal(plan("    cap_add: [ALL]\n").capabilities.kept, "ALL");
  const d = plan("");
  assert.deepEqual(d.securityOpt, { ...d.securityOpt, noNewPrivileges: null, seccomp: "default", maskPaths: true });
  const o = plan('    security_opt: ["no-new-privileges", "seccomp=unconfined", "systempaths=unconfined"]\n');
  assert.deepEqual(o.securityOpt, { ...o.securityOpt, noNewPrivileges: true, seccomp: "unconfined", maskPaths: false });
  // privileged: the device cgroup's value, and svc_confine's last line, which lifts the rest
  // (a later --caps and --seccomp win in tupper-init; the e2e tests run it)
  const script = compileText(`${minimal}    privileged: true\n`).script!;
  assert.match(script, /^  svc_privileged=1 #/m);
  assert.match(script, /^    --caps 'ALL' --seccomp 'unconfined' --unmasked-paths --writable-sys --new-privileges # services\.app\.privileged: true /m);
  const kept = compileText(`${minimal}    privileged: true\n    security_opt: [no-new-privileges]\n`).script!;
  assert.match(kept, /^    --caps 'ALL' --seccomp 'unconfined' --unmasked-paths --writable-sys # services\.app\.privileged: true /m);
});

test("restart and healthcheck reach tupper-init's options", () => {
  const script = compileText(`services:
  web:
    image: rootfs:./r
    command: ["/bin/true"]
    restart: on-failure:3
    healthcheck: {test: "wget -qO- http://localhost/", interval: 10s, start_period: 1m}
`).script!;
  assert.match(script, /svc_restart='on-failure' svc_restart_max=3\n/);
  assert.match(script, /svc_health=\('\/bin\/sh' '-c' 'wget -qO- http:\/\/localhost\/'\)\n/);
  assert.match(script, /svc_health_timing=\(10000 30000 3 60000 5000\)/);
});

test("tty and stdin_open are accepted as Compose has them, and reach tupper-init for detached containers", () => {
  const on = compileText(`${minimal}    tty: true\n    stdin_open: true\n`);
  assert.deepEqual(on.diagnostics, []);
  assert.equal(on.plan!.services[0]!.tty.enabled, true);
  assert.equal(on.plan!.services[0]!.stdinOpen.enabled, true);
  assert.match(on.script!, /^  # services\.app\.tty: true\n  svc_tty=1\n/m);
  assert.match(on.script!, /^  # services\.app\.stdin_open: true\n  svc_stdin_open=1\n/m);
  assert.match(on.script!, /if \(\(svc_tty \|\| RUN_TTY\)\); then HELPER_ARGS\+=\(--tty\); fi/);
  assert.match(on.script!, /if \(\(svc_stdin_open\)\); then HELPER_ARGS\+=\(--stdin-open\); fi/);
  const off = compileText(minimal);
  assert.equal(off.plan!.services[0]!.tty.enabled, false);
  assert.match(off.script!, /^  svc_tty=0\n/m);
  assert.match(off.script!, /^  svc_stdin_open=0\n/m);
  assert.match(errorsOf(`${minimal}    tty: "yes"\n`).join("\n"), /services\.app\.tty: is the string "yes"; expected true or false/);
  assert.match(errorsOf(`${minimal}    stdin_open: 1\n`).join("\n"), /services\.app\.stdin_open: .*expected true or false/);
});

test("run and exec take -i, -t, -T as docker compose does, and pass a pty choice to tupper-init", () => {
  const script = compileText(minimal).script!;
  // auto: a pty when stdin and stdout are terminals
  assert.match(script, /\*\) if \[\[ -t 0 && -t 1 \]\]; then want=1; fi ;;/);
  assert.match(script, /-t \| --tty \| -it \| -ti\) tty=yes ;;[\s\S]*-T \| --no-TTY \| --no-tty \| -iT \| -Ti\) tty=no ;;/);
  assert.match(script, /--env-fd "\$ENV_FD" "\$\{tty_args\[@\]\}" -- "\$@"/);
  assert.match(script, /elif \(\(RUN_TTY\)\); then\n    HELPER_ARGS\+=\(--tty\)/);
});
