/*
 * conf_restart_diff (a reload, issue 13 item 4): what only a restart
 * changes is named, one line each, and set back to the running value;
 * live settings come from the new file; listeners are matched by name,
 * kept in the running order, a missing one keeps its running entry and
 * rules (carried), a new one is reported and dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "acl/acl.h"
#include "auth/auth.h"
#include "common/gh_common.h"
#include "conf/conf.h"

TestSuite(conf_diff);

#define PORTS                       \
	"port in\n"                 \
	"\trole inside\n"           \
	"\tdevice net_null0\n"      \
	"\taddress 198.18.1.1/24\n" \
	"port out\n"                \
	"\trole outside\n"          \
	"\tdevice net_null1\n"      \
	"\taddress 198.19.1.1/24\n" \
	"\tgateway 198.19.1.254\n"  \
	"resolver\n"                \
	"\tnameserver 198.19.1.3\n" \
	"access-log\n"              \
	"\tpath /tmp/gh-test-access.log\n"
#define ACLS                             \
	"acl office src 198.18.1.0/24\n" \
	"acl bad dstdomain .bad.example\n"
#define FWD(name, port)                \
	"listen " name "\n"            \
	"\tmode forward\n"             \
	"\tbind 198.18.1.1:" port "\n" \
	"\thttp-access deny bad\n"     \
	"\thttp-access allow office\n"
#define ECHO            \
	"listen e\n"    \
	"\tmode echo\n" \
	"\tbind 198.18.1.1:7\n"

static char err[CONF_ERR_MAX];
static char lines[4096];
static unsigned n_lines;

static void
note(void *arg, const char *line)
{
	size_t n = strlen(lines);

	cr_assert_eq(arg, &n_lines);
	snprintf(lines + n, sizeof(lines) - n, "%s\n", line);
	n_lines++;
}

static struct conf *
parse_ok(const char *text)
{
	struct conf *c =
	    conf_parse("t.conf", text, strlen(text), err, sizeof(err));

	cr_assert_not_null(c, "unexpected error: %s", err);
	return c;
}

/* Diff <next_text> against <run_text>: the lines into lines[]. */
static int
diff(struct conf *run, struct conf *next, uint32_t *carried)
{
	lines[0] = '\0';
	n_lines = 0;
	return conf_restart_diff(run, next, note, &n_lines, carried);
}

Test(conf_diff, same_file_nothing_to_report)
{
	struct conf *run = parse_ok(PORTS ACLS FWD("f", "3128") ECHO);
	struct conf *next = parse_ok(PORTS ACLS FWD("f", "3128") ECHO);
	const struct acl_set *acl = next->listeners[0].fwd.acl;
	uint32_t carried = 99;

	cr_assert_eq(diff(run, next, &carried), 0, "%s", lines);
	cr_assert_eq(n_lines, 0);
	cr_assert_eq(carried, 0);
	cr_assert_eq(next->n_listeners, 2);
	/* the new snapshot keeps its own rules */
	cr_assert_eq(next->listeners[0].fwd.acl, acl);
	cr_assert_neq(acl, run->listeners[0].fwd.acl);
	conf_free(next);
	conf_free(run);
}

Test(conf_diff, workers_set_back_live_settings_kept)
{
	struct conf *run = parse_ok(PORTS ACLS FWD("f", "3128"));
	struct conf *next =
	    parse_ok("global\n\tworkers 2\n\tcpus 1,2\n" PORTS ACLS FWD(
	        "f", "3128") "\ttimeout-connect-ms 777\n"
	                     "\tvia off\n"
	                     "\tx-forwarded-for delete\n");
	uint32_t carried;

	cr_assert_eq(diff(run, next, &carried), 2, "%s", lines);
	cr_assert_str_eq(lines, "workers (file 2, running 1)\ncpus\n");
	cr_assert_eq(next->workers, 1);
	cr_assert_eq(next->n_worker_cpus, run->n_worker_cpus);
	cr_assert_eq(next->worker_cpus[0], run->worker_cpus[0]);
	/* live: the new values stay */
	cr_assert_eq(next->listeners[0].fwd.connect_ms, 777);
	cr_assert_not(next->listeners[0].fwd.via);
	cr_assert_eq(next->listeners[0].fwd.xff, CONF_XFF_DELETE);
	conf_free(next);
	conf_free(run);
}

