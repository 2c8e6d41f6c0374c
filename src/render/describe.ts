// How a script's comment names the spec key a line comes from, and what tupper chose when
// the spec is silent. One wording for every line the renderer writes.
import type { Origin } from "../model/plan.js";
import { comment, type Comment } from "./quote.js";

/** "services.web.mem_limit: 256m", or "services.web.mem_limit: not set (no limit)". */
export function describe(o: Origin, whenDefault: string): Comment {
  return describeWith(o, whenDefault, []);
}

/** describe(), then NOTES (what tupper does with what the value asks), in the same comment. */
export function describeWith(o: Origin, whenDefault: string, notes: readonly string[]): Comment {
  const text = o.written === null ? `${o.key}: not set (${whenDefault})` : `${o.key}: ${o.written}`;
  return comment(notes.length === 0 ? text : `${text} (${notes.join("; ")})`);
}
