// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-migrate save / load: an instance's state to and from a file.
 */
#include <endian.h>
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
		"FILE holds the device's migration stream as the device produced it:\n"
		"typed, sequenced and checksummed records from a header to an end\n"
		"record (Documentation/vfio-mig/stream-format.rst). Either protocol\n"
		"loads it.\n");
}

static void load_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate load UUID FILE [--protocol v1|v2] [--trapped]\n"
		"                         [--expect-pattern SEED] [--backend local|plugin\n"
		"                         --plugin-path SO --plugin-arg ARG]\n"
		"\n"
		"Resume the mdma instance UUID from FILE (written by \"vfio-migrate save\"\n"
		"from an instance of the same type): device_state -> resuming, write the\n"
		"stream (v1: through the data window; v2: to the data fd), -> running.\n"
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
	int c, ret;

	*trapped = false;
	*pattern = false;
	*proto = VM_PROTO_V1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			c = vm_proto_parse(optarg);
			if (c < 0)
				return 1;
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
		default:
			ret = vm_other_option(c, optarg, usage);
			if (ret)
				return ret;
		}
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

/* Write all @len bytes at @buf to the file @fd. */
static int write_file(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vfio_set_error(-errno, "write the file");
		p += n;
		len -= n;
	}
	return 0;
}

int vm_save_stopcopy(struct vm_dev *d, int fd, uint64_t *bytes,
		     uint64_t *reads)
{
	ssize_t n;
	int ret;

	*bytes = 0;
	*reads = 0;
	for (;;) {
		n = vfio_mig_chan_read(&d->chan, d->chunk,
				       d->chunk_size < d->chan.piece ?
				       d->chunk_size : d->chan.piece);
		if (n == -ENOMSG)
			return vfio_set_error(-EPROTO,
					      "the %s said ENOMSG in stop-copy, which has no temporary end",
					      d->chan.kind);
		if (n <= 0)
			return n;
		if (fd >= 0) {
			ret = write_file(fd, d->chunk, n);
			if (ret)
				return ret;
		}
		*bytes += n;
		(*reads)++;
	}
}

/* Save starts from running or stop. */
static int check_idle(struct vm_dev *d)
{
	uint32_t state;
	int ret;

	ret = vfio_mig_chan_get_state(&d->chan, &state);
	if (ret) {
		vm_explain("read the device state", ret);
		return ret;
	}
	if (state == VFIO_DEVICE_STATE_RUNNING ||
	    state == VFIO_DEVICE_STATE_STOP)
		return 0;
	vm_err("the device is in %s; save starts from running or stop",
	       vfio_mig_v2_state_name(state));
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
	uint64_t bytes, reads;
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
	t0 = vm_now();
	ret = vm_set_state(&d, VFIO_DEVICE_STATE_STOP_COPY, "enter stop-copy");
	if (ret)
		goto fail;
	ret = vm_save_stopcopy(&d, fd, &bytes, &reads);
	if (ret) {
		vm_explain("save the device state", ret);
		vm_set_state(&d, VFIO_DEVICE_STATE_RUNNING, NULL);
		goto fail;
	}
	ret = vm_set_state(&d, VFIO_DEVICE_STATE_STOP, "enter stop");
	t1 = vm_now();
	if (ret)
		goto fail;
	show_digest(d.m.uuid, "while stopped");
	if (fsync(fd)) {
		ret = vfio_set_error(-errno, "fsync %s", path);
		vm_explain(path, ret);
		vm_set_state(&d, VFIO_DEVICE_STATE_RUNNING, NULL);
		goto fail;
	}
	close(fd);
	ret = vm_set_state(&d, VFIO_DEVICE_STATE_RUNNING, "return to running");
	vm_info("saved %s (%llu bytes) of %s in %llu reads to %s in %.1f ms (%.1f MiB/s, protocol %s, %s)\n",
		vm_bytes(sz, sizeof(sz), bytes), (unsigned long long)bytes,
		d.type, (unsigned long long)reads, path, (t1 - t0) * 1e3,
		bytes / VM_MIB / (t1 - t0), vm_proto_name(d.proto),
		d.chan.kind);
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

/*
 * Read the stream's header record from the start of @fd and put its
 * device type in @type; the file offset goes back to 0.
 */
static int read_stream_type(int fd, const char *path, char *type)
{
	uint8_t buf[sizeof(struct vfio_mig_rec) +
		    sizeof(struct vfio_mig_stream_hdr)];
	struct vfio_mig_stream_hdr hdr;
	struct vfio_mig_rec rec;
	ssize_t n;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return vfio_set_error(-errno, "read %s", path);
	memcpy(&rec, buf, sizeof(rec));
	memcpy(&hdr, buf + sizeof(rec), sizeof(hdr));
	if (n < (ssize_t)sizeof(buf) ||
	    le32toh(rec.magic) != VFIO_MIG_REC_MAGIC ||
	    le16toh(rec.type) != VFIO_MIG_REC_HEADER ||
	    le64toh(hdr.magic) != VFIO_MIG_STREAM_MAGIC)
		return vfio_set_error(-EINVAL,
				      "%s does not start with a vfio-mig stream header",
				      path);
	memcpy(type, hdr.device_type, VFIO_MIG_TYPE_LEN);
	type[VFIO_MIG_TYPE_LEN - 1] = '\0';
	return 0;
}

int cmd_load(int argc, char **argv)
{
	char type[VFIO_MIG_TYPE_LEN], sz[32];
	uint64_t bytes = 0, reads = 0;
	bool trapped, pattern;
	enum vm_proto proto;
	unsigned long seed = 0;
	const char *path;
	struct vm_dev d;
	double t0, t1;
	ssize_t len;
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
	ret = read_stream_type(fd, path, type);
	if (ret) {
		vm_err("%s", vfio_errmsg());
		vm_cont("  hint: give a file written by \"vfio-migrate save\"\n");
		close(fd);
		return 1;
	}
	if (vm_dev_open_backend(&d, argv[optind], trapped, proto, NULL)) {
		close(fd);
		return 1;
	}
	t0 = vm_now();
	ret = vm_set_state(&d, VFIO_DEVICE_STATE_RESUMING, "enter resuming");
	if (ret)
		goto out;
	for (;;) {
		len = read(fd, d.chunk, d.chunk_size);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			ret = -errno;
			vm_err("read %s: %s", path, strerror(errno));
			goto out;
		}
		if (!len)
			break;
		ret = vfio_mig_chan_write(&d.chan, d.chunk, len);
		if (ret) {
			vm_explain("the device refused the saved state", ret);
			vm_cont("  at file offset %llu; the stream holds the state of a %s, %s is a %s\n",
				(unsigned long long)bytes, type, d.m.uuid,
				d.type);
			goto out;
		}
		bytes += len;
		reads++;
	}
	ret = vm_set_state(&d, VFIO_DEVICE_STATE_RUNNING,
			   "leave resuming (the device checks the stream is complete)");
	t1 = vm_now();
	if (ret)
		goto out;
	vm_info("loaded %s (%llu bytes) of %s in %llu writes from %s in %.1f ms (%.1f MiB/s, protocol %s, %s)\n",
		vm_bytes(sz, sizeof(sz), bytes), (unsigned long long)bytes,
		type, (unsigned long long)reads, path, (t1 - t0) * 1e3,
		bytes / VM_MIB / (t1 - t0), vm_proto_name(d.proto),
		d.chan.kind);
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