Test(conf_diff, forward_sizes_and_cache_are_restart_only)
{
	struct conf *run = parse_ok(PORTS ACLS FWD("f", "3128"));
	struct conf *next = parse_ok(
	    PORTS ACLS FWD("f", "3128") "\tmax-header-bytes 16384\n"
	                                "\tupstream-idle-max 3\n"
	                                "\tcache on\n"
	                                "\tcache-mb 8\n"
	                                "\ttimeout-client-idle-ms 1234\n");
	uint32_t carried;

	cr_assert_eq(diff(run, next, &carried), 3, "%s", lines);
	cr_assert_str_eq(lines,
	                 "listen f: upstream-idle-max (file 3, running 64)\n"
	                 "listen f: max-header-bytes (file 16384, running "
	                 "32768)\n"
	                 "listen f: cache (file 1, running 0)\n");
	cr_assert_eq(next->listeners[0].fwd.max_header_bytes, 32768);
	cr_assert_eq(next->listeners[0].fwd.upstream_idle_max, 64);
	cr_assert_not(next->listeners[0].fwd.cache);
	cr_assert_eq(next->listeners[0].fwd.client_idle_ms, 1234);
	conf_free(next);
	conf_free(run);
}

Test(conf_diff, sections_built_at_start_are_restart_only)
{
	struct conf *run = parse_ok(PORTS ACLS FWD("f", "3128"));
	struct conf *next;
	uint32_t carried;

	/* the inside port's MTU, the resolver, the log's file and rings;
	 * its format is live */
	next = parse_ok("port in\n\trole inside\n\tdevice net_null0\n"
	                "\taddress 198.18.1.1/24\n\tmtu 1400\n"
	                "port out\n\trole outside\n\tdevice net_null1\n"
	                "\taddress 198.19.1.1/24\n\tgateway 198.19.1.254\n"
	                "resolver\n\tnameserver 198.19.1.4\n"
	                "access-log\n\tpath /tmp/gh-other.log\n\tformat json\n"
	                "\tring-slots 128\n"
	                "tcp\n\tmax-conns 1000\n" ACLS FWD("f", "3128"));
	cr_assert_eq(diff(run, next, &carried), 5, "%s", lines);
	cr_assert_str_eq(lines, "port in\n"
	                        "tcp section\n"
	                        "resolver section\n"
	                        "access-log path\n"
	                        "access-log ring-slots (file 128, running "
	                        "4096)\n");
	cr_assert_eq(next->ports[0].mtu, run->ports[0].mtu);
	cr_assert_eq(next->tcp.max_conns, run->tcp.max_conns);
	cr_assert_eq(next->resolver.server_ip_be[0],
	             run->resolver.server_ip_be[0]);
	cr_assert_str_eq(next->access_log.path, run->access_log.path);
	cr_assert_eq(next->access_log.ring_slots, run->access_log.ring_slots);
	cr_assert_eq(next->access_log.format, CONF_LOG_JSON); /* live */
	conf_free(next);
	conf_free(run);
}

