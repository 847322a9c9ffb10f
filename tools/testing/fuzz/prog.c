// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz programs: bytes to operations and back, and their text form.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prog.h"

const struct fz_op_desc fz_ops[FZ_NR_OPS] = {
	[FZ_READ]	= { "read", 3, "region offset len" },
	[FZ_WRITE]	= { "write", 4, "region offset len value" },
	[FZ_MMAP]	= { "mmap", 4, "region pgoff pages value" },
	[FZ_V1_STATE]	= { "v1-state", 1, "state" },
	[FZ_V1_FIELD]	= { "v1-field", 3, "field value_lo value_hi" },
	[FZ_V1_SAVE]	= { "v1-save", 1, "len" },
	[FZ_V1_LOAD]	= { "v1-load", 2, "from len" },
	[FZ_V2_SET]	= { "v2-set", 1, "state" },
	[FZ_V2_GET]	= { "v2-get", 1, "argsz" },
	[FZ_FEATURE]	= { "feature", 2, "flags argsz" },
	[FZ_PRECOPY]	= { "precopy-info", 2, "slot argsz" },
	[FZ_DATA_READ]	= { "data-read", 2, "slot len" },
	[FZ_DATA_WRITE]	= { "data-write", 3, "slot from len" },
	[FZ_POLL]	= { "poll", 1, "slot" },
	[FZ_CLOSE]	= { "close", 1, "slot" },
	[FZ_IRQS]	= { "set-irqs", 4, "flags index start count" },
	[FZ_DMA_MAP]	= { "dma-map", 2, "slot pages" },
	[FZ_DMA_UNMAP]	= { "dma-unmap", 2, "slot pages" },
	[FZ_DOORBELL]	= { "doorbell", 4, "cmd src dst len" },
	[FZ_RESET]	= { "reset", 0, "" },
	[FZ_REOPEN]	= { "reopen", 0, "" },
	[FZ_REMOVE]	= { "remove", 0, "" },
	[FZ_MGMT_OPEN]	= { "mgmt-open", 1, "name" },
	[FZ_MGMT_STATE]	= { "mgmt-state", 1, "state" },
	[FZ_MGMT_GET]	= { "mgmt-get", 2, "which argsz" },
	[FZ_MUTATE]	= { "mutate", 2, "offset xor" },
	[FZ_TRUNCATE]	= { "truncate", 1, "len" },
	[FZ_DIRTY]	= { "dirty", 2, "op slot" },
	[FZ_DMA_LOG]	= { "dma-log", 4, "op ranges pgsize where" },
};

/**
 * fz_decode() - the program a byte string stands for
 * @data: the bytes
 * @size: their number
 * @p: the program, at most FZ_MAX_OPS operations
 */
void fz_decode(const uint8_t *data, size_t size, struct fz_prog *p)
{
	size_t pos = 0;

	p->n = 0;
	while (pos < size && p->n < FZ_MAX_OPS) {
		struct fz_op *op = &p->op[p->n++];
		unsigned int i, b;

		memset(op, 0, sizeof(*op));
		op->code = data[pos++] % FZ_NR_OPS;
		for (i = 0; i < fz_ops[op->code].nargs; i++)
			for (b = 0; b < 4 && pos < size; b++)
				op->arg[i] |= (uint32_t)data[pos++] << (8 * b);
	}
}

/**
 * fz_encode() - the bytes of a program
 * @p: the program
 * @buf: where to write them
 * @size: room in @buf
 *
 * Return: the number of bytes the program takes (more than @size means it
 * did not fit and only the first @size were written).
 */
size_t fz_encode(const struct fz_prog *p, uint8_t *buf, size_t size)
{
	size_t pos = 0;
	unsigned int k, i, b;

	for (k = 0; k < p->n; k++) {
		const struct fz_op *op = &p->op[k];

		if (pos < size)
			buf[pos] = op->code;
		pos++;
		for (i = 0; i < fz_ops[op->code].nargs; i++)
			for (b = 0; b < 4; b++, pos++)
				if (pos < size)
					buf[pos] = op->arg[i] >> (8 * b);
	}
	return pos;
}

/**
 * fz_print() - write a program as text, one operation a line
 * @f: where to
 * @p: the program
 * @prefix: put before each line
 */
void fz_print(FILE *f, const struct fz_prog *p, const char *prefix)
{
	unsigned int k, i;

	for (k = 0; k < p->n; k++) {
		const struct fz_op *op = &p->op[k];

		fprintf(f, "%s%s", prefix, fz_ops[op->code].name);
		for (i = 0; i < fz_ops[op->code].nargs; i++)
			fprintf(f, " %#x", op->arg[i]);
		fputc('\n', f);
	}
}

static int lookup(const char *name)
{
	int i;

	for (i = 0; i < FZ_NR_OPS; i++)
		if (!strcmp(fz_ops[i].name, name))
			return i;
	return -1;
}

/**
 * fz_parse() - read a program written by fz_print()
 * @f: the text; '#' starts a comment, blank lines are skipped
 * @p: the program
 * @err: a message naming the line that is wrong
 * @errlen: room in @err
 *
 * Return: 0, or -EINVAL with @err set.
 */
int fz_parse(FILE *f, struct fz_prog *p, char *err, size_t errlen)
{
	char line[512];
	unsigned int lineno = 0;

	p->n = 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *word, *end;
		struct fz_op *op;
		unsigned int i;
		int code;

		lineno++;
		s[strcspn(s, "#\n")] = '\0';
		word = strtok(s, " \t");
		if (!word)
			continue;
		code = lookup(word);
		if (code < 0) {
			snprintf(err, errlen, "line %u: no operation \"%s\"",
				 lineno, word);
			return -EINVAL;
		}
		if (p->n == FZ_MAX_OPS) {
			snprintf(err, errlen, "line %u: more than %d operations",
				 lineno, FZ_MAX_OPS);
			return -EINVAL;
		}
		op = &p->op[p->n++];
		memset(op, 0, sizeof(*op));
		op->code = code;
		for (i = 0; i < FZ_MAX_ARGS; i++) {
			unsigned long v;

			word = strtok(NULL, " \t");
			if (!word)
				break;
			if (i >= fz_ops[code].nargs) {
				snprintf(err, errlen,
					 "line %u: %s takes %u arguments (%s)",
					 lineno, fz_ops[code].name,
					 fz_ops[code].nargs, fz_ops[code].args);
				return -EINVAL;
			}
			errno = 0;
			v = strtoul(word, &end, 0);
			if (errno || *end || v > UINT32_MAX) {
				snprintf(err, errlen,
					 "line %u: \"%s\" is not a 32-bit number",
					 lineno, word);
				return -EINVAL;
			}
			op->arg[i] = v;
		}
	}
	return 0;
}
