/*
 * devmemd - serve "device memory" for a UML guest from a FUSE mount.
 *
 * UML takes its device memory from `iomem=<name>,<file>` and mmap()s
 * <file> MAP_SHARED read/write.  Putting that file in a FUSE mount served
 * by this daemon keeps the device memory outside the kernel under test,
 * lets the host watch it (MOUNTPOINT/stats) and lets the host change it
 * behind the guest's back (MOUNTPOINT/ctl), like a device would.
 *
 * Why the low-level API: device-side writes must be pushed into the
 * kernel page cache, or a live MAP_SHARED mapping never sees them.  The
 * push calls (fuse_lowlevel_notify_store / notify_inval_inode) name the
 * file by the inode number the kernel knows it by.  The high-level, path
 * based API hides those numbers; with the low-level API we hand out
 * fixed inode numbers ourselves, so the device file is always DEV_INO.
 *
 * Measured constraints this code is shaped by:
 *  - direct_io must stay off for the device file: with it, a shared
 *    writable mmap() fails with ENODEV.  (stats and ctl use direct_io,
 *    they are never mapped.)
 *  - msync()/fsync() need a setattr handler (the kernel flushes times),
 *    else they fail with ENOSYS.
 *  - stores through a mapping reach us only at writeback (msync, fsync,
 *    last close); our own changes reach a mapping only when pushed.
 *
 * Single-threaded on purpose: all state is touched from one loop, so no
 * locking.  Caveat: notify_store locks the page cache pages it fills.  If
 * a reader holds such a page locked waiting for a FUSE_READ that this
 * very thread would have to answer, the push deadlocks (the mount hangs
 * until /sys/fs/fuse/connections/N/abort).  So poke pages the guest is
 * not faulting in at that instant; ordinary use (tests, quiescent guest)
 * never hits this.  notify_inval_inode is not used for the same reason,
 * worse: it writes back dirty pages and waits for us to serve the writes.
 *
 * Build: see Makefile (pkg-config fuse3).  Usage: devmemd --help.
 */

#define FUSE_USE_VERSION 34

#include <fuse_lowlevel.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE_4K		4096UL
#define SZ_2M		(2UL << 20)
#define SZ_1G		(1UL << 30)

/* Fixed inode numbers: the whole point of the low-level API here. */
enum {
	ROOT_INO = FUSE_ROOT_ID,
	DEV_INO,
	STATS_INO,
	CTL_INO,
};

/* Only we change attributes, so the kernel may cache them for long. */
#define ATTR_TIMEOUT	3600.0

#define STATS_MAX	512

struct devmem {
	size_t size;
	const char *name;
	const char *persist;
	const char *stats_path;
	unsigned char *mem;		/* the device memory itself */
	unsigned char *touched;		/* one bit per 4 KiB page ever written */
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t pages_touched;
	uint64_t reads;
	uint64_t writes;
	uint64_t pokes;
	mode_t dev_mode;
	struct timespec start;
	struct timespec dev_atime, dev_mtime, dev_ctime;
	struct fuse_session *se;
};

static struct devmem dm;
static FILE *log_fp;

static volatile sig_atomic_t caught_signal;

/* ---------------------------------------------------------------- log */

static void vlogmsg(const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(log_fp, "%s.%03ld devmemd[%d]: ", stamp, ts.tv_nsec / 1000000L,
		(int)getpid());
	vfprintf(log_fp, fmt, ap);
	fputc('\n', log_fp);
	fflush(log_fp);
}

static void __attribute__((format(printf, 1, 2))) logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogmsg(fmt, ap);
	va_end(ap);
}

/* libfuse's own messages (mount failures...) belong in our log too. */
static void log_from_fuse(enum fuse_log_level level, const char *fmt,
			  va_list ap)
{
	char buf[1024];
	size_t n;

	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	logmsg("libfuse: %s", buf);
}

/*
 * Fatal runtime error: exit 1.  Always on stderr, so whoever started us
 * sees it even when the log goes to a file.
 */
