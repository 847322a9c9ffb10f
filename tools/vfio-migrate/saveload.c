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
		"usage: vfio-migrate save UUID FILE [--trapped] [--pattern SEED]\n"
		"\n"
		"Stop-and-copy the state of the mdma instance UUID into FILE: device_state\n"
		"running -> stop-copy (010), read chunks while pending_bytes > 0, -> stop,\n"
		"then back to running. Prints the bytes, the time and the instance's\n"
		"debugfs digest while it was stopped.\n"
		"\n"
		"  --trapped       read the data window with pread() instead of mapping it\n"
		"  --pattern SEED  first fill device memory with a pattern made from SEED\n"
		"                  and write SEED to the SCRATCH register (opening an mdma\n"
		"                  instance resets it, so without this the state is the\n"
		"                  power-on state)\n"
		"\n"
		"FILE format: \"VFMIGSV1\", the type name in 32 bytes, then one frame per\n"
		"chunk (little-endian u64 length, bytes) and a zero length at the end.\n");
}

static void load_usage(FILE *f)
{
	fprintf(f,
		"usage: vfio-migrate load UUID FILE [--trapped]\n"
		"\n"
		"Resume the mdma instance UUID from FILE (written by \"vfio-migrate save\"\n"
		"from an instance of the same type): device_state -> resuming, write each\n"
		"chunk, -> running. Prints the bytes, the time and the instance's debugfs\n"
		"digest afterwards.\n"
		"\n"
		"  --trapped   write the data window with pwrite() instead of mapping it\n"
		"\n"
		"The instance is closed when the command ends, which resets it; load\n"
		"checks the stream and shows the digest, it does not keep the state.\n");
}

/*
 * Parse "UUID FILE [--trapped] [--pattern SEED]". Returns -1 to exit 0
 * (help), 1 on a usage error, 0 when the arguments are fine.
 */
static int parse(int argc, char **argv, void (*usage)(FILE *f),
		 bool pattern_ok, bool *trapped, bool *pattern,
		 unsigned long *seed)
{
	static const struct option opts[] = {
		{ "trapped", no_argument, NULL, 't' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*trapped = false;
	*pattern = false;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			*trapped = true;
			break;
		case 'p':
			if (!pattern_ok)
				goto bad;
			*seed = strtoul(optarg, &end, 0);
			if (*end || end == optarg) {
				vm_err("--pattern %s: not a number", optarg);
				return 1;
			}
			*pattern = true;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			goto bad;
		}
	}
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
	printf("digest %s: mem_crc32 %08x regs_crc32 %08x dma_queued %u\n",
	       when, dg.mem_crc32, dg.regs_crc32, dg.dma_queued);
}

int vm_save_stopcopy(struct vm_dev *d, int fd, uint64_t *bytes,
		     uint64_t *chunks)
{
	uint64_t pending, len;
	int ret;

	*bytes = 0;
	*chunks = 0;
	for (;;) {
		ret = vfio_mig_v1_pending(&d->mig, &pending);
		if (ret || !pending)
			return ret;
		ret = vfio_mig_v1_save_chunk(&d->mig, d->chunk, d->chunk_size,
					     &len);
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

static int fill_pattern(struct vm_dev *d, unsigned long seed)
{
	int ret;

	ret = mdma_map_bar2(&d->m);
	if (ret)
		return ret;
	vm_fill(d->m.map, d->m.bar2.size, seed);
	return mdma_wr(&d->m, MDMA_REG_SCRATCH, (uint32_t)seed);
}

int cmd_save(int argc, char **argv)
{
	uint64_t bytes, chunks;
	bool trapped, pattern;
	unsigned long seed = 0;
	const char *path;
	struct vm_dev d;
	uint32_t state;
	double t0, t1;
	int fd, ret;
	char sz[32];

	ret = parse(argc, argv, save_usage, true, &trapped, &pattern, &seed);
	if (ret)
		return ret < 0 ? 0 : 2;
	path = argv[optind + 1];
	if (vm_dev_open(&d, argv[optind], trapped))
		return 1;

	ret = vfio_mig_v1_get_state(&d.mig, &state);
	if (ret) {
		vm_explain("read device_state", ret);
		goto close;
	}
	if ((state & VFIO_DEVICE_STATE_MASK) != VFIO_MIG_V1_RUNNING &&
	    (state & VFIO_DEVICE_STATE_MASK) != VFIO_MIG_V1_STOP) {
		vm_err("device_state is 0x%x (%s); save starts from running or stop",
		       state, vfio_mig_v1_state_name(state));
		ret = -EINVAL;
		goto close;
	}
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
	ret = vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_STOP_COPY);
	if (ret) {
		vm_explain("enter stop-copy", ret);
		goto fail;
	}
	ret = vm_save_stopcopy(&d, fd, &bytes, &chunks);
	if (ret) {
		vm_explain("save the device state", ret);
		vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_RUNNING);
		goto fail;
	}
	ret = vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_STOP);
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
		vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_RUNNING);
		goto fail;
	}
	close(fd);
	ret = vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_RUNNING);
	if (ret)
		vm_explain("return to running", ret);
	vm_info("saved %s (%llu bytes) of %s in %llu chunks to %s in %.1f ms (%.1f MiB/s, %s window)\n",
		vm_bytes(sz, sizeof(sz), bytes), (unsigned long long)bytes,
		d.type, (unsigned long long)chunks, path, (t1 - t0) * 1e3,
		bytes / VM_MIB / (t1 - t0), d.mig.window ? "mapped" : "trapped");
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
	unsigned long seed;
	const char *path;
	struct vm_dev d;
	double t0, t1;
	int fd, ret;

	ret = parse(argc, argv, load_usage, false, &trapped, &pattern, &seed);
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
	if (vm_dev_open(&d, argv[optind], trapped)) {
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

	t0 = vm_now();
	ret = vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_RESUMING);
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
		ret = vfio_mig_v1_load_chunk(&d.mig, d.chunk, len);
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
	ret = vfio_mig_v1_set_state(&d.mig, VFIO_MIG_V1_RUNNING);
	t1 = vm_now();
	if (ret) {
		vm_explain("leave resuming (the device checks the stream is complete)",
			   ret);
		goto out;
	}
	vm_info("loaded %s (%llu bytes) of %s in %llu chunks from %s in %.1f ms (%.1f MiB/s, %s window)\n",
		vm_bytes(sz, sizeof(sz), bytes), (unsigned long long)bytes,
		type, (unsigned long long)chunks, path, (t1 - t0) * 1e3,
		bytes / VM_MIB / (t1 - t0), d.mig.window ? "mapped" : "trapped");
	show_digest(d.m.uuid, "after load");
out:
	close(fd);
	vm_dev_close(&d);
	return ret ? 1 : 0;
}
