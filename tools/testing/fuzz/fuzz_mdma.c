// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_mdma: a coverage-guided fuzzer of the vfio_mig and mdma kernel
 * modules, run in a guest of the debug kernel. libFuzzer searches; each
 * input is a program of operations (prog.h) on one mdma instance, and the
 * kernel's KCOV coverage of the two modules is its feedback (kcov.c).
 *
 *   fuzz_mdma [libFuzzer options] [CORPUS_DIR...]   fuzz
 *   fuzz_mdma --replay FILE...    run inputs once, print each program
 *   fuzz_mdma --print FILE...     print inputs as programs (no device)
 *   fuzz_mdma --compile TEXT OUT  write a program's text form as an input
 *
 * A kernel report in /dev/kmsg after an input (KASAN, lockdep, UBSAN, a
 * WARN, a BUG, a hung task) stops the run: the program is printed and
 * libFuzzer saves the input as crash-<sha1>; a program still running after
 * 45 s is printed, and libFuzzer's -timeout saves it as timeout-<sha1>.
 * FUZZ_THREADS=N (1-8, default 1) runs each program's operations on N
 * threads at once, operation i on thread i mod N: the race mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kcov.h"
#include "vfio_lib.h"
#include "ops.h"
#include "prog.h"
#include "driver.h"

#define MAX_THREADS	8
#define MAX_INPUT	(FZ_MAX_OPS * (1 + 4 * FZ_MAX_ARGS))
#define HANG_SECONDS	45
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The kernel log lines tools/testing/vm/vm-run fails a guest on, but
 * kmemleak's: its scans run after the fuzzer (run_in_guest.sh).
 */
static const char * const report_words[] = {
	"WARNING:", "BUG:", "kernel BUG at", "Oops", "general protection fault",
	"possible circular locking", "possible recursive locking",
	"inconsistent lock state", "lockdep is turned off",
	"DEBUG_LOCKS_WARN_ON", "suspicious RCU usage", "KASAN:", "UBSAN:",
	"sleeping function called from invalid context", "Call Trace:",
	"hung_task", "blocked for more than", "rcu_.*detected stall",
};

static struct fz_ctx ctx;
static struct fz_prog prog;
static regex_t report;
static int kmsg = -1;
static unsigned int nthreads = 1;
static unsigned long runs;
static bool replaying;

/* Watchdog: the program running and since when. */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t started;

/*
 * The operations run on worker threads, even with one: the main thread
 * holds the remote KCOV buffer (kcov.c), which its workers inherit the
 * handle of, and only dispatches. Worker 0 also closes what the program
 * left open, so the release paths count as the program's.
 */
static struct worker {
	pthread_t tid;
	unsigned int id;
	struct fz_kcov kcov;
} workers[MAX_THREADS];
static struct fz_kcov remote = { .fd = -1 };
static pthread_barrier_t go, ran, done;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned int i;
	int ret;

	ret = fz_kcov_open(&w->kcov);
	if (ret && !w->id)
		fprintf(stderr, "fuzz: no kernel coverage (KCOV: %s): the search is blind\n",
			strerror(-ret));
	for (;;) {
		pthread_barrier_wait(&go);
		fz_kcov_start(&w->kcov);
		for (i = w->id; i < prog.n; i += nthreads)
			fz_run_op(&ctx, &prog.op[i]);
		pthread_barrier_wait(&ran);
		if (!w->id)
			fz_end(&ctx);
		pthread_barrier_wait(&done);
	}
	return NULL;
}

/* Reads the kernel log written since the last call; true on a report. */
static bool kernel_reported(void)
{
	char rec[2048];
	bool bad = false;
	ssize_t n;

	if (kmsg < 0)
		return false;
	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (!regexec(&report, rec, 0, NULL, 0))
			bad = true;
		if (bad) {
			char *msg = strchr(rec, ';');

			fprintf(stderr, "fuzz: kernel: %s", msg ? msg + 1 : rec);
		}
	}
	return bad;
}

static void run_prog(void)
{
	unsigned int i;

	pthread_mutex_lock(&watch_lock);
	started = time(NULL);
	pthread_mutex_unlock(&watch_lock);
	if (fz_begin(&ctx)) {
		fprintf(stderr, "fuzz: the instance is gone: %s\n",
			vfio_errmsg());
		abort();
	}
	fz_kcov_start(&remote);
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&done);
	for (i = 0; i < nthreads; i++)
		fz_kcov_collect(&workers[i].kcov);
	fz_kcov_collect(&remote);
	pthread_mutex_lock(&watch_lock);
	started = 0;
	pthread_mutex_unlock(&watch_lock);
	runs++;
}

static int one_input(const uint8_t *data, size_t size)
{
	fz_decode(data, size, &prog);
	if (replaying) {
		printf("# program of %u operations\n", prog.n);
		fz_print(stdout, &prog, "  ");
		fflush(stdout);
	}
	run_prog();
	if (kernel_reported()) {
		/* Let the rest of the report reach the log. */
		sleep(2);
		kernel_reported();
		fprintf(stderr, "fuzz: kernel report after this program:\n");
		fz_print(stderr, &prog, "  ");
		abort();
	}
	return 0;
}

/*
 * Prints the program that runs too long. libFuzzer's -timeout ends a
 * fuzzing run; a replay ends here, after twice as long.
 */
