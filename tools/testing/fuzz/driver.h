/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libFuzzer's driver, for a program with a main of its own: the Makefile
 * maps fuzz_run_driver to LLVMFuzzerRunDriver, and __used and __section
 * to their compiler attributes.
 */
#ifndef _FUZZ_DRIVER_H
#define _FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/**
 * fuzz_run_driver() - parse libFuzzer's options and fuzz
 * @argc: main's
 * @argv: main's
 * @cb: runs one input
 *
 * Return: does not return when fuzzing ends; a status on a usage error.
 */
int fuzz_run_driver(int *argc, char ***argv,
		    int (*cb)(const uint8_t *data, size_t size));

#endif /* _FUZZ_DRIVER_H */
