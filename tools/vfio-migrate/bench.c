// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate bench: how fast the data window moves a device's state.
 *
 * For each mdma type it creates an instance, fills its memory, and times
 * a whole stop-and-copy save with protocol v1 through the mapped window
 * and through trapped reads (one pread() of the window per chunk), and
 * with protocol v2 through the data fd (read()s of 1 MiB, as QEMU's
 * buffer), next to a plain memcpy() of the same number of bytes in
 * window-sized pieces in this process. The window size is vfio_mig's window_kb, fixed while the
 * module is loaded: bench-windows.sh reloads it to compare sizes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-migrate.h"

#define BENCH_DEFAULT_TYPES	MDMA_TYPE_16M "," MDMA_TYPE_64M
#define BENCH_DEFAULT_REPS	3
/* The v2 data fd is read in pieces of this size, as QEMU does. */
#define BENCH_V2_PIECE		(1024UL * 1024)

struct bench_opts {
	bool v1;
	bool v2;
	char *types;
	char *windows;
	unsigned int reps;
	bool header;
};

struct bench_row {
	uint64_t bytes;
	double mmap_secs;
	double trap_secs;
	uint64_t v2_bytes;
	double v2_secs;
	double memcpy_secs;
};

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate bench [--protocol v1|v2] [--types T1,T2]\n"
		"                          [--windows KB1,KB2] [--reps N] [--no-header]\n"
		"\n"
		"For each mdma type, create an instance (through sysfs; it is removed\n"
		"afterwards), fill its device memory and time a whole stop-and-copy\n"
		"save: protocol v1 through the mapped data window and through trapped\n"
		"reads (one pread() of the window per chunk), protocol v2 through the\n"
		"data fd (read()s of 1 MiB), next to a plain memcpy() of the same bytes\n"
		"in window-sized pieces. Prints MiB/s, the ratio to memcpy and the\n"
		"window measured (best of --reps runs).\n"
		"\n"
		"  --protocol P    measure only v1 or only v2 (default: both)\n"
		"  --types LIST    mdma types (default %s)\n"
		"  --windows LIST  window_kb values the run is meant for: the bench\n"
		"                  refuses to run if the loaded vfio_mig's window_kb is\n"
		"                  not among them. window_kb is fixed while vfio_mig is\n"
		"                  loaded; tools/vfio-migrate/bench-windows.sh reloads\n"
		"                  the modules with each size (in a test guest only)\n"
		"  --reps N        runs per measurement (default %u)\n"
		"  --no-header     rows only (for a table of several runs)\n",
		BENCH_DEFAULT_TYPES, BENCH_DEFAULT_REPS);
}

static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "protocol", required_argument, NULL, 'P' },
		{ "types", required_argument, NULL, 't' },
		{ "windows", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, 'r' },
		{ "no-header", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c, ret;

	o->v1 = true;
	o->v2 = true;
	o->types = BENCH_DEFAULT_TYPES;
	o->windows = NULL;
	o->reps = BENCH_DEFAULT_REPS;
	o->header = true;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			c = vm_proto_parse(optarg);
			if (c < 0)
				return 1;
			o->v1 = c == VM_PROTO_V1;
			o->v2 = c == VM_PROTO_V2;
			break;
		case 't':
			o->types = optarg;
			break;
		case 'w':
			o->windows = optarg;
			break;
		case 'r':
			v = strtoul(optarg, &end, 0);
			if (*end || end == optarg || !v || v > 100) {
				vm_err("--reps %s: use 1 to 100", optarg);
				return 1;
			}
			o->reps = v;
			break;
		case 'n':
			o->header = false;
			break;
		default:
			ret = vm_other_option(c, optarg, bench_usage);
			if (ret)
				return ret;
		}
	}
	if (optind != argc) {
		bench_usage(stderr);
		return 1;
	}
	return 0;
}

