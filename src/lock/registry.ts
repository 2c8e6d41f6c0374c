// A registry client for `tupper lock`: resolves a reference to the manifest for a platform,
// its config and its layers, over the OCI distribution API, as the generated script does
// when it pulls by tag (templates/partials/registry.sh). Every document is checked
// against its digest.
import { createHash } from "node:crypto";
import type { ImageSource } from "../model/image.js";
import { DIGEST, imageConfigProblem, LAYER_TYPES, lockEntryProblem, MAX_LAYERS } from "./lock.js";

export type RegistryImage = Extract<ImageSource, { kind: "registry" }>;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Credentials {
  user: string;
  password: string;
  /** The one registry (host[:port], as in the image reference) they belong to; null: none. */
  host: string | null;
}

/** TUPPER_REGISTRY_USER/PASSWORD, for the registry TUPPER_REGISTRY_HOST names (as the script reads them). */
export function registryCredentials(env: NodeJS.ProcessEnv = process.env): Credentials | null {
  const user = env.TUPPER_REGISTRY_USER;
  return user ? { user, password: env.TUPPER_REGISTRY_PASSWORD ?? "", host: env.TUPPER_REGISTRY_HOST || null } : null;
}

/**
 * Why CREDENTIALS may not go to REGISTRY (and, given REALM, to its token realm), or null
 * when they may: the rule of registry_credentials_may_go in templates/partials/registry.sh.
 * Docker keeps credentials per registry host and sends them to that registry and to whatever
 * realm its challenge names; here they go only to the registry TUPPER_REGISTRY_HOST names,
 * Basic to it alone, and to a realm only on that same host[:port] (Docker Hub's is
 * auth.docker.io), never over plain HTTP for an HTTPS registry.
 */
export function credentialsRefusal(credentials: Credentials, registry: string, realm?: URL): string | null {
  const name = registry.toLowerCase();
  if (credentials.host === null) return `TUPPER_REGISTRY_USER is set but TUPPER_REGISTRY_HOST is not, so tupper sends the credentials nowhere: set TUPPER_REGISTRY_HOST=${name} to send them to ${name}`;
  if (credentials.host.toLowerCase() !== name) return `the credentials in TUPPER_REGISTRY_USER are for TUPPER_REGISTRY_HOST=${JSON.stringify(credentials.host).slice(0, 160)}, not for ${name}: they were not sent`;
  if (realm === undefined) return null;
  const base = new URL(registryUrl(name));
  const shown = `${realm.origin}${realm.pathname}`.slice(0, 160);
  if (realm.username !== "" || realm.password !== "" || !/^https?:$/.test(realm.protocol)) return `the token realm ${shown} of ${name} is not an http(s) URL with a plain host: the credentials were not sent to it`;
  if (base.protocol === "https:" && realm.protocol !== "https:") return `the token realm ${shown} of ${name} is plain HTTP: the credentials were not sent to it`;
  if (realm.host === base.host || (name === "docker.io" && realm.host === "auth.docker.io")) return null;
  return `the token realm ${shown} is not on ${name}'s host (${base.host}): the credentials were not sent to it, a token was asked for anonymously`;
}

/** What the lock file pins for one reference. */
export interface LockedImage {
  platform: string;
  manifest: string;
  config: string;
  layers: { digest: string; mediaType: string; size: number }[];
  /** The image config's parts that tupper applies, for the script's comments. */
  imageConfig: { Entrypoint: string[] | null; Cmd: string[] | null; Env: string[]; WorkingDir: string; User: string; ExposedPorts: string[]; OnBuild?: string[] };
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/** A digest from a registry, checked before it names a URL or goes into the lock file. */
function checkDigest(digest: unknown, what: string): string {
  if (typeof digest !== "string" || !DIGEST.test(digest)) {
    throw new Error(`${what}: ${JSON.stringify(digest)?.slice(0, 100)} is not a sha256 digest (sha256: and 64 lowercase hex digits); tupper refuses it`);
  }
  return digest;
}

/** The base URL of a registry: plain HTTP on loopback or when TUPPER_INSECURE_REGISTRIES names it, as the script decides. */
export function registryUrl(host: string, insecure = process.env.TUPPER_INSECURE_REGISTRIES ?? ""): string {
  if (host === "docker.io") return "https://registry-1.docker.io";
  const name = host.replace(/:[0-9]+$/, "");
  const plain = name === "localhost" || name.startsWith("127.") || name === "[::1]" || insecure.split(/\s+/).includes(host);
  return `${plain ? "http" : "https"}://${host}`;
}

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Go's name for this machine's architecture. */
export function hostPlatform(): Platform {
  const architecture = ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" } as Record<string, string>)[process.arch] ?? process.arch;
  return architecture === "arm" ? { os: "linux", architecture, variant: "v7" } : { os: "linux", architecture };
}

export function parsePlatform(text: string): Platform | null {
  const m = /^([a-z0-9]+)\/([a-z0-9]+)(?:\/([a-z0-9]+))?$/.exec(text);
  return m ? { os: m[1], architecture: m[2], ...(m[3] ? { variant: m[3] } : {}) } : null;
}

class RegistryClient {
  private authorization: string | null = null;
  constructor(
    private readonly image: RegistryImage,
    private readonly credentials: Credentials | null,
  ) {}

