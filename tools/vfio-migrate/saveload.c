// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate save / load: an instance's state to and from a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfio-migrate.h"

static void save_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate save UUID FILE [--protocol v1|v2] [--trapped]\n"
		"                         [--pattern SEED] [--backend local|plugin\n"
		"                         --plugin-path SO --plugin-arg ARG]\n"
		"\n"
		"Stop-and-copy the state of the mdma instance UUID into FILE. v1: device_state\n"
		"running -> stop-copy (010), read chunks while pending_bytes > 0, -> stop.\n"
		"v2: RUNNING -> STOP_COPY, read the data fd until its end, -> STOP. Then\n"
		"back to running. Prints the bytes, the time and the instance's debugfs\n"
		"digest while it was stopped.\n"
		"\n"
		"  --protocol P    v1 (the migration region, default) or v2 (the data fd)\n"
		"  --trapped       v1: read the data window with pread() instead of mapping it\n"
		"  --pattern SEED  first fill device memory with a pattern made from SEED\n"
		"                  and write SEED to the SCRATCH register (opening an mdma\n"
		"                  instance resets it, so without this the state is the\n"
		"                  power-on state)\n"
		VM_BACKEND_USAGE
		"\n"
		"FILE format: \"VFMIGSV1\", the type name in 32 bytes, then one frame per\n"
		"chunk (little-endian u64 length, bytes) and a zero length at the end.\n"
		"v2 frames are reads of the data fd, up to 1 MiB each.\n");
}

static void load_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate load UUID FILE [--protocol v1|v2] [--trapped]\n"
		"                         [--expect-pattern SEED] [--backend local|plugin\n"
		"                         --plugin-path SO --plugin-arg ARG]\n"
		"\n"
		"Resume the mdma instance UUID from FILE (written by \"vfio-migrate save\"\n"
		"from an instance of the same type): device_state -> resuming, write each\n"
		"chunk (v1: through the data window; v2: to the data fd), -> running.\n"
		"Prints the bytes, the time and the instance's debugfs digest afterwards.\n"
		"\n"
		"  --protocol P   v1 (default) or v2\n"
		"  --trapped      v1: write the data window with pwrite() instead of mapping it\n"
		"  --expect-pattern SEED\n"
		"                 after the load, read device memory back through BAR2 and\n"
		"                 check it holds the pattern \"save --pattern SEED\" wrote, and\n"
		"                 SCRATCH holds SEED; exit 1 at the first difference\n"
		VM_BACKEND_USAGE
		"\n"
		"The instance is closed when the command ends, which resets it; load\n"
		"checks the stream and shows the digest, it does not keep the state.\n");
}

/*
 * Parse "UUID FILE [--protocol P] [--trapped] [--pattern SEED]" (save,
 * @saving) or "... [--expect-pattern SEED]" (load). Returns -1 to exit 0
 * (help), 1 on a usage error, 0 when the arguments are fine.
 */
static int parse(int argc, char **argv, void (*usage)(FILE *f),
		 bool saving, bool *trapped, bool *pattern,
		 unsigned long *seed, enum vm_proto *proto)
{
	static const struct option opts[] = {
		{ "protocol", required_argument, NULL, 'P' },
		{ "trapped", no_argument, NULL, 't' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "expect-pattern", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "backend", required_argument, NULL, VM_OPT_BACKEND },
		{ "plugin-path", required_argument, NULL, VM_OPT_PLUGIN_PATH },
		{ "plugin-arg", required_argument, NULL, VM_OPT_PLUGIN_ARG },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*trapped = false;
	*pattern = false;
	*proto = VM_PROTO_V1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			c = vm_proto_parse(optarg);
			if (c < 0) {
				vm_err("--protocol %s: use v1 or v2", optarg);
				return 1;
			}
			*proto = c;
			break;
		case 't':
			*trapped = true;
			break;
		case 'p':
		case 'e':
			if (saving != (c == 'p'))
				goto bad;
			*seed = strtoul(optarg, &end, 0);
			if (*end || end == optarg) {
				vm_err("--%s %s: not a number",
				       saving ? "pattern" : "expect-pattern",
				       optarg);
				return 1;
			}
			*pattern = true;
			break;
		case VM_OPT_BACKEND ... VM_OPT_PLUGIN_ARG:
			if (vm_backend_option(c, optarg))
				return 1;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			goto bad;
		}
	}
	if (*trapped && *proto == VM_PROTO_V2) {
		vm_err("--trapped is about the v1 data window; v2 has a data fd");
		return 1;
	}
	if (vm_backend_check(*proto, *trapped, false))
		return 1;
	if (vm_backend.plugin)
		*proto = VM_PROTO_PLUGIN;
	if (argc - optind == 2)
		return 0;
