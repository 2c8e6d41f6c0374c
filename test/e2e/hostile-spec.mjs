// Writes a spec full of hostile strings, and the bytes the workload must receive.
// Usage: node hostile-spec.mjs DIR PROJECT ROOTFS SEED
// DIR/spec/app.yaml: the spec (JSON, which is YAML); DIR/expected/{args,env,host,pwd,mark}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [dir, project, rootfs, seedText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const pick = (list) => list[Math.floor(random() * list.length)];

const canary = join(dir, "canary");
// Each of these would create the canary if any shell ever evaluated the value.
const attacks = [
  `$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, `' ; touch ${canary} ; '`,
  `" ; touch ${canary} ; "`, `\n touch ${canary}\n`, `$(touch /tmp/in-container)`, `|| touch ${canary}`,
];
const fragments = [
  "'", '"', "$(", ")", "`", "\n", ";", "*", "?", "[a]", "~", "\\", "é", "日本", "\t", " ", "$HOME",
  "${x}", "!", "#", "&&", "|", ">", "<", "%s", "--", "-e", "\\n", "$'x'", "{a,b}", "\r", "=", "\u00a0", "",
];
const randomString = () => Array.from({ length: 1 + Math.floor(random() * 10) }, () => pick(fragments)).join("");

const values = ["", ...attacks, ...Array.from({ length: 16 }, randomString)];
const pathSafe = (s) => s.replaceAll("/", "_").replace(/^\.\.?$/, "_dot");

const args = values;
const env = Object.fromEntries(values.map((v, i) => [`V_${i}`, v]));
env["NAME WITH $(touch " + canary + ") IN IT"] = "odd names are passed as given";
const hostname = `h'$(x)\`;*\n${pick(fragments)}`.slice(0, 60);
const workdir = `/${pathSafe(pick(attacks))}/${pathSafe(randomString()) || "_"}`;
const target = `/${pathSafe(attacks[0])} ${pathSafe(randomString()) || "_"}`;

const script = 'pwd > /out/pwd; printf "%s\\0" "$@" > /out/args; cat /proc/$$/environ > /out/env; hostname > /out/host; cat "$MARK_DIR/mark" > /out/mark';
// A literal $ is written $$ in a Compose file (a lone $ would start a variable).
const literal = (v) =>
  typeof v === "string" ? v.replaceAll("$", () => "$$")
  : Array.isArray(v) ? v.map(literal)
  : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, literal(x)]))
  : v;
const spec = literal({
  name: project,
  services: {
    app: {
      image: `rootfs:${rootfs}`,
      command: ["/bin/sh", "-c", script, "sh", ...args],
      environment: { ...env, MARK_DIR: target },
      hostname,
      working_dir: workdir,
      volumes: ["../out:/out", { type: "bind", source: "../mark", target }],
    },
  },
});
mkdirSync(join(dir, "spec"), { recursive: true });
mkdirSync(join(dir, "expected"), { recursive: true });
mkdirSync(join(dir, "out"), { recursive: true });
mkdirSync(join(dir, "mark"), { recursive: true });
writeFileSync(join(dir, "mark", "mark"), "reached through a hostile path\n");
writeFileSync(join(dir, "spec", "app.yaml"), JSON.stringify(spec, null, 2));
writeFileSync(join(dir, "expected", "args"), args.map((a) => `${a}\0`).join(""));
writeFileSync(join(dir, "expected", "env"), Object.entries({ ...env, MARK_DIR: target }).map(([k, v]) => `${k}=${v}\0`).join(""));
writeFileSync(join(dir, "expected", "host"), `${hostname}\n`);
writeFileSync(join(dir, "expected", "pwd"), `${workdir}\n`);
writeFileSync(join(dir, "expected", "mark"), "reached through a hostile path\n");
