// The script's hash_text (templates/partials/common.sh.hbs), run by bash: 64-bit FNV-1a of a
// string's bytes, checked against the same computed here. Its ids name images and networks on
// hosts that already have them, so both its ways (a few commands where bash has
// patsub_replacement, a loop over the bytes where not, or where the text holds its separator)
// must give what it always gave, for any byte but NUL, which no bash string holds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const common = readFileSync(join(process.cwd(), "templates", "partials", "common.sh.hbs"), "utf8");
const hashText = /^hash_text\(\) \{\n[\s\S]*?\n\}$/m.exec(common)?.[0];

function fnv1a64(bytes: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

// bash's hashes of texts, given NUL-separated; shopt: patsub_replacement on (-s) or off (-u)
function bashHashes(texts: Buffer[], shopt: "-s" | "-u"): string[] {
  // (read in the C locale: in UTF-8, a byte that starts a character takes the NUL after it)
  const script = `set -euo pipefail
export LC_ALL=C
${hashText}
shopt ${shopt} patsub_replacement
while IFS= read -r -d '' text; do hash_text "$text"; printf '%s\\n' "$REPLY"; done`;
  const input = Buffer.concat(texts.flatMap((t) => [t, Buffer.from([0])]));
  const r = spawnSync("bash", ["-c", script], { input, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split("\n").slice(0, -1);
}

// a fixed pseudo-random byte string of length n, without NUL
function bytesOf(seed: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out[i] = 1 + (seed >> 8) % 255;
  }
  return out;
}

const texts: Buffer[] = [
  "",
  "a",
  "/work/main/build/rootfs",
  "demo/default",
  "a b  c ",
  "*?[x]",
  "it's \"quoted\" \\ & %d %s $HOME `x`",
  "new\nline\ttab",
  "é ü 日本",
  "\u0001",
  "\u0002",
  "a\u0002b",
  "\u007f\u007f",
  "a\u0001b\u007fc",
].map((t) => Buffer.from(t, "utf8"));
texts.push(Buffer.from([0xff, 0xfe, 0x80, 0x81]));
for (let i = 0; i < 40; i++) texts.push(bytesOf(i + 1, 1 + ((i * 7) % 90)));

test("hash_text is present in common.sh.hbs", () => assert.ok(hashText));

for (const shopt of ["-s", "-u"] as const) {
  test(`hash_text gives the bytes' FNV-1a, patsub_replacement ${shopt === "-s" ? "on" : "off"}`, () => {
    const got = bashHashes(texts, shopt);
    assert.equal(got.length, texts.length);
    texts.forEach((t, i) => assert.equal(got[i], fnv1a64(t), `text ${JSON.stringify(t.toString("latin1"))}`));
  });
}