bad:
	usage(stderr);
	return 1;
}

static void show_digest(const char *uuid, const char *when)
{
	struct mdma_digest dg;

	if (mdma_digest_read(uuid, &dg)) {
		printf("digest %s: unavailable (%s)\n", when, vfio_errmsg());
		return;
	}
	printf("digest %s: mem_crc32 %08x regs_crc32 %08x ", when,
	       dg.mem_crc32, dg.regs_crc32);
	printf("queue_crc32 %08x intx_masked %u dma_queued %u\n",
	       dg.queue_crc32, dg.intx_masked, dg.dma_queued);
}

/* v2: read the data fd in pieces of up to VM_V2_PIECE until its end. */
static int save_stopcopy_v2(struct vm_dev *d, int fd, uint64_t *bytes,
			    uint64_t *chunks)
{
	struct vfio_mig_v2_buf b = {
		.data = d->chunk,
		.cap = d->chunk_size,
	};
	bool ended = false;
	int ret = 0;

	while (!ended) {
		b.len = 0;
		ret = vfio_mig_v2_read_all(d->data_fd, &b, d->chunk_size,
					   &ended);
		if (ret)
			break;
		if (!b.len && !ended) {
			/* ENOMSG: STOP_COPY has no temporary end. */
			ret = vfio_set_error(-EPROTO,
					     "the data fd said ENOMSG in STOP_COPY");
			break;
		}
		if (!b.len)
			break;
		if (fd >= 0) {
			ret = vfio_mig_file_write_frame(fd, b.data, b.len);
			if (ret)
				break;
		}
		*bytes += b.len;
		(*chunks)++;
	}
	/* The buffer is d->chunk; read_all never grows it past @max. */
	d->chunk = b.data;
	return ret;
}

int vm_save_stopcopy(struct vm_dev *d, int fd, uint64_t *bytes,
		     uint64_t *chunks)
{
	uint64_t pending, len;
	int ret;

	*bytes = 0;
	*chunks = 0;
	if (d->proto == VM_PROTO_V2)
		return save_stopcopy_v2(d, fd, bytes, chunks);
	for (;;) {
		ret = vm_v1_pending(d, &pending);
		if (ret || !pending)
			return ret;
		ret = vm_v1_save_chunk(d, d->chunk, d->chunk_size, &len);
		if (ret)
			return ret;
		if (!len)	/* nothing staged although pending: done */
			return 0;
		if (fd >= 0) {
			ret = vfio_mig_file_write_frame(fd, d->chunk, len);
			if (ret)
				return ret;
		}
		*bytes += len;
		(*chunks)++;
	}
}

/* Save starts from running or stop, in either protocol. */
static int check_idle(struct vm_dev *d)
{
	uint32_t state;
	int ret;

	if (d->proto == VM_PROTO_V2) {
		ret = vfio_mig_v2_get_state(&d->m.dev, &state);
		if (ret) {
			vm_explain("read the v2 device_state", ret);
			return ret;
		}
		if (state == VFIO_DEVICE_STATE_RUNNING ||
		    state == VFIO_DEVICE_STATE_STOP)
			return 0;
		vm_err("the v2 device_state is %u (%s); save starts from running or stop",
		       state, vfio_mig_v2_state_name(state));
		return -EINVAL;
	}
	ret = vm_v1_get_state(d, &state);
	if (ret) {
		vm_explain("read device_state", ret);
		return ret;
	}
	if ((state & VFIO_DEVICE_STATE_MASK) == VFIO_MIG_V1_RUNNING ||
	    (state & VFIO_DEVICE_STATE_MASK) == VFIO_MIG_V1_STOP)
		return 0;
	vm_err("device_state is 0x%x (%s); save starts from running or stop",
	       state, vfio_mig_v1_state_name(state));
	return -EINVAL;
}