/* Is @kb in the comma separated @list? */
static bool in_list(const char *list, long kb)
{
	const char *p = list;
	char *end;

	while (*p) {
		if (strtol(p, &end, 0) == kb && (*end == ',' || !*end))
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

/* Whole stop-and-copy saves through @d->chan: the best time of @reps. */
static int measure_save(struct vm_dev *d, unsigned int reps, uint64_t *bytes,
			double *best)
{
	uint64_t reads;
	unsigned int i;
	double t;
	int ret = 0;

	*best = 0;
	for (i = 0; i < reps && !ret; i++) {
		ret = vm_set_state(d, VFIO_DEVICE_STATE_STOP_COPY, NULL);
		if (ret)
			break;
		t = vm_now();
		ret = vm_save_stopcopy(d, -1, bytes, &reads);
		t = vm_now() - t;
		if (!*best || t < *best)
			*best = t;
		if (ret)
			vm_set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
		else
			ret = vm_set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	}
	return ret;
}

/*
 * One column: open the channel @proto (@mapped window), measure, close.
 * Says what failed.
 */
static int measure(struct vm_dev *d, enum vm_proto proto, bool mapped,
		   unsigned int reps, uint64_t *bytes, double *best)
{
	char what[64];
	int ret;

	if (proto == VM_PROTO_V2)
		ret = vfio_mig_chan_v2(&d->chan, &d->m.dev);
	else
		ret = vfio_mig_chan_v1(&d->chan, &d->m.dev, mapped);
	if (ret) {
		vm_explain("open the migration channel", ret);
		return ret;
	}
	if (d->chan.piece > d->chunk_size)
		ret = vfio_set_error(-ENOSPC, "a %zu-byte piece in a %zu-byte buffer",
				     d->chan.piece, d->chunk_size);
	ret = ret ?: measure_save(d, reps, bytes, best);
	if (ret) {
		snprintf(what, sizeof(what), "save through the %s",
			 d->chan.kind);
		vm_explain(what, ret);
	}
	vfio_mig_chan_close(&d->chan);
	return ret;
}

static double measure_memcpy(void *dst, const void *src, uint64_t bytes,
			     size_t piece, uint64_t src_size,
			     unsigned int reps)
{
	double t, secs, best = 0;
	uint64_t done, off;
	unsigned int i;
	size_t n;

	for (i = 0; i < reps; i++) {
		t = vm_now();
		for (done = 0, off = 0; done < bytes; done += n) {
			n = bytes - done < piece ? bytes - done : piece;
			if (off + n > src_size)
				off = 0;
			memcpy(dst, (const char *)src + off, n);
			/* Keep the compiler from dropping the copy. */
			__asm__ __volatile__("" : : "r"(dst) : "memory");
			off += n;
		}
		secs = vm_now() - t;
		if (!best || secs < best)
			best = secs;
	}
	return best;
}

static int bench_type(const char *type, const struct bench_opts *o,
		      struct bench_row *row)
{
	struct vm_dev d;
	uint64_t bytes2;
	size_t window;
	void *src;
	int ret;

	memset(&d, 0, sizeof(d));
	ret = mdma_create(&d.m, type);
	if (ret) {
		vm_explain("create an instance", ret);
		return ret;
	}
	snprintf(d.type, sizeof(d.type), "%s", type);
	ret = mdma_map_bar2(&d.m);
	if (ret) {
		vm_explain("map BAR2", ret);
		goto out;
	}
	vm_fill(d.m.map, d.m.mem_size, 0xbe4c0001);

	/* The v1 window is the piece memcpy() is compared in. */
	ret = vfio_mig_chan_v1(&d.chan, &d.m.dev, false);
	if (ret) {
		vm_explain("open the migration region", ret);
		goto out;
	}
	window = d.chan.piece;
	vfio_mig_chan_close(&d.chan);
	d.chunk_size = window > BENCH_V2_PIECE ? window : BENCH_V2_PIECE;
	d.chunk = malloc(d.chunk_size);
	src = malloc(d.m.mem_size);
	if (!d.chunk || !src) {
		free(src);
		vm_err("out of memory");
		ret = -ENOMEM;
		goto out;
	}
	vm_fill(src, d.m.mem_size, 0xbe4c0002);

	if (o->v1) {
		ret = measure(&d, VM_PROTO_V1, true, o->reps, &row->bytes,
			      &row->mmap_secs);
		if (ret)
			goto free;
		ret = measure(&d, VM_PROTO_V1, false, o->reps, &bytes2,
			      &row->trap_secs);
		if (ret)
			goto free;
	}
	if (o->v2) {
		ret = measure(&d, VM_PROTO_V2, false, o->reps, &row->v2_bytes,
			      &row->v2_secs);
		if (ret)
			goto free;
		if (o->v1 && row->v2_bytes != row->bytes) {
			vm_err("v1 saved %llu bytes, v2 %llu: one device state, two sizes",
			       (unsigned long long)row->bytes,
			       (unsigned long long)row->v2_bytes);
			ret = -EPROTO;
			goto free;
		}
		if (!o->v1)
			row->bytes = row->v2_bytes;
	}
	row->memcpy_secs = measure_memcpy(d.chunk, src, row->bytes, window,
					  d.m.mem_size, o->reps);
free:
	free(src);
out:
	free(d.chunk);
	mdma_destroy(&d.m);
	return ret;
}

/* A MiB/s cell and its ratio to memcpy, or "-" when not measured. */
static void rate(char *mibs, char *ratio, size_t size, bool measured,
		 double v, double cp)
{
	if (!measured) {
		snprintf(mibs, size, "-");
		snprintf(ratio, size, "-");
		return;
	}
	snprintf(mibs, size, "%.1f", v);
	snprintf(ratio, size, "%.2f", v / cp);
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_row row;
	char *types, *type, *save;
	long kb;
	int ret, failed = 0;

	ret = bench_parse(argc, argv, &o);
	if (ret)
		return ret < 0 ? 0 : 2;
	kb = vm_window_kb();
	if (kb < 0) {
		vm_err("cannot read %s: is vfio_mig.ko loaded?",
		       VM_WINDOW_KB_PARAM);
		return 1;
	}
	if (o.windows && !in_list(o.windows, kb)) {
		vm_err("vfio_mig is loaded with window_kb=%ld, not one of %s",
		       kb, o.windows);
		vm_cont("  hint: window_kb is fixed while the module is loaded; reload vfio_mig (and mdma)\n");
		vm_cont("  with window_kb=N, or run tools/vfio-migrate/bench-windows.sh in a test guest\n");
		return 1;
	}
	if (o.header) {
		vm_info("save throughput, best of %u; window = vfio_mig window_kb (the data window)\n",
			o.reps);
		printf("%-9s %-10s %9s  %11s %5s  %11s %5s  %11s %5s  %10s\n",
		       "", "", "", "v1 mmapped", "", "v1 trapped", "", "v2 data fd",
		       "", "");
		printf("%-9s %-10s %9s  %11s %5s  %11s %5s  %11s %5s  %10s\n",
		       "window", "type", "state", "MiB/s", "x cpy", "MiB/s",
		       "x cpy", "MiB/s", "x cpy", "memcpy");
	}
	types = strdup(o.types);
	if (!types) {
		vm_err("out of memory");
		return 1;
	}
	for (type = strtok_r(types, ",", &save); type;
	     type = strtok_r(NULL, ",", &save)) {
		const char *why = mdma_unavailable(type);
		char kbs[32], sz[32];
		char c1[16], c2[16], c3[16], c4[16], c5[16], c6[16];
		double mm, tr, v2, cp;

		snprintf(kbs, sizeof(kbs), "%ld KiB", kb);
		if (why) {
			printf("%-9s %-10s skipped: %s\n", kbs, type, why);
			failed++;
			continue;
		}
		memset(&row, 0, sizeof(row));
		if (bench_type(type, &o, &row)) {
			failed++;
			continue;
		}
		cp = row.bytes / VM_MIB / row.memcpy_secs;
		mm = o.v1 ? row.bytes / VM_MIB / row.mmap_secs : 0;
		tr = o.v1 ? row.bytes / VM_MIB / row.trap_secs : 0;
		v2 = o.v2 ? row.bytes / VM_MIB / row.v2_secs : 0;
		rate(c1, c2, sizeof(c1), o.v1, mm, cp);
		rate(c3, c4, sizeof(c3), o.v1, tr, cp);
		rate(c5, c6, sizeof(c5), o.v2, v2, cp);
		printf("%-9s %-10s %9s  %11s %5s  %11s %5s  %11s %5s  %10.1f\n",
		       kbs, type, vm_bytes(sz, sizeof(sz), row.bytes), c1, c2,
		       c3, c4, c5, c6, cp);
		fflush(stdout);
	}
	free(types);
	return failed ? 1 : 0;
}