static void *watchdog(void *arg)
{
	bool told = false;

	for (;;) {
		time_t t;

		sleep(5);
		pthread_mutex_lock(&watch_lock);
		t = started;
		pthread_mutex_unlock(&watch_lock);
		if (!t) {
			told = false;
		} else if (!told && time(NULL) - t >= HANG_SECONDS) {
			fprintf(stderr, "fuzz: a program has run for %d s:\n",
				HANG_SECONDS);
			fz_print(stderr, &prog, "  ");
			told = true;
		} else if (replaying && time(NULL) - t >= 2 * HANG_SECONDS) {
			fprintf(stderr, "fuzz: the program hangs; giving up\n");
			_exit(3);
		}
	}
	return arg;
}

static void exit_report(void)
{
	fz_ctx_fini(&ctx);
	fprintf(stderr, "fuzz: %lu programs run, %zu distinct kernel PCs reached\n",
		runs, fz_kcov_pcs());
}

static int start(void)
{
	pthread_t tid;
	const char *t = getenv("FUZZ_THREADS");
	unsigned int i;
	int ret;

	if (t) {
		nthreads = strtoul(t, NULL, 0);
		if (nthreads < 1 || nthreads > MAX_THREADS) {
			fprintf(stderr, "fuzz: FUZZ_THREADS=%s: use 1 to %d\n",
				t, MAX_THREADS);
			return -1;
		}
	}
	char re[512] = "";

	for (i = 0; i < ARRAY_SIZE(report_words); i++)
		snprintf(re + strlen(re), sizeof(re) - strlen(re), "%s%s",
			 i ? "|" : "", report_words[i]);
	if (regcomp(&report, re, REG_EXTENDED | REG_NOSUB))
		return -1;
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg < 0 || lseek(kmsg, 0, SEEK_END) < 0)
		fprintf(stderr, "fuzz: /dev/kmsg: %s; kernel reports go unseen\n",
			strerror(errno));
	if (fz_ctx_init(&ctx))
		return -1;
	/* Before the workers exist: they inherit its handle. */
	ret = fz_kcov_open_remote(&remote);
	if (ret)
		fprintf(stderr, "fuzz: no remote coverage (KCOV: %s): the DMA engine is unseen\n",
			strerror(-ret));
	pthread_barrier_init(&go, NULL, nthreads + 1);
	pthread_barrier_init(&ran, NULL, nthreads);
	pthread_barrier_init(&done, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		workers[i].id = i;
		workers[i].kcov.fd = -1;
		if (pthread_create(&workers[i].tid, NULL, worker_main,
				   &workers[i]))
			return -1;
	}
	pthread_create(&tid, NULL, watchdog, NULL);
	atexit(exit_report);
	return 0;
}

static int read_file(const char *path, uint8_t *buf, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
		return -1;
	}
	*len = fread(buf, 1, MAX_INPUT, f);
	fclose(f);
	return 0;
}

static int print_files(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	size_t len;
	int i;

	for (i = 0; i < argc; i++) {
		if (read_file(argv[i], buf, &len))
			return 1;
		fz_decode(buf, len, &prog);
		printf("# %s: %u operations\n", argv[i], prog.n);
		fz_print(stdout, &prog, "");
	}
	return 0;
}

static int compile(const char *in, const char *out)
{
	static uint8_t buf[MAX_INPUT];
	char err[160];
	FILE *f = fopen(in, "r");
	size_t len;

	if (!f) {
		fprintf(stderr, "fuzz: %s: %s\n", in, strerror(errno));
		return 1;
	}
	if (fz_parse(f, &prog, err, sizeof(err))) {
		fprintf(stderr, "fuzz: %s: %s\n", in, err);
		fclose(f);
		return 1;
	}
	fclose(f);
	len = fz_encode(&prog, buf, sizeof(buf));
	f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "fuzz: %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}

static int replay(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	size_t len;
	int i;

	replaying = true;
	if (start())
		return 1;
	for (i = 0; i < argc; i++) {
		if (read_file(argv[i], buf, &len))
			return 1;
		printf("# replaying %s\n", argv[i]);
		one_input(buf, len);
	}
	printf("# no kernel report\n");
	return 0;
}

static void show_usage(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"usage: fuzz_mdma [libFuzzer options] [CORPUS_DIR...]\n"
		"       fuzz_mdma --replay FILE...\n"
		"       fuzz_mdma --print FILE...\n"
		"       fuzz_mdma --compile TEXT OUT\n"
		"\n"
		"Fuzzes the vfio_mig and mdma modules with programs of these\n"
		"operations on an mdma instance (run as root in a test guest,\n"
		"with the modules loaded; see Documentation/dev-tools/fuzzing.rst):\n\n");
	for (i = 0; i < FZ_NR_OPS; i++)
		fprintf(f, "  %-14s %s\n", fz_ops[i].name, fz_ops[i].args);
	fprintf(f,
		"\nFUZZ_THREADS=N runs each program on N threads at once.\n"
		"libFuzzer's own options: fuzz_mdma -help=1\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		show_usage(stdout);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "--print"))
		return print_files(argc - 2, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "--compile"))
		return compile(argv[2], argv[3]);
	if (argc > 2 && !strcmp(argv[1], "--replay"))
		return replay(argc - 2, argv + 2);
	if (argc > 1 && !strncmp(argv[1], "--", 2)) {
		show_usage(stderr);
		return 2;
	}
	if (start())
		return 1;
	/* libFuzzer ends the process with exit(): see exit_report(). */
	return fuzz_run_driver(&argc, &argv, one_input);
}
