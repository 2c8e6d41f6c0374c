// Stage 1: YAML text → plain data, keeping where every key and value stood.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import { type Diagnostic, dottedPath } from "./diagnostics.js";

export type SpecPath = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export interface ParsedSpec {
  file: string;
  text: string;
  /** The document as plain JSON-like data (undefined when it could not be read). */
  data: unknown;
  /** Where the value at PATH starts (its key, for mapping entries); the nearest ancestor when not found. */
  positionOf(path: SpecPath, at?: "key" | "value"): Position;
  /** The scalar exactly as written (so environment value 1.0 stays "1.0"), when the value is a scalar. */
  sourceTextOf(path: SpecPath): string | undefined;
}

// A spec is small; these bound what a hostile file can make us do.
const MAX_SPEC_BYTES = 4 * 1024 * 1024;
// Anchors and aliases (<<: *defaults) are how real files share settings: getsentry/self-hosted
// expands ~300 aliases (the yaml library's count, which multiplies nested ones). What a
// billion-laughs document abuses is the size they expand to, so that is what is bounded:
// the document, aliases expanded, may hold at most as many nodes as the largest spec written
// out plainly could (MAX_SPEC_BYTES / 4: "a: 1" per node), counted on the tree before any
// expansion (linear, memoised per anchor). Measured: a 9x9 billion-laughs is refused in under
// a millisecond, a 230 KB file merging a 20,000-key anchor 200 times (which the yaml
// library's own alias count took 17 s to refuse) at once; the corpus's largest real file
// expands to ~8,000 nodes.
const MAX_EXPANDED_NODES = MAX_SPEC_BYTES / 4;
// The yaml library's own check stays as a second net, set above anything the size guard lets by.
const MAX_ALIAS_EXPANSIONS = 100_000;
// The YAML parser recurses per nesting level; deep enough input overflows V8's native stack,
// which aborts the process instead of throwing. No spec needs more than this.
const MAX_NESTING = 64;

export function parseSpec(file: string, text: string): { spec: ParsedSpec; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const error = (pos: Position, message: string, path: SpecPath = []) =>
    diagnostics.push({ file, ...pos, path: dottedPath(path), message, severity: "error" });

  let doc: Document.Parsed | undefined;
  let data: unknown;
  const tooDeep = Buffer.byteLength(text) <= MAX_SPEC_BYTES ? firstTooDeep(text) : -1;
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) {
    error({ line: 1, col: 1 }, `the file is larger than ${MAX_SPEC_BYTES} bytes; a spec is a short YAML file`);
  } else if (tooDeep >= 0) {
    // Not parsed, so the line counter knows no lines: count them here.
    const before = text.slice(0, tooDeep);
    const pos = { line: before.split("\n").length, col: tooDeep - before.lastIndexOf("\n") };
    error(pos, `nested more than ${MAX_NESTING} levels deep; a spec needs far fewer`);
  } else {
    try {
      const docs = parseAllDocuments(text, lineCounter);
      if (docs.length > 1) {
        const second = docs[1]!;
        error(at(second.range[0]), "the file holds more than one YAML document; keep one spec per file");
      }
      doc = docs[0];
      for (const e of doc?.errors ?? []) error(at(e.pos[0]), `not valid YAML: ${firstLine(e.message)}`);
      if (doc && doc.errors.length === 0) {
        const expanded = doc.contents === null ? { nodes: 0 } : expandedSize(doc);
        if (doc.contents === null) error({ line: 1, col: 1 }, "the spec is empty; expected a mapping with a services: key");
        else if ("cycle" in expanded) error(at(expanded.cycle), "an alias refers to the anchor it is inside of; a spec cannot be infinite");
        else if (expanded.nodes > MAX_EXPANDED_NODES) {
          error({ line: 1, col: 1 }, `its aliases expand to more than ${MAX_EXPANDED_NODES} values (a billion-laughs document?); a spec's anchors are merged a few hundred times at most`);
        } else data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
      }
    } catch (e) {
      // yaml throws for alias bombs ("Excessive alias count") and similar abuse; never a stack trace.
      const message = e instanceof Error ? firstLine(e.message) : String(e);
      error({ line: 1, col: 1 }, `could not be read as YAML: ${message}`);
      data = undefined;
    }
  }

  const contents = doc?.contents ?? null;
  const positionOf = (path: SpecPath, which: "key" | "value" = "key"): Position => {
    const found = findNode(doc, contents, path);
    const node = which === "key" ? (found.key ?? found.value) : (found.value ?? found.key);
    return node?.range ? at(node.range[0]) : { line: 1, col: 1 };
  };
  const sourceTextOf = (path: SpecPath): string | undefined => {
    const found = findNode(doc, contents, path);
    if (!found.exact || !isScalar(found.value)) return undefined;
    const s = found.value as { source?: unknown };
    return typeof s.source === "string" ? s.source : undefined;
  };
  return { spec: { file, text, data, positionOf, sourceTextOf }, diagnostics };
}

