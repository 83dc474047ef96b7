/*
 * EAL for unit tests: started once per test process (Criterion forks one per
 * test), without hugepages, PCI, telemetry or shared runtime files, so test
 * processes run side by side and anywhere.
 */
#ifndef GH_TEST_EAL_H
#define GH_TEST_EAL_H

/* Start EAL with <memory_mb> MiB on lcore 0 unless this process already
 * did; a failure fails the test. */
void gh_test_eal_start(unsigned memory_mb);

#endif /* GH_TEST_EAL_H */
