// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate live: a VMM in miniature. It live-migrates a running mdma
 * instance and its "guest RAM" to another instance, with protocol v1 (the
 * migration region) or v2 (VFIO_DEVICE_FEATURE and a data fd):
 *
 *   setup         both instances in containers of their own, the same RAM
 *                 layout (IOVA) in each, a pattern in source RAM and
 *                 device memory, the source engine enabled
 *   pre-copy      type1 dirty tracking on the source container, all RAM
 *                 copied, source RUNNING|SAVING (v2: PRE_COPY), destination
 *                 RESUMING; a workload keeps the source busy; each round
 *                 moves device data (v1: while pending_bytes is above one
 *                 window; v2: what VFIO_MIG_GET_PRECOPY_INFO reports) and
 *                 then the RAM pages dirtied since the last round. A v2
 *                 device without PRE_COPY (Linux 6.1) keeps running and
 *                 only the RAM is pre-copied
 *   stop-and-copy workload stopped, source SAVING (v2: STOP_COPY), device
 *                 data until pending_bytes is 0 (v2: the end of the data
 *                 fd), last dirty RAM, source STOP, destination STOP (the
 *                 load is committed)
 *   verify        with both stopped: the debugfs digests and the RAM of
 *                 both sides must be equal (descriptors parked in the
 *                 queue are part of the state, so this must happen before
 *                 the destination runs them)
 *   resume        destination RUNNING
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-migrate.h"

#define LIVE_RAM_IOVA		0x40000000ULL	/* 1 GiB */
#define LIVE_DEFAULT_RAM_MB	64
#define LIVE_DEFAULT_ROUNDS	10
#define LIVE_MAX_ROUNDS		1000

struct live_opts {
	const char *from;
	const char *to;
	enum vm_proto proto;
	bool trapped;
	bool quiet;
	enum vm_workload_kind workload;
	unsigned int ram_mb;
	unsigned int max_rounds;
};

/* What one pre-copy round (or the stop-and-copy phase) moved. */
struct live_round {
	uint64_t dev_bytes;
	uint64_t dev_chunks;
	uint64_t ram_pages;
	uint64_t pending_after;
	double secs;
};

struct live {
	struct live_opts o;
	struct vm_dev src;
	struct vm_dev dst;
	struct vfio_dma_buf src_ram;
	struct vfio_dma_buf dst_ram;
	bool tracking;
	uint64_t pgsize;
	uint64_t *bitmap;
	size_t bitmap_size;
	struct vm_workload wl;
	struct live_round *rounds;
	unsigned int nr_rounds;
	struct live_round stop;
	uint64_t threshold;
	uint64_t ram_initial_pages;
	uint64_t dev_total;
	bool dev_precopy;	/* the device's state is pre-copied */
	int est_ret;		/* v2: MIG_DATA_SIZE before stop-and-copy */
	uint64_t est_stop_copy;
	const char *stop_reason;
	double t_down, t_verify, t_resumed;
	struct mdma_digest dg_src, dg_dst;
	bool verify_ran;
	bool verified;
};

