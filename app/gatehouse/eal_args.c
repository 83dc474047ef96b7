/*
 * EAL argument vector from the configuration (see eal_args.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/gh_common.h"
#include "drivers/net/port.h"
#include "eal_args.h"

/* Append one argument; returns 0 or -ENOSPC. */
__attribute__((format(printf, 2, 3))) static int
push(struct eal_args *ea, const char *fmt, ...)
{
	size_t room = sizeof(ea->store) - ea->used;
	va_list ap;
	int n;

	if (ea->argc >= EAL_ARGV_MAX)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(ea->store + ea->used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -ENOSPC;
	ea->argv[ea->argc++] = ea->store + ea->used;
	ea->argv[ea->argc] = NULL;
	ea->used += (size_t)n + 1;
	return 0;
}

static unsigned long long
read_ull(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

unsigned long long
eal_hugepages_free_bytes(int *mounted)
{
	const char *base = "/sys/kernel/mm/hugepages";
	unsigned long long total = 0;
	char line[512];
	struct dirent *de;
	DIR *d;
	FILE *f;

	*mounted = 0;
	f = fopen("/proc/mounts", "r");
	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, " hugetlbfs ") != NULL)
				*mounted = 1;
		fclose(f);
	}
	d = opendir(base);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		unsigned long long kb;
		char path[512];

		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", base,
		         de->d_name);
		total += read_ull(path) * kb * 1024;
	}
	closedir(d);
	return total;
}

/* Decide between hugepages and --no-huge; returns 0 or -ENOMEM. */
static int
choose_memory(struct eal_args *ea, const struct conf *c, char *err,
              size_t errlen)
{
	unsigned long long need = (unsigned long long)c->memory_mb << 20;
	unsigned long long have;
	int mounted;

	if (c->hugepages == CONF_HUGEPAGES_OFF) {
		ea->no_huge = 1;
		snprintf(ea->huge_note, sizeof(ea->huge_note),
		         "hugepages off in the config: using --no-huge");
		return 0;
	}
	have = eal_hugepages_free_bytes(&mounted);
	if (mounted && have >= need) {
		snprintf(ea->huge_note, sizeof(ea->huge_note),
		         "hugepages: %llu MiB free, reserving %u MiB",
		         have >> 20, c->memory_mb);
		return 0;
	}
	if (c->hugepages == CONF_HUGEPAGES_ON) {
		snprintf(err, errlen,
		         "hugepages on but %s (%llu MiB free, %u MiB needed)",
		         mounted ? "too few are free"
		                 : "no hugetlbfs is mounted",
		         have >> 20, c->memory_mb);
		return -ENOMEM;
	}
	ea->no_huge = 1;
	snprintf(
	    ea->huge_note, sizeof(ea->huge_note),
	    "hugepages: %s (%llu MiB free, %u MiB needed): falling back to "
	    "--no-huge",
	    mounted ? "too few free" : "no hugetlbfs mounted", have >> 20,
	    c->memory_mb);
	return 0;
}

static int
push_lcores(struct eal_args *ea, const struct conf *c)
{
	char map[512];
	size_t used;
	unsigned i;
	int n;

	n = snprintf(map, sizeof(map), "0@%d", c->control_cpu);
	used = (size_t)n;
	for (i = 0; i < c->workers; i++) {
		int cpu = c->worker_cpus[i % c->n_worker_cpus];

		n = snprintf(map + used, sizeof(map) - used, ",%u@%d", i + 1,
		             cpu);
		if (n < 0 || (size_t)n >= sizeof(map) - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return push(ea, "--lcores=%s", map);
}

int
eal_args_build(struct eal_args *ea, const struct conf *c, char *err,
               size_t errlen)
{
	bool any_pci = false;
	unsigned i;
	int rc = 0;

	memset(ea, 0, sizeof(*ea));
	rc = choose_memory(ea, c, err, errlen);
	if (rc < 0)
		return rc;
	rc |= push(ea, "gatehouse");
	rc |= push(ea, "--file-prefix=%s", c->file_prefix);
	rc |= push_lcores(ea, c);
	rc |= push(ea, "-m");
	rc |= push(ea, "%u", c->memory_mb);
	if (ea->no_huge)
		rc |= push(ea, "--no-huge");
	for (i = 0; i < c->n_ports; i++) {
		const struct conf_port *p = &c->ports[i];
		char dev[CONF_DEVICE_MAX + 32];

		if (p->is_pci) {
			any_pci = true;
			rc |= push(ea, "-a");
			rc |= push(ea, "%s", p->device);
			continue;
		}
		if (port_devargs_preset(p->device, (uint16_t)c->workers, dev,
		                        sizeof(dev)) < 0)
			rc = -ENOSPC;
		rc |= push(ea, "--vdev");
		rc |= push(ea, "%s", dev);
	}
	/* Never touch the machine's own NICs unless told to by name. */
	if (!any_pci)
		rc |= push(ea, "--no-pci");
	for (i = 0; i < c->n_eal_args; i++)
		rc |= push(ea, "%s", c->eal_args[i]);
	if (rc != 0) {
		snprintf(err, errlen, "EAL arguments do not fit");
		return -ENOSPC;
	}
	return 0;
}