static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (log_fp && log_fp != stderr) {
		va_list ap2;

		va_copy(ap2, ap);
		vlogmsg(fmt, ap2);
		va_end(ap2);
	}
	fputs("devmemd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---------------------------------------------------------- arguments */

#define SYNOPSIS \
"usage: devmemd --size=SIZE --name=NAME [--persist=FILE] [--log=FILE]\n" \
"               [--stats=FILE] [-d] MOUNTPOINT\n"

static void usage(FILE *f)
{
	fprintf(f, SYNOPSIS
"\n"
"Serve SIZE bytes of memory-backed device memory as MOUNTPOINT/NAME\n"
"(for UML's iomem=NAME,MOUNTPOINT/NAME).  Runs in the foreground, mounts\n"
"with -o auto_unmount, exits 0 with the mount gone on SIGTERM/SIGINT.\n"
"\n"
"  --size=SIZE     bytes, K/M/G suffix allowed; a positive multiple of 2M,\n"
"                  at most 1G\n"
"  --name=NAME     plain file name of the device file (not stats or ctl)\n"
"  --persist=FILE  load FILE (must be exactly SIZE bytes) if it exists;\n"
"                  save it atomically on fsync and at clean exit\n"
"  --log=FILE      append the daemon log to FILE (default: stderr)\n"
"  --stats=FILE    write the stats text to FILE at exit\n"
"  -d, --debug     log every FUSE request (libfuse debug, on stderr)\n"
"  -h, --help      show this help\n"
"\n"
"MOUNTPOINT/stats  read-only: size= bytes_read= bytes_written=\n"
"                  pages_touched= reads= writes= pokes=\n"
"MOUNTPOINT/ctl    write-only: \"poke OFFSET HEXBYTES\\n\" changes device\n"
"                  memory and pushes it into every MAP_SHARED mapping\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("devmemd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(SYNOPSIS "Try 'devmemd --help' for more.\n", stderr);
	exit(2);
}

struct options {
	char *size;
	char *name;
	char *persist;
	char *log;
	char *stats;
	char *mnt;
	int debug;
};

enum { KEY_HELP, KEY_DEBUG };

#define OPT(t, m) { t, offsetof(struct options, m), 0 }

static const struct fuse_opt opt_spec[] = {
	/*
	 * "--size=VAL" only: fuse_opt would also match a "--size %s"
	 * template against "--size=VAL" (as "-oVAL") and apply both.
	 */
	OPT("--size=%s", size),
	OPT("--name=%s", name),
	OPT("--persist=%s", persist),
	OPT("--log=%s", log),
	OPT("--stats=%s", stats),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("--debug", KEY_DEBUG),
	FUSE_OPT_END
};

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct options *o = data;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		usage(stdout);
		exit(0);
	case KEY_DEBUG:
		o->debug = 1;
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (o->mnt)
			usage_error("unexpected extra argument '%s'", arg);
		o->mnt = strdup(arg);
		return 0;
	default:
		usage_error("unknown option '%s'", arg);
	}
}

/* "64M", "2097152", "1G": decimal digits and an optional K/M/G suffix. */
static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || v > (ULLONG_MAX >> shift))
		return -1;
	v <<= shift;
	if (v > SIZE_MAX)
		return -1;
	*out = v;
	return 0;
}

