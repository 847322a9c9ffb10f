// SPDX-License-Identifier: GPL-2.0
/*
 * Base64 (RFC 4648, with padding) for the agent and its plugin.
 */
#include <stdbool.h>
#include <stdint.h>

#include "b64.h"

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void b64_encode(const void *in, size_t len, char *out)
{
	const uint8_t *p = in;
	uint32_t v;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		v = p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		*out++ = b64_chars[v >> 18];
		*out++ = b64_chars[(v >> 12) & 63];
		*out++ = b64_chars[(v >> 6) & 63];
		*out++ = b64_chars[v & 63];
	}
	if (i < len) {
		v = p[i] << 16 | (i + 1 < len ? p[i + 1] << 8 : 0);
		*out++ = b64_chars[v >> 18];
		*out++ = b64_chars[(v >> 12) & 63];
		*out++ = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long b64_decode(const char *in, size_t len, void *out, size_t size)
{
	uint8_t *o = out;
	size_t i, n = 0;
	size_t need;
	int a, b, c, d;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i += 4) {
		bool last = i + 4 == len;

		a = b64_val(in[i]);
		b = b64_val(in[i + 1]);
		c = in[i + 2] == '=' && last ? -2 : b64_val(in[i + 2]);
		d = in[i + 3] == '=' && last ? -2 : b64_val(in[i + 3]);
		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2))
			return -1;
		need = 1;
		if (c >= 0)
			need++;
		if (d >= 0)
			need++;
		if (n + need > size)
			return -1;
		o[n++] = a << 2 | b >> 4;
		if (c >= 0)
			o[n++] = (b & 15) << 4 | c >> 2;
		if (d >= 0)
			o[n++] = (c & 3) << 6 | d;
	}
	return n;
}