  /** GET /v2/PATH, answering one 401 challenge; the body, checked against DIGEST when given. */
  async get(path: string, accept: string[], digest: string | null): Promise<{ body: Uint8Array; type: string }> {
    const url = `${registryUrl(this.image.registry)}/v2/${path}`;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { Accept: accept.join(", ") };
      if (this.authorization !== null) headers.Authorization = this.authorization;
      let response: Response;
      try {
        response = await fetch(url, { headers, redirect: "follow" });
      } catch (e) {
        throw new Error(`cannot reach ${url}: ${(e as Error).cause ?? (e as Error).message}`);
      }
      if (response.status === 401 && attempt === 1) {
        this.authorization = await this.login(response.headers.get("www-authenticate") ?? "");
        continue;
      }
      if (response.status === 404) throw new Error(`${this.image.registry} has no ${path} (HTTP 404): check the image's name and tag`);
      if (response.status === 401) {
        const refusal = this.credentials ? credentialsRefusal(this.credentials, this.image.registry) : null;
        throw new Error(`${this.image.registry} refused access to ${this.image.repository} (HTTP 401)${refusal ? `; ${refusal}` : `: set TUPPER_REGISTRY_USER and TUPPER_REGISTRY_PASSWORD, and TUPPER_REGISTRY_HOST=${this.image.registry}`}`);
      }
      if (!response.ok) throw new Error(`${this.image.registry} answered HTTP ${response.status} for ${url}`);
      const body = new Uint8Array(await response.arrayBuffer());
      if (digest !== null && sha256(body) !== digest) throw new Error(`${url} does not match its digest ${digest} (its sha256 is ${sha256(body)}): it is corrupt or was tampered with`);
      return { body, type: response.headers.get("content-type") ?? "" };
    }
  }

