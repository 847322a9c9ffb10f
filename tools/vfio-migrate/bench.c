// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate bench: how fast the data paths move a device's state.
 *
 * For each mdma type it creates an instance, fills its memory, and times
 * a whole stop-and-copy save, then a load of that stream back into the
 * device (RESUMING to RUNNING, so the device's final check is counted),
 * with protocol v1 through the mapped window and through trapped
 * accesses (one pread() or pwrite() of the window per piece), and with
 * protocol v2 through the data fd (1 MiB at a time, as QEMU), next to a
 * plain memcpy() of the same number of bytes in window-sized pieces in
 * this process. It also times one small access of the trapped window (a
 * pread() of 8 bytes, what QEMU 7.2 does with x-no-mmap=on) against a
 * pread() of 8 bytes of /dev/zero, the cheapest read a character device
 * can answer. The window size is vfio_mig's window_kb, fixed while the
 * module is loaded: bench-windows.sh reloads it to compare sizes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vfio-migrate.h"

#define BENCH_DEFAULT_TYPES	MDMA_TYPE_16M "," MDMA_TYPE_64M
#define BENCH_DEFAULT_REPS	3
/* The v2 data fd is read in pieces of this size, as QEMU does. */
#define BENCH_V2_PIECE		(1024UL * 1024)
/* Small accesses per timing: enough to hide the clock's resolution. */
#define BENCH_SMALL_N		20000
#define BENCH_SMALL_LEN		8

/* The data paths, in table order. */
enum bench_path { BENCH_MMAP, BENCH_TRAP, BENCH_V2, BENCH_NR_PATHS };

static const char *const bench_path_name[BENCH_NR_PATHS] = {
	[BENCH_MMAP] = "v1 mapped",
	[BENCH_TRAP] = "v1 trapped",
	[BENCH_V2] = "v2 data fd",
};

struct bench_opts {
	bool v1;
	bool v2;
	char *types;
	char *windows;
	unsigned int reps;
	bool header;
	const char *csv;
	const char *label;
};

/* Best times in seconds; 0 where not measured. */
struct bench_row {
	uint64_t bytes;
	double save_secs[BENCH_NR_PATHS];
	double load_secs[BENCH_NR_PATHS];
	double memcpy_secs;
	double small_ns;	/* one 8-byte pread() of the trapped window */
	double zero_ns;		/* one 8-byte pread() of /dev/zero */
};

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate bench [--protocol v1|v2] [--types T1,T2]\n"
		"                          [--windows KB1,KB2] [--reps N] [--no-header]\n"
		"                          [--csv FILE] [--label TEXT]\n"
		"\n"
		"For each mdma type, create an instance (through sysfs; it is removed\n"
		"afterwards), fill its device memory and time a whole stop-and-copy\n"
		"save and a load of that stream back into the device: protocol v1\n"
		"through the mapped data window and through trapped accesses (one\n"
		"pread()/pwrite() of the window per piece), protocol v2 through the\n"
		"data fd (1 MiB at a time), next to a plain memcpy() of the same bytes\n"
		"in window-sized pieces. Prints MiB/s and the ratio to memcpy (best of\n"
		"--reps runs), and the cost of one 8-byte pread() of the trapped window\n"
		"against one of /dev/zero.\n"
		"\n"
		"  --protocol P    measure only v1 or only v2 (default: both)\n"
		"  --types LIST    mdma types (default %s)\n"
		"  --windows LIST  window_kb values the run is meant for: the bench\n"
		"                  refuses to run if the loaded vfio_mig's window_kb is\n"
		"                  not among them. window_kb is fixed while vfio_mig is\n"
		"                  loaded; tools/vfio-migrate/bench-windows.sh reloads\n"
		"                  the modules with each size (in a test guest only)\n"
		"  --reps N        runs per measurement (default %u)\n"
		"  --no-header     rows only (for a table of several runs)\n"
		"  --csv FILE      also append every figure to FILE as CSV, one per\n"
		"                  line (a header line first if FILE is empty)\n"
		"  --label TEXT    the CSV's first column, naming the setup (default:\n"
		"                  the kernel release)\n",
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
		{ "csv", required_argument, NULL, 'c' },
		{ "label", required_argument, NULL, 'l' },
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
	o->csv = NULL;
	o->label = NULL;
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
		case 'c':
			o->csv = optarg;
			break;
		case 'l':
			if (!*optarg || strpbrk(optarg, ",\"\n")) {
				vm_err("--label %s: use text without commas, quotes or newlines",
				       optarg);
				return 1;
			}
			o->label = optarg;
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

/* A buffer for one whole stream. */
struct bench_stream {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

/* One more stop-and-copy save, kept in @s for the loads. */
static int save_to_mem(struct vm_dev *d, struct bench_stream *s)
{
	size_t room;
	ssize_t n;
	int ret;

	s->len = 0;
	ret = vm_set_state(d, VFIO_DEVICE_STATE_STOP_COPY, NULL);
	if (ret)
		return ret;
	for (;;) {
		room = s->cap - s->len;
		if (room > d->chan.piece)
			room = d->chan.piece;
		if (!room) {
			ret = vfio_set_error(-E2BIG, "the stream outgrew %zu bytes",
					     s->cap);
			break;
		}
		n = vfio_mig_chan_read(&d->chan, s->buf + s->len, room);
		if (n == -ENOMSG) {
			ret = vfio_set_error(-EPROTO,
					     "the %s said ENOMSG in stop-copy",
					     d->chan.kind);
			break;
		}
		if (n <= 0) {
			ret = n;
			break;
		}
		s->len += n;
	}
	if (ret)
		vm_set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	else
		ret = vm_set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	return ret;
}

/*
 * Loads of @s back into the device through @d->chan, from entering
 * RESUMING to RUNNING (where the device checks the stream is whole):
 * the best time of @reps.
 */
static int measure_load(struct vm_dev *d, const struct bench_stream *s,
			unsigned int reps, double *best)
{
	unsigned int i;
	size_t off, n;
	double t;
	int ret = 0;

	*best = 0;
	for (i = 0; i < reps && !ret; i++) {
		t = vm_now();
		ret = vm_set_state(d, VFIO_DEVICE_STATE_RESUMING, NULL);
		for (off = 0; !ret && off < s->len; off += n) {
			n = s->len - off < d->chan.piece ? s->len - off :
							   d->chan.piece;
			ret = vfio_mig_chan_write(&d->chan, s->buf + off, n);
		}
		ret = ret ?: vm_set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
		t = vm_now() - t;
		if (!*best || t < *best)
			*best = t;
	}
	return ret;
}

/* The best of @reps times BENCH_SMALL_N 8-byte pread()s, in ns each. */
static int small_reads(int fd, off_t off, unsigned int reps, double *ns)
{
	char b[BENCH_SMALL_LEN];
	unsigned int i, j;
	double t;

	*ns = 0;
	for (i = 0; i < reps; i++) {
		t = vm_now();
		for (j = 0; j < BENCH_SMALL_N; j++)
			if (pread(fd, b, sizeof(b), off) != sizeof(b))
				return vfio_set_error(-errno ?: -EIO,
						      "an 8-byte pread() came back short");
		t = (vm_now() - t) * 1e9 / BENCH_SMALL_N;
		if (!*ns || t < *ns)
			*ns = t;
	}
	return 0;
}

/* The trapped window's small access, and /dev/zero's for the floor. */
static int measure_small(struct vm_dev *d, unsigned int reps,
			 struct bench_row *row)
{
	const struct vfio_mig_v1 *m = &d->chan.v1.mig;
	int fd, ret;

	ret = small_reads(d->m.dev.fd, m->region.offset + m->data_offset,
			  reps, &row->small_ns);
	if (ret)
		return ret;
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vfio_set_error(-errno, "open /dev/zero");
	ret = small_reads(fd, 0, reps, &row->zero_ns);
	close(fd);
	return ret;
}

/*
 * One column: open the channel of @path, time saves and loads (and on
 * the trapped window its small accesses), close. Says what failed.
 */
static int measure(struct vm_dev *d, enum bench_path path, unsigned int reps,
		   struct bench_stream *s, struct bench_row *row)
{
	const char *step = "open the migration channel";
	char what[96];
	uint64_t bytes;
	int ret;

	if (path == BENCH_V2)
		ret = vfio_mig_chan_v2(&d->chan, &d->m.dev);
	else
		ret = vfio_mig_chan_v1(&d->chan, &d->m.dev,
				       path == BENCH_MMAP);
	if (ret) {
		vm_explain(step, ret);
		return ret;
	}
	step = "save";
	if (d->chan.piece > d->chunk_size)
		ret = vfio_set_error(-ENOSPC, "a %zu-byte piece in a %zu-byte buffer",
				     d->chan.piece, d->chunk_size);
	ret = ret ?: measure_save(d, reps, &bytes, &row->save_secs[path]);
	if (!ret && row->bytes && bytes != row->bytes)
		ret = vfio_set_error(-EPROTO,
				     "%llu bytes saved here, %llu through another path: one device state, two sizes",
				     (unsigned long long)bytes,
				     (unsigned long long)row->bytes);
	if (!ret)
		row->bytes = bytes;
	if (!ret && bytes + BENCH_V2_PIECE > s->cap) {
		free(s->buf);
		s->cap = bytes + BENCH_V2_PIECE;
		s->buf = malloc(s->cap);
		if (!s->buf) {
			s->cap = 0;
			ret = vfio_set_error(-ENOMEM, "no memory for the stream");
		}
	}
	if (!ret) {
		step = "load";
		ret = save_to_mem(d, s);
	}
	ret = ret ?: measure_load(d, s, reps, &row->load_secs[path]);
	if (!ret && path == BENCH_TRAP) {
		step = "time small accesses";
		ret = measure_small(d, reps, row);
	}
	if (ret) {
		snprintf(what, sizeof(what), "%s through the %s", step,
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
	struct bench_stream s = { 0 };
	enum bench_path p;
	struct vm_dev d;
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

	for (p = 0; p < BENCH_NR_PATHS && !ret; p++) {
		if ((p == BENCH_V2 && !o->v2) || (p != BENCH_V2 && !o->v1))
			continue;
		ret = measure(&d, p, o->reps, &s, row);
	}
	if (!ret)
		row->memcpy_secs = measure_memcpy(d.chunk, src, row->bytes,
						  window, d.m.mem_size,
						  o->reps);
	free(src);
	free(s.buf);
out:
	free(d.chunk);
	mdma_destroy(&d.m);
	return ret;
}

/* A MiB/s cell and its ratio to memcpy, or "-" when not measured. */
static void rate(char *mibs, char *ratio, size_t size, uint64_t bytes,
		 double secs, double cp)
{
	if (!secs) {
		snprintf(mibs, size, "-");
		snprintf(ratio, size, "-");
		return;
	}
	snprintf(mibs, size, "%.1f", bytes / VM_MIB / secs);
	snprintf(ratio, size, "%.2f", bytes / VM_MIB / secs / cp);
}

static void print_header(unsigned int reps)
{
	enum bench_path p;

	vm_info("throughput of a whole stop-and-copy save and of its load, best of %u;\n",
		reps);
	vm_info("window = vfio_mig window_kb (the data window), x cpy = ratio to memcpy\n");
	printf("%-9s %-10s %9s %-4s", "", "", "", "");
	for (p = 0; p < BENCH_NR_PATHS; p++)
		printf("  %11s %5s", bench_path_name[p], "");
	printf("  %10s\n", "");
	printf("%-9s %-10s %9s %-4s", "window", "type", "state", "dir");
	for (p = 0; p < BENCH_NR_PATHS; p++)
		printf("  %11s %5s", "MiB/s", "x cpy");
	printf("  %10s\n", "memcpy");
}

static void print_rows(const char *kbs, const char *type,
		       const struct bench_row *row, double cp)
{
	char sz[32], mibs[16], ratio[16];
	enum bench_path p;
	int dir;

	for (dir = 0; dir < 2; dir++) {
		printf("%-9s %-10s %9s %-4s", kbs, type,
		       vm_bytes(sz, sizeof(sz), row->bytes),
		       dir ? "load" : "save");
		for (p = 0; p < BENCH_NR_PATHS; p++) {
			rate(mibs, ratio, sizeof(mibs), row->bytes,
			     dir ? row->load_secs[p] : row->save_secs[p], cp);
			printf("  %11s %5s", mibs, ratio);
		}
		printf("  %10.1f\n", cp);
	}
}

/* Append @row to the CSV file @f, one figure per line. */
static void csv_rows(FILE *f, const char *label, long kb, const char *type,
		     const struct bench_row *row, double cp)
{
	enum bench_path p;
	double secs;
	int dir;

	for (dir = 0; dir < 2; dir++)
		for (p = 0; p < BENCH_NR_PATHS; p++) {
			secs = dir ? row->load_secs[p] : row->save_secs[p];
			if (!secs)
				continue;
			fprintf(f, "%s,%ld,%s,%llu,%s %s,%.1f,MiB/s,%.3f\n",
				label, kb, type,
				(unsigned long long)row->bytes,
				dir ? "load" : "save", bench_path_name[p],
				row->bytes / VM_MIB / secs,
				row->bytes / VM_MIB / secs / cp);
		}
	fprintf(f, "%s,%ld,%s,%llu,memcpy,%.1f,MiB/s,1.000\n", label, kb, type,
		(unsigned long long)row->bytes, cp);
	if (row->small_ns)
		fprintf(f, "%s,%ld,%s,%llu,pread 8 bytes of the trapped window,%.0f,ns,\n"
			"%s,%ld,%s,%llu,pread 8 bytes of /dev/zero,%.0f,ns,\n",
			label, kb, type, (unsigned long long)row->bytes,
			row->small_ns, label, kb, type,
			(unsigned long long)row->bytes, row->zero_ns);
	fflush(f);
}

static FILE *csv_open(const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f) {
		vm_err("open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (ftell(f) == 0)
		fprintf(f, "setup,window_kb,type,state_bytes,measure,value,unit,ratio_to_memcpy\n");
	return f;
}

int cmd_bench(int argc, char **argv)
{
	char *types, *type, *save, small[1024] = "";
	struct utsname uts;
	struct bench_opts o;
	struct bench_row row;
	FILE *csv = NULL;
	int ret, failed = 0;
	size_t used = 0;
	long kb;

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
	if (!o.label && !uname(&uts))
		o.label = uts.release;
	if (o.csv) {
		csv = csv_open(o.csv);
		if (!csv)
			return 1;
	}
	if (o.header)
		print_header(o.reps);
	types = strdup(o.types);
	if (!types) {
		vm_err("out of memory");
		if (csv)
			fclose(csv);
		return 1;
	}
	for (type = strtok_r(types, ",", &save); type;
	     type = strtok_r(NULL, ",", &save)) {
		const char *why = mdma_unavailable(type);
		char kbs[32];
		double cp;

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
		print_rows(kbs, type, &row, cp);
		if (csv)
			csv_rows(csv, o.label ?: "-", kb, type, &row, cp);
		if (row.small_ns && used < sizeof(small))
			used += snprintf(small + used, sizeof(small) - used,
					 "%-9s %-10s one 8-byte pread(): trapped window %.0f ns, /dev/zero %.0f ns (%.1fx)\n",
					 kbs, type, row.small_ns, row.zero_ns,
					 row.small_ns / row.zero_ns);
		fflush(stdout);
	}
	fputs(small, stdout);
	free(types);
	if (csv && fclose(csv)) {
		vm_err("write %s: %s", o.csv, strerror(errno));
		failed++;
	}
	return failed ? 1 : 0;
}
