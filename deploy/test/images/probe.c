/*
 * A tiny static HTTP probe for the FROM-scratch stand-in images used by
 * deploy/test/compose-test.sh. The real images the compose files name
 * (nats:*-alpine, prom/prometheus) carry busybox `wget`, and the compose health
 * checks call `wget -q --spider http://127.0.0.1:PORT/PATH`. A scratch image has
 * no wget, so the stand-ins ship this file, installed as /usr/bin/wget, which
 * accepts the same command lines the compose files use:
 *
 *   wget [-q] [--spider] [-O FILE|-O-] http://IPv4:PORT/PATH
 *
 * It sends one GET, exits 0 on an HTTP 2xx status and 1 otherwise (refused,
 * timeout after 5 s, non-2xx). Numeric IPv4 hosts only: a static glibc binary
 * cannot use NSS name lookup in a scratch image, and health checks only ever
 * probe 127.0.0.1. With -O- the response body is copied to stdout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char *msg) {
    fprintf(stderr, "wget(probe): %s\n", msg);
    return 1;
}

int main(int argc, char **argv) {
    const char *url = NULL;
    int to_stdout = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-O") == 0 && i + 1 < argc) {
            to_stdout = strcmp(argv[++i], "-") == 0;
        } else if (strcmp(argv[i], "-O-") == 0) {
            to_stdout = 1;
        } else if (strncmp(argv[i], "http://", 7) == 0) {
            url = argv[i];
        }
        /* -q, --spider, -T N and the like need no action here. */
    }
    if (!url) return fail("no http:// URL given");

    char host[64] = {0};
    int port = 80;
    const char *path = "/";
    const char *p = url + 7;
    const char *slash = strchr(p, '/');
    size_t hostlen = slash ? (size_t)(slash - p) : strlen(p);
    if (hostlen == 0 || hostlen >= sizeof host) return fail("bad host");
    memcpy(host, p, hostlen);
    if (slash) path = slash;
    char *colon = strchr(host, ':');
    if (colon) {
        *colon = '\0';
        port = atoi(colon + 1);
    }

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) return fail("host must be a numeric IPv4 address");

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return fail("socket");
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return fail("connection refused");

    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
    if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) return fail("write");

    char buf[8192];
    size_t have = 0;
    int status = 0;
    int header_done = 0;
    ssize_t r;
    while ((r = read(fd, buf + have, sizeof buf - have - 1)) > 0) {
        have += (size_t)r;
        buf[have] = '\0';
        if (!status && sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1 && have > 16) break;
        if (!header_done) {
            char *body = strstr(buf, "\r\n\r\n");
            if (body) {
                header_done = 1;
                if (to_stdout) fwrite(body + 4, 1, have - (size_t)(body + 4 - buf), stdout);
                have = 0;
            } else if (have >= sizeof buf - 1) {
                have = 0; /* oversized headers: keep reading, status already parsed */
            }
        } else {
            if (to_stdout) fwrite(buf, 1, have, stdout);
            have = 0;
        }
    }
    close(fd);
    if (status >= 200 && status < 300) return 0;
    fprintf(stderr, "wget(probe): HTTP status %d for %s\n", status, url);
    return 1;
}
