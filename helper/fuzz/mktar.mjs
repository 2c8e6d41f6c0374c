#!/usr/bin/env node
// mktar.mjs CASE: writes one crafted tar archive to stdout, for the fuzz corpus
// (helper/fuzz/corpus/) and for test/e2e/attack-helper.bats. `mktar.mjs --list` names the cases.
// Headers are built byte by byte here, so that a field can hold what no tar writer would put in it.
const BLOCK = 512;

// One 512-byte header. Fields are strings (octal text as given) or Buffers (raw bytes).
function header({ name, mode = "0000644", uid = "0000000", gid = "0000000", size = 0, mtime = "00000000000", type = "0", link = "", magic = true, rawSize }) {
  const h = Buffer.alloc(BLOCK);
  const put = (offset, length, value) => {
    const b = Buffer.isBuffer(value) ? value : Buffer.from(value, "latin1");
    b.copy(h, offset, 0, Math.min(length, b.length));
  };
  put(0, 100, name);
  put(100, 8, mode);
  put(108, 8, uid);
  put(116, 8, gid);
  put(124, 12, rawSize ?? size.toString(8).padStart(11, "0"));
  put(136, 12, mtime);
  put(156, 1, type);
  put(157, 100, link);
  if (magic) put(257, 8, Buffer.from("ustar\x0000", "latin1"));
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

const pad = (data) => Buffer.concat([data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK)]);
// An entry: its header and its data padded to whole blocks.
const entry = (fields, data = Buffer.alloc(0)) => {
  const d = Buffer.isBuffer(data) ? data : Buffer.from(data, "latin1");
  return Buffer.concat([header({ size: d.length, ...fields }), pad(d)]);
};
// A pax record "LEN key=value\n", LEN counting itself.
const record = (key, value) => {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len++;
  return `${len}${body}`;
};
const pax = (records, name = "PaxHeaders/x") => entry({ name, type: "x" }, Buffer.from(records, "latin1"));
const end = () => Buffer.alloc(2 * BLOCK);
// base-256 size: 0x80 (or 0xff for negative) then the big-endian bytes
const base256 = (bytes) => Buffer.from(bytes);
// What a desynchronised reader would find: a complete archive hidden as file data.
const smuggled = () => Buffer.concat([entry({ name: "smuggled" }, "written by the archive's data\n"), end()]);

const cases = {
  // valid archives
  "valid-ustar": () => Buffer.concat([
    entry({ name: "a/", type: "5", mode: "0000755" }),
    entry({ name: "a/hello" }, "hello\n"),
    entry({ name: "a/link", type: "2", link: "hello" }),
    entry({ name: "a/hard", type: "1", link: "a/hello" }),
    entry({ name: "a/fifo", type: "6" }),
    end(),
  ]),
  "valid-pax": () => Buffer.concat([
    pax(record("path", "p/" + "d".repeat(150) + "/" + "f".repeat(150)) + record("mtime", "1700000000.25") + record("uid", "1000") + record("gid", "1000") + record("SCHILY.xattr.user.tupper", "yes") + record("atime", "1.5")),
    entry({ name: "ignored" }, "pax\n"),
    entry({ name: "g", type: "g" }, record("comment", "global")),
    pax(record("linkpath", "/" + "t".repeat(200))),
    entry({ name: "p/longlink", type: "2" }),
    end(),
  ]),
  "valid-gnu": () => Buffer.concat([
    entry({ name: "././@LongLink", type: "L" }, "g/" + "n".repeat(200) + "\0"),
    entry({ name: "truncated" }, "gnu\n"),
    entry({ name: "././@LongLink", type: "K" }, "/" + "l".repeat(200) + "\0"),
    entry({ name: "g/sym", type: "2" }),
    end(),
  ]),
  "valid-whiteouts": () => Buffer.concat([
    entry({ name: "w/", type: "5", mode: "0000755" }),
    entry({ name: "w/.wh..wh..opq" }),
    entry({ name: "w/.wh.gone" }),
    entry({ name: "w/kept" }, "kept\n"),
    end(),
  ]),
  "valid-base256": () => Buffer.concat([
    header({ name: "b256", rawSize: base256([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]) }),
    pad(Buffer.from("abc")),
    end(),
  ]),
  // the attacks (issue 20, item 13)
  "pax-newline-1": () => Buffer.concat([pax("\n1 "), entry({ name: "after-pax" }, "x\n"), end()]),
  "pax-length-past-end": () => Buffer.concat([pax("99 path=x\n"), entry({ name: "after-pax" }), end()]),
  "pax-length-overflow": () => Buffer.concat([pax("99999999999999999999999 path=x\n"), entry({ name: "after-pax" }), end()]),
  "pax-length-sign": () => Buffer.concat([pax("-1 path=x\n"), entry({ name: "after-pax" }), end()]),
  "pax-no-equals": () => Buffer.concat([pax("8 pathx\n"), entry({ name: "after-pax" }), end()]),
  // size 2^64-1: padded to 512 bytes it wraps to 0, and the file's data is read as headers
  "pax-size-wrap": () => Buffer.concat([pax(record("size", "18446744073709551615")), header({ name: "wrapped" }), smuggled()]),
  "pax-size-junk": () => Buffer.concat([pax(record("size", "3junk")), entry({ name: "junk" }, "abc"), end()]),
  "pax-size-huge": () => Buffer.concat([pax(record("size", "9223372036854775807")), header({ name: "huge" }), end()]),
  "pax-uid-minus-one": () => Buffer.concat([pax(record("uid", "4294967295")), entry({ name: "uid" }), end()]),
  "pax-path-nul": () => Buffer.concat([pax(record("path", "ok\0../../escape")), entry({ name: "nul" }), end()]),
  "pax-path-long": () => Buffer.concat([pax(record("path", "x".repeat(5000))), entry({ name: "long" }), end()]),
  "pax-too-big": () => Buffer.concat([pax(record("comment", "c".repeat(1 << 20))), entry({ name: "big" }), end()]),
  // base-256 size 2^64 (overflows 64 bits: wraps to 0) and -2 (a negative size)
  "size-overflow": () => Buffer.concat([header({ name: "overflow", rawSize: base256([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) }), smuggled()]),
  "size-negative": () => Buffer.concat([header({ name: "negative", rawSize: base256([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]) }), smuggled()]),
  "size-octal-junk": () => Buffer.concat([header({ name: "junk", rawSize: "0000000001x" }), pad(Buffer.from("y")), end()]),
  "gnu-long-name-huge": () => Buffer.concat([entry({ name: "././@LongLink", type: "L" }, "n".repeat((1 << 20) + 1)), entry({ name: "x" }), end()]),
  "gnu-long-name-nul": () => Buffer.concat([entry({ name: "././@LongLink", type: "L" }, "ok\0../../escape\0"), entry({ name: "x" }), end()]),
  "dotdot": () => Buffer.concat([entry({ name: "../../escape" }, "out\n"), end()]),
  "root-file": () => Buffer.concat([entry({ name: "./", type: "2", link: "/tmp" }), end()]),
  "whiteout-dotdot": () => Buffer.concat([entry({ name: "a/.wh.." }), end()]),
  "truncated": () => entry({ name: "t" }, "x".repeat(1000)).subarray(0, 700),
};

const which = process.argv[2];
if (which === "--list") {
  process.stdout.write(Object.keys(cases).join("\n") + "\n");
} else if (!(which in cases)) {
  process.stderr.write(`mktar.mjs: no case ${which}; --list names them\n`);
  process.exit(2);
} else {
  process.stdout.write(cases[which]());
}
