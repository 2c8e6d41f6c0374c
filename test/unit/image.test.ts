// image: references as Docker reads them, and `tupper lock` against a registry served here
// (in this process, on loopback) that wants a bearer token and serves an index.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseImage } from "../../src/model/image.js";
import { layerKeys } from "../../src/lock/lock.js";
import { credentialsRefusal, registryCredentials, resolveImage } from "../../src/lock/registry.js";

test("references are normalised as Docker does: docker.io, library/, latest", () => {
  const ref = (text: string) => {
    const r = parseImage(text);
    assert.ok(r.ok, r.ok ? "" : r.why);
    return r.image;
  };
  assert.deepEqual(ref("alpine"), { kind: "registry", registry: "docker.io", repository: "library/alpine", tag: "latest", digest: null, reference: "docker.io/library/alpine:latest" });
  assert.equal((ref("bitnami/redis:7.2") as { reference: string }).reference, "docker.io/bitnami/redis:7.2");
  assert.equal((ref("docker://quay.io/team/app:1.0") as { reference: string }).reference, "quay.io/team/app:1.0");
  assert.equal((ref("localhost:5000/app") as { reference: string }).reference, "localhost:5000/app:latest");
  assert.equal((ref("index.docker.io/library/debian:bookworm") as { reference: string }).reference, "docker.io/library/debian:bookworm");
  const digest = `sha256:${"ab".repeat(32)}`;
  assert.deepEqual(ref(`registry.example:5000/team/app@${digest}`), {
    kind: "registry", registry: "registry.example:5000", repository: "team/app", tag: "", digest, reference: `registry.example:5000/team/app@${digest}`,
  });
  assert.deepEqual(ref("oci:./layout:web"), { kind: "oci", path: "./layout", name: "web" });
  assert.deepEqual(ref("oci-archive:img.tar"), { kind: "oci-archive", path: "img.tar" });
  assert.deepEqual(ref("docker-archive:save.tar"), { kind: "docker-archive", path: "save.tar" });
  assert.deepEqual(ref("rootfs:./rootfs.tar.zst"), { kind: "tar", path: "./rootfs.tar.zst" });
});

test("layer keys chain the blob digests as the script does (OCI's ChainID formula)", () => {
  const a = `sha256:${"a".repeat(64)}`, b = `sha256:${"b".repeat(64)}`;
  const second = createHash("sha256").update(`sha256:${"a".repeat(64)} ${b}`).digest("hex");
  assert.deepEqual(layerKeys([a, b]), ["a".repeat(64), second]);
});

test("tupper lock resolves an index to this platform's manifest through a bearer token, and checks every digest", async () => {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const config = json({ architecture: "amd64", os: "linux", config: { Cmd: ["nginx"], Env: ["A=1"], WorkingDir: "/w", ExposedPorts: { "80/tcp": {} } } });
  const layer = { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: `sha256:${"1".repeat(64)}`, size: 10 };
  const manifest = json({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { digest: digestOf(config), size: config.length }, layers: [layer] });
  const armManifest = json({ schemaVersion: 2, config: { digest: `sha256:${"9".repeat(64)}` }, layers: [layer] });
  const index = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      { digest: digestOf(armManifest), platform: { os: "linux", architecture: "arm64" } },
      { digest: digestOf(manifest), platform: { os: "linux", architecture: "amd64" } },
    ],
  });
  let tampered = false;
  const blobs = new Map([[digestOf(manifest), manifest], [digestOf(armManifest), armManifest], [digestOf(config), config]]);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
    if (req.url?.startsWith("/token")) {
      res.end(JSON.stringify({ token: "T" }));
    } else if (req.headers.authorization !== "Bearer T") {
      res.writeHead(401, { "WWW-Authenticate": `Bearer realm="http://127.0.0.1:${(server.address() as AddressInfo).port}/token",service="reg"` }).end();
    } else if (req.url === "/v2/team/app/manifests/1.0") {
      res.end(index);
    } else {
      const digest = /\/(manifests|blobs)\/(sha256:[0-9a-f]+)$/.exec(req.url ?? "")?.[2];
      const body = digest && blobs.get(digest);
      if (!body) res.writeHead(404).end();
      else res.end(tampered && digest === digestOf(config) ? json({ evil: true }) : body);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const image = { kind: "registry" as const, registry, repository: "team/app", tag: "1.0", digest: null, reference: `${registry}/team/app:1.0` };
  try {
    const locked = await resolveImage(image, { os: "linux", architecture: "amd64" }, null);
    assert.equal(locked.manifest, digestOf(manifest));
    assert.equal(locked.config, digestOf(config));
    assert.deepEqual(locked.layers, [layer]);
    assert.deepEqual(locked.imageConfig, { Entrypoint: null, Cmd: ["nginx"], Env: ["A=1"], WorkingDir: "/w", User: "", ExposedPorts: ["80/tcp"] });
    assert.match(requests[0], /^GET \/v2\/team\/app\/manifests\/1\.0 -$/);
    assert.match(requests[1], /^GET \/token\?scope=repository%3Ateam%2Fapp%3Apull&service=reg -$/);
    await assert.rejects(resolveImage(image, { os: "linux", architecture: "s390x" }, null), /has no image for linux\/s390x \(it has: linux\/arm64, linux\/amd64\)/);
    tampered = true;
    await assert.rejects(resolveImage(image, { os: "linux", architecture: "amd64" }, null), /does not match its digest sha256:[0-9a-f]{64} \(its sha256 is sha256:[0-9a-f]{64}\): it is corrupt or was tampered with/);
  } finally {
    server.close();
  }
});

test("registry credentials go only to TUPPER_REGISTRY_HOST and to a realm on its host (as registry.sh decides)", () => {
  const c = (host: string | null) => ({ user: "u", password: "p", host });
  assert.equal(registryCredentials({}), null);
  assert.deepEqual(registryCredentials({ TUPPER_REGISTRY_USER: "u", TUPPER_REGISTRY_PASSWORD: "p", TUPPER_REGISTRY_HOST: "r.example" }), c("r.example"));
  assert.match(credentialsRefusal(c(null), "r.example") ?? "", /TUPPER_REGISTRY_HOST is not.*set TUPPER_REGISTRY_HOST=r\.example/);
  assert.match(credentialsRefusal(c("r.example"), "evil.example") ?? "", /are for TUPPER_REGISTRY_HOST="r\.example", not for evil\.example/);
  assert.equal(credentialsRefusal(c("R.example"), "r.example"), null);
  assert.equal(credentialsRefusal(c("r.example"), "r.example", new URL("https://r.example:443/token")), null);
  assert.match(credentialsRefusal(c("r.example"), "r.example", new URL("https://evil.example/token")) ?? "", /not on r\.example's host/);
  assert.match(credentialsRefusal(c("r.example"), "r.example", new URL("https://r.example:5001/token")) ?? "", /not on r\.example's host/);
  assert.match(credentialsRefusal(c("r.example"), "r.example", new URL("http://r.example/token")) ?? "", /plain HTTP/);
  assert.match(credentialsRefusal(c("r.example"), "r.example", new URL("https://x@r.example/token")) ?? "", /plain host/);
  assert.equal(credentialsRefusal(c("docker.io"), "docker.io", new URL("https://auth.docker.io/token")), null);
  assert.equal(credentialsRefusal(c("127.0.0.1:5000"), "127.0.0.1:5000", new URL("http://127.0.0.1:5000/token")), null);
  assert.match(credentialsRefusal(c("127.0.0.1:5000"), "127.0.0.1:5000", new URL("http://127.0.0.1:5001/token")) ?? "", /not on/);
});
