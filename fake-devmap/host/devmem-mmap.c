/*
 * devmem-mmap - touch a file only through a MAP_SHARED mapping, the way
 * UML touches its iomem= file, to test devmemd's page cache coherence.
 *
 *   devmem-mmap FILE OFFSET write HEX          store bytes, msync(MS_SYNC)
 *   devmem-mmap FILE OFFSET read LEN           print LEN bytes as hex
 *   devmem-mmap FILE OFFSET watch HEX TIMEOUT  map once and print
 *       "mapped <hex>"; then poll that same mapping (no remap, no read())
 *       until the bytes equal HEX: print "match <hex>", exit 0; or give
 *       up after TIMEOUT seconds: print "timeout <hex>", exit 1
 *
 * OFFSET is decimal or 0x hex.  Exit 2 on usage errors, 1 on failure.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "devmem-mmap";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s FILE OFFSET write HEX\n"
		"       %s FILE OFFSET read LEN\n"
		"       %s FILE OFFSET watch HEX TIMEOUT\n", prog, prog, prog);
	exit(2);
}

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(1);
}

static size_t parse_num(const char *s)
{
	int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end || v > SIZE_MAX) {
		fprintf(stderr, "%s: bad number '%s'\n", prog, s);
		exit(2);
	}
	return v;
}

/* "deadbeef" -> bytes; returns a malloc'd buffer, length in *len. */
static unsigned char *parse_hex(const char *s, size_t *len)
{
	size_t n = strlen(s), i;
	unsigned char *buf;

	if (n == 0 || n % 2) {
		fprintf(stderr, "%s: bad hex '%s'\n", prog, s);
		exit(2);
	}
	buf = malloc(n / 2);
	if (!buf)
		fail("malloc");
	for (i = 0; i < n / 2; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1) {
			fprintf(stderr, "%s: bad hex '%s'\n", prog, s);
			exit(2);
		}
		buf[i] = b;
	}
	*len = n / 2;
	return buf;
}

/* volatile: the page may change under us (that is what we watch for). */
static void print_hex(const char *tag, const volatile unsigned char *p,
		      size_t len)
{
	size_t i;

	if (tag)
		printf("%s ", tag);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
	fflush(stdout);
}

static int equal(const volatile unsigned char *p, const unsigned char *want,
		 size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != want[i])
			return 0;
	return 1;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int watch(volatile unsigned char *p, const unsigned char *want,
		 size_t len, double timeout)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	double deadline;

	print_hex("mapped", p, len);	/* also faults the page in */
	deadline = seconds() + timeout;
	while (!equal(p, want, len)) {
		if (seconds() > deadline) {
			print_hex("timeout", p, len);
			return 1;
		}
		nanosleep(&tick, NULL);
	}
	print_hex("match", p, len);
	return 0;
}

int main(int argc, char *argv[])
{
	size_t off, len = 0, map_off, map_len, pagesz;
	unsigned char *data = NULL, *base;
	const char *op;
	struct stat st;
	int fd, wr, ret = 0;

	if (argc < 5)
		usage();
	op = argv[3];
	off = parse_num(argv[2]);
	wr = !strcmp(op, "write");
	if (wr && argc == 5)
		data = parse_hex(argv[4], &len);
	else if (!strcmp(op, "read") && argc == 5)
		len = parse_num(argv[4]);
	else if (!strcmp(op, "watch") && argc == 6)
		data = parse_hex(argv[4], &len);
	else
		usage();

	fd = open(argv[1], wr ? O_RDWR : O_RDONLY);
	if (fd < 0)
		fail(argv[1]);
	if (fstat(fd, &st))
		fail("fstat");
	if (len == 0 || off > (size_t)st.st_size ||
	    len > (size_t)st.st_size - off) {
		fprintf(stderr, "%s: range %zu+%zu outside %s (%lld bytes)\n",
			prog, off, len, argv[1], (long long)st.st_size);
		return 1;
	}
	pagesz = sysconf(_SC_PAGESIZE);
	map_off = off & ~(pagesz - 1);
	map_len = off + len - map_off;
	base = mmap(NULL, map_len, PROT_READ | (wr ? PROT_WRITE : 0),
		    MAP_SHARED, fd, map_off);
	if (base == MAP_FAILED)
		fail("mmap");

	if (wr) {
		memcpy(base + (off - map_off), data, len);
		/* MS_SYNC: the daemon sees stores only at writeback. */
		if (msync(base, map_len, MS_SYNC))
			fail("msync");
	} else if (!strcmp(op, "read")) {
		print_hex(NULL, base + (off - map_off), len);
	} else {
		ret = watch(base + (off - map_off), data, len,
			    strtod(argv[5], NULL));
	}
	if (munmap(base, map_len))
		fail("munmap");
	close(fd);
	free(data);
	return ret;
}
