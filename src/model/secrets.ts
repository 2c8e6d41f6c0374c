// secrets: Compose's file secrets. Each is a host file that the services naming it get
// read-only at /run/secrets/NAME (or their target): a bind mount, nothing more, so the
// secret's value never passes through the compiler or the script.
import type { BindSpec } from "./volumes.js";
import type { Parsed } from "./units.js";

type Obj = Record<string, unknown>;

export interface SecretUse {
  source: string;
  target: string;
  /** The entry's index under the service's secrets. */
  at: number;
}

/** The service's secrets as written (names, or {source, target}); wrong shapes are skipped (the schema reports them). */
export function secretUses(raw: unknown): SecretUse[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e, at): SecretUse[] => {
    if (typeof e === "string") return [{ source: e, target: e, at }];
    const o = e as Obj | null;
    if (o && typeof o.source === "string") return [{ source: o.source, target: typeof o.target === "string" ? o.target : o.source, at }];
    return [];
  });
}

/** The bind mount that gives USE of a secret declared with FILE (null: not declared). */
export function secretBind(use: SecretUse, file: string | null | undefined): Parsed<BindSpec> {
  if (file === undefined) return { ok: false, why: `there is no secret ${JSON.stringify(use.source)} in the top-level secrets; declare it there with file:` };
  if (file === null) return { ok: false, why: `the secret ${JSON.stringify(use.source)} has no file:` };
  const target = use.target.startsWith("/") ? use.target : `/run/secrets/${use.target}`;
  if (target.split("/").includes("..") || use.target === "") return { ok: false, why: `the target ${JSON.stringify(use.target)} is not a plain name or absolute path; use e.g. db_password` };
  return { ok: true, value: { source: file, target, readOnly: true, createHostPath: false, volume: null, selinux: null } };
}

/** The top-level secrets' files by name (null: declared without file:, which the schema reports). */
export function secretFiles(root: Obj): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const secrets = root.secrets;
  if (secrets && typeof secrets === "object") {
    for (const [name, s] of Object.entries(secrets as Obj)) {
      const file = (s as Obj | null)?.file;
      out.set(name, typeof file === "string" ? file : null);
    }
  }
  return out;
}