Test(conf_diff, listeners_matched_by_name_in_running_order)
{
	struct conf *run =
	    parse_ok(PORTS ACLS FWD("a", "3128") FWD("b", "3129"));
	/* b first, a's port moved, a new one c */
	struct conf *next = parse_ok(PORTS ACLS FWD(
	    "b", "3129") "\tvia off\n" FWD("a", "3130") FWD("c", "3131"));
	const struct acl_set *acl_b = next->listeners[0].fwd.acl;
	uint32_t carried;

	cr_assert_eq(diff(run, next, &carried), 2, "%s", lines);
	cr_assert_str_eq(lines, "listen a: mode, bind, upstream or "
	                        "congestion-control\n"
	                        "listen c (not running)\n");
	cr_assert_eq(carried, 0);
	cr_assert_eq(next->n_listeners, 2);
	cr_assert_str_eq(next->listeners[0].name, "a");
	cr_assert_str_eq(next->listeners[1].name, "b");
	/* a keeps the port it runs on, b its live change and its rules */
	cr_assert_eq(next->listeners[0].bind_port_be,
	             run->listeners[0].bind_port_be);
	cr_assert_not(next->listeners[1].fwd.via);
	cr_assert_eq(next->listeners[1].fwd.acl, acl_b);
	cr_assert_not_null(next->listeners[0].fwd.acl);
	conf_free(next); /* c's rules were freed: ASan and LSan watch */
	conf_free(run);
}

Test(conf_diff, missing_listener_keeps_its_rules_carried)
{
	struct conf *run =
	    parse_ok(PORTS ACLS FWD("a", "3128") FWD("b", "3129"));
	struct conf *next = parse_ok(PORTS ACLS FWD("a", "3128") "\tvia off\n");
	const struct acl_set *acl_b = run->listeners[1].fwd.acl;
	uint32_t carried;

	cr_assert_eq(diff(run, next, &carried), 1, "%s", lines);
	cr_assert_str_eq(lines, "listen b (not in the file: it keeps its "
	                        "settings)\n");
	cr_assert_eq(carried, 1u << 1);
	cr_assert_eq(next->n_listeners, 2);
	cr_assert_str_eq(next->listeners[1].name, "b");
	cr_assert_eq(next->listeners[1].fwd.acl, acl_b); /* shared */
	cr_assert_eq(next->listeners[1].fwd.acl_rule_text,
	             run->listeners[1].fwd.acl_rule_text);
	cr_assert_not(next->listeners[0].fwd.via);
	/* the running snapshot goes first: what the reload does */
	conf_forward_rules_disown(&run->listeners[1].fwd);
	conf_free(run);
	conf_free(next);
}

/* A missing listener's users stay with the new snapshot after the running
 * one is freed (each holds a reference of its own): ASan watches. */
Test(conf_diff, missing_listener_keeps_its_users)
{
	static const char hash[] =
	    "$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/";
	char path[] = "/tmp/gh-test-diff-users-XXXXXX", text[4096];
	int fd = mkstemp(path);
	struct conf *run, *next;
	uint32_t carried;

	cr_assert_geq(fd, 0);
	cr_assert_eq(dprintf(fd, "alice:%s\n", hash), (int)strlen(hash) + 7);
	close(fd);
	snprintf(text, sizeof(text),
	         PORTS ACLS FWD("a", "3128")
	             FWD("b", "3129") "\tauth-users %s\n",
	         path);
	run = parse_ok(text);
	next = parse_ok(PORTS ACLS FWD("a", "3128"));
	cr_assert_not_null(run->listeners[1].fwd.auth);
	diff(run, next, &carried);
	cr_assert_eq(next->listeners[1].fwd.auth, run->listeners[1].fwd.auth);
	conf_forward_rules_disown(&run->listeners[1].fwd); /* version_free */
	conf_free(run);
	cr_assert_eq(auth_user_find(next->listeners[1].fwd.auth, "alice", 5),
	             0);
	conf_free(next);
	unlink(path);
}

Test(conf_diff, boot_snapshot_keeps_what_runs_after_conf_live_free)
{
	struct conf *c = parse_ok(PORTS ACLS FWD("f", "3128") ECHO);

	cr_assert_not_null(c->listeners[0].fwd.acl);
	conf_live_free(c);
	cr_assert_null(c->listeners[0].fwd.acl);
	cr_assert_eq(c->n_listeners, 2);
	cr_assert_str_eq(c->ports[0].name, "in");
	conf_free(c);
}