static void live_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate live --from UUID --to UUID [--protocol v1|v2]\n"
		"                         [--trapped] [--workload none|dma|mem|mixed]\n"
		"                         [--ram-mb N] [--max-rounds N] [--quiet]\n"
		"                         [--backend local|plugin --plugin-path SO\n"
		"                          --plugin-arg ARG | --src-plugin-arg ARG\n"
		"                          --dst-plugin-arg ARG]\n"
		"\n"
		"Live-migrate the mdma instance --from, with %u MiB (--ram-mb) of \"guest\n"
		"RAM\" that its DMA engine writes, to the instance --to (same type), the\n"
		"way a VMM does: pre-copy rounds of device data and dirty RAM pages\n"
		"(type1 dirty tracking) while a workload keeps the source busy, then\n"
		"stop-and-copy. With both stopped it verifies that the destination's\n"
		"debugfs digest (mem_crc32, regs_crc32) and RAM equal the source's, then\n"
		"lets the destination run.\n"
		"\n"
		"  --protocol P    v1: the migration region, as QEMU 7.2 (default); v2:\n"
		"                  VFIO_DEVICE_FEATURE and the data fd, as QEMU >= 8: the\n"
		"                  device in PRE_COPY with VFIO_MIG_GET_PRECOPY_INFO sizing\n"
		"                  each round (Linux >= 6.2), or, on a kernel without\n"
		"                  PRE_COPY (6.1), RAM-only pre-copy and one STOP_COPY\n"
		"  --trapped       v1: move chunks with pread()/pwrite() of the data\n"
		"                  window instead of mapping it\n"
		"  --workload W    none, dma (DMA into RAM and device memory), mem (CPU\n"
		"                  writes to device memory through BAR2), or mixed\n"
		"                  (default: dma)\n"
		"  --ram-mb N      guest RAM size in MiB (default %u)\n"
		"  --max-rounds N  pre-copy rounds at most (default %u); pre-copy ends\n"
		"                  earlier once what is left fits in one window (v2: in\n"
		"                  window_kb, or 1 MiB)\n"
		"  --quiet         only the summary\n"
		VM_BACKEND_USAGE
		"  --src-plugin-arg ARG, --dst-plugin-arg ARG  the plugin's argument for\n"
		"                  one side, when the two sides have different agents\n"
		"\n"
		"Downtime is measured from the source's stop-and-copy to the\n"
		"destination running, minus the verification. Exit status 0 only if\n"
		"the verification passed.\n",
		LIVE_DEFAULT_RAM_MB, LIVE_DEFAULT_RAM_MB, LIVE_DEFAULT_ROUNDS);
}

/* Returns -1 for help (exit 0), 1 for a usage error, 0 when fine. */
static int live_parse(int argc, char **argv, struct live_opts *o)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "protocol", required_argument, NULL, 'P' },
		{ "trapped", no_argument, NULL, 'T' },
		{ "workload", required_argument, NULL, 'w' },
		{ "ram-mb", required_argument, NULL, 'r' },
		{ "max-rounds", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, VM_OPT_BACKEND },
		{ "plugin-path", required_argument, NULL, VM_OPT_PLUGIN_PATH },
		{ "plugin-arg", required_argument, NULL, VM_OPT_PLUGIN_ARG },
		{ "src-plugin-arg", required_argument, NULL,
		  VM_OPT_SRC_PLUGIN_ARG },
		{ "dst-plugin-arg", required_argument, NULL,
		  VM_OPT_DST_PLUGIN_ARG },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c, k, ret;

	memset(o, 0, sizeof(*o));
	o->workload = VM_WORKLOAD_DMA;
	o->proto = VM_PROTO_V1;
	o->ram_mb = LIVE_DEFAULT_RAM_MB;
	o->max_rounds = LIVE_DEFAULT_ROUNDS;
	while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'P':
			k = vm_proto_parse(optarg);
			if (k < 0)
				return 1;
			o->proto = k;
			break;
		case 'T':
			o->trapped = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'w':
			k = vm_workload_parse(optarg);
			if (k < 0) {
				vm_err("--workload %s: use none, dma, mem or mixed",
				       optarg);
				return 1;
			}
			o->workload = k;
			break;
		case 'r':
		case 'm':
			v = strtoul(optarg, &end, 0);
			if (*end || end == optarg || !v ||
			    v > (c == 'r' ? 4096 : LIVE_MAX_ROUNDS)) {
				vm_err("--%s %s: use 1 to %u",
				       c == 'r' ? "ram-mb" : "max-rounds", optarg,
				       c == 'r' ? 4096 : LIVE_MAX_ROUNDS);
				return 1;
			}
			if (c == 'r')
				o->ram_mb = v;
			else
				o->max_rounds = v;
			break;
		default:
			ret = vm_other_option(c, optarg, live_usage);
			if (ret)
				return ret;
		}
	}
	if (optind != argc || !o->from || !o->to) {
		live_usage(stderr);
		return 1;
	}
	if (vm_backend_check(o->proto, o->trapped, true))
		return 1;
	if (vm_backend.plugin)
		o->proto = VM_PROTO_PLUGIN;
	if (!strcmp(o->from, o->to)) {
		vm_err("--from and --to name the same instance; create a second one");
		return 1;
	}
	return 0;
}

