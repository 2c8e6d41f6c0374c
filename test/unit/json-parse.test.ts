// The script's JSON reader (templates/partials/json.sh), run by bash on documents of the
// kinds a pull reads, checked against JSON.parse: every scalar at its jq-style path, object
// keys in order, array lengths, and an error for what is not JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const reader = readFileSync(join(process.cwd(), "templates", "partials", "json.sh"), "utf8");

// bash prints what json_parse found as NUL-separated PATH, TYPE, VALUE triples, sorted by path.
function bashParse(text: string): { ok: true; entries: Map<string, [string, string]> } | { ok: false; message: string } {
  const script = `${reader}
read -r -d '' text || true
if ! json_parse "$text"; then printf '%s' "$REPLY"; exit 3; fi
for path in "\${!JSON_TYPE[@]}"; do
  case \${JSON_TYPE[$path]} in
    object) value=\${JSON_KEYS[$path]} ;;
    array) value=\${JSON_LENGTH[$path]} ;;
    *) value=\${JSON[$path]} ;;
  esac
  printf '%s\\0%s\\0%s\\0' "$path" "\${JSON_TYPE[$path]}" "$value"
done`;
  const r = spawnSync("bash", ["-c", script], { input: text, encoding: "utf8" });
  if (r.status === 3) return { ok: false, message: r.stdout };
  assert.equal(r.status, 0, r.stderr);
  const fields = r.stdout.split("\0");
  const entries = new Map<string, [string, string]>();
  for (let i = 0; i + 2 < fields.length; i += 3) entries.set(fields[i], [fields[i + 1], fields[i + 2]]);
  return { ok: true, entries };
}

// The same, from JSON.parse: what json_parse should find.
function expected(value: unknown, path = ".", out = new Map<string, [string, string]>()): Map<string, [string, string]> {
  const child = (key: string) => (path === "." ? `.${key}` : `${path}.${key}`);
  if (Array.isArray(value)) {
    out.set(path, ["array", String(value.length)]);
    value.forEach((v, i) => expected(v, path === "." ? `.[${i}]` : `${path}[${i}]`, out));
  } else if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    out.set(path, ["object", keys.map((k) => `${k}\n`).join("")]);
    for (const k of keys) expected((value as Record<string, unknown>)[k], child(k), out);
  } else if (typeof value === "string") out.set(path, ["string", value]);
  else if (typeof value === "number") out.set(path, ["number", String(value)]);
  else out.set(path, [String(value), String(value)]);
  return out;
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const documents: Record<string, unknown> = {
  "an image index with platforms and an attestation": {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digest("a"), size: 1013, platform: { architecture: "amd64", os: "linux" } },
      { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digest("b"), size: 1013, platform: { architecture: "arm", os: "linux", variant: "v7" } },
      { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: digest("c"), size: 566, annotations: { "vnd.docker.reference.type": "attestation-manifest" }, platform: { architecture: "unknown", os: "unknown" } },
    ],
  },
  "a Docker schema 2 manifest": {
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: { mediaType: "application/vnd.docker.container.image.v1+json", size: 1472, digest: digest("d") },
    layers: [
      { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 3408729, digest: digest("e") },
      { mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", size: 1234, digest: digest("f") },
    ],
  },
  "an image config with escapes, unicode, empty lists and nulls": {
    architecture: "amd64",
    os: "linux",
    config: {
      User: "app:app",
      ExposedPorts: { "80/tcp": {}, "443/tcp": {} },
      Env: ["PATH=/usr/local/bin:/usr/bin", 'QUOTED="a b"', "BACKSLASH=C:\\tmp\\n", "UNICODE=é ü 😀 ✓", "TAB=\tNEWLINE=\n"],
      Entrypoint: ["/docker-entrypoint.sh"],
      Cmd: ["nginx", "-g", "daemon off;"],
      WorkingDir: "/srv/app",
      Labels: { "org.opencontainers.image.ref.name": "ubuntu", "with/slash.and.dot": "x" },
      Volumes: null,
      OnBuild: [],
      StopSignal: "SIGQUIT",
    },
    rootfs: { type: "layers", diff_ids: [digest("1"), digest("2")] },
    history: [{ created: "2024-05-01T00:00:00Z", created_by: "/bin/sh -c #(nop) CMD [\"nginx\" \"-g\" \"daemon off;\"]", empty_layer: true }],
    numbers: [0, -1, 3.25, 1e3, 12345678901234],
    flags: [true, false, null],
  },
  "a token answer": { token: "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.sig", access_token: "eyJh", expires_in: 300, issued_at: "2026-11-23T10:00:00Z" },
  "a docker save manifest.json": [{ Config: `${"d".repeat(64)}.json`, RepoTags: ["test/bb:1"], Layers: [`${"e".repeat(64)}.tar`, `${"f".repeat(64)}.tar`] }],
  "an empty object": {},
};

for (const [name, value] of Object.entries(documents)) {
  for (const [style, text] of [
    ["compact", JSON.stringify(value)],
    ["indented", JSON.stringify(value, null, 3)],
  ] as const) {
    test(`json_parse reads ${name} (${style}) as JSON.parse does`, () => {
      const got = bashParse(text);
      assert.ok(got.ok, got.ok ? "" : got.message);
      const want = expected(value);
      // numbers: bash keeps the text; JSON.stringify wrote them as JavaScript prints them
      assert.deepEqual(new Map([...got.entries].sort()), new Map([...want].sort()));
    });
  }
}

test("json_parse decodes \\u escapes, surrogate pairs included, and \\/", () => {
  const got = bashParse('{"a":"caf\\u00e9 \\ud83d\\ude00 \\/x\\\\y \\"q\\""}');
  assert.ok(got.ok);
  assert.deepEqual(got.entries.get(".a"), ["string", 'café 😀 /x\\y "q"']);
});

for (const [bad, message] of [
  ['{"a":1', /ends inside the document/],
  ['{"a" 1}', /expected ':'/],
  ['{"a":1,}', /expected a key/],
  ["[1 2]", /expected ',' or the end of the array/],
  ['{"a":[1}', /'}' does not close the array/],
  ['{"a":"x\\u0000"}', /tupper cannot carry NUL/],
  ['{"a":"unterminated}', /a string that does not end/],
  ['{"a":1} {"b":2}', /text after the document/],
  ["{'a':1}", /expected a key/],
  ['{"a":tru}', /unexpected 't'/],
] as const) {
  test(`json_parse refuses ${bad} with the reason`, () => {
    const got = bashParse(bad);
    assert.equal(got.ok, false);
    if (!got.ok) assert.match(got.message, message);
  });
}
