/*
 * Turn a configuration into EAL's argument vector: file prefix, lcore map,
 * memory (hugepages or --no-huge), devices, --no-pci unless PCI devices are
 * listed explicitly, and the operator's extra arguments last.
 */
#ifndef GH_APP_EAL_ARGS_H
#define GH_APP_EAL_ARGS_H

#include <stddef.h>

#include "conf/conf_types.h"

#define EAL_ARGV_MAX (32 + 2 * CONF_PORTS_MAX + CONF_EAL_ARGS_MAX)

struct eal_args {
	int argc;
	char *argv[EAL_ARGV_MAX + 1];
	char store[8192];
	size_t used;
	int no_huge;         /* 1 when falling back to --no-huge */
	char huge_note[160]; /* why hugepages were or were not used */
};

/*
 * Fill <ea> from <c>.  Returns 0, or -ENOSPC / -ENOMEM with a message in
 * <err> (hugepages on but none available).
 */
int eal_args_build(struct eal_args *ea, const struct conf *c, char *err,
                   size_t errlen);

/* Free bytes of hugepage memory the system has, and whether any hugetlbfs
 * is mounted. */
unsigned long long eal_hugepages_free_bytes(int *mounted);

#endif /* GH_APP_EAL_ARGS_H */
