// SPDX-License-Identifier: GPL-2.0
/*
 * rpc_client: send lines to vfio-mig-agent and show what comes back, for
 * the tests of its error handling.
 *
 *   rpc_client ADDR TOKEN_FILE < REQUESTS
 *
 * ADDR is unix:PATH or tcp:127.0.0.1:PORT. Each input line is sent as it
 * is, with every "@TOKEN@" replaced by the token; a line "!big N" sends a
 * JSON string of N bytes instead. For each reply it prints one line:
 * "error CODE" or "result VALUE" (the result as compact JSON), or "none"
 * if the agent sent nothing back within two seconds. A reply that is not
 * a JSON-RPC 2.0 response prints "bad REPLY" and exits 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <json-c/json.h>

#define LINE_MAX_BYTES	(4 << 20)

static int connect_addr(const char *addr)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	struct sockaddr_in si = { .sin_family = AF_INET };
	int fd;

	if (!strncmp(addr, "unix:", 5) &&
	    strlen(addr + 5) < sizeof(su.sun_path)) {
		memcpy(su.sun_path, addr + 5, strlen(addr + 5) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&su, sizeof(su)))
			return fd;
	} else if (!strncmp(addr, "tcp:127.0.0.1:", 14)) {
		si.sin_port = htons(atoi(addr + 14));
		si.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 && !connect(fd, (struct sockaddr *)&si, sizeof(si)))
			return fd;
	} else {
		errno = EINVAL;
	}
	perror(addr);
	exit(2);
}

static void send_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n <= 0) {
			perror("send");
			exit(2);
		}
		s += n;
		len -= n;
	}
}

/* Read one reply line into @buf; 0 if none came within two seconds. */
static size_t recv_line(int fd, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		if (poll(&p, 1, 2000) <= 0)
			return 0;
		n = recv(fd, buf + len, 1, 0);
		if (n <= 0)
			return 0;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return len;
}

static void show(const char *reply)
{
	struct json_object *r, *o, *c;

	r = json_tokener_parse(reply);
	if (!r || !json_object_object_get_ex(r, "jsonrpc", &o) ||
	    strcmp(json_object_get_string(o), "2.0") ||
	    !json_object_object_get_ex(r, "id", &o)) {
		printf("bad %s\n", reply);
		exit(1);
	}
	if (json_object_object_get_ex(r, "error", &o) &&
	    json_object_object_get_ex(o, "code", &c))
		printf("error %d\n", json_object_get_int(c));
	else if (json_object_object_get_ex(r, "result", &o))
		printf("result %s\n",
		       json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	else
		printf("bad %s\n", reply);
	json_object_put(r);
}

int main(int argc, char **argv)
{
	char token[300], *in, *out, *p, *q;
	size_t n, tlen;
	FILE *f;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: rpc_client ADDR TOKEN_FILE < REQUESTS\n");
		return 2;
	}
	f = fopen(argv[2], "r");
	if (!f || !fgets(token, sizeof(token), f)) {
		perror(argv[2]);
		return 2;
	}
	fclose(f);
	token[strcspn(token, "\r\n")] = '\0';
	tlen = strlen(token);
	fd = connect_addr(argv[1]);
	in = malloc(LINE_MAX_BYTES);
	out = malloc(LINE_MAX_BYTES);
	if (!in || !out)
		return 2;
	while (fgets(in, LINE_MAX_BYTES, stdin)) {
		in[strcspn(in, "\n")] = '\0';
		if (!strncmp(in, "!big ", 5)) {
			n = strtoul(in + 5, NULL, 0);
			if (n + 16 > LINE_MAX_BYTES)
				return 2;
			memcpy(out, "{\"a\":\"", 6);
			memset(out + 6, 'x', n);
			memcpy(out + 6 + n, "\"}\n", 3);
			send_all(fd, out, n + 9);
		} else {
			for (p = in, q = out; *p; ) {
				if (!strncmp(p, "@TOKEN@", 7)) {
					memcpy(q, token, tlen);
					q += tlen;
					p += 7;
				} else {
					*q++ = *p++;
				}
			}
			*q++ = '\n';
			send_all(fd, out, q - out);
		}
		if (recv_line(fd, out, LINE_MAX_BYTES))
			show(out);
		else
			printf("none\n");
		fflush(stdout);
	}
	close(fd);
	return 0;
}
