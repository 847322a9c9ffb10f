/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fuzz input is a program: a list of operations on one mdma instance,
 * each an opcode byte and a fixed number of 32-bit little-endian
 * arguments. Every byte string decodes to a program (a short tail reads
 * as zeros, an opcode wraps around the table), so the engine's mutations
 * always yield something to run. The same program prints as text, one
 * operation a line, and text compiles back to the same bytes.
 */
#ifndef _FUZZ_PROG_H
#define _FUZZ_PROG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FZ_MAX_ARGS	4
#define FZ_MAX_OPS	128

/* The operations; ops.c runs them, prog.c names them. */
enum fz_opcode {
	FZ_READ,	/* region offset len */
	FZ_WRITE,	/* region offset len value */
	FZ_MMAP,	/* region pgoff pages value */
	FZ_V1_STATE,	/* state */
	FZ_V1_FIELD,	/* field value_lo value_hi */
	FZ_V1_SAVE,	/* len */
	FZ_V1_LOAD,	/* from len */
	FZ_V2_SET,	/* state */
	FZ_V2_GET,	/* argsz */
	FZ_FEATURE,	/* flags argsz */
	FZ_PRECOPY,	/* slot argsz */
	FZ_DATA_READ,	/* slot len */
	FZ_DATA_WRITE,	/* slot from len */
	FZ_POLL,	/* slot */
	FZ_CLOSE,	/* slot */
	FZ_IRQS,	/* flags index start count */
	FZ_DMA_MAP,	/* slot pages */
	FZ_DMA_UNMAP,	/* slot pages */
	FZ_DOORBELL,	/* cmd src dst len */
	FZ_RESET,
	FZ_REOPEN,
	FZ_REMOVE,
	FZ_MGMT_OPEN,	/* name */
	FZ_MGMT_STATE,	/* state */
	FZ_MGMT_GET,	/* which argsz */
	FZ_MUTATE,	/* offset xor */
	FZ_TRUNCATE,	/* len */
	FZ_DIRTY,	/* op slot */
	FZ_DMA_LOG,	/* op ranges pgsize where */
	FZ_NR_OPS
};

struct fz_op {
	uint8_t code;
	uint32_t arg[FZ_MAX_ARGS];
};

struct fz_prog {
	unsigned int n;
	struct fz_op op[FZ_MAX_OPS];
};

/**
 * struct fz_op_desc - how an operation is written
 * @name: its name in the text form
 * @nargs: how many arguments it takes
 * @args: their names, for --help
 */
struct fz_op_desc {
	const char *name;
	unsigned int nargs;
	const char *args;
};

extern const struct fz_op_desc fz_ops[FZ_NR_OPS];

void fz_decode(const uint8_t *data, size_t size, struct fz_prog *p);
size_t fz_encode(const struct fz_prog *p, uint8_t *buf, size_t size);
void fz_print(FILE *f, const struct fz_prog *p, const char *prefix);
int fz_parse(FILE *f, struct fz_prog *p, char *err, size_t errlen);

#endif /* _FUZZ_PROG_H */
