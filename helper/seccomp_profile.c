/*
 * security_opt seccomp=PATH: a filter built from a Docker-format profile. The compiler reads
 * the JSON (hosts have no JSON tool) and hands over plain rules, one --seccomp-rule each:
 *
 *   ACTION NR[,NR]... [INDEX:OP:VALUE[:VALUE2]]... [min-kernel:MAJOR.MINOR]
 *
 * ACTION is allow, errno:N, kill_process, kill_thread, trap, log or trace:N; OP is eq, ne,
 * lt, le, gt, ge or masked_eq (VALUE is the mask, VALUE2 what the masked argument must
 * equal), compared as 64-bit numbers as libseccomp does. A rule applies when every condition
 * holds; the first rule that applies to a syscall decides, and --seccomp-default decides for
 * the rest. Other ABIs (i386, x32) get EPERM: the rules are numbered for the native one.
 */
#define _GNU_SOURCE
#include "security.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define X32_BIT 0x40000000U
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MASKED_EQ };
static const char *const op_names[] = {"eq", "ne", "lt", "le", "gt", "ge", "masked_eq"};
/* instructions each comparison takes (see emit_condition) */
static const int op_sizes[] = {4, 4, 5, 5, 5, 5, 6};

static unsigned long long number(const char *text, const char *rule) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') die("--seccomp-rule '%s': bad number '%s'", rule, text);
  return n;
}

uint32_t parse_seccomp_action(const char *word) {
  if (strcmp(word, "allow") == 0) return SECCOMP_RET_ALLOW;
  if (strcmp(word, "kill_process") == 0) return SECCOMP_RET_KILL_PROCESS;
  if (strcmp(word, "kill_thread") == 0) return SECCOMP_RET_KILL_THREAD;
  if (strcmp(word, "trap") == 0) return SECCOMP_RET_TRAP;
  if (strcmp(word, "log") == 0) return SECCOMP_RET_LOG;
  unsigned data;
  char rest;
  if (sscanf(word, "errno:%u%c", &data, &rest) == 1 && data <= SECCOMP_RET_DATA) return SECCOMP_RET_ERRNO | data;
  if (sscanf(word, "trace:%u%c", &data, &rest) == 1 && data <= SECCOMP_RET_DATA) return SECCOMP_RET_TRACE | data;
  die("seccomp action '%s' is not allow, errno:N, kill_process, kill_thread, trap, log or trace:N", word);
}

void parse_seccomp_rule(const char *text, struct seccomp_rule *r) {
  memset(r, 0, sizeof *r);
  char *copy = xasprintf("%s", text), *save = NULL;
  char *word = strtok_r(copy, " ", &save);
  if (word == NULL) die("--seccomp-rule is empty");
  r->action = parse_seccomp_action(word);
  char *numbers = strtok_r(NULL, " ", &save), *save_nr = NULL;
  if (numbers == NULL) die("--seccomp-rule '%s': no syscall numbers", text);
  for (char *nr = strtok_r(numbers, ",", &save_nr); nr != NULL; nr = strtok_r(NULL, ",", &save_nr)) {
    if (r->n_syscalls == MAX_RULE_SYSCALLS) die("--seccomp-rule '%s': more than %d syscalls", text, MAX_RULE_SYSCALLS);
    r->syscalls[r->n_syscalls++] = (uint32_t)number(nr, text);
  }
  while ((word = strtok_r(NULL, " ", &save)) != NULL) {
    if (strncmp(word, "min-kernel:", 11) == 0) {
      if (sscanf(word + 11, "%d.%d", &r->min_major, &r->min_minor) != 2) die("--seccomp-rule '%s': bad %s", text, word);
      continue;
    }
    if (r->n_conditions == MAX_RULE_CONDITIONS) die("--seccomp-rule '%s': more than %d conditions", text, MAX_RULE_CONDITIONS);
    struct seccomp_condition *c = &r->conditions[r->n_conditions++];
    char *fields[4] = {0}, *save_c = NULL;
    int n = 0;
    for (char *f = strtok_r(word, ":", &save_c); f != NULL && n < 4; f = strtok_r(NULL, ":", &save_c)) fields[n++] = f;
    if (n < 3) die("--seccomp-rule '%s': a condition is INDEX:OP:VALUE[:VALUE2]", text);
    c->index = (int)number(fields[0], text);
    if (c->index > 5) die("--seccomp-rule '%s': argument index %d (0 to 5)", text, c->index);
    c->op = -1;
    for (int i = 0; i < (int)(sizeof op_names / sizeof op_names[0]); i++)
      if (strcmp(fields[1], op_names[i]) == 0) c->op = i;
    if (c->op < 0) die("--seccomp-rule '%s': unknown comparison '%s'", text, fields[1]);
    c->value = number(fields[2], text);
    c->value_two = fields[3] != NULL ? number(fields[3], text) : 0;
    if (c->op == OP_MASKED_EQ && fields[3] == NULL) die("--seccomp-rule '%s': masked_eq needs MASK:VALUE", text);
  }
  free(copy);
}

struct program {
  struct sock_filter insns[BPF_MAXINSNS];
  unsigned short len;
};