static int fill_pattern(struct vm_dev *d, unsigned long seed)
{
	int ret;

	ret = mdma_map_bar2(&d->m);
	if (ret)
		return ret;
	vm_fill(d->m.map, d->m.bar2.size, seed);
	return mdma_wr(&d->m, MDMA_REG_SCRATCH, (uint32_t)seed);
}

/*
 * Read all of device memory back through BAR2's region and compare it with
 * the pattern of @seed that fill_pattern() writes, computed here; and
 * SCRATCH with @seed.
 */
static int check_pattern(struct vm_dev *d, unsigned long seed)
{
	uint64_t size = d->m.bar2.size, off, i;
	uint8_t *want, *got;
	uint32_t scratch;
	int ret;

	want = malloc(size);
	got = malloc(VM_MIB);
	if (!want || !got) {
		ret = vfio_set_error(-ENOMEM, "no memory for %llu bytes",
				     (unsigned long long)size);
		goto out;
	}
	vm_fill(want, size, seed);
	for (off = 0; off < size; off += VM_MIB) {
		size_t n = size - off < VM_MIB ? size - off : VM_MIB;

		ret = vfio_region_read(&d->m.dev, &d->m.bar2, off, got, n);
		if (ret)
			goto out;
		if (!memcmp(got, want + off, n))
			continue;
		for (i = 0; got[i] == want[off + i]; i++)
			;
		ret = vfio_set_error(-EIO, "memory at 0x%llx: 0x%02x, not 0x%02x",
				     (unsigned long long)(off + i), got[i],
				     want[off + i]);
		goto out;
	}
	ret = mdma_rd(&d->m, MDMA_REG_SCRATCH, &scratch);
	if (!ret && scratch != (uint32_t)seed)
		ret = vfio_set_error(-EIO, "SCRATCH is 0x%x, not 0x%x", scratch,
				     (uint32_t)seed);
out:
	free(want);
	free(got);
	return ret;
}

int cmd_save(int argc, char **argv)
{
	uint64_t bytes, chunks;
	bool trapped, pattern;
	unsigned long seed = 0;
	enum vm_proto proto;
	const char *path;
	struct vm_dev d;
	double t0, t1;
	int fd, ret;
	char sz[32];

	ret = parse(argc, argv, save_usage, true, &trapped, &pattern, &seed,
		    &proto);
	if (ret)
		return ret < 0 ? 0 : 2;
	path = argv[optind + 1];
	if (vm_dev_open_backend(&d, argv[optind], trapped, proto, NULL))
		return 1;

	ret = check_idle(&d);
	if (ret)
		goto close;
	if (pattern) {
		ret = fill_pattern(&d, seed);
		if (ret) {
			vm_explain("fill device memory with a pattern", ret);
			goto close;
		}
	}

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		vm_err("create %s: %s", path, strerror(errno));
		goto close;
	}
	ret = vfio_mig_file_write_header(fd, d.type);
	if (ret) {
		vm_explain(path, ret);
		goto fail;
	}

	t0 = vm_now();
	ret = vm_set_state(&d, VM_STOP_COPY);
	if (ret) {
		vm_explain("enter stop-copy", ret);
		goto fail;
	}
	ret = vm_save_stopcopy(&d, fd, &bytes, &chunks);
	if (ret) {
		vm_explain("save the device state", ret);
		vm_set_state(&d, VM_RUNNING);
		goto fail;
	}
	ret = vm_set_state(&d, VM_STOP);
	t1 = vm_now();
	if (ret) {
		vm_explain("enter stop", ret);
		goto fail;
	}
	show_digest(d.m.uuid, "while stopped");
	ret = vfio_mig_file_write_frame(fd, NULL, 0);
	if (!ret && fsync(fd))
		ret = vfio_set_error(-errno, "fsync %s", path);
	if (ret) {
		vm_explain(path, ret);
		vm_set_state(&d, VM_RUNNING);
		goto fail;
	}
	close(fd);
	ret = vm_set_state(&d, VM_RUNNING);
	if (ret)
		vm_explain("return to running", ret);
	vm_info("saved %s (%llu bytes) of %s in %llu chunks to %s in %.1f ms (%.1f MiB/s, protocol %s, %s)\n",
		vm_bytes(sz, sizeof(sz), bytes), (unsigned long long)bytes,
		d.type, (unsigned long long)chunks, path, (t1 - t0) * 1e3,
		bytes / VM_MIB / (t1 - t0), vm_proto_name(d.proto),
		vm_transport(&d));
	vm_dev_close(&d);
	return ret ? 1 : 0;