static void check_options(const struct options *o)
{
	struct stat st;

	if (!o->size)
		usage_error("missing --size=SIZE");
	if (parse_size(o->size, &dm.size))
		usage_error("bad --size '%s': want a number with optional K/M/G suffix",
			    o->size);
	/* UML maps iomem in 2 MiB steps; anything else would be truncated. */
	if (dm.size == 0 || dm.size % SZ_2M)
		usage_error("--size=%s: must be a positive multiple of 2 MiB",
			    o->size);
	if (dm.size > SZ_1G)
		usage_error("--size=%s: must be at most 1 GiB", o->size);
	if (!o->name)
		usage_error("missing --name=NAME");
	if (!*o->name || strchr(o->name, '/') || !strcmp(o->name, ".") ||
	    !strcmp(o->name, "..") || strlen(o->name) > NAME_MAX)
		usage_error("--name='%s': must be a plain file name", o->name);
	if (!strcmp(o->name, "stats") || !strcmp(o->name, "ctl"))
		usage_error("--name=%s: 'stats' and 'ctl' are taken", o->name);
	if (!o->mnt)
		usage_error("missing MOUNTPOINT");
	if (stat(o->mnt, &st) || !S_ISDIR(st.st_mode))
		usage_error("MOUNTPOINT '%s' is not a directory", o->mnt);
	dm.name = o->name;
	dm.persist = o->persist;
	dm.stats_path = o->stats;
}

/*
 * Say what to do about /dev/fuse before libfuse fails with a terse
 * "fuse: device not found" or EACCES deep inside fusermount3.
 */
static void check_dev_fuse(void)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("cannot open /dev/fuse (%s): install fuse3 and make /dev/fuse accessible (e.g. `sudo chmod 0666 /dev/fuse`, or add yourself to the group that owns it)",
		    strerror(errno));
	close(fd);
}

static void open_log(const char *path)
{
	log_fp = stderr;
	if (!path)
		return;
	log_fp = fopen(path, "ae");
	if (!log_fp) {
		log_fp = stderr;
		die("cannot open log file %s: %s", path, strerror(errno));
	}
	setvbuf(log_fp, NULL, _IOLBF, 0);
}

/* ------------------------------------------------------ memory & files */

static int read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* file shrank under us */
		p += n;
		len -= n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* fsync the directory holding path, so a rename survives a crash. */
static void sync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Replace path with buf atomically: readers see the old or the new
 * contents, never a half-written file, even if we die midway.
 */
static int save_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_full(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	sync_parent(path);
	return 0;
}

static int save_persist(void)
{
	int err;

	if (!dm.persist)
		return 0;
	err = save_atomic(dm.persist, dm.mem, dm.size);
	if (err)
		logmsg("error: saving %s: %s", dm.persist, strerror(-err));
	else
		logmsg("saved %zu bytes to %s", dm.size, dm.persist);
	return err;
}