static void put(struct program *p, uint16_t code, uint32_t k, int jt, int jf) {
  if (p->len == BPF_MAXINSNS) die("the seccomp profile needs more than %d BPF instructions", BPF_MAXINSNS);
  if (jt < 0 || jt > 255 || jf < 0 || jf > 255) die("internal error: seccomp jump out of range");
  p->insns[p->len++] = (struct sock_filter){.code = code, .jt = (uint8_t)jt, .jf = (uint8_t)jf, .k = k};
}

#define ARG_LOW(i) ((uint32_t)offsetof(struct seccomp_data, args[i]))
#define ARG_HIGH(i) (ARG_LOW(i) + 4) /* little-endian */

static void load(struct program *p, uint32_t offset) { put(p, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0); }
static void jump(struct program *p, uint16_t op, uint32_t k, int jt, int jf) { put(p, BPF_JMP | op | BPF_K, k, jt, jf); }

/*
 * One comparison of argument C->index; on failure it jumps to instruction FAIL (an index),
 * on success it falls through. Each op emits exactly op_sizes[op] instructions.
 */
static void emit_condition(struct program *p, const struct seccomp_condition *c, int fail) {
  uint32_t hi = (uint32_t)(c->value >> 32), lo = (uint32_t)c->value;
  int start = p->len, pass = start + op_sizes[c->op];
#define TO(target) ((target) - (p->len + 1)) /* a jump offset from the instruction being emitted */
  load(p, ARG_HIGH(c->index));
  switch (c->op) {
    case OP_EQ:
      jump(p, BPF_JEQ, hi, 0, TO(fail));
      load(p, ARG_LOW(c->index));
      jump(p, BPF_JEQ, lo, 0, TO(fail));
      break;
    case OP_NE:
      jump(p, BPF_JEQ, hi, 0, TO(pass));
      load(p, ARG_LOW(c->index));
      jump(p, BPF_JEQ, lo, TO(fail), 0);
      break;
    case OP_MASKED_EQ: {
      uint32_t value_hi = (uint32_t)(c->value_two >> 32), value_lo = (uint32_t)c->value_two;
      put(p, BPF_ALU | BPF_AND | BPF_K, hi, 0, 0);
      jump(p, BPF_JEQ, value_hi, 0, TO(fail));
      load(p, ARG_LOW(c->index));
      put(p, BPF_ALU | BPF_AND | BPF_K, lo, 0, 0);
      jump(p, BPF_JEQ, value_lo, 0, TO(fail));
      break;
    }
    case OP_GT:
    case OP_GE: /* high word above: pass; equal: decide on the low word; below: fail */
      jump(p, BPF_JGT, hi, TO(pass), 0);
      jump(p, BPF_JEQ, hi, 0, TO(fail));
      load(p, ARG_LOW(c->index));
      jump(p, c->op == OP_GT ? BPF_JGT : BPF_JGE, lo, 0, TO(fail));
      break;
    case OP_LT:
    case OP_LE: /* the negation of GE and GT */
      jump(p, BPF_JGT, hi, TO(fail), 0);
      jump(p, BPF_JEQ, hi, 0, TO(pass));
      load(p, ARG_LOW(c->index));
      jump(p, c->op == OP_LT ? BPF_JGE : BPF_JGT, lo, TO(fail), 0);
      break;
  }
#undef TO
  if (p->len != pass) die("internal error: seccomp condition of %d instructions, not %d", p->len - start, op_sizes[c->op]);
}

static bool kernel_at_least(int major, int minor) {
  struct utsname u;
  int have_major = 0, have_minor = 0;
  if (uname(&u) < 0) die_errno("uname");
  if (sscanf(u.release, "%d.%d", &have_major, &have_minor) != 2) die("cannot read the kernel version from '%s'", u.release);
  return have_major > major || (have_major == major && have_minor >= minor);
}

static void build(struct program *p, const struct seccomp_profile *profile) {
  load(p, offsetof(struct seccomp_data, arch));
  jump(p, BPF_JEQ, NATIVE_ARCH, 1, 0);
  put(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  load(p, offsetof(struct seccomp_data, nr));
#ifdef X32_BIT
  jump(p, BPF_JGE, X32_BIT, 0, 1);
  put(p, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
#endif
  bool holds_nr = true; /* whether the accumulator still holds the syscall number */
  for (int i = 0; i < profile->n_rules; i++) {
    const struct seccomp_rule *r = &profile->rules[i];
    if (r->min_major > 0 && !kernel_at_least(r->min_major, r->min_minor)) continue;
    for (int s = 0; s < r->n_syscalls; s++) {
      if (!holds_nr) load(p, offsetof(struct seccomp_data, nr));
      int size = 1;
      for (int c = 0; c < r->n_conditions; c++) size += op_sizes[r->conditions[c].op];
      int end = p->len + size + 1; /* after the return below: the next rule */
      jump(p, BPF_JEQ, r->syscalls[s], 0, end - (p->len + 1));
      for (int c = 0; c < r->n_conditions; c++) emit_condition(p, &r->conditions[c], end);
      put(p, BPF_RET | BPF_K, r->action, 0, 0);
      holds_nr = r->n_conditions == 0;
    }
  }
  put(p, BPF_RET | BPF_K, profile->default_action, 0, 0);
}

void install_seccomp_profile(const struct seccomp_profile *profile) {
  static struct program p;
  p.len = 0;
  build(&p, profile);
  struct sock_fprog prog = {.len = p.len, .filter = p.insns};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) die_errno("prctl PR_SET_SECCOMP (the seccomp profile)");
}
