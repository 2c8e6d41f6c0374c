// Usage: node corpus-standin.mjs CORPUS_FILE DIR
// Writes DIR/compose.yaml: the corpus file as published, with each service's image replaced by
// the busybox root at DIR/rootfs, since the tests run offline. Everything else of the file
// stays: its anchors, networks, volumes, ports, depends_on, profiles, env_file, security and
// resource keys. Only what a busybox cannot do is given a stand-in, on the service itself
// (its own keys win over merged ones):
//   entrypoint/command: a shell that writes "SERVICE" to /dev/shm/www/index.html and serves it
//     with busybox httpd on each TCP port the service publishes or exposes, then waits;
//   healthcheck.test (when it has one): ["CMD", "true"], checked every second;
//   user NAME: the name is added to the root's /etc/passwd and /etc/group.
// It makes what the project keeps beside the file: the files its project ships (FILE.files/),
// the long-form bind sources and secret files it names (empty), so that compile and up find them.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseDocument } from "yaml";

const [file, dir] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const doc = parseDocument(text, { merge: true });
const data = doc.toJS({ maxAliasCount: -1 });
const beside = file.replace(/\.yaml$/, ".files");
if (existsSync(beside)) cpSync(beside, dir, { recursive: true });
mkdirSync(join(dir, "rootfs"), { recursive: true });

/** The TCP ports a service listens on in its container: ports' targets and expose. */
function containerPorts(s) {
  const out = new Set();
  for (const p of [...(s.ports ?? []), ...(s.expose ?? [])]) {
    let target;
    if (typeof p === "object" && p !== null) target = p.protocol === "udp" ? undefined : String(p.target);
    else {
      const [spec, proto = "tcp"] = String(p).split("/");
      target = proto === "tcp" ? spec.split(":").at(-1) : undefined;
    }
    if (target !== undefined && /^[0-9]+$/.test(target)) out.add(Number(target));
  }
  return [...out];
}

const users = new Set();
for (const [name, s] of Object.entries(data.services ?? {})) {
  const node = doc.getIn(["services", name], true);
  const ports = containerPorts(s);
  const serve = ports.map((p) => `httpd -p ${p} -h /dev/shm/www`).join("; ");
  const script = `mkdir -p /dev/shm/www && echo ${name} > /dev/shm/www/index.html && ${serve ? `${serve}; ` : ""}exec sleep 2147483647`;
  node.set("entrypoint", doc.createNode(["/bin/sh", "-c"], { flow: true }));
  node.set("command", doc.createNode([script], { flow: true }));
  node.set("image", "rootfs:./rootfs");
  if (s.healthcheck?.test !== undefined) {
    node.set("healthcheck", doc.createNode({ ...s.healthcheck, test: ["CMD", "true"], interval: "1s", start_period: "0s" }, { flow: true }));
  }
  if (typeof s.user === "string" && !/^[0-9]+(:[0-9]+)?$/.test(s.user) && !s.user.includes("$")) users.add(s.user.split(":")[0]);
  for (const v of s.volumes ?? []) {
    if (typeof v === "object" && v.type === "bind" && typeof v.source === "string" && v.source.startsWith(".")) make(v.source);
  }
}
for (const secret of Object.values(data.secrets ?? {})) {
  if (typeof secret?.file === "string") make(secret.file, "secret\n");
}

/** Makes SOURCE (relative to DIR) if it is missing: a file when its name has an extension, else a directory. */
function make(source, content = "") {
  const path = join(dir, source);
  if (existsSync(path)) return;
  if (/\.[a-z]+$/i.test(basename(path))) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } else mkdirSync(path, { recursive: true });
}

writeFileSync(join(dir, "compose.yaml"), doc.toString({ lineWidth: 0 }));
// the caller appends these to the root's /etc/passwd and /etc/group once it is in place
[...users].forEach((user, i) => {
  appendFileSync(join(dir, "passwd.add"), `${user}:x:${2000 + i}:${2000 + i}::/:/bin/sh\n`);
  appendFileSync(join(dir, "group.add"), `${user}:x:${2000 + i}:\n`);
});