/**
 * How many nodes DOC holds once every alias is replaced by what it names, counted without
 * expanding (each anchor's size once); stops counting past MAX_EXPANDED_NODES. A cycle (an
 * alias inside its own anchor) is reported at the alias.
 */
function expandedSize(doc: Document.Parsed): { nodes: number } | { cycle: number } {
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let cycle = -1;
  const size = (node: unknown): number => {
    if (cycle >= 0) return 0;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) return 1;
      if (open.has(target)) {
        cycle = node.range?.[0] ?? 0;
        return 0;
      }
      return size(target);
    }
    if (!isMap(node) && !isSeq(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let total = 1;
    for (const item of node.items) {
      total += isPair(item) ? size(item.key) + size(item.value) : size(item);
      if (total > MAX_EXPANDED_NODES) break;
    }
    open.delete(node);
    sizes.set(node, total);
    return total;
  };
  const nodes = size(doc.contents);
  return cycle >= 0 ? { cycle } : { nodes };
}

function parseAllDocuments(text: string, lineCounter: LineCounter): Document.Parsed[] {
  // parseDocument keeps only the first document; a second one must be reported, not dropped.
  const first = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const extra = first.errors.find((e) => e.code === "MULTIPLE_DOCS");
  if (!extra) return [first];
  first.errors = first.errors.filter((e) => e.code !== "MULTIPLE_DOCS");
  const second = { range: [extra.pos[0], extra.pos[1], extra.pos[1]] } as unknown as Document.Parsed;
  return [first, second];
}

interface Found {
  key: Node | null;
  value: Node | null;
  exact: boolean;
}

/** Walks the YAML tree along PATH; stops at the deepest node that exists. */
function findNode(doc: Document.Parsed | undefined, root: Node | null, path: SpecPath): Found {
  let found: Found = { key: null, value: root, exact: true };
  for (const part of path) {
    let node: unknown = found.value;
    if (isAlias(node) && doc) node = node.resolve(doc);
    let next: Found | null = null;
    if (isMap(node)) {
      next = findInMap(doc, node, String(part), new Set());
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part];
      if (item) next = { key: item as Node, value: item as Node, exact: true };
    }
    if (!next) return { ...found, exact: false };
    found = next;
  }
  return found;
}

/**
 * The entry KEY of MAP, or of the maps it merges (<<: *anchor, <<: [*a, *b]), as the YAML
 * merge key takes them: the map's own entries first, then each merged map in order. So an
 * error in a value that came from an anchor points at the anchor's line, not at <<:.
 */
function findInMap(doc: Document.Parsed | undefined, map: Node, key: string, seen: Set<Node>): Found | null {
  if (!isMap(map) || seen.has(map)) return null;
  seen.add(map);
  const merged: Node[] = [];
  for (const pair of map.items) {
    if (!isPair(pair)) continue;
    const k = pair.key;
    // the merge key: yaml gives it a symbol for its value
    const isMerge = isScalar(k) && (typeof k.value === "symbol" || k.value === "<<");
    const keyText = isScalar(k) && !isMerge ? String(k.value) : undefined;
    if (keyText === key) return { key: k as Node, value: (pair.value as Node) ?? (k as Node), exact: true };
    if (isMerge && pair.value) merged.push(...(isSeq(pair.value) ? (pair.value.items as Node[]) : [pair.value as Node]));
  }
  for (const source of merged) {
    const target = isAlias(source) && doc ? source.resolve(doc) : source;
    const found = target ? findInMap(doc, target as Node, key, seen) : null;
    if (found) return found;
  }
  return null;
}

/**
 * Offset where flow brackets ([ {) or block indentation first go deeper than MAX_NESTING,
 * or -1. Quoted text is skipped, roughly: this is a guard, not a parser.
 */
function firstTooDeep(text: string): number {
  let depth = 0;
  let quote = "";
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (lineStart) {
      if (c === " " || c === "-") {
        indent++;
        if (indent > MAX_NESTING * 8) return i;
        continue;
      }
      lineStart = false;
    }
    if (c === "\n") {
      lineStart = true;
      indent = 0;
      if (quote === "'" || quote === '"') continue;
    }
    if (quote) {
      if (c === quote) quote = "";
      else if (c === "\\" && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#") while (i + 1 < text.length && text[i + 1] !== "\n") i++;
    else if (c === "[" || c === "{") {
      if (++depth > MAX_NESTING) return i;
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1);
  }
  return -1;
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim();
}