fail:
	close(fd);
	unlink(path);
	vm_cont("  %s removed: it would be incomplete\n", path);
close:
	vm_dev_close(&d);
	return 1;
}

int cmd_load(int argc, char **argv)
{
	char type[VFIO_MIG_FILE_TYPE_LEN], sz[32];
	uint64_t len, bytes = 0, chunks = 0;
	bool trapped, pattern;
	enum vm_proto proto;
	unsigned long seed = 0;
	const char *path;
	struct vm_dev d;
	double t0, t1;
	int fd, ret;

	ret = parse(argc, argv, load_usage, false, &trapped, &pattern, &seed,
		    &proto);
	if (ret)
		return ret < 0 ? 0 : 2;
	path = argv[optind + 1];
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vm_err("open %s: %s", path, strerror(errno));
		return 1;
	}
	ret = vfio_mig_file_read_header(fd, type, sizeof(type));
	if (ret) {
		vm_err("%s: %s", path, vfio_errmsg());
		vm_cont("  hint: give a file written by \"vfio-migrate save\"\n");
		close(fd);
		return 1;
	}
	if (vm_dev_open_backend(&d, argv[optind], trapped, proto, NULL)) {
		close(fd);
		return 1;
	}
	if (strcmp(type, d.type)) {
		vm_err("%s holds the state of an %s; %s is an %s", path, type,
		       d.m.uuid, d.type);
		vm_cont("  hint: load it into an instance of type %s\n", type);
		ret = -EINVAL;
		goto out;
	}

	/* Frames of a v2 save are up to VM_V2_PIECE; v1 splits them. */
	if (d.chunk_size < VM_V2_PIECE) {
		void *p = realloc(d.chunk, VM_V2_PIECE);

		if (!p) {
			vm_err("no memory for a %lu-byte frame buffer",
			       VM_V2_PIECE);
			ret = -ENOMEM;
			goto out;
		}
		d.chunk = p;
		d.chunk_size = VM_V2_PIECE;
	}
	t0 = vm_now();
	ret = vm_set_state(&d, VM_RESUMING);
	if (ret) {
		vm_explain("enter resuming", ret);
		goto out;
	}
	for (;;) {
		ret = vfio_mig_file_read_frame(fd, d.chunk, d.chunk_size, &len);
		if (ret) {
			vm_err("%s: %s", path, vfio_errmsg());
			vm_cont("  hint: the file is damaged or was saved with a larger window_kb\n");
			goto out;
		}
		if (!len)
			break;
		if (d.proto == VM_PROTO_V2)
			ret = vfio_mig_v2_write_all(d.data_fd, d.chunk, len, 0);
		else
			ret = vm_v1_load_chunk(&d, d.chunk, len);
		if (ret) {
			vm_explain("the device refused the saved state", ret);
			vm_cont("  at chunk %llu (file offset %lld)\n",
				(unsigned long long)chunks,
				(long long)lseek(fd, 0, SEEK_CUR));
			goto out;
		}
		bytes += len;
		chunks++;
	}
	ret = vm_set_state(&d, VM_RUNNING);
	t1 = vm_now();
	if (ret) {
		vm_explain("leave resuming (the device checks the stream is complete)",
			   ret);
		goto out;
	}
	vm_info("loaded %s (%llu bytes) of %s in %llu chunks from %s in %.1f ms (%.1f MiB/s, protocol %s, %s)\n",
		vm_bytes(sz, sizeof(sz), bytes), (unsigned long long)bytes,
		type, (unsigned long long)chunks, path, (t1 - t0) * 1e3,
		bytes / VM_MIB / (t1 - t0), vm_proto_name(d.proto),
		vm_transport(&d));
	show_digest(d.m.uuid, "after load");
	if (pattern) {
		char mem[32];

		ret = check_pattern(&d, seed);
		if (ret) {
			vm_explain("check the loaded state against the expected pattern",
				   ret);
			goto out;
		}
		vm_info("pattern check: device memory (%s) and SCRATCH hold the pattern of 0x%lx\n",
			vm_bytes(mem, sizeof(mem), d.m.bar2.size), seed);
	}
out:
	close(fd);
	vm_dev_close(&d);
	return ret ? 1 : 0;
}