  private async login(challenge: string): Promise<string> {
    const c = this.credentials;
    const basic = c ? `Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}` : null;
    if (/^basic\b/i.test(challenge)) {
      const refusal = c ? credentialsRefusal(c, this.image.registry) : `set TUPPER_REGISTRY_USER, TUPPER_REGISTRY_PASSWORD and TUPPER_REGISTRY_HOST=${this.image.registry}`;
      if (basic === null || refusal !== null) throw new Error(`${this.image.registry} needs a login: ${refusal}`);
      return basic;
    }
    if (!/^bearer\b/i.test(challenge)) throw new Error(`${this.image.registry} answered 401 without a challenge tupper knows (WWW-Authenticate: ${challenge || "none"})`);
    const params = Object.fromEntries([...challenge.matchAll(/([A-Za-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) throw new Error(`${this.image.registry} asked for a token without saying where to get it (${challenge})`);
    const url = new URL(params.realm);
    url.searchParams.set("scope", params.scope ?? `repository:${this.image.repository}:pull`);
    if (params.service) url.searchParams.set("service", params.service);
    const refusal = c ? credentialsRefusal(c, this.image.registry, url) : null;
    if (refusal !== null) process.stderr.write(`tupper: ${refusal}\n`);
    const send = basic !== null && refusal === null;
    // no redirect followed with the credentials (the script's curl follows none either)
    const response = await fetch(url, { headers: send ? { Authorization: basic } : {}, redirect: send ? "error" : "follow" });
    if (!response.ok) throw new Error(`${url.origin}${url.pathname} refused a token (HTTP ${response.status}): set TUPPER_REGISTRY_USER and TUPPER_REGISTRY_PASSWORD if the image is private`);
    const answer = (await response.json()) as { token?: string; access_token?: string };
    const token = answer.token ?? answer.access_token;
    if (!token) throw new Error(`the answer from ${url.origin}${url.pathname} holds no token`);
    return `Bearer ${token}`;
  }
}

function parseJson(body: Uint8Array, what: string): Record<string, any> {
  try {
    return JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`);
  }
}

/** Resolves IMAGE for PLATFORM: the manifest, config and layers the lock file pins. */
export async function resolveImage(image: RegistryImage, platform: Platform, credentials: Credentials | null): Promise<LockedImage> {
  const client = new RegistryClient(image, credentials);
  const name = `${image.registry}/${image.repository}`;
  const reference = image.digest ?? image.tag;
  let digest = image.digest;
  let { body } = await client.get(`${image.repository}/manifests/${reference}`, MANIFEST_TYPES, image.digest);
  let manifest = parseJson(body, `the manifest of ${image.reference}`);
  if (manifest.schemaVersion !== 2) throw new Error(`${image.reference} has a schema ${manifest.schemaVersion} manifest, which no current registry client writes`);
  if (Array.isArray(manifest.manifests)) {
    const entries = manifest.manifests as { digest: string; platform?: Platform }[];
    const match = entries.find(
      (m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture && (!platform.variant || !m.platform?.variant || m.platform.variant === platform.variant),
    );
    if (!match) {
      const seen = entries.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(", ");
      throw new Error(`${image.reference} has no image for ${formatPlatform(platform)} (it has: ${seen || "none"})`);
    }
    digest = checkDigest(match.digest, `the entry for ${formatPlatform(platform)} in the index of ${image.reference}`);
    ({ body } = await client.get(`${image.repository}/manifests/${digest}`, MANIFEST_TYPES, digest));
    manifest = parseJson(body, `the manifest ${digest} of ${name}`);
  } else {
    digest = digest ?? sha256(body);
  }
  const configDigest: string | undefined = manifest.config?.digest;
  if (!configDigest) throw new Error(`the manifest of ${image.reference} names no config`);
  checkDigest(configDigest, `the config digest in the manifest of ${image.reference}`);
  const manifestLayers = Array.isArray(manifest.layers) ? (manifest.layers as { digest: string; mediaType: string; size: number }[]) : [];
  if (manifestLayers.length > MAX_LAYERS) throw new Error(`${image.reference} has ${manifestLayers.length} layers; tupper takes at most ${MAX_LAYERS}, as Docker does`);
  const layers = manifestLayers.map((l, i) => {
    checkDigest(l?.digest, `layer ${i} in the manifest of ${image.reference}`);
    if (typeof l.mediaType !== "string" || !LAYER_TYPES.test(l.mediaType)) throw new Error(`${image.reference} has a layer of type ${JSON.stringify(l.mediaType)}, which is not a filesystem layer tupper can apply`);
    return { digest: l.digest, mediaType: l.mediaType, size: l.size };
  });
  if (layers.length === 0) throw new Error(`${image.reference} has no layers`);
  // what goes into the lock file passes the checks the compiler makes when it reads it back
  const wrong = lockEntryProblem({ manifest: digest ?? "", config: configDigest, layers });
  if (wrong !== null && wrong.key !== "manifest") throw new Error(`${image.reference}: its ${wrong.key} ${JSON.stringify(wrong.value)?.slice(0, 100)} ${wrong.why}; tupper refuses it`);
  const config = parseJson((await client.get(`${image.repository}/blobs/${configDigest}`, [], configDigest)).body, `the config of ${image.reference}`);
  const c = (config.config ?? {}) as Record<string, any>;
  const imageConfig: LockedImage["imageConfig"] = {
    Entrypoint: c.Entrypoint ?? null,
    Cmd: c.Cmd ?? null,
    Env: c.Env ?? [],
    WorkingDir: c.WorkingDir ?? "",
    User: c.User ?? "",
    ExposedPorts: Object.keys(c.ExposedPorts ?? {}),
    // kept only when there are triggers: a build FROM this image is then refused at compile time
    ...(Array.isArray(c.OnBuild) && c.OnBuild.length > 0 ? { OnBuild: c.OnBuild } : {}),
  };
  // the registry's config, checked as the compiler checks the lock file it goes into
  const badConfig = imageConfigProblem(imageConfig);
  if (badConfig !== null) throw new Error(`the config of ${image.reference}: its ${badConfig.key} ${JSON.stringify(badConfig.value)?.slice(0, 100)} ${badConfig.why}; tupper refuses it`);
  return { platform: formatPlatform(platform), manifest: digest as string, config: configDigest, layers, imageConfig };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}
