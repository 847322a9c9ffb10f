/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mdma: the log of IOVA pages the DMA engine wrote, behind device DMA
 * logging (VFIO_DEVICE_FEATURE_DMA_LOGGING_*).
 *
 * The log covers the ranges given at start. It holds what was written as
 * a sorted list of runs of pages, merged when they touch, so a copy of a
 * megabyte is one entry. The list has a fixed capacity: when a write
 * would need one more run than that, the two runs with the smallest gap
 * between them become one. The log then reports that gap too, which is
 * allowed (a page reported but not written costs a page of migration);
 * it never loses a written page.
 *
 * Pure logic, like the saved CONFIG section: built into mdma.ko and into
 * host-native tests (tools/testing/unit/).
 */
#ifndef _MDMA_IOVA_LOG_H
#define _MDMA_IOVA_LOG_H

#include "../../drivers/vfio/mig/pure.h"

/* What the core lets through: the ranges that fit in a page. */
#define MDMA_LOG_MAX_RANGES	256
/* Runs of written pages held between two reports. */
#define MDMA_LOG_MAX_RUNS	4096

/**
 * struct mdma_iova_run - an inclusive range
 * @first: first IOVA, or first page
 * @last: last IOVA, or last page
 */
struct mdma_iova_run {
	u64 first;
	u64 last;
};

/**
 * struct mdma_iova_log - written IOVA pages inside the logged ranges
 * @shift: log2 of the page size of the log
 * @nranges: entries in @ranges
 * @ranges: the logged ranges in pages, sorted and disjoint
 * @nruns: entries in @runs
 * @max_runs: capacity of @runs (which has one slot more)
 * @runs: pages written since the last report, sorted, neither
 *	overlapping nor adjacent
 */
struct mdma_iova_log {
	unsigned int shift;
	unsigned int nranges;
	struct mdma_iova_run *ranges;
	unsigned int nruns;
	unsigned int max_runs;
	struct mdma_iova_run *runs;
};

int mdma_iova_log_init(struct mdma_iova_log *log, unsigned int shift,
		       struct mdma_iova_run *ranges, unsigned int nranges,
		       struct mdma_iova_run *runs, unsigned int max_runs);
void mdma_iova_log_mark(struct mdma_iova_log *log, u64 iova, u64 len);
unsigned int mdma_iova_log_take(struct mdma_iova_log *log, u64 iova, u64 len,
				struct mdma_iova_run *out);

#endif /* _MDMA_IOVA_LOG_H */
