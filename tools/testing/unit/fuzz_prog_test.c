// SPDX-License-Identifier: GPL-2.0
/*
 * Host-native tests of the kernel fuzzer's program codec
 * (tools/testing/fuzz/prog.c): the seed programs and random bytes survive
 * the round trips between bytes, programs and text, and bad text is
 * refused with the line that is wrong.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/prog.h"
#include "kselftest_harness.h"

static bool same(const struct fz_prog *a, const struct fz_prog *b)
{
	return a->n == b->n && !memcmp(a->op, b->op, a->n * sizeof(a->op[0]));
}

/* Text to program, to bytes, to program, to text, to program. */
TEST(seeds_round_trip)
{
	static struct fz_prog p, q, r;
	static uint8_t buf[4096];
	char err[160], path[512], *text;
	struct dirent *e;
	int seeds = 0;
	size_t len;
	DIR *d;
	FILE *f;

	d = opendir(SEEDS_DIR);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", SEEDS_DIR, e->d_name);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(0, fz_parse(f, &p, err, sizeof(err))) TH_LOG("%s: %s", path, err);
		fclose(f);
		EXPECT_LT(0, p.n) TH_LOG("%s is empty", path);

		len = fz_encode(&p, buf, sizeof(buf));
		ASSERT_GE(sizeof(buf), len);
		fz_decode(buf, len, &q);
		EXPECT_TRUE(same(&p, &q)) TH_LOG("%s: bytes differ", path);

		f = open_memstream(&text, &len);
		fz_print(f, &q, "");
		fclose(f);
		f = fmemopen(text, len, "r");
		ASSERT_EQ(0, fz_parse(f, &r, err, sizeof(err))) TH_LOG("%s", err);
		fclose(f);
		free(text);
		EXPECT_TRUE(same(&p, &r)) TH_LOG("%s: text differs", path);
		seeds++;
	}
	closedir(d);
	EXPECT_LE(5, seeds);
}

/* Any bytes are a program, and encoding it gives the same program back. */
TEST(random_bytes_decode)
{
	static struct fz_prog p, q;
	static uint8_t in[3000], out[3000];
	unsigned int i, k;
	size_t len;

	srand(1);
	for (i = 0; i < 2000; i++) {
		size_t n = rand() % sizeof(in);

		for (k = 0; k < n; k++)
			in[k] = rand();
		fz_decode(in, n, &p);
		ASSERT_GE(FZ_MAX_OPS, p.n);
		for (k = 0; k < p.n; k++)
			ASSERT_GT(FZ_NR_OPS, p.op[k].code);
		len = fz_encode(&p, out, sizeof(out));
		ASSERT_GE(sizeof(out), len);
		fz_decode(out, len, &q);
		ASSERT_TRUE(same(&p, &q));
		/* All was read, a tail cut short padded with zeros. */
		if (p.n < FZ_MAX_OPS) {
			ASSERT_LE(n, len);
			ASSERT_GE(n + 4 * FZ_MAX_ARGS, len);
		}
	}
}

static int parse_text(const char *text, char *err, size_t errlen)
{
	static struct fz_prog p;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret = fz_parse(f, &p, err, errlen);

	fclose(f);
	return ret;
}

TEST(bad_text_names_its_line)
{
	char err[160];

	ASSERT_EQ(0, parse_text("# a comment\n\nreset\nread 9 0 32 # tail\n",
				err, sizeof(err)));
	ASSERT_EQ(-EINVAL, parse_text("reset\nfrobnicate 1\n", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "line 2")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "frobnicate")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse_text("reset 1\n", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "takes 0 arguments")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse_text("v2-set 0x100000000\n", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "32-bit")) TH_LOG("%s", err);
	ASSERT_EQ(-EINVAL, parse_text("v2-set six\n", err, sizeof(err)));
}

TEST_HARNESS_MAIN
