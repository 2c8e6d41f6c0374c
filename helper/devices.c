/*
 * The device allow-list on cgroup v2. A v1 devices cgroup takes rules written into
 * devices.allow (the script does that); v2 has no such files, only a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup, which the kernel asks for every
 * mknod, open of a device node, and so on. This file builds that program from the same
 * rules as the v1 list (Docker's defaults) and attaches it to the container's cgroup.
 * It stays attached until the cgroup is removed, across restarts, and covers exec too.
 */
#define _GNU_SOURCE
#include "security.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ANY DEVICE_ANY
#define RWM (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

/* The same list as DEVICE_RULES in the script (cgroups.sh.hbs), which is Docker's. The
   spec's devices: and device_cgroup_rules: come after it, as --device-rule options. */
static const struct device_rule default_rules[] = {
    {BPF_DEVCG_DEV_CHAR, ANY, ANY, BPF_DEVCG_ACC_MKNOD}, /* mknod of anything; using it is another matter */
    {BPF_DEVCG_DEV_BLOCK, ANY, ANY, BPF_DEVCG_ACC_MKNOD},
    {BPF_DEVCG_DEV_CHAR, 1, 3, RWM},   /* null */
    {BPF_DEVCG_DEV_CHAR, 1, 5, RWM},   /* zero */
    {BPF_DEVCG_DEV_CHAR, 1, 7, RWM},   /* full */
    {BPF_DEVCG_DEV_CHAR, 1, 8, RWM},   /* random */
    {BPF_DEVCG_DEV_CHAR, 1, 9, RWM},   /* urandom */
    {BPF_DEVCG_DEV_CHAR, 5, 0, RWM},   /* tty */
    {BPF_DEVCG_DEV_CHAR, 5, 2, RWM},   /* ptmx */
    {BPF_DEVCG_DEV_CHAR, 136, ANY, RWM}, /* the pseudo-terminals */
};

/* each rule is at most 8 instructions: Docker's 10, MAX_DEVICE_RULES more, and the frame */
#define PROGRAM_MAX 1280
struct program {
  struct bpf_insn insns[PROGRAM_MAX];
  int len;
};

static void emit(struct program *p, struct bpf_insn insn) {
  if (p->len == PROGRAM_MAX) die("device program longer than %d instructions", PROGRAM_MAX);
  p->insns[p->len++] = insn;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/*
 * R1 points at struct bpf_cgroup_dev_ctx {u32 access_type; u32 major; u32 minor}, where
 * access_type is (access << 16) | type. The program loads them into R2 (type), R3 (access),
 * R4 (major) and R5 (minor), then tries each rule: the first that matches the device and
 * grants every access asked for returns 1 (allow); none: 0 (EPERM).
 */
static void emit_rule(struct program *p, const struct device_rule *r) {
  /* after each test, the instructions left in this rule: skipping them tries the next */
  int left = 1 + (r->major != ANY) + (r->minor != ANY) + 5;
  emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, (int16_t)--left, r->type));
  if (r->major != ANY) emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, (int16_t)--left, r->major));
  if (r->minor != ANY) emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, (int16_t)--left, r->minor));
  /* access asked for but not granted: R1 = R3 & ~access */
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
  emit(p, insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, ~r->access));
  left -= 2;
  emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, (int16_t)--left, 0));
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static void build_program(struct program *p, const struct device_rule *extra, int n_extra) {
  emit(p, insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  emit(p, insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  emit(p, insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  emit(p, insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  emit(p, insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  emit(p, insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
  for (size_t i = 0; i < sizeof default_rules / sizeof default_rules[0]; i++) emit_rule(p, &default_rules[i]);
  for (int i = 0; i < n_extra; i++) emit_rule(p, &extra[i]);
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static long bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

/* Loads the program; LOG (with LOG_SIZE) receives the verifier's reasons when given. */
static int load_program(const struct program *p, char *log, uint32_t log_size) {
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uint64_t)(uintptr_t)p->insns;
  load.insn_cnt = (uint32_t)p->len;
  load.license = (uint64_t)(uintptr_t) "GPL";
  if (log != NULL) {
    load.log_buf = (uint64_t)(uintptr_t)log;
    load.log_size = log_size;
    load.log_level = 1;
  }
  return (int)bpf(BPF_PROG_LOAD, &load);
}

void restrict_devices_v2(const char *cgroup_dir, const struct device_rule *extra, int n_extra) {
  struct program p = {.len = 0};
  build_program(&p, extra, n_extra);
  int prog = load_program(&p, NULL, 0);
  if (prog < 0) {
    /* once more with the verifier's log, to say why (a log too small fails with ENOSPC) */
    int saved = errno;
    static char log[65536];
    if (load_program(&p, log, sizeof log) < 0) {
      char *last = strrchr(log, '\n');
      while (last != NULL && last > log && last[1] == '\0') {
        *last = '\0';
        last = strrchr(log, '\n');
      }
      errno = saved;
      die_errno("bpf BPF_PROG_LOAD of the device program (verifier: %s)", last != NULL ? last + 1 : log);
    }
    die("bpf BPF_PROG_LOAD of the device program failed once and then worked");
  }
  int cgroup = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgroup < 0) die_errno("open %s", cgroup_dir);
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = (uint32_t)cgroup;
  attach.attach_bpf_fd = (uint32_t)prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attach) < 0) die_errno("bpf BPF_PROG_ATTACH the device program to %s", cgroup_dir);
  close(cgroup);
  close(prog);
}

/* One number of a rule: digits, or '*' (ANY). */
static int rule_number(const char *text, const char *rule) {
  if (strcmp(text, "*") == 0) return ANY;
  char *end;
  errno = 0;
  long n = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || n < 0 || n > 0xfffff) die("--device-rule '%s': bad number '%s'", rule, text);
  return (int)n;
}

/*
 * "c 1:3 rwm", "b 7:* r", "a *:* m": the v1 devices.allow syntax, as device_cgroup_rules
 * takes it. Type a (all) becomes one rule for char and one for block devices; returns how
 * many rules it wrote into OUT (room for two).
 */
int parse_device_rule(const char *rule, struct device_rule out[2]) {
  char type, numbers[32], access[8];
  if (sscanf(rule, "%c %31s %7s", &type, numbers, access) != 3) die("--device-rule '%s': use TYPE MAJOR:MINOR ACCESS, e.g. 'c 1:3 rwm'", rule);
  char *colon = strchr(numbers, ':');
  if (colon == NULL) die("--device-rule '%s': MAJOR:MINOR needs a colon", rule);
  *colon = '\0';
  struct device_rule r = {.major = rule_number(numbers, rule), .minor = rule_number(colon + 1, rule), .access = 0};
  for (const char *a = access; *a != '\0'; a++) {
    if (*a == 'r') r.access |= BPF_DEVCG_ACC_READ;
    else if (*a == 'w') r.access |= BPF_DEVCG_ACC_WRITE;
    else if (*a == 'm') r.access |= BPF_DEVCG_ACC_MKNOD;
    else die("--device-rule '%s': access is made of r, w and m", rule);
  }
  if (type == 'c' || type == 'b') {
    r.type = type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
    out[0] = r;
    return 1;
  }
  if (type != 'a') die("--device-rule '%s': the type is c, b or a", rule);
  out[0] = r;
  out[0].type = BPF_DEVCG_DEV_CHAR;
  out[1] = r;
  out[1].type = BPF_DEVCG_DEV_BLOCK;
  return 2;
}