/* A progress line, unless --quiet. */
static void live_info(struct live *l, const char *fmt, ...)
{
	va_list ap;

	if (l->o.quiet)
		return;
	vm_status_done();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* The smallest dirty page size the container supports, if it is ours. */
static int dirty_pgsize(struct live *l)
{
	const struct vfio_iommu_type1_info_cap_migration *cm;
	const struct vfio_info_cap_header *hdr = NULL;
	struct vfio_iommu_type1_info *ii;
	uint64_t pg = sysconf(_SC_PAGESIZE);
	int ret;

	ret = vfio_iommu_info(&l->src.m.container, &ii);
	if (ret)
		return ret;
	if (ii->flags & VFIO_IOMMU_INFO_CAPS)
		hdr = vfio_info_cap_find(ii, ii->argsz, ii->cap_offset,
					 VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	if (!hdr) {
		free(ii);
		return vfio_set_error(-EOPNOTSUPP,
				      "the source container offers no dirty page tracking");
	}
	cm = (const void *)hdr;
	if (!(cm->pgsize_bitmap & pg)) {
		free(ii);
		return vfio_set_error(-EOPNOTSUPP,
				      "dirty tracking page sizes 0x%llx lack the host page size",
				      (unsigned long long)cm->pgsize_bitmap);
	}
	free(ii);
	l->pgsize = pg;
	return 0;
}

static int live_setup(struct live *l)
{
	uint64_t ram = (uint64_t)l->o.ram_mb << 20;
	char sz[32], fl[64];
	long kb;
	int ret;

	if (vm_dev_open_backend(&l->src, l->o.from, l->o.trapped, l->o.proto,
				vm_backend.src_arg))
		return -1;
	if (vm_dev_open_backend(&l->dst, l->o.to, l->o.trapped, l->o.proto,
				vm_backend.dst_arg))
		return -1;
	if (strcmp(l->src.type, l->dst.type)) {
		vm_err("the source is an %s, the destination an %s; migrate between instances of one type",
		       l->src.type, l->dst.type);
		return -1;
	}
	/* Pre-copy converges once what is left fits in one window. */
	kb = vm_window_kb();
	l->threshold = kb > 0 ? (uint64_t)kb << 10 : l->src.chan.piece;
	l->dev_precopy = l->src.chan.precopy;
	switch (l->o.proto) {
	case VM_PROTO_V2:
		live_info(l, "setup: %s (%s) -> %s, protocol v2, flags %s%s",
			  l->src.m.uuid, l->src.type, l->dst.m.uuid,
			  vm_v2_flags_str(fl, sizeof(fl),
					  l->src.chan.v2.flags),
			  l->dev_precopy ? "" :
			  " (no PRE_COPY: only RAM is pre-copied)");
		break;
	case VM_PROTO_PLUGIN:
		live_info(l, "setup: %s (%s) -> %s, plugin backend %s (ABI version %d), v1 states, %s pieces",
			  l->src.m.uuid, l->src.type, l->dst.m.uuid,
			  vm_backend.path, l->src.chan.plugin.version,
			  vm_bytes(sz, sizeof(sz), l->src.chan.piece));
		break;
	case VM_PROTO_V1:
		live_info(l, "setup: %s (%s) -> %s, protocol v1, %s %s, NDMA %s",
			  l->src.m.uuid, l->src.type, l->dst.m.uuid,
			  vm_bytes(sz, sizeof(sz), l->src.chan.piece),
			  l->src.chan.kind,
			  l->src.chan.v1.mig.ndma ? "offered" : "not offered");
		break;
	}

	ret = dirty_pgsize(l);
	if (ret) {
		vm_explain("source dirty tracking", ret);
		return -1;
	}
	ret = vfio_dma_alloc(&l->src.m.container, LIVE_RAM_IOVA, ram,
			     &l->src_ram);
	ret = ret ?: vfio_dma_alloc(&l->dst.m.container, LIVE_RAM_IOVA, ram,
				    &l->dst_ram);
	if (ret) {
		vm_explain("map guest RAM", ret);
		return -1;
	}
	l->bitmap_size = vfio_dirty_bitmap_bytes(ram, l->pgsize);
	l->bitmap = calloc(1, l->bitmap_size);
	l->rounds = calloc(l->o.max_rounds, sizeof(*l->rounds));
	if (!l->bitmap || !l->rounds) {
		vm_err("out of memory");
		return -1;
	}

	/* The "guest" wrote RAM and device memory and enabled the engine. */
	vm_fill(l->src_ram.vaddr, ram, 0x5eed0001);
	ret = mdma_map_bar2(&l->src.m);
	if (ret) {
		vm_explain("map the source's BAR2", ret);
		return -1;
	}
	vm_fill(l->src.m.map, l->src.m.mem_size, 0x5eed0002);
	ret = mdma_wr(&l->src.m, MDMA_REG_IRQ_MASK, MDMA_IRQ_ALL);
	ret = ret ?: mdma_wr(&l->src.m, MDMA_REG_SCRATCH, 0x600dcafe);
	ret = ret ?: mdma_wr(&l->src.m, MDMA_REG_CTRL, MDMA_CTRL_ENABLE);
	if (ret) {
		vm_explain("program the source's registers", ret);
		return -1;
	}
	live_info(l, "setup: %s of guest RAM at IOVA 0x%llx in both containers, pattern written, source engine enabled",
		  vm_bytes(sz, sizeof(sz), ram), LIVE_RAM_IOVA);
	return 0;
}

/* Fetch the source's dirty bitmap and copy those pages; count them. */
static int ram_sync(struct live *l, uint64_t *pages)
{
	const uint8_t *s = l->src_ram.vaddr;
	uint8_t *d = l->dst_ram.vaddr;
	uint64_t npages = l->src_ram.size / l->pgsize, i, w;
	int ret;

	ret = vfio_dirty_get(&l->src.m.container, l->src_ram.iova,
			     l->src_ram.size, l->pgsize, l->bitmap,
			     l->bitmap_size);
	if (ret)
		return ret;
	for (i = 0; i < npages; i += 64) {
		w = l->bitmap[i / 64];
		while (w) {
			uint64_t p = i + __builtin_ctzll(w);

			w &= w - 1;
			if (p >= npages)
				break;
			memcpy(d + p * l->pgsize, s + p * l->pgsize,
			       l->pgsize);
			(*pages)++;
		}
	}
	return 0;
}

static void progress(struct live *l, const char *phase, unsigned int round,
		     uint64_t pending, const struct live_round *r, bool force)
{
	char a[32], b[32];

	if (l->o.quiet)
		return;
	vm_status(force, "%s %u: pending %s, device %s in %llu chunks, RAM %llu pages",
		  phase, round, vm_bytes(a, sizeof(a), pending),
		  vm_bytes(b, sizeof(b), r->dev_bytes),
		  (unsigned long long)r->dev_chunks,
		  (unsigned long long)r->ram_pages);
}

/*
 * Move up to @max bytes of the stream from the source's channel to the
 * destination's, until @max, the temporary end of pre-copy (ENOMSG) or
 * the end of the stream (*ended).
 */
static int move(struct live *l, struct live_round *r, uint64_t max,
		bool *ended, const char *phase, unsigned int round)
{
	size_t piece = l->src.chunk_size;
	ssize_t n;
	int ret;

	*ended = false;
	while (max) {
		n = vfio_mig_chan_read(&l->src.chan, l->src.chunk,
				       max < piece ? max : piece);
		if (n == -ENOMSG)
			return 0;
		if (n < 0)
			return n;
		if (!n) {
			*ended = true;
			return 0;
		}
		ret = vfio_mig_chan_write(&l->dst.chan, l->src.chunk, n);
		if (ret)
			return ret;
		r->dev_bytes += n;
		r->dev_chunks++;
		l->dev_total += n;
		max -= n;
		progress(l, phase, round, max, r, false);
	}
	return 0;
}

/* Pre-copy: what the source says is left, or 0 without device pre-copy. */
static int precopy_pending(struct live *l, uint64_t *pending)
{
	*pending = 0;
	if (!l->dev_precopy)
		return 0;
	return vfio_mig_chan_pending(&l->src.chan, pending);
}

/* One pre-copy round of device data, up to @budget bytes. */
static int precopy_device(struct live *l, struct live_round *r,
			  uint64_t budget)
{
	uint64_t pending;
	bool ended;
	int ret;

	ret = precopy_pending(l, &pending);
	if (ret || !pending)
		return ret;
	ret = move(l, r, pending < budget ? pending : budget, &ended, "round",
		   l->nr_rounds);
	if (!ret && ended)
		ret = vfio_set_error(-EPROTO, "the %s ended during pre-copy",
				     l->src.chan.kind);
	return ret;
}

static int precopy(struct live *l)
{
	uint64_t budget = l->src.m.mem_size + l->threshold;
	struct live_round *r;
	double t;
	int ret;

	ret = vfio_dirty_start(&l->src.m.container);
	if (ret) {
		vm_explain("start dirty tracking", ret);
		return ret;
	}
	l->tracking = true;
	memcpy(l->dst_ram.vaddr, l->src_ram.vaddr, l->src_ram.size);
	l->ram_initial_pages = l->src_ram.size / l->pgsize;
	live_info(l, "pre-copy: dirty tracking started, %llu RAM pages copied",
		  (unsigned long long)l->ram_initial_pages);

	if (l->dev_precopy) {
		ret = vm_set_state(&l->src, VFIO_DEVICE_STATE_PRE_COPY,
				   "source to pre-copy");
		if (ret)
			return ret;
	}
	ret = vm_set_state(&l->dst, VFIO_DEVICE_STATE_RESUMING,
			   "destination to resuming");
	if (ret)
		return ret;
	l->wl.kind = l->o.workload;
	l->wl.dev = &l->src;
	l->wl.ram_iova = l->src_ram.iova;
	l->wl.ram_size = l->src_ram.size;
	l->wl.bar2 = l->src.m.map;
	ret = vm_workload_start(&l->wl);
	if (ret) {
		vm_explain("start the workload", ret);
		return ret;
	}
	live_info(l, "pre-copy: source %s, destination resuming, workload %s",
		  l->dev_precopy ? "in pre-copy" :
		  "running (its state waits for STOP_COPY)",
		  vm_workload_name(l->o.workload));

	l->stop_reason = "max rounds reached";
	while (l->nr_rounds < l->o.max_rounds) {
		r = &l->rounds[l->nr_rounds++];
		t = vm_now();
		ret = precopy_device(l, r, budget);
		ret = ret ?: ram_sync(l, &r->ram_pages);
		ret = ret ?: precopy_pending(l, &r->pending_after);
		r->secs = vm_now() - t;
		if (ret) {
			vm_explain("pre-copy", ret);
			return ret;
		}
		progress(l, "round", l->nr_rounds, r->pending_after, r, true);
		vm_status_done();
		if (r->pending_after + r->ram_pages * l->pgsize <=
		    l->threshold) {
			l->stop_reason = "converged: what is left fits in one window";
			break;
		}
	}
	return 0;
}

static int stop_and_copy(struct live *l)
{
	struct live_round *r = &l->stop;
	bool ended;
	double t;
	int ret;

	vm_workload_stop(&l->wl);
	if (l->wl.err)
		live_info(l, "workload: ended early: %s", l->wl.errmsg);
	/* v2's stop-copy size estimate, shown next to what moved. */
	if (l->o.proto == VM_PROTO_V2)
		l->est_ret = vfio_mig_v2_stop_copy_size(&l->src.m.dev,
							&l->est_stop_copy);
	t = vm_now();
	l->t_down = t;
	ret = vm_set_state(&l->src, VFIO_DEVICE_STATE_STOP_COPY,
			   "source to stop-copy");
	if (ret)
		return ret;
	ret = move(l, r, UINT64_MAX, &ended, "stop-copy", 1);
	if (!ret && !ended)
		ret = vfio_set_error(-EPROTO,
				     "the %s said ENOMSG in stop-copy",
				     l->src.chan.kind);
	if (ret) {
		vm_explain("stop-and-copy", ret);
		return ret;
	}
	ret = ram_sync(l, &r->ram_pages);
	if (ret) {
		vm_explain("final RAM sync", ret);
		return ret;
	}
	ret = vm_set_state(&l->src, VFIO_DEVICE_STATE_STOP, "source to stop");
	if (ret)
		return ret;
	ret = vm_set_state(&l->dst, VFIO_DEVICE_STATE_STOP,
			   "destination resuming -> stop (the device rejects the stream)");
	if (ret)
		return ret;
	r->secs = vm_now() - t;
	progress(l, "stop-copy", 1, 0, r, true);
	vm_status_done();
	return 0;
}

static int live_verify(struct live *l)
{
	const uint8_t *s = l->src_ram.vaddr, *d = l->dst_ram.vaddr;
	uint64_t pages = 0, first = UINT64_MAX, i;
	bool ok = true;
	int ret;

	l->t_verify = vm_now();
	ret = mdma_digest_read(l->src.m.uuid, &l->dg_src);
	ret = ret ?: mdma_digest_read(l->dst.m.uuid, &l->dg_dst);
	if (ret) {
		vm_explain("read the debugfs digests (mount -t debugfs none /sys/kernel/debug)",
			   ret);
		return ret;
	}
	if (l->dg_src.mem_crc32 != l->dg_dst.mem_crc32) {
		vm_err("verify: device memory differs: mem_crc32 %08x on the source, %08x on the destination",
		       l->dg_src.mem_crc32, l->dg_dst.mem_crc32);
		ok = false;
	}
	if (l->dg_src.regs_crc32 != l->dg_dst.regs_crc32) {
		vm_err("verify: registers or config space differ: regs_crc32 %08x on the source, %08x on the destination",
		       l->dg_src.regs_crc32, l->dg_dst.regs_crc32);
		ok = false;
	}
	if (l->dg_src.queue_crc32 != l->dg_dst.queue_crc32 ||
	    l->dg_src.dma_queued != l->dg_dst.dma_queued) {
		vm_err("verify: the descriptor queues differ: %u queued, queue_crc32 %08x on the source, %u, %08x on the destination",
		       l->dg_src.dma_queued, l->dg_src.queue_crc32,
		       l->dg_dst.dma_queued, l->dg_dst.queue_crc32);
		ok = false;
	}
	if (l->dg_src.intx_masked != l->dg_dst.intx_masked) {
		vm_err("verify: INTx masking differs: %u on the source, %u on the destination",
		       l->dg_src.intx_masked, l->dg_dst.intx_masked);
		ok = false;
	}
	if (memcmp(s, d, l->src_ram.size)) {
		for (i = 0; i < l->src_ram.size / l->pgsize; i++) {
			if (!memcmp(s + i * l->pgsize, d + i * l->pgsize,
				    l->pgsize))
				continue;
			pages++;
			if (first == UINT64_MAX)
				first = i;
		}
		vm_err("verify: %llu RAM pages differ, the first at IOVA 0x%llx (a DMA write the dirty bitmap missed)",
		       (unsigned long long)pages,
		       (unsigned long long)(l->src_ram.iova + first * l->pgsize));
		ok = false;
	}
	l->verify_ran = true;
	l->verified = ok;
	l->t_verify = vm_now() - l->t_verify;
	live_info(l, "verify: digest mem_crc32 %08x/%08x regs_crc32 %08x/%08x, %u descriptors parked, RAM %s: %s",
		  l->dg_src.mem_crc32, l->dg_dst.mem_crc32, l->dg_src.regs_crc32,
		  l->dg_dst.regs_crc32, l->dg_dst.dma_queued,
		  ok || !pages ? "equal" : "differs", ok ? "ok" : "FAILED");
	return ok ? 0 : -EIO;
}

static void summary(struct live *l, int ret)
{
	uint64_t resent = l->stop.ram_pages, precopy_bytes = 0;
	double down = l->t_resumed - l->t_down - l->t_verify;
	char a[32], b[32], c[32];
	unsigned int i;

	vm_status_done();
	printf("\nsummary: %s -> %s (%s), workload %s, protocol %s, %s\n",
	       l->src.m.uuid, l->dst.m.uuid, l->src.type,
	       vm_workload_name(l->o.workload), vm_proto_name(l->o.proto),
	       l->src.chan.kind);
	printf("  round  device bytes      chunks  RAM pages  pending after       time\n");
	for (i = 0; i < l->nr_rounds; i++) {
		const struct live_round *r = &l->rounds[i];

		printf("  %5u  %12s  %10llu  %9llu  %13s  %7.0f ms\n", i + 1,
		       vm_bytes(a, sizeof(a), r->dev_bytes),
		       (unsigned long long)r->dev_chunks,
		       (unsigned long long)r->ram_pages,
		       l->dev_precopy ?
		       vm_bytes(b, sizeof(b), r->pending_after) : "-",
		       r->secs * 1e3);
		resent += r->ram_pages;
		precopy_bytes += r->dev_bytes;
	}
	printf("  %5s  %12s  %10llu  %9llu  %13s  %7.0f ms\n", "stop",
	       vm_bytes(a, sizeof(a), l->stop.dev_bytes),
	       (unsigned long long)l->stop.dev_chunks,
	       (unsigned long long)l->stop.ram_pages, "0 B",
	       l->stop.secs * 1e3);
	printf("  pre-copy rounds:   %u (%s)%s\n", l->nr_rounds,
	       l->stop_reason ? l->stop_reason : "not reached",
	       l->dev_precopy ? "" : ", RAM only: the device has no PRE_COPY");
	printf("  device bytes:      %s (%llu) = %s pre-copy + %s stop-and-copy\n",
	       vm_bytes(a, sizeof(a), l->dev_total),
	       (unsigned long long)l->dev_total,
	       vm_bytes(b, sizeof(b), precopy_bytes),
	       vm_bytes(c, sizeof(c), l->stop.dev_bytes));
	if (l->o.proto == VM_PROTO_V2 && l->t_down > 0) {
		if (l->est_ret)
			printf("  MIG_DATA_SIZE:     not offered (%s)\n",
			       l->est_ret == -ENOTTY ? "kernel before 6.2" :
			       strerror(-l->est_ret));
		else
			printf("  MIG_DATA_SIZE:     %s estimated before stop-and-copy, %s moved\n",
			       vm_bytes(a, sizeof(a), l->est_stop_copy),
			       vm_bytes(b, sizeof(b), l->stop.dev_bytes));
	}
	vm_info("  RAM pages copied:  %llu initial + %llu re-sent dirty (%llu in stop-and-copy), %llu-byte pages\n",
		(unsigned long long)l->ram_initial_pages,
		(unsigned long long)resent,
		(unsigned long long)l->stop.ram_pages,
		(unsigned long long)l->pgsize);
	if (l->o.workload != VM_WORKLOAD_NONE)
		vm_info("  workload:          %llu DMA descriptors (%s), %s CPU writes to device memory\n",
			(unsigned long long)l->wl.descs,
			vm_bytes(a, sizeof(a), l->wl.dma_bytes),
			vm_bytes(b, sizeof(b), l->wl.mem_bytes));
	if (l->verify_ran)
		vm_info("  parked descriptors: %u queued when the source stopped, migrated with it\n",
			l->dg_src.dma_queued);
	if (l->t_resumed > 0)
		vm_info("  downtime:          %.1f ms (source stop-copy to destination running, without the %.1f ms of verification)\n",
			down * 1e3, l->t_verify * 1e3);
	else
		printf("  downtime:          not measured (the migration did not finish)\n");
	if (!ret && l->verified)
		vm_info("  result:            PASS (device digest and RAM equal; destination running)\n");
	else if (l->verify_ran && !l->verified)
		printf("  result:            FAIL (verification, see above)\n");
	else
		printf("  result:            FAIL (migration error above)\n");
}

static void teardown(struct live *l)
{
	vm_workload_stop(&l->wl);
	if (l->tracking)
		vfio_dirty_stop(&l->src.m.container);
	vfio_dma_free(&l->src.m.container, &l->src_ram);
	vfio_dma_free(&l->dst.m.container, &l->dst_ram);
	vm_dev_close(&l->src);
	vm_dev_close(&l->dst);
	free(l->bitmap);
	free(l->rounds);
}

/*
 * Is the source still saving or stopped (and not in error), so that it
 * can run on, as QEMU's source does after a failed migration?
 */
static bool src_saving(struct live *l)
{
	uint32_t state;

	if (!l->src.chan.ops || vfio_mig_chan_get_state(&l->src.chan, &state))
		return false;
	return state == VFIO_DEVICE_STATE_PRE_COPY ||
	       state == VFIO_DEVICE_STATE_PRE_COPY_P2P ||
	       state == VFIO_DEVICE_STATE_STOP_COPY ||
	       state == VFIO_DEVICE_STATE_STOP;
}

/*
 * After a failed migration: does the source still work? One DMA round
 * trip, guest RAM -> device memory -> guest RAM, in the last two pages.
 */
static void source_works(struct live *l)
{
	uint64_t pg = l->pgsize, a = l->src_ram.size - 2 * pg;
	uint8_t *ram = l->src_ram.vaddr;
	uint32_t err = 0;
	int ret;

	vm_workload_stop(&l->wl);
	vm_fill(ram + a, pg, 0x5eed0003);
	ret = mdma_run(&l->src.m, MDMA_CMD_GUEST_TO_DEV, l->src_ram.iova + a,
		       0, pg, 0, &err);
	ret = ret ?: (err ? -EIO : 0);
	ret = ret ?: mdma_run(&l->src.m, MDMA_CMD_DEV_TO_GUEST, 0,
			      l->src_ram.iova + a + pg, pg, 0, &err);
	ret = ret ?: (err ? -EIO : 0);
	if (!ret && !memcmp(ram + a, ram + a + pg, pg)) {
		vm_info("after the failure: the source runs and works (a DMA round trip through device memory is intact)\n");
		return;
	}
	vm_err("after the failure: the source does not work: DMA round trip %s (DMA_ERROR %u)",
	       ret ? "failed" : "corrupted the data", err);
}

int cmd_live(int argc, char **argv)
{
	struct live *l;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l) {
		vm_err("out of memory");
		return 1;
	}
	ret = live_parse(argc, argv, &l->o);
	if (ret) {
		free(l);
		return ret < 0 ? 0 : 2;
	}
	mdma_init(&l->src.m);
	mdma_init(&l->dst.m);

	ret = live_setup(l);
	ret = ret ?: precopy(l);
	ret = ret ?: stop_and_copy(l);
	if (!ret) {
		ret = live_verify(l);
		if (!ret) {
			ret = vm_set_state(&l->dst, VFIO_DEVICE_STATE_RUNNING,
					   "destination to running");
			l->t_resumed = vm_now();
			if (!ret)
				live_info(l, "resume: destination running");
		}
	} else if (src_saving(l)) {
		/* Cancelled: the source runs on, as QEMU does. */
		vm_workload_stop(&l->wl);
		if (!vm_set_state(&l->src, VFIO_DEVICE_STATE_RUNNING, NULL))
			live_info(l, "cancelled: the source runs on");
	}
	if (ret && l->rounds && l->src_ram.vaddr)
		source_works(l);
	if (l->rounds)
		summary(l, ret);
	teardown(l);
	free(l);
	return ret ? 1 : 0;
}
