// image: what a service's root filesystem comes from, with the meaning Docker gives it.
//   rootfs:PATH            a directory or a tar export (tupper's own)
//   oci:DIR[:NAME]         an OCI image layout; NAME picks an image by its ref.name annotation
//   oci-archive:FILE       an OCI image layout in a tar
//   docker-archive:FILE    the output of `docker save`
//   [docker://]REFERENCE   an image in a registry: [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]
// A registry reference is normalised as Docker does: no host means docker.io, and a
// one-part path on docker.io means library/PATH; no tag and no digest means latest.

export type ImageSource =
  | { kind: "dir" | "tar"; path: string }
  | { kind: "oci"; path: string; name: string }
  | { kind: "oci-archive" | "docker-archive"; path: string }
  | { kind: "registry"; registry: string; repository: string; tag: string; digest: string | null; reference: string };

export type ImageParse = { ok: true; image: ImageSource } | { ok: false; why: string };

// The grammar of distribution/reference: lowercase path components separated by / and
// made of [a-z0-9] joined by ., _, __ or runs of -.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseImage(text: string): ImageParse {
  if (text.startsWith("rootfs:")) {
    const path = text.slice("rootfs:".length);
    if (path === "") return { ok: false, why: "rootfs: needs a path; use rootfs:./rootfs or rootfs:./image.tar" };
    return { ok: true, image: { kind: /\.tar(\.gz|\.zst|\.xz|\.bz2)?$|\.tgz$/.test(path) ? "tar" : "dir", path } };
  }
  for (const kind of ["oci-archive", "docker-archive", "oci"] as const) {
    if (!text.startsWith(`${kind}:`)) continue;
    let path = text.slice(kind.length + 1);
    let name = "";
    if (kind === "oci") {
      // oci:DIR:NAME, as skopeo writes it; a colon in DIR itself is not supported
      const colon = path.indexOf(":");
      if (colon >= 0) [path, name] = [path.slice(0, colon), path.slice(colon + 1)];
    }
    if (path === "") return { ok: false, why: `${kind}: needs a path; use ${kind}:./image${kind === "oci" ? "" : ".tar"}` };
    return { ok: true, image: kind === "oci" ? { kind, path, name } : { kind, path } };
  }
  return parseReference(text.startsWith("docker://") ? text.slice("docker://".length) : text);
}

function parseReference(text: string): ImageParse {
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, why: `the digest ${JSON.stringify(digest)} is not sha256: and 64 hex digits` };
  }
  let tag = "";
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, why: `the tag ${JSON.stringify(tag)} is not a tag (letters, digits, _ . -, at most 128)` };
  }
  const parts = rest.split("/");
  let registry = "docker.io";
  // the first part is a host when it has a dot or a port, or is localhost (Docker's rule)
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === "localhost" || parts[0] !== parts[0].toLowerCase())) {
    registry = parts.shift() as string;
    if (!/^(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/.test(registry)) return { ok: false, why: `${JSON.stringify(registry)} is not a registry host` };
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = "docker.io";
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    return {
      ok: false,
      why: `${JSON.stringify(text)} is not an image reference: its name must be lowercase parts of letters and digits joined by . _ or - (e.g. alpine:3.20, registry.example:5000/team/app:1.2), or a path with rootfs:, oci:, oci-archive: or docker-archive:`,
    };
  }
  if (registry === "docker.io" && parts.length === 1) parts.unshift("library");
  const repository = parts.join("/");
  if (tag === "" && digest === null) tag = "latest";
  const reference = `${registry}/${repository}${tag !== "" ? `:${tag}` : ""}${digest !== null ? `@${digest}` : ""}`;
  return { ok: true, image: { kind: "registry", registry, repository, tag, digest, reference } };
}