static void load_persist(void)
{
	struct stat st;
	int fd, err;

	if (!dm.persist)
		return;
	fd = open(dm.persist, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		logmsg("persist file %s does not exist yet: starting zeroed",
		       dm.persist);
		return;
	}
	if (fd < 0)
		die("cannot open persist file %s: %s", dm.persist,
		    strerror(errno));
	if (fstat(fd, &st))
		die("cannot stat persist file %s: %s", dm.persist,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("persist file %s is not a regular file", dm.persist);
	if ((uint64_t)st.st_size != dm.size)
		die("persist file %s is %lld bytes but --size is %zu: it must be exactly SIZE bytes (fix --size or remove the file)",
		    dm.persist, (long long)st.st_size, dm.size);
	err = read_full(fd, dm.mem, dm.size);
	if (err)
		die("cannot read persist file %s: %s", dm.persist,
		    strerror(-err));
	close(fd);
	logmsg("loaded %zu bytes from %s", dm.size, dm.persist);
}

static void alloc_memory(void)
{
	/* NORESERVE: untouched device memory costs nothing, like a BAR. */
	dm.mem = mmap(NULL, dm.size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (dm.mem == MAP_FAILED)
		die("cannot allocate %zu bytes of device memory: %s", dm.size,
		    strerror(errno));
	dm.touched = calloc(dm.size / PAGE_4K / 8, 1);
	if (!dm.touched)
		die("out of memory");
}

static int stats_text(char *buf, size_t len)
{
	return snprintf(buf, len,
			"size=%zu\n"
			"bytes_read=%" PRIu64 "\n"
			"bytes_written=%" PRIu64 "\n"
			"pages_touched=%" PRIu64 "\n"
			"reads=%" PRIu64 "\n"
			"writes=%" PRIu64 "\n"
			"pokes=%" PRIu64 "\n",
			dm.size, dm.bytes_read, dm.bytes_written,
			dm.pages_touched, dm.reads, dm.writes, dm.pokes);
}

static void save_stats(void)
{
	char buf[STATS_MAX];
	int len, err;

	if (!dm.stats_path)
		return;
	len = stats_text(buf, sizeof(buf));
	err = save_atomic(dm.stats_path, buf, len);
	if (err)
		logmsg("error: writing stats to %s: %s", dm.stats_path,
		       strerror(-err));
}

static void touch_pages(size_t off, size_t len)
{
	size_t pg, last = (off + len - 1) / PAGE_4K;

	for (pg = off / PAGE_4K; pg <= last; pg++) {
		unsigned char bit = 1u << (pg % 8);

		if (!(dm.touched[pg / 8] & bit)) {
			dm.touched[pg / 8] |= bit;
			dm.pages_touched++;
		}
	}
}

/* ---------------------------------------------------------- attributes */

static fuse_ino_t name_to_ino(const char *name)
{
	if (!strcmp(name, dm.name))
		return DEV_INO;
	if (!strcmp(name, "stats"))
		return STATS_INO;
	if (!strcmp(name, "ctl"))
		return CTL_INO;
	return 0;
}

static int fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_nlink = 1;
	st->st_blksize = PAGE_4K;
	st->st_atim = st->st_mtim = st->st_ctim = dm.start;
	switch (ino) {
	case ROOT_INO:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		break;
	case DEV_INO:
		st->st_mode = S_IFREG | dm.dev_mode;
		st->st_size = dm.size;
		st->st_blocks = dm.size / 512;
		st->st_atim = dm.dev_atime;
		st->st_mtim = dm.dev_mtime;
		st->st_ctim = dm.dev_ctime;
		break;
	case STATS_INO:
		st->st_mode = S_IFREG | 0444;
		st->st_size = stats_text(NULL, 0);
		break;
	case CTL_INO:
		st->st_mode = S_IFREG | 0200;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* stats changes all the time: never let the kernel cache its size. */
static double attr_timeout(fuse_ino_t ino)
{
	return ino == STATS_INO ? 0.0 : ATTR_TIMEOUT;
}

static void dm_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/*
	 * We push our own changes and nobody else changes the file, so
	 * attribute checks must never drop the page cache (that would
	 * unmap the guest's pages and write back dirty ones mid-run).
	 */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	logmsg("FUSE protocol %u.%u, max_write %u", conn->proto_major,
	       conn->proto_minor, conn->max_write);
}

static void dm_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	fuse_ino_t ino = parent == ROOT_INO ? name_to_ino(name) : 0;

	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = ino;
	e.attr_timeout = attr_timeout(ino);
	e.entry_timeout = ATTR_TIMEOUT;
	fill_attr(ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void dm_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (fill_attr(ino, &st)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_attr(req, &st, attr_timeout(ino));
}

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* The only size a file may be "truncated" to is the one it has. */
static int check_new_size(fuse_ino_t ino, off_t size)
{
	switch (ino) {
	case DEV_INO:
		return (uint64_t)size == dm.size ? 0 : -EINVAL;
	case CTL_INO:
		return size == 0 ? 0 : -EINVAL;	/* echo > ctl truncates */
	case ROOT_INO:
		return -EISDIR;
	default:
		return -EINVAL;
	}
}

/*
 * msync()/fsync() flush times through here and fail with ENOSYS without
 * it, so times and mode are accepted; only real size changes are not.
 */
static void dm_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	struct stat st;
	int err;

	(void)fi;
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		err = check_new_size(ino, attr->st_size);
		if (err) {
			fuse_reply_err(req, -err);
			return;
		}
	}
	if (ino == DEV_INO) {
		if (to_set & FUSE_SET_ATTR_MODE)
			dm.dev_mode = attr->st_mode & 07777;
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			dm.dev_atime = now();
		else if (to_set & FUSE_SET_ATTR_ATIME)
			dm.dev_atime = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			dm.dev_mtime = now();
		else if (to_set & FUSE_SET_ATTR_MTIME)
			dm.dev_mtime = attr->st_mtim;
		if (to_set & FUSE_SET_ATTR_CTIME)
			dm.dev_ctime = attr->st_ctim;
		else
			dm.dev_ctime = now();
	}
	if (fill_attr(ino, &st)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_attr(req, &st, attr_timeout(ino));
}

/* ---------------------------------------------------------- directory */

static void dm_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	const char *names[] = { ".", "..", dm.name, "stats", "ctl" };
	const fuse_ino_t inos[] = { ROOT_INO, ROOT_INO, DEV_INO, STATS_INO,
				    CTL_INO };
	const off_t count = sizeof(names) / sizeof(names[0]);
	size_t used = 0;
	char *buf;
	off_t i;

	(void)fi;
	if (ino != ROOT_INO) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (i = off; i < count; i++) {
		struct stat st;
		size_t need;

		fill_attr(inos[i], &st);
		need = fuse_add_direntry(req, buf + used, size - used,
					 names[i], &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/* --------------------------------------------------------------- files */

static void dm_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int acc = fi->flags & O_ACCMODE;
	char *text;

	switch (ino) {
	case DEV_INO:
		if (fi->flags & O_TRUNC) {	/* atomic_o_trunc path */
			fuse_reply_err(req, EINVAL);
			return;
		}
		/*
		 * No direct_io (shared mmap needs the page cache) and
		 * keep_cache: a second open must not drop pages that a
		 * guest has mapped.
		 */
		fi->keep_cache = 1;
		break;
	case STATS_INO:
		if (acc != O_RDONLY) {
			fuse_reply_err(req, EACCES);
			return;
		}
		/* A snapshot per open: a reader sees one consistent text. */
		text = malloc(STATS_MAX);
		if (!text) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		stats_text(text, STATS_MAX);
		fi->fh = (uintptr_t)text;
		fi->direct_io = 1;
		break;
	case CTL_INO:
		if (acc != O_WRONLY) {
			fuse_reply_err(req, EACCES);
			return;
		}
		fi->direct_io = 1;	/* every write reaches us as-is */
		break;
	default:
		fuse_reply_err(req, EISDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

static void dm_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	if (ino == STATS_INO)
		free((void *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void dev_read(fuse_req_t req, size_t size, off_t off)
{
	size_t n = 0;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((uint64_t)off < dm.size)
		n = size < dm.size - off ? size : dm.size - off;
	dm.reads++;
	dm.bytes_read += n;
	fuse_reply_buf(req, n ? (char *)dm.mem + off : NULL, n);
}

static void dm_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	const char *text;
	size_t len;

	switch (ino) {
	case DEV_INO:
		dev_read(req, size, off);
		return;
	case STATS_INO:
		text = (const char *)(uintptr_t)fi->fh;
		len = strlen(text);
		if (off < 0 || (size_t)off >= len) {
			fuse_reply_buf(req, NULL, 0);
			return;
		}
		fuse_reply_buf(req, text + off,
			       size < len - off ? size : len - off);
		return;
	default:
		fuse_reply_err(req, EBADF);
	}
}

/* A write may stop at the end of the device; past it there is no room. */
static void dev_write(fuse_req_t req, const char *buf, size_t size, off_t off)
{
	size_t n;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (size == 0) {
		fuse_reply_write(req, 0);
		return;
	}
	if ((uint64_t)off >= dm.size) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	n = size < dm.size - off ? size : dm.size - off;
	memcpy(dm.mem + off, buf, n);
	touch_pages(off, n);
	dm.writes++;
	dm.bytes_written += n;
	fuse_reply_write(req, n);
}

/*
 * Push [off, off+len) of device memory into the kernel page cache, so
 * every MAP_SHARED mapping sees it without remapping.  Exactly the poked
 * bytes: pushing whole pages would clobber the guest's not yet written
 * back stores to the rest of the page.
 */
static int push_to_kernel(size_t off, size_t len)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(len);
	int err;

	bv.buf[0].mem = dm.mem + off;
	err = fuse_lowlevel_notify_store(dm.se, DEV_INO, off, &bv, 0);
	if (err == -ENOENT)	/* kernel has no inode, so no stale cache */
		return 0;
	if (err)
		logmsg("error: notify_store at %zu+%zu: %s", off, len,
		       strerror(-err));
	return err;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decimal, or hex with 0x: a leading 0 must not silently mean octal. */
static int parse_offset(const char *s, size_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > SIZE_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * One ctl line: "poke OFFSET HEXBYTES".  With apply == 0 only check it,
 * so a bad line in a multi-line write changes nothing.
 */
static int ctl_line(char *line, int apply)
{
	char *cmd, *offs, *hex, *extra, *save;
	size_t off, len, i;
	int err;

	cmd = strtok_r(line, " \t", &save);
	if (!cmd)
		return 0;		/* blank line */
	offs = strtok_r(NULL, " \t", &save);
	hex = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (strcmp(cmd, "poke") || !offs || !hex || extra)
		return -EINVAL;
	len = strlen(hex);
	if (parse_offset(offs, &off) || len == 0 || len % 2)
		return -EINVAL;
	len /= 2;
	if (off >= dm.size || len > dm.size - off)
		return -EINVAL;
	for (i = 0; i < 2 * len; i++)
		if (hexval((unsigned char)hex[i]) < 0)
			return -EINVAL;
	if (!apply)
		return 0;
	for (i = 0; i < len; i++)
		dm.mem[off + i] = hexval((unsigned char)hex[2 * i]) << 4 |
				  hexval((unsigned char)hex[2 * i + 1]);
	dm.pokes++;
	logmsg("poke %zu+%zu", off, len);
	err = push_to_kernel(off, len);
	return err ? -EIO : 0;
}

/* Run every line of text through ctl_line(); text is scribbled on. */
static int ctl_lines(char *text, int apply)
{
	char *line = text, *nl;
	int err;

	for (; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		err = ctl_line(line, apply);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Each write() must hold whole commands.  The push happens before the
 * reply, so once the poker's write() returns, every mapping sees it.
 */
static void ctl_write(fuse_req_t req, const char *buf, size_t size)
{
	char *check, *text;
	int err = -ENOMEM;

	check = malloc(size + 1);
	text = malloc(size + 1);
	if (check && text) {
		memcpy(check, buf, size);
		check[size] = '\0';
		memcpy(text, check, size + 1);
		err = strlen(check) == size ? ctl_lines(check, 0) : -EINVAL;
		if (!err)
			err = ctl_lines(text, 1);
	}
	free(check);
	free(text);
	if (err == -EINVAL)
		logmsg("ctl: rejected invalid command");
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_write(req, size);
}

static void dm_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	switch (ino) {
	case DEV_INO:
		dev_write(req, buf, size, off);
		return;
	case CTL_INO:
		ctl_write(req, buf, size);
		return;
	default:
		fuse_reply_err(req, EBADF);
	}
}

static void dm_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* fsync (and msync(MS_SYNC)) is the guest saying "make it durable". */
static void dm_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int err = 0;

	(void)datasync;
	(void)fi;
	if (ino == DEV_INO)
		err = save_persist();
	fuse_reply_err(req, err ? EIO : 0);
}

static const struct fuse_lowlevel_ops dm_ops = {
	.init		= dm_init,
	.lookup		= dm_lookup,
	.getattr	= dm_getattr,
	.setattr	= dm_setattr,
	.readdir	= dm_readdir,
	.open		= dm_open,
	.release	= dm_release,
	.read		= dm_read,
	.write		= dm_write,
	.flush		= dm_flush,
	.fsync		= dm_fsync,
};

/* ------------------------------------------------------------- signals */

static const int exit_signals[] = { SIGHUP, SIGINT, SIGTERM };
static struct sigaction fuse_actions[3];

/* Remember which signal stopped us, then let libfuse's handler act. */
static void note_signal(int sig)
{
	unsigned int i;

	caught_signal = sig;
	for (i = 0; i < 3; i++)
		if (exit_signals[i] == sig &&
		    fuse_actions[i].sa_handler != SIG_DFL &&
		    fuse_actions[i].sa_handler != SIG_IGN)
			fuse_actions[i].sa_handler(sig);
}

static int setup_signals(struct fuse_session *se)
{
	struct sigaction sa;
	unsigned int i;

	/*
	 * libfuse only takes over signals still at SIG_DFL, but a shell
	 * starts background jobs with SIGINT ignored; we want SIGINT to
	 * mean "clean exit" regardless of how we were started.
	 */
	for (i = 0; i < 3; i++)
		signal(exit_signals[i], SIG_DFL);
	if (fuse_set_signal_handlers(se))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the read of /dev/fuse must end */
	for (i = 0; i < 3; i++)
		if (sigaction(exit_signals[i], &sa, &fuse_actions[i]))
			return -1;
	return 0;
}

static void teardown_signals(struct fuse_session *se)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		sigaction(exit_signals[i], &fuse_actions[i], NULL);
	fuse_remove_signal_handlers(se);
}

/* ---------------------------------------------------------------- main */

static struct fuse_session *new_session(int debug)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se;

	/*
	 * auto_unmount: fusermount3 cleans the mount even after kill -9.
	 * default_permissions: the kernel checks the modes we report.
	 * Never allow_other: only the user running us may look inside.
	 */
	if (fuse_opt_add_arg(&args, "devmemd") ||
	    fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, "auto_unmount,default_permissions,"
				    "fsname=devmemd,subtype=devmemd") ||
	    (debug && fuse_opt_add_arg(&args, "-d")))
		die("out of memory");
	se = fuse_session_new(&args, &dm_ops, sizeof(dm_ops), NULL);
	fuse_opt_free_args(&args);
	return se;
}

static int serve(const char *mnt, int debug)
{
	int ret;

	dm.se = new_session(debug);
	if (!dm.se)
		die("cannot create FUSE session (see log)");
	if (setup_signals(dm.se))
		die("cannot set up signal handlers");
	if (fuse_session_mount(dm.se, mnt))
		die("cannot mount on %s (see log above)", mnt);
	logmsg("mounted %s/%s: %zu bytes", mnt, dm.name, dm.size);

	ret = fuse_session_loop(dm.se);

	if (caught_signal)
		logmsg("caught signal %d (%s), unmounting", (int)caught_signal,
		       strsignal(caught_signal));
	else if (ret)
		logmsg("error: session loop: %s", strerror(ret < 0 ? -ret : ret));
	else
		logmsg("unmounted from outside");
	teardown_signals(dm.se);
	fuse_session_unmount(dm.se);
	fuse_session_destroy(dm.se);
	dm.se = NULL;
	return caught_signal || !ret ? 0 : 1;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct options o;
	int ret;

	memset(&o, 0, sizeof(o));
	if (fuse_opt_parse(&args, &o, opt_spec, opt_proc) == -1) {
		fputs(SYNOPSIS, stderr);
		return 2;
	}
	check_options(&o);
	check_dev_fuse();
	open_log(o.log);
	fuse_set_log_func(log_from_fuse);

	dm.dev_mode = 0600;
	dm.start = now();
	dm.dev_atime = dm.dev_mtime = dm.dev_ctime = dm.start;
	logmsg("starting: size=%zu name=%s mountpoint=%s persist=%s",
	       dm.size, dm.name, o.mnt, dm.persist ? dm.persist : "(none)");
	alloc_memory();
	load_persist();

	ret = serve(o.mnt, o.debug);

	if (save_persist())
		ret = 1;
	save_stats();
	logmsg("exit %d", ret);
	fuse_opt_free_args(&args);
	return ret;
}
