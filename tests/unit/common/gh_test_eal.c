/*
 * EAL start-up shared by the unit suites that need mbufs or rte_malloc.
 * --in-memory cannot be used: with --no-huge, DPDK 22.11 turns on legacy
 * memory, which it refuses together with --in-memory; --no-shconf gives the
 * same independence between processes.
 */
#include <stdio.h>

#include <criterion/criterion.h>
#include <rte_eal.h>

#include "common/gh_common.h"
#include "tests/unit/common/gh_test_eal.h"

void
gh_test_eal_start(unsigned memory_mb)
{
	static int done;
	char mem[16];
	char *argv[] = {"test",
	                "--no-huge",
	                "--no-shconf",
	                "--no-pci",
	                "-m",
	                mem,
	                "--no-telemetry",
	                "-l",
	                "0",
	                "--log-level=*:error",
	                NULL};
	int rc;

	if (done)
		return;
	snprintf(mem, sizeof(mem), "%u", memory_mb);
	rc = rte_eal_init((int)GH_ARRAY_SIZE(argv) - 1, argv);
	cr_assert_geq(rc, 0, "rte_eal_init failed: %d", rc);
	done = 1;
}
