// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: the fake device's memory is a device's memory. It lives
 * outside the kernel under test (an iomem= region, in the sandbox a file
 * served by the host's devmemd FUSE daemon), so what the kernel writes
 * through the real pgmap pages is seen by the host and by the next boot,
 * like pmem across a reboot.
 *
 * The cases need a driver on the host side, tests/uml/devmem.bats, which
 * boots with devmap_devmem_kunit.persist=write, then =verify, checking the
 * daemon's copy in between, and with =poke while it writes device memory
 * through the daemon. Run without it they skip.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "devmap_kunit.h"

static char *persist = "";
module_param(persist, charp, 0444);
MODULE_PARM_DESC(persist, "write: leave a pattern in device memory; verify: expect it; poke: wait for a device write");

/* What page @i of the range at the end of the region holds. */
static void devmem_pattern(unsigned long i, char *buf, size_t len)
{
	snprintf(buf, len, "devmap-sandbox device page %lu", i);
}

static struct fake_devmap *devmem_pgmap(struct kunit *test, const char *mode)
{
	struct fake_devmap_spec spec = {
		.type = MEMORY_DEVICE_GENERIC,
		.nr_pages = PAGES_PER_SUBSECTION,
		.at_end = true,
	};
	struct fake_devmap *fdm;

	if (strcmp(persist, mode))
		kunit_skip(test, "run by tests/uml/devmem.bats (persist=%s)",
			   mode);
	if (strcmp(fake_devmap_backing(), "iomem"))
		kunit_skip(test, "needs iomem= device memory (DEVMEM=fuse or file)");
	fdm = fake_devmap_create(&spec);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, fdm);
	return fdm;
}

/* Write a pattern into every page through its struct page's mapping. */
static void devmap_devmem_write(struct kunit *test)
{
	struct fake_devmap *fdm = devmem_pgmap(test, "write");
	unsigned long i;
	char buf[64];

	for (i = 0; i < fake_devmap_nr_pages(fdm); i++) {
		void *addr = kmap_local_page(fake_devmap_page(fdm, i));

		devmem_pattern(i, buf, sizeof(buf));
		memcpy(addr, buf, sizeof(buf));
		kunmap_local(addr);
	}
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy(fdm), 0);
}

/* A new boot, new struct pages: the device memory still has the pattern. */
static void devmap_devmem_verify(struct kunit *test)
{
	struct fake_devmap *fdm = devmem_pgmap(test, "verify");
	unsigned long i, bad = 0;
	char buf[64];

	for (i = 0; i < fake_devmap_nr_pages(fdm); i++) {
		void *addr = kmap_local_page(fake_devmap_page(fdm, i));

		devmem_pattern(i, buf, sizeof(buf));
		bad += memcmp(addr, buf, sizeof(buf)) != 0;
		kunmap_local(addr);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "pages without the pattern");
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy(fdm), 0);
}

/*
 * The device writes its own memory while the kernel runs: the host pokes
 * the daemon, which pushes the bytes into the page cache UML maps. The
 * test first touches the page (so that the poke never races with a fault
 * the single-threaded daemon would have to serve), says it is ready in
 * device page 0, then waits, bounded, for the poke in page 1.
 */
static void devmap_devmem_device_write(struct kunit *test)
{
	static const char ready[] = "devmap-sandbox: ready for the device";
	static const char poked[] = "written by the device";
	struct fake_devmap *fdm = devmem_pgmap(test, "poke");
	char *page0, *page1;
	bool seen = false;
	int i;

	page0 = kmap_local_page(fake_devmap_page(fdm, 0));
	page1 = kmap_local_page(fake_devmap_page(fdm, 1));
	memset(page1, 0, sizeof(poked));
	memcpy(page0, ready, sizeof(ready));
	for (i = 0; i < 100 && !seen; i++) {
		seen = !memcmp(page1, poked, sizeof(poked) - 1);
		if (!seen)
			msleep(50);
	}
	memset(page0, 0, sizeof(ready));
	kunmap_local(page1);
	kunmap_local(page0);
	KUNIT_EXPECT_TRUE_MSG(test, seen, "no device write seen within 5 s");
	KUNIT_EXPECT_EQ(test, fake_devmap_destroy(fdm), 0);
}

static struct kunit_case devmap_devmem_cases[] = {
	KUNIT_CASE(devmap_devmem_write),
	KUNIT_CASE(devmap_devmem_verify),
	KUNIT_CASE(devmap_devmem_device_write),
	{}
};

static struct kunit_suite devmap_devmem_suite = {
	.name = "devmap_devmem",
	.test_cases = devmap_devmem_cases,
};

kunit_test_suite(devmap_devmem_suite);

MODULE_DESCRIPTION("KUnit suite: device memory outlives the boot and is seen by the host");
MODULE_LICENSE("GPL");
