// A unified diff of two texts, line by line, for `tupper check`. The common head and tail
// are cut first, so the longest-common-subsequence table covers only what changed (scripts
// differ in a few places; the table stays small).

interface Edit {
  kind: " " | "-" | "+";
  line: string;
  oldNo: number;
  newNo: number;
}

const CONTEXT = 3;

export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string): string {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  if (oldText === newText) return "";
  const edits = diffLines(a, b);
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  for (const hunk of hunks(edits)) {
    const first = hunk[0]!;
    const oldLen = hunk.filter((e) => e.kind !== "+").length;
    const newLen = hunk.filter((e) => e.kind !== "-").length;
    out.push(`@@ -${first.oldNo},${oldLen} +${first.newNo},${newLen} @@`);
    for (const e of hunk) out.push(`${e.kind}${e.line}`);
  }
  return `${out.join("\n")}\n`;
}

function diffLines(a: string[], b: string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  // lcs[i][j]: the longest common subsequence of midA[i..] and midB[j..].
  const lcs = Array.from({ length: midA.length + 1 }, () => new Uint32Array(midB.length + 1));
  for (let i = midA.length - 1; i >= 0; i--) {
    for (let j = midB.length - 1; j >= 0; j--) {
      lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let oldNo = 1;
  let newNo = 1;
  const push = (kind: Edit["kind"], line: string) => {
    edits.push({ kind, line, oldNo, newNo });
    if (kind !== "+") oldNo++;
    if (kind !== "-") newNo++;
  };
  for (let k = 0; k < head; k++) push(" ", a[k]!);
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      push(" ", midA[i++]!);
      j++;
    } else if (i < midA.length && (j === midB.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      push("-", midA[i++]!); // removals before additions, as diff -u prints them
    } else {
      push("+", midB[j++]!);
    }
  }
  for (let k = a.length - tail; k < a.length; k++) push(" ", a[k]!);
  return edits;
}

/** Changed lines with CONTEXT unchanged lines around them; near changes share a hunk. */
function hunks(edits: Edit[]): Edit[][] {
  const changed = edits.map((e, i) => (e.kind === " " ? -1 : i)).filter((i) => i >= 0);
  const out: Edit[][] = [];
  let start = -1;
  let end = -1;
  for (const i of changed) {
    if (start >= 0 && i - CONTEXT <= end + CONTEXT) {
      end = i;
      continue;
    }
    if (start >= 0) out.push(edits.slice(Math.max(0, start - CONTEXT), Math.min(edits.length, end + CONTEXT + 1)));
    start = end = i;
  }
  if (start >= 0) out.push(edits.slice(Math.max(0, start - CONTEXT), Math.min(edits.length, end + CONTEXT + 1)));
  return out;
}
