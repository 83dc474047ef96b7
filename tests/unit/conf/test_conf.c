/*
 * Unit tests for the configuration parser (lib/conf): every directive parsed
 * and range-checked at both ends, defaults, a table of bad configs each with
 * its exact message, file loading, and the shipped config/gatehouse.conf and
 * config/relay.conf.  The tcp and listen sections also get their
 * order-independence (listen before the ports and the tcp section it
 * depends on) and the resolution of bind and upstream ports; the forward
 * proxy's directives, the resolver and access-log sections, and the port
 * the nameservers are reached from.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "acl/acl.h"
#include "auth/auth.h"
#include "common/gh_common.h"
#include "conf/conf.h"

TestSuite(conf);

/* A minimal valid port section; bad-config cases append to it. */
#define PORT_IN                \
	"port in\n"            \
	"\trole inside\n"      \
	"\tdevice net_null0\n" \
	"\taddress 198.18.1.1/24\n"

/* An outside port with a gateway, and echo / relay listen sections. */
#define PORT_OUT                    \
	"port out\n"                \
	"\trole outside\n"          \
	"\tdevice net_null1\n"      \
	"\taddress 198.19.1.1/24\n" \
	"\tgateway 198.19.1.254\n"
#define LISTEN_ECHO     \
	"listen e\n"    \
	"\tmode echo\n" \
	"\tbind 198.18.1.1:7\n"
#define LISTEN_RELAY               \
	"listen r\n"               \
	"\tmode relay\n"           \
	"\tbind 198.18.1.1:8080\n" \
	"\tupstream 198.19.1.2:80\n"

/* A forward proxy and the resolver it needs (a nameserver on PORT_OUT). */
#define LISTEN_FWD                 \
	"listen fwd\n"             \
	"\tmode forward\n"         \
	"\tbind 198.18.1.1:3128\n" \
	"\tallow-src 198.18.1.0/24\n"
#define RESOLVER     \
	"resolver\n" \
	"\tnameserver 198.19.1.3\n"
/* Lines 1-14: the ports, the resolver and a forward listen section "f"
 * without allow-src; bad-config cases add its directives from line 15. */
#define FWD_HEAD                                     \
	PORT_IN PORT_OUT RESOLVER "listen f\n"       \
	                          "\tmode forward\n" \
	                          "\tbind 198.18.1.1:3128\n"
#define ALLOW "\tallow-src 198.18.1.0/24\n"
/* Lines 1-14: the ports, the resolver and a socks listen section "s"
 * without allow-src. */
#define SOCKS_HEAD                                 \
	PORT_IN PORT_OUT RESOLVER "listen s\n"     \
	                          "\tmode socks\n" \
	                          "\tbind 198.18.1.1:1080\n"

static char err[CONF_ERR_MAX];

static struct conf *
parse(const char *text)
{
	memset(err, 0, sizeof(err));
	return conf_parse("t.conf", text, strlen(text), err, sizeof(err));
}

static struct conf *
parse_ok(const char *text)
{
	struct conf *c = parse(text);

	cr_assert_not_null(c, "unexpected error: %s", err);
	cr_assert_eq(c->magic, CONF_MAGIC);
	return c;
}

static uint32_t
ip(const char *s)
{
	uint32_t a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* ---- good configs ---- */

static const char full_config[] =
    "# every directive\n"
    "global\n"
    "    workers 4              # trailing comment\n"
    "    cpus 2,3,5\n"
    "    control-cpu 1\n"
    "    busy-poll on\n"
    "    idle-spin-polls 1000\n"
    "    idle-sleep-max-us 0\n"
    "    control-socket /run/gh/x.sock\n"
    "    file-prefix gh-test_1\n"
    "    hugepages off\n"
    "    memory-mb 512\n"
    "    mbufs-per-port 16383\n"
    "    eal-arg --log-level=lib.eal:notice\n"
    "    eal-arg --vdev=net_ring0#x   # '#' inside a word is kept\n"
    "    eal-arg --a b   c\n"
    "    arp-ttl-s 60\n"
    "    arp-pending-max 128\n"
    "    arp-pending-timeout-ms 500\n"
    "    garp-count 0\n"
    "    management-listen 198.18.0.5:9100\n"
    "\n"
    "port lan\n"
    "\trole inside\n"
    "\tdevice net_af_packet0,iface=in0\n"
    "\taddress 198.18.1.1/24\n"
    "\tgateway 198.18.1.254\n"
    "\tmtu 9000\n"
    "\trx-desc 512\n"
    "\ttx-desc 2048\n"
    "port wan\n"
    "\trole outside\n"
    "\tdevice pci:0000:00:04.0\n"
    "\taddress 198.19.1.1/30\n"
    "\tmtu 68\n";

Test(conf, full_config_every_directive)
{
	struct conf *c = parse_ok(full_config);

	cr_assert_str_eq(c->path, "t.conf");
	cr_assert_eq(c->workers, 4);
	cr_assert_eq(c->n_worker_cpus, 3);
	cr_assert_eq(c->worker_cpus[0], 2);
	cr_assert_eq(c->worker_cpus[1], 3);
	cr_assert_eq(c->worker_cpus[2], 5);
	cr_assert_eq(c->control_cpu, 1);
	cr_assert(c->busy_poll);
	cr_assert_eq(c->idle_spin_polls, 1000);
	cr_assert_eq(c->idle_sleep_max_us, 0);
	cr_assert_str_eq(c->control_socket, "/run/gh/x.sock");
	cr_assert_str_eq(c->file_prefix, "gh-test_1");
	cr_assert_eq(c->hugepages, CONF_HUGEPAGES_OFF);
	cr_assert_eq(c->memory_mb, 512);
	cr_assert_eq(c->mbufs_per_port, 16383);
	cr_assert_eq(c->n_eal_args, 3);
	cr_assert_str_eq(c->eal_args[0], "--log-level=lib.eal:notice");
	cr_assert_str_eq(c->eal_args[1], "--vdev=net_ring0#x");
	cr_assert_str_eq(c->eal_args[2], "--a b   c");
	cr_assert_eq(c->arp_entry_ttl_s, 60);
	cr_assert_eq(c->arp_pending_max, 128);
	cr_assert_eq(c->arp_pending_timeout_ms, 500);
	cr_assert_eq(c->garp_count, 0);
	cr_assert_eq(c->mgmt_ip_be, ip("198.18.0.5"));
	cr_assert_eq(c->mgmt_port_be, htons(9100));

	cr_assert_eq(c->n_ports, 2);
	cr_assert_str_eq(c->ports[0].name, "lan");
	cr_assert_eq(c->ports[0].role, CONF_PORT_INSIDE);
	cr_assert_str_eq(c->ports[0].device, "net_af_packet0,iface=in0");
	cr_assert_not(c->ports[0].is_pci);
	cr_assert_eq(c->ports[0].addr_be, ip("198.18.1.1"));
	cr_assert_eq(c->ports[0].prefix_len, 24);
	cr_assert_eq(c->ports[0].gateway_be, ip("198.18.1.254"));
	cr_assert_eq(c->ports[0].mtu, 9000);
	cr_assert_eq(c->ports[0].rx_desc, 512);
	cr_assert_eq(c->ports[0].tx_desc, 2048);
	cr_assert_eq(c->ports[0].line, 23);

	cr_assert_str_eq(c->ports[1].name, "wan");
	cr_assert_eq(c->ports[1].role, CONF_PORT_OUTSIDE);
	cr_assert_str_eq(c->ports[1].device, "0000:00:04.0");
	cr_assert(c->ports[1].is_pci);
	cr_assert_eq(c->ports[1].addr_be, ip("198.19.1.1"));
	cr_assert_eq(c->ports[1].prefix_len, 30);
	cr_assert_eq(c->ports[1].gateway_be, 0);
	cr_assert_eq(c->ports[1].mtu, 68);
	cr_assert_eq(c->ports[1].line, 31);

	cr_assert_eq(conf_port_find_role(c, CONF_PORT_INSIDE), 0);
	cr_assert_eq(conf_port_find_role(c, CONF_PORT_OUTSIDE), 1);
	conf_free(c);
}

Test(conf, defaults)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct conf *c = parse_ok(PORT_IN);

	cr_assert_eq(c->workers, 1);
	cr_assert_eq(c->mgmt_ip_be, ip("127.0.0.1"));
	cr_assert_eq(c->mgmt_port_be, htons(9190));
	cr_assert_eq(c->control_cpu, 0);
	cr_assert_eq(c->n_worker_cpus, 1);
	cr_assert_eq(c->worker_cpus[0], ncpu > 1 ? 1 : 0);
	cr_assert_not(c->busy_poll);
	cr_assert_eq(c->idle_spin_polls, 64);
	cr_assert_eq(c->idle_sleep_max_us, 200);
	cr_assert_str_eq(c->control_socket, "/run/gatehouse/gatehouse.sock");
	cr_assert_str_eq(c->file_prefix, "gatehouse");
	cr_assert_eq(c->hugepages, CONF_HUGEPAGES_AUTO);
	cr_assert_eq(c->memory_mb, 256);
	cr_assert_eq(c->mbufs_per_port, 8191);
	cr_assert_eq(c->n_eal_args, 0);
	cr_assert_eq(c->arp_entry_ttl_s, 300);
	cr_assert_eq(c->arp_pending_max, 64);
	cr_assert_eq(c->arp_pending_timeout_ms, 1000);
	cr_assert_eq(c->garp_count, 3);
	cr_assert_eq(c->n_ports, 1);
	cr_assert_eq(c->ports[0].mtu, 1500);
	cr_assert_eq(c->ports[0].rx_desc, 1024);
	cr_assert_eq(c->ports[0].tx_desc, 1024);
	cr_assert_eq(c->ports[0].gateway_be, 0);
	cr_assert_eq(c->ports[0].line, 1);
	cr_assert_eq(conf_port_find_role(c, CONF_PORT_OUTSIDE), -ENOENT);
	conf_free(c);
}

Test(conf, management_listen_off)
{
	struct conf *c = parse_ok("global\n\tmanagement-listen off\n" PORT_IN);

	cr_assert_eq(c->mgmt_port_be, 0);
	cr_assert_eq(c->mgmt_ip_be, 0);
	conf_free(c);
	c = parse_ok("global\n\tmanagement-listen 0.0.0.0:80\n" PORT_IN);
	cr_assert_eq(c->mgmt_ip_be, 0);
	cr_assert_eq(c->mgmt_port_be, htons(80));
	conf_free(c);
}

Test(conf, empty_global_section_is_all_defaults)
{
	struct conf *c = parse_ok("global\n" PORT_IN);

	cr_assert_eq(c->workers, 1);
	cr_assert_eq(c->ports[0].line, 2);
	conf_free(c);
}

Test(conf, crlf_tabs_comments_and_no_final_newline)
{
	struct conf *c = parse_ok("# head\r\n\r\n"
	                          "global # c\r\n"
	                          " \t workers\t2 \r\n"
	                          "   # indented comment\r\n"
	                          "port in # c\r\n"
	                          "\trole inside\r\n"
	                          "\tdevice net_null0\r\n"
	                          "\taddress 198.18.1.1/24");

	cr_assert_eq(c->workers, 2);
	cr_assert_str_eq(c->ports[0].name, "in");
	cr_assert_eq(c->ports[0].line, 6);
	conf_free(c);
}

Test(conf, short_pci_form_and_host_prefixes)
{
	struct conf *c = parse_ok(PORT_IN "port a\n"
	                                  "\trole outside\n"
	                                  "\tdevice pci:0A:1f.7\n"
	                                  "\taddress 198.19.0.1/32\n"
	                                  "port b\n"
	                                  "\trole outside\n"
	                                  "\tdevice pci:0000:0b:00.0\n"
	                                  "\taddress 198.19.1.0/31\n"
	                                  "\tgateway 198.19.1.1\n");

	cr_assert(c->ports[1].is_pci);
	cr_assert_str_eq(c->ports[1].device, "0A:1f.7");
	cr_assert_eq(c->ports[1].prefix_len, 32);
	cr_assert_eq(c->ports[2].prefix_len, 31);
	cr_assert_eq(c->ports[2].gateway_be, ip("198.19.1.1"));
	cr_assert_eq(conf_port_find_role(c, CONF_PORT_OUTSIDE), 1);
	conf_free(c);
}

Test(conf, gateway_before_address)
{
	struct conf *c = parse_ok("port in\n"
	                          "\tgateway 198.18.1.254\n"
	                          "\taddress 198.18.1.1/24\n"
	                          "\tdevice net_null0\n"
	                          "\trole inside\n");

	cr_assert_eq(c->ports[0].gateway_be, ip("198.18.1.254"));
	conf_free(c);
}

Test(conf, four_ports_and_sixteen_eal_args)
{
	char text[4096];
	struct conf *c;
	int n = 0, i;

	n += snprintf(text + n, sizeof(text) - (size_t)n, "global\n");
	for (i = 0; i < CONF_EAL_ARGS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "\teal-arg --x=%d\n", i);
	for (i = 0; i < CONF_PORTS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "port p%d\n\trole inside\n"
		              "\tdevice net_null%d\n"
		              "\taddress 198.18.%d.1/24\n",
		              i, i, i);
	c = parse_ok(text);
	cr_assert_eq(c->n_eal_args, CONF_EAL_ARGS_MAX);
	cr_assert_str_eq(c->eal_args[15], "--x=15");
	cr_assert_eq(c->n_ports, CONF_PORTS_MAX);
	cr_assert_str_eq(c->ports[3].name, "p3");
	conf_free(c);
}

Test(conf, longest_line_and_names)
{
	char text[2048];
	struct conf *c;

	/* A comment line of exactly 1023 bytes is fine. */
	memset(text, 'x', 1023);
	text[0] = '#';
	strcpy(
	    text + 1023,
	    "\nglobal\n"
	    "\tfile-prefix "
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk\n"
	    "port abcdefghijklmnopqrstuvwxyz01234\n"
	    "\trole inside\n\tdevice net_null0\n"
	    "\taddress 198.18.1.1/24\n");
	c = parse_ok(text);
	cr_assert_eq(strlen(c->file_prefix), CONF_PREFIX_MAX - 1);
	cr_assert_eq(strlen(c->ports[0].name), CONF_NAME_MAX - 1);
	cr_assert_eq(c->ports[0].line, 4);
	conf_free(c);
}

/* ---- tcp and listen sections ---- */

/* Listen sections first, then tcp, then the ports they depend on. */
static const char tcp_listen_config[] =
    "listen web\n"                   /* 1 */
    "\tbind 198.18.1.1:8080\n"       /* 2 */
    "\tupstream 198.19.1.2:80\n"     /* 3 */
    "\tmode relay\n"                 /* 4 */
    "listen far\n"                   /* 5 */
    "\tmode relay\n"                 /* 6 */
    "\tbind 198.18.1.1:8443\n"       /* 7 */
    "\tupstream 198.19.200.10:443\n" /* 8: via the gateway */
    "\tcongestion-control cubic\n"   /* 9 */
    "listen back\n"                  /* 10 */
    "\tmode relay\n"                 /* 11 */
    "\tbind 198.19.1.1:2525\n"       /* 12: on an outside port */
    "\tupstream 198.18.1.50:25\n"    /* 13: an inside host */
    "listen echo\n"                  /* 14 */
    "\tmode echo\n"
    "\tbind 198.18.1.1:7\n"
    "listen discard\n" /* 17 */
    "\tmode discard\n"
    "\tbind 198.18.1.1:9\n"
    "listen chargen\n" /* 20 */
    "\tbind 198.19.9.1:19\n"
    "\tmode chargen\n"
    "\tcongestion-control cubic\n"
    "tcp\n" /* 24 */
    "\tmax-conns 1000\n"
    "\tsyn-backlog 0\n"
    "\trcv-buf-kb 64\n"
    "\tsnd-buf-kb 1024\n"
    "\ttime-wait-ms 0\n"
    "\tkeepalive-idle-ms 7200000\n"
    "\tkeepalive-intvl-ms 1000\n"
    "\tkeepalive-probes 3\n"
    "\trto-min-ms 300\n"
    "\trto-max-ms 300\n"
    "\tsyn-retries 2\n"
    "\tdata-retries 5\n"
    "\tdelack-ms 1\n"
    "\tephemeral-ports 40000-41023\n"
    "\tcongestion-control newreno\n"
    /* An outside port without a gateway comes first: the relay to an
     * off-link upstream must pick the first one that has a gateway. */
    "port dmz\n"
    "\trole outside\n"
    "\tdevice net_null2\n"
    "\taddress 198.19.9.1/24\n"
    "port lan\n"
    "\trole inside\n"
    "\tdevice net_null0\n"
    "\taddress 198.18.1.1/24\n"
    "\tgateway 198.18.1.254\n" /* inside: never a default route */
    "port wan\n"
    "\trole outside\n"
    "\tdevice net_null1\n"
    "\taddress 198.19.1.1/24\n"
    "\tgateway 198.19.1.254\n";

Test(conf, tcp_and_listen_every_directive_any_order)
{
	struct conf *c = parse_ok(tcp_listen_config);
	const struct conf_listen *l = c->listeners;

	cr_assert_eq(c->tcp.line, 24);
	cr_assert_eq(c->tcp.max_conns, 1000);
	cr_assert_eq(c->tcp.syn_backlog, 0);
	cr_assert_eq(c->tcp.rcv_buf_bytes, 64 * 1024);
	cr_assert_eq(c->tcp.snd_buf_bytes, 1024 * 1024);
	cr_assert_eq(c->tcp.time_wait_ms, 0);
	cr_assert_eq(c->tcp.keepalive_idle_ms, 7200000);
	cr_assert_eq(c->tcp.keepalive_intvl_ms, 1000);
	cr_assert_eq(c->tcp.keepalive_probes, 3);
	cr_assert_eq(c->tcp.rto_min_ms, 300);
	cr_assert_eq(c->tcp.rto_max_ms, 300);
	cr_assert_eq(c->tcp.syn_retries, 2);
	cr_assert_eq(c->tcp.data_retries, 5);
	cr_assert_eq(c->tcp.delack_ms, 1);
	cr_assert_eq(c->tcp.ephemeral_lo, 40000);
	cr_assert_eq(c->tcp.ephemeral_hi, 41023);
	cr_assert_eq(c->tcp.cc, CONF_CC_NEWRENO);

	cr_assert_eq(c->n_ports, 3);
	cr_assert_eq(c->n_listeners, 6);

	cr_assert_str_eq(l[0].name, "web");
	cr_assert_eq(l[0].line, 1);
	cr_assert_eq(l[0].mode, CONF_LISTEN_RELAY);
	cr_assert_eq(l[0].bind_ip_be, ip("198.18.1.1"));
	cr_assert_eq(l[0].bind_port_be, htons(8080));
	cr_assert_eq(l[0].bind_port_idx, 1);
	cr_assert_eq(l[0].upstream_ip_be, ip("198.19.1.2"));
	cr_assert_eq(l[0].upstream_port_be, htons(80));
	cr_assert_eq(l[0].upstream_port_idx, 2); /* wan's subnet holds it */
	cr_assert_eq(l[0].cc, CONF_CC_NEWRENO);  /* from the later tcp */

	cr_assert_str_eq(l[1].name, "far");
	cr_assert_eq(l[1].line, 5);
	cr_assert_eq(l[1].bind_port_be, htons(8443));
	cr_assert_eq(l[1].upstream_ip_be, ip("198.19.200.10"));
	cr_assert_eq(l[1].upstream_port_be, htons(443));
	cr_assert_eq(l[1].upstream_port_idx, 2); /* wan: has a gateway */
	cr_assert_eq(l[1].cc, CONF_CC_CUBIC);    /* its own */

	cr_assert_str_eq(l[2].name, "back");
	cr_assert_eq(l[2].bind_ip_be, ip("198.19.1.1"));
	cr_assert_eq(l[2].bind_port_be, htons(2525));
	cr_assert_eq(l[2].bind_port_idx, 2);
	cr_assert_eq(l[2].upstream_ip_be, ip("198.18.1.50"));
	cr_assert_eq(l[2].upstream_port_idx, 1); /* lan's subnet */

	cr_assert_str_eq(l[3].name, "echo");
	cr_assert_eq(l[3].mode, CONF_LISTEN_ECHO);
	cr_assert_eq(l[3].bind_port_be, htons(7));
	cr_assert_eq(l[3].bind_port_idx, 1);
	cr_assert_eq(l[3].upstream_ip_be, 0);
	cr_assert_eq(l[3].upstream_port_be, 0);
	cr_assert_eq(l[3].cc, CONF_CC_NEWRENO);

	cr_assert_str_eq(l[4].name, "discard");
	cr_assert_eq(l[4].mode, CONF_LISTEN_DISCARD);
	cr_assert_eq(l[4].bind_port_be, htons(9));

	cr_assert_str_eq(l[5].name, "chargen");
	cr_assert_eq(l[5].line, 20);
	cr_assert_eq(l[5].mode, CONF_LISTEN_CHARGEN);
	cr_assert_eq(l[5].bind_ip_be, ip("198.19.9.1"));
	cr_assert_eq(l[5].bind_port_be, htons(19));
	cr_assert_eq(l[5].bind_port_idx, 0); /* dmz */
	cr_assert_eq(l[5].cc, CONF_CC_CUBIC);
	conf_free(c);
}

Test(conf, tcp_defaults_without_tcp_section)
{
	struct conf *c = parse_ok(PORT_IN LISTEN_ECHO);

	cr_assert_eq(c->tcp.line, 0);
	cr_assert_eq(c->tcp.max_conns, 65536);
	cr_assert_eq(c->tcp.syn_backlog, 1024);
	cr_assert_eq(c->tcp.rcv_buf_bytes, 256 * 1024);
	cr_assert_eq(c->tcp.snd_buf_bytes, 256 * 1024);
	cr_assert_eq(c->tcp.time_wait_ms, 60000);
	cr_assert_eq(c->tcp.keepalive_idle_ms, 0);
	cr_assert_eq(c->tcp.keepalive_intvl_ms, 75000);
	cr_assert_eq(c->tcp.keepalive_probes, 9);
	cr_assert_eq(c->tcp.rto_min_ms, 200);
	cr_assert_eq(c->tcp.rto_max_ms, 60000);
	cr_assert_eq(c->tcp.syn_retries, 6);
	cr_assert_eq(c->tcp.data_retries, 15);
	cr_assert_eq(c->tcp.delack_ms, 40);
	cr_assert_eq(c->tcp.ooo_mbufs_max, 0);
	cr_assert_eq(c->tcp.ephemeral_lo, 32768);
	cr_assert_eq(c->tcp.ephemeral_hi, 60999);
	cr_assert_eq(c->tcp.cc, CONF_CC_CUBIC);
	cr_assert_eq(c->n_listeners, 1);
	cr_assert_eq(c->listeners[0].line, 5);
	cr_assert_eq(c->listeners[0].cc, CONF_CC_CUBIC);
	cr_assert_eq(c->listeners[0].bind_port_idx, 0);
	conf_free(c);
}

/*
 * ooo-mbufs-max: 0 leaves the TCP stack's default; a value is checked
 * against the pool the workers share once the whole file is read, whatever
 * the order of the global and tcp sections.
 */
Test(conf, ooo_mbufs_max_against_the_pool)
{
	struct conf *c;

	c = parse_ok("tcp\n\tooo-mbufs-max 0\n" PORT_IN);
	cr_assert_eq(c->tcp.ooo_mbufs_max, 0);
	conf_free(c);
	/* half of the default 8191, one worker */
	c = parse_ok("tcp\n\tooo-mbufs-max 4095\n" PORT_IN);
	cr_assert_eq(c->tcp.ooo_mbufs_max, 4095);
	conf_free(c);
	/* 4 x 4095 = 16380 <= 32767 / 2, global after tcp */
	c = parse_ok("tcp\n\tooo-mbufs-max 4095\n"
	             "global\n\tworkers 4\n\tmbufs-per-port 32767\n" PORT_IN);
	cr_assert_eq(c->tcp.ooo_mbufs_max, 4095);
	cr_assert_eq(c->workers, 4);
	conf_free(c);
	/* a bigger pool only: 4096 x 4 = 16384 > 16383 */
	cr_assert_null(parse("global\n\tworkers 4\n\tmbufs-per-port 32767\n"
	                     "tcp\n\tooo-mbufs-max 4096\n" PORT_IN));
	cr_assert_str_eq(err, "t.conf:5: tcp: ooo-mbufs-max 4096 x workers 4 "
	                      "= 16384 is more than half of mbufs-per-port "
	                      "32767");
}

Test(conf, no_listeners_and_empty_tcp_section)
{
	struct conf *c = parse_ok("tcp\n" PORT_IN);

	cr_assert_eq(c->tcp.line, 1);
	cr_assert_eq(c->tcp.max_conns, 65536);
	cr_assert_eq(c->n_listeners, 0);
	conf_free(c);

	c = parse_ok(PORT_IN);
	cr_assert_eq(c->n_listeners, 0);
	conf_free(c);
}

/* The same IP, other ports; the same port, other IPs: all distinct. */
Test(conf, sixteen_listeners_then_one_too_many)
{
	char text[4096];
	struct conf *c;
	int n = 0, i;

	n += snprintf(text + n, sizeof(text) - (size_t)n, PORT_IN PORT_OUT);
	for (i = 0; i < CONF_LISTENERS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "listen l%d\n\tmode discard\n"
		              "\tbind 198.%d.1.1:%d\n",
		              i, 18 + i % 2, 9000 + i / 2);
	c = parse_ok(text);
	cr_assert_eq(c->n_listeners, CONF_LISTENERS_MAX);
	cr_assert_str_eq(c->listeners[15].name, "l15");
	cr_assert_eq(c->listeners[15].bind_port_idx, 1);
	cr_assert_eq(c->listeners[15].bind_port_be, htons(9007));
	conf_free(c);

	snprintf(text + n, sizeof(text) - (size_t)n, "listen x\n");
	cr_assert_null(parse(text));
	cr_assert_str_eq(err, "t.conf:58: listen \"x\": too many listen "
	                      "sections (at most 16)");
}

/* ---- forward proxy, resolver and access-log ---- */

/* Every new directive, the sections before the ports they depend on. */
static const char forward_config[] =
    "listen fwd\n"                           /* 1 */
    "\tallow-src 198.18.1.0/24\n"            /* 2: before mode */
    "\tmode forward\n"                       /* 3 */
    "\tbind 198.18.1.1:3128\n"               /* 4 */
    "\tallow-src 10.1.2.3\n"                 /* 5: a /32 */
    "\tallow-src 172.16.0.0/12\n"            /* 6 */
    "\tconnect-ports 443   8443 563 1\n"     /* 7 */
    "\tx-forwarded-for delete\n"             /* 8 */
    "\tanonymous on\n"                       /* 9 */
    "\tvia off\n"                            /* 10 */
    "\tallow-private-dst on\n"               /* 11 */
    "\ttimeout-client-header-ms 2000\n"      /* 12 */
    "\ttimeout-client-idle-ms 120000\n"      /* 13 */
    "\ttimeout-connect-ms 3000\n"            /* 14 */
    "\ttimeout-upstream-read-ms 45000\n"     /* 15 */
    "\tupstream-idle-ms 0\n"                 /* 16 */
    "\tupstream-idle-max 0\n"                /* 17 */
    "\tmax-request-line 4096\n"              /* 18 */
    "\tmax-headers 64\n"                     /* 19 */
    "\tmax-header-bytes 4096\n"              /* 20: equal is fine */
    "\tmax-request-body-bytes 10737418240\n" /* 21: above 32 bits */
    "\tcongestion-control newreno\n"         /* 22 */
    "resolver\n"                             /* 23 */
    "\tnameserver 198.19.1.3\n"              /* 24: out's subnet */
    "\tnameserver 198.19.200.53\n"           /* 25: out's gateway */
    "\ttimeout-ms 500\n"
    "\ttries 2\n"
    "\tcache-entries 1024\n"
    "\tnegative-ttl-s 0\n"
    "\tmax-ttl-s 86400\n"
    "access-log\n" /* 31 */
    "\tpath /var/log/gatehouse/access.log\n"
    "\tformat json\n"
    "\tring-slots 65536\n" PORT_IN PORT_OUT;

Test(conf, forward_resolver_access_log_every_directive)
{
	struct conf *c = parse_ok(forward_config);
	const struct conf_listen *l = &c->listeners[0];
	const struct conf_forward *f = &l->fwd;

	cr_assert_eq(c->n_listeners, 1);
	cr_assert_str_eq(l->name, "fwd");
	cr_assert_eq(l->line, 1);
	cr_assert_eq(l->mode, CONF_LISTEN_FORWARD);
	cr_assert_eq(l->bind_ip_be, ip("198.18.1.1"));
	cr_assert_eq(l->bind_port_be, htons(3128));
	cr_assert_eq(l->bind_port_idx, 0);
	cr_assert_eq(l->upstream_ip_be, 0);
	cr_assert_eq(l->upstream_port_be, 0);
	cr_assert_eq(l->cc, CONF_CC_NEWRENO);

	cr_assert_eq(f->n_allow_src, 3);
	cr_assert_eq(f->allow_src[0].addr_be, ip("198.18.1.0"));
	cr_assert_eq(f->allow_src[0].mask_be, ip("255.255.255.0"));
	cr_assert_eq(f->allow_src[1].addr_be, ip("10.1.2.3"));
	cr_assert_eq(f->allow_src[1].mask_be, ip("255.255.255.255"));
	cr_assert_eq(f->allow_src[2].addr_be, ip("172.16.0.0"));
	cr_assert_eq(f->allow_src[2].mask_be, ip("255.240.0.0"));
	cr_assert_eq(f->n_connect_ports, 4);
	cr_assert_eq(f->connect_ports[0], 443);
	cr_assert_eq(f->connect_ports[1], 8443);
	cr_assert_eq(f->connect_ports[2], 563);
	cr_assert_eq(f->connect_ports[3], 1);
	cr_assert_eq(f->xff, CONF_XFF_DELETE);
	cr_assert(f->anonymous);
	cr_assert_not(f->via);
	cr_assert(f->allow_private_dst);
	cr_assert_eq(f->client_header_ms, 2000);
	cr_assert_eq(f->client_idle_ms, 120000);
	cr_assert_eq(f->connect_ms, 3000);
	cr_assert_eq(f->upstream_read_ms, 45000);
	cr_assert_eq(f->upstream_idle_ms, 0);
	cr_assert_eq(f->upstream_idle_max, 0);
	cr_assert_eq(f->max_request_line, 4096);
	cr_assert_eq(f->max_headers, 64);
	cr_assert_eq(f->max_header_bytes, 4096);
	cr_assert_eq(f->max_body_bytes, 10737418240ull);

	cr_assert_eq(c->resolver.line, 23);
	cr_assert_eq(c->resolver.n_servers, 2);
	cr_assert_eq(c->resolver.server_ip_be[0], ip("198.19.1.3"));
	cr_assert_eq(c->resolver.server_ip_be[1], ip("198.19.200.53"));
	cr_assert_eq(c->resolver.port_idx, 1);
	cr_assert_eq(c->resolver.timeout_ms, 500);
	cr_assert_eq(c->resolver.tries, 2);
	cr_assert_eq(c->resolver.cache_entries, 1024);
	cr_assert_eq(c->resolver.neg_ttl_s, 0);
	cr_assert_eq(c->resolver.max_ttl_s, 86400);

	cr_assert_eq(c->access_log.line, 31);
	cr_assert_str_eq(c->access_log.path, "/var/log/gatehouse/access.log");
	cr_assert_eq(c->access_log.format, CONF_LOG_JSON);
	cr_assert_eq(c->access_log.ring_slots, 65536);
	conf_free(c);
}

static void
assert_forward_defaults(const struct conf_forward *f)
{
	cr_assert_eq(f->n_connect_ports, 1);
	cr_assert_eq(f->connect_ports[0], 443);
	cr_assert_eq(f->xff, CONF_XFF_ADD);
	cr_assert_not(f->anonymous);
	cr_assert_str_eq(f->anon_user_agent, ""); /* CONF_ANON_UA_DEFAULT */
	cr_assert_not(f->anon_ua_remove);
	cr_assert_not(f->anon_cookies);
	cr_assert(f->via);
	cr_assert_not(f->allow_private_dst);
	cr_assert_eq(f->client_header_ms, 10000);
	cr_assert_eq(f->client_idle_ms, 60000);
	cr_assert_eq(f->connect_ms, 5000);
	cr_assert_eq(f->upstream_read_ms, 30000);
	cr_assert_eq(f->upstream_idle_ms, 30000);
	cr_assert_eq(f->upstream_idle_max, 64);
	cr_assert_eq(f->max_request_line, 8192);
	cr_assert_eq(f->max_headers, 100);
	cr_assert_eq(f->max_header_bytes, 32768);
	cr_assert_eq(f->max_body_bytes, 0);
	cr_assert_not(f->cache);
	cr_assert_eq(f->cache_mb, 64);
	cr_assert_eq(f->cache_max_object_kb, 1024);
	cr_assert_eq(f->cache_heuristic_max_s, 86400);
	cr_assert_eq(f->cache_bg_max, 64);
	cr_assert_not(f->cache_status);
	cr_assert_not(f->cache_cdn_control);
}

/* The forward settings are filled in for every listen section; the
 * resolver and access-log fields hold their defaults without a section. */
Test(conf, forward_resolver_access_log_defaults)
{
	struct conf *c = parse_ok(PORT_IN PORT_OUT LISTEN_RELAY LISTEN_ECHO);

	assert_forward_defaults(&c->listeners[0].fwd);
	assert_forward_defaults(&c->listeners[1].fwd);
	cr_assert_eq(c->listeners[1].fwd.n_allow_src, 0);
	cr_assert_eq(c->resolver.line, 0);
	cr_assert_eq(c->resolver.n_servers, 0);
	cr_assert_eq(c->resolver.timeout_ms, 1000);
	cr_assert_eq(c->resolver.tries, 3);
	cr_assert_eq(c->resolver.cache_entries, 4096);
	cr_assert_eq(c->resolver.neg_ttl_s, 30);
	cr_assert_eq(c->resolver.max_ttl_s, 3600);
	cr_assert_eq(c->access_log.line, 0);
	cr_assert_str_eq(c->access_log.path, "");
	cr_assert_eq(c->access_log.format, CONF_LOG_SQUID);
	cr_assert_eq(c->access_log.ring_slots, 4096);
	conf_free(c);

	c = parse_ok(PORT_IN PORT_OUT LISTEN_FWD RESOLVER
	             "access-log\n\tpath /a.log\n");
	cr_assert_eq(c->listeners[0].mode, CONF_LISTEN_FORWARD);
	cr_assert_eq(c->listeners[0].fwd.n_allow_src, 1);
	assert_forward_defaults(&c->listeners[0].fwd);
	cr_assert_eq(c->resolver.line, 14);
	cr_assert_eq(c->resolver.n_servers, 1);
	cr_assert_eq(c->resolver.port_idx, 1);
	cr_assert_eq(c->resolver.timeout_ms, 1000);
	cr_assert_eq(c->access_log.line, 16);
	cr_assert_str_eq(c->access_log.path, "/a.log");
	cr_assert_eq(c->access_log.format, CONF_LOG_SQUID);
	cr_assert_eq(c->access_log.ring_slots, 4096);
	conf_free(c);
}

/* The resolver's port: the subnet that holds the first nameserver, else the
 * first outside port with a gateway; a resolver without a forward listener
 * is accepted. */
Test(conf, resolver_port)
{
	struct conf *c;

	c = parse_ok(PORT_IN PORT_OUT "resolver\n\tnameserver 198.18.1.53\n");
	cr_assert_eq(c->resolver.port_idx, 0);
	conf_free(c);

	c = parse_ok("resolver\n\tnameserver 9.9.9.9\n\tnameserver "
	             "198.19.1.3\n" PORT_IN PORT_OUT);
	cr_assert_eq(c->resolver.port_idx, 1);
	cr_assert_eq(c->resolver.n_servers, 2);
	conf_free(c);

	c = parse_ok(PORT_IN PORT_OUT
	             "resolver\n\tnameserver 1.1.1.1\n\tnameserver 8.8.8.8\n"
	             "\tnameserver 9.9.9.9\n\tnameserver 198.19.1.3\n");
	cr_assert_eq(c->resolver.n_servers, CONF_RESOLVERS_MAX);
	cr_assert_eq(c->resolver.server_ip_be[3], ip("198.19.1.3"));
	cr_assert_eq(c->resolver.port_idx, 1);
	conf_free(c);
}

/* allow-src: 32 are fine, the 33rd is refused; 0.0.0.0/0 is accepted (an
 * explicit choice, unlike no allow-src at all). */
Test(conf, allow_src_limit)
{
	char text[4096];
	struct conf *c;
	int n = 0, i;

	n += snprintf(text + n, sizeof(text) - (size_t)n, FWD_HEAD);
	for (i = 0; i < CONF_ALLOW_SRC_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "\tallow-src 10.%d.0.0/16\n", i);
	c = parse_ok(text);
	cr_assert_eq(c->listeners[0].fwd.n_allow_src, CONF_ALLOW_SRC_MAX);
	cr_assert_eq(c->listeners[0].fwd.allow_src[31].addr_be,
	             ip("10.31.0.0"));
	conf_free(c);

	snprintf(text + n, sizeof(text) - (size_t)n,
	         "\tallow-src 10.99.0.0/16\n");
	cr_assert_null(parse(text));
	cr_assert_str_eq(err, "t.conf:47: allow-src: more than 32 given, "
	                      "\"10.99.0.0/16\" is one too many");

	c = parse_ok(FWD_HEAD "\tallow-src 0.0.0.0/0\n");
	cr_assert_eq(c->listeners[0].fwd.allow_src[0].addr_be, 0);
	cr_assert_eq(c->listeners[0].fwd.allow_src[0].mask_be, 0);
	conf_free(c);
}

/* cache-status on|off (RFC 9211), off by default. */
Test(conf, cache_status_flag)
{
	struct conf *c = parse_ok(FWD_HEAD ALLOW "\tcache on\n"
	                                         "\tcache-status on\n");

	cr_assert(c->listeners[0].fwd.cache_status);
	conf_free(c);
	c = parse_ok(FWD_HEAD ALLOW "\tcache-status off\n");
	cr_assert_not(c->listeners[0].fwd.cache_status);
	conf_free(c);
}

/* cache-cdn-control on|off (RFC 9213), off by default in forward mode;
 * the listener's name is its settings' too (Cache-Status names it). */
Test(conf, cache_cdn_control_flag)
{
	struct conf *c = parse_ok(FWD_HEAD ALLOW "\tcache on\n"
	                                         "\tcache-cdn-control on\n");

	cr_assert(c->listeners[0].fwd.cache_cdn_control);
	cr_assert_str_eq(c->listeners[0].fwd.name, c->listeners[0].name);
	conf_free(c);
	c = parse_ok(FWD_HEAD ALLOW "\tcache-cdn-control off\n");
	cr_assert_not(c->listeners[0].fwd.cache_cdn_control);
	conf_free(c);
	c = parse_ok(FWD_HEAD ALLOW "\tcache on\n");
	cr_assert_not(c->listeners[0].fwd.cache_cdn_control);
	conf_free(c);
}

/* connect-ports: 16 are fine, ports at both ends of the range. */
Test(conf, connect_ports_limit)
{
	struct conf *c = parse_ok(
	    FWD_HEAD ALLOW "\tconnect-ports 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
	                   "15 65535\n");

	cr_assert_eq(c->listeners[0].fwd.n_connect_ports,
	             CONF_CONNECT_PORTS_MAX);
	cr_assert_eq(c->listeners[0].fwd.connect_ports[0], 1);
	cr_assert_eq(c->listeners[0].fwd.connect_ports[15], 65535);
	conf_free(c);
}

/* ---- bad configs: each with its exact message ---- */

struct bad_case {
	const char *text;
	const char *msg;
};

#define LONG_PATH                                                        \
	"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct bad_case bad_cases[] = {
    /* mode socks (issue 15) */
    {SOCKS_HEAD,
     "t.conf:12: listen \"s\": mode socks needs at least one allow-src or "
     "http-access (it must not be an open proxy)"},
    {SOCKS_HEAD ALLOW "\tvia off\n",
     "t.conf:16: listen \"s\": via is not allowed in socks mode"},
    {SOCKS_HEAD ALLOW "\tcache on\n",
     "t.conf:16: listen \"s\": cache is not allowed in socks mode"},
    {SOCKS_HEAD ALLOW "\tconnect-ports 443\n",
     "t.conf:16: listen \"s\": connect-ports is not allowed in socks mode"},
    {SOCKS_HEAD ALLOW "\ttimeout-client-idle-ms 1000\n",
     "t.conf:16: listen \"s\": timeout-client-idle-ms is not allowed in "
     "socks mode"},
    {SOCKS_HEAD ALLOW "\tauth-realm x\n",
     "t.conf:16: listen \"s\": auth-realm is not allowed in socks mode"},
    {SOCKS_HEAD ALLOW "\ttimeout-handshake-ms 99\n",
     "t.conf:16: timeout-handshake-ms: 99 is out of range 100..3600000"},
    {SOCKS_HEAD ALLOW "\ttimeout-idle-ms 86400001\n",
     "t.conf:16: timeout-idle-ms: 86400001 is out of range 100..86400000"},
    {SOCKS_HEAD ALLOW "\ttimeout-connect-ms x\n",
     "t.conf:16: timeout-connect-ms: \"x\" is not a decimal number"},
    {FWD_HEAD ALLOW "\ttimeout-handshake-ms 1000\n",
     "t.conf:16: listen \"f\": timeout-handshake-ms is not allowed in "
     "forward mode (only socks takes it)"},
    {PORT_IN PORT_OUT LISTEN_ECHO "\ttimeout-idle-ms 1000\n",
     "t.conf:13: listen \"e\": timeout-idle-ms is not allowed in echo mode "
     "(only socks takes it)"},
    {PORT_IN PORT_OUT "listen s\n\tmode socks\n\tbind 198.18.1.1:1080\n" ALLOW,
     "t.conf:10: listen \"s\": mode socks needs a resolver section"},
    /* structure */
    {"", "t.conf: no port with role inside"},
    {"# only a comment\nglobal\n", "t.conf: no port with role inside"},
    {"port out\n\trole outside\n\tdevice net_null0\n"
     "\taddress 198.19.1.1/24\n",
     "t.conf: no port with role inside"},
    {"\tworkers 2\n", "t.conf:1: directive \"workers\" outside any section"},
    {"workers 2\n", "t.conf:1: unknown section \"workers\" (directives must be "
                    "indented)"},
    {"frontend web\n", "t.conf:1: unknown section \"frontend\""},
    {"global\nglobal\n", "t.conf:2: global section already given at line 1"},
    {"global extra\n", "t.conf:1: global: unexpected argument \"extra\""},
    {"global\n\tworkres 2\n",
     "t.conf:2: unknown directive \"workres\" in global section"},
    {PORT_IN "\tadress 198.18.1.2/24\n",
     "t.conf:5: unknown directive \"adress\" in port section"},
    {"global\n\tmtu 1500\n",
     "t.conf:2: unknown directive \"mtu\" in global section (it belongs "
     "in port sections)"},
    {PORT_IN "\tworkers 2\n",
     "t.conf:5: unknown directive \"workers\" in port section (it "
     "belongs in global sections)"},
    {"global\n\tworkers\n", "t.conf:2: workers: missing argument"},
    {"global\n\tworkers 2 3\n", "t.conf:2: workers: unexpected argument \"3\""},
    {"global\n\tworkers 2\n\tworkers 3\n",
     "t.conf:3: workers: already given at line 2"},
    {PORT_IN "\tmtu 1500\n\tmtu 1400\n",
     "t.conf:6: mtu: already given at line 5"},
    {"global\n\tworkers 2#x\n",
     "t.conf:2: workers: \"2#x\" is not a decimal number"},
    /* numbers */
    {"global\n\tworkers +2\n",
     "t.conf:2: workers: \"+2\" is not a decimal number"},
    {"global\n\tworkers -1\n",
     "t.conf:2: workers: \"-1\" is not a decimal number"},
    {"global\n\tworkers 0x2\n",
     "t.conf:2: workers: \"0x2\" is not a decimal number"},
    {"global\n\tmemory-mb 99999999999999999999999\n",
     "t.conf:2: memory-mb: 99999999999999999999999 is out of range "
     "64..65536"},
    {"global\n\tmemory-mb 18446744073709551616\n",
     "t.conf:2: memory-mb: 18446744073709551616 is out of range "
     "64..65536"},
    {PORT_IN "\trx-desc 1000\n",
     "t.conf:5: rx-desc: 1000 is not a power of two"},
    {PORT_IN "\ttx-desc 96\n", "t.conf:5: tx-desc: 96 is not a power of two"},
    /* cpus */
    {"global\n\tcpus 1,,2\n", "t.conf:2: cpus: empty element in \"1,,2\""},
    {"global\n\tcpus 1,\n", "t.conf:2: cpus: empty element in \"1,\""},
    {"global\n\tcpus 1,2,1\n", "t.conf:2: cpus: CPU 1 is listed twice"},
    {"global\n\tcpus 1,1024\n",
     "t.conf:2: cpus: CPU 1024 is out of range 0..1023"},
    {"global\n\tcpus 1-3\n",
     "t.conf:2: cpus: CPU \"1-3\" is not a decimal number"},
    {"global\n\tcpus 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n",
     "t.conf:2: cpus: more than 16 CPUs in "
     "\"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\""},
    /* management-listen */
    {"global\n\tmanagement-listen 127.0.0.1\n",
     "t.conf:2: management-listen: \"127.0.0.1\" has no port "
     "(A.B.C.D:PORT)"},
    {"global\n\tmanagement-listen localhost:9190\n",
     "t.conf:2: management-listen: \"localhost\" is not an IPv4 address"},
    {"global\n\tmanagement-listen 127.0.0.1:0\n",
     "t.conf:2: management-listen: port 0 is out of range 1..65535"},
    {"global\n\tmanagement-listen 127.0.0.1:65536\n",
     "t.conf:2: management-listen: port 65536 is out of range 1..65535"},
    {"global\n\tmanagement-listen 224.0.0.1:9190\n",
     "t.conf:2: management-listen: 224.0.0.1 is a multicast or reserved "
     "address"},
    {"global\n\tmanagement-listen on\n",
     "t.conf:2: management-listen: \"on\" has no port (A.B.C.D:PORT)"},
    /* keywords and strings */
    {"global\n\tbusy-poll yes\n",
     "t.conf:2: busy-poll: \"yes\" is not on or off"},
    {"global\n\thugepages maybe\n",
     "t.conf:2: hugepages: \"maybe\" is not auto, on or off"},
    {"global\n\tcontrol-socket run/x.sock\n",
     "t.conf:2: control-socket: \"run/x.sock\" is not an absolute path"},
    {"global\n\tcontrol-socket " LONG_PATH "\n",
     "t.conf:2: control-socket: \"" LONG_PATH "\" is longer than 107 "
     "bytes"},
    {"global\n\tfile-prefix a/b\n",
     "t.conf:2: file-prefix: invalid \"a/b\" (1 to 63 of A-Z a-z 0-9 _ "
     "-)"},
    {"global\n\tfile-prefix "
     "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl\n",
     "t.conf:2: file-prefix: invalid "
     "\"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl\" "
     "(1 to 63 of A-Z a-z 0-9 _ -)"},
    {"global\n\teal-arg "
     "--xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     "t.conf:2: eal-arg: "
     "\"--xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" "
     "is longer than 127 bytes"},
    {"global\n\teal-arg   # nothing\n", "t.conf:2: eal-arg: missing argument"},
    /* port header */
    {"port\n", "t.conf:1: port: missing name"},
    {"port a b\n", "t.conf:1: port a: unexpected argument \"b\""},
    {"port a.b\n",
     "t.conf:1: port: invalid name \"a.b\" (1 to 31 of A-Z a-z 0-9 _ -)"},
    {"port abcdefghijklmnopqrstuvwxyz012345\n",
     "t.conf:1: port: invalid name \"abcdefghijklmnopqrstuvwxyz012345\" "
     "(1 to 31 of A-Z a-z 0-9 _ -)"},
    {PORT_IN "port in\n", "t.conf:5: port \"in\" already defined at line 1"},
    {"port a\n\trole inside\n\tdevice net_null0\n\taddress 198.18.0.1/24\n"
     "port b\n\trole inside\n\tdevice net_null1\n\taddress 198.18.1.1/24\n"
     "port c\n\trole inside\n\tdevice net_null2\n\taddress 198.18.2.1/24\n"
     "port d\n\trole inside\n\tdevice net_null3\n\taddress 198.18.3.1/24\n"
     "port e\n",
     "t.conf:17: port \"e\": too many ports (at most 4)"},
    /* required directives, reported at the port's line */
    {"port a\n\tdevice net_null0\n\taddress 198.18.1.1/24\n",
     "t.conf:1: port \"a\": role is required"},
    {"global\nport a\n\trole inside\n\taddress 198.18.1.1/24\nglobal\n",
     "t.conf:2: port \"a\": device is required"},
    {"port a\n\trole inside\n\tdevice net_null0\n",
     "t.conf:1: port \"a\": address is required"},
    /* role, device */
    {PORT_IN "\trole both\n", "t.conf:5: role: already given at line 2"},
    {"port a\n\trole both\n",
     "t.conf:2: role: \"both\" is not inside or outside"},
    {"port a\n\tdevice eth0\n",
     "t.conf:2: device: \"eth0\" is neither a vdev (net_...) nor a PCI "
     "address (pci:...)"},
    {"port a\n\tdevice net_\n",
     "t.conf:2: device: \"net_\" has no valid vdev name (net_ then A-Z "
     "a-z 0-9 _)"},
    {"port a\n\tdevice net_a-b,x=1\n",
     "t.conf:2: device: \"net_a-b,x=1\" has no valid vdev name (net_ "
     "then A-Z a-z 0-9 _)"},
    {"port a\n\tdevice pci:00:20.0\n",
     "t.conf:2: device: \"pci:00:20.0\" is not a PCI address "
     "(pci:DDDD:BB:DD.F or pci:BB:DD.F)"},
    {"port a\n\tdevice pci:0000:00:04.8\n",
     "t.conf:2: device: \"pci:0000:00:04.8\" is not a PCI address "
     "(pci:DDDD:BB:DD.F or pci:BB:DD.F)"},
    {"port a\n\tdevice pci:000:00:04.0\n",
     "t.conf:2: device: \"pci:000:00:04.0\" is not a PCI address "
     "(pci:DDDD:BB:DD.F or pci:BB:DD.F)"},
    {"port a\n\tdevice pci:0g:00.0\n",
     "t.conf:2: device: \"pci:0g:00.0\" is not a PCI address "
     "(pci:DDDD:BB:DD.F or pci:BB:DD.F)"},
    {"port a\n\tdevice net_af_packet0,iface=a\n\trole inside\n"
     "\taddress 198.18.1.1/24\n"
     "port b\n\tdevice net_af_packet0,iface=b\n",
     "t.conf:6: device: vdev \"net_af_packet0\" is already used by port "
     "\"a\""},
    {"port a\n\tdevice pci:00:04.0\n\trole inside\n"
     "\taddress 198.18.1.1/24\n"
     "port b\n\tdevice pci:0000:00:04.0\n",
     "t.conf:6: device: PCI device \"0000:00:04.0\" is already used by "
     "port \"a\""},
    /* address */
    {"port a\n\taddress 198.18.1.1\n",
     "t.conf:2: address: \"198.18.1.1\" has no prefix length "
     "(A.B.C.D/N)"},
    {"port a\n\taddress 198.18.1/24\n",
     "t.conf:2: address: \"198.18.1\" is not an IPv4 address"},
    {"port a\n\taddress 198.18.01.1/24\n",
     "t.conf:2: address: \"198.18.01.1\" is not an IPv4 address"},
    {"port a\n\taddress 198.18.1.1/\n",
     "t.conf:2: address: prefix length \"\" is not a decimal number"},
    {"port a\n\taddress 198.18.1.1/0\n",
     "t.conf:2: address: prefix length 0 is out of range 1..32"},
    {"port a\n\taddress 198.18.1.1/33\n",
     "t.conf:2: address: prefix length 33 is out of range 1..32"},
    {"port a\n\taddress 127.0.0.1/8\n",
     "t.conf:2: address: 127.0.0.1 is not a unicast host address"},
    {"port a\n\taddress 224.0.0.1/24\n",
     "t.conf:2: address: 224.0.0.1 is not a unicast host address"},
    {"port a\n\taddress 198.18.1.0/24\n",
     "t.conf:2: address: 198.18.1.0 is the network address of its /24 "
     "subnet"},
    {"port a\n\taddress 198.18.1.3/30\n",
     "t.conf:2: address: 198.18.1.3 is the broadcast address of its /30 "
     "subnet"},
    {PORT_IN "port b\n\taddress 198.18.1.1/32\n",
     "t.conf:6: address: 198.18.1.1 is already used by port \"in\""},
    {PORT_IN "port b\n\taddress 198.18.0.1/16\n",
     "t.conf:6: address: 198.18.0.1/16 overlaps port \"in\" "
     "(198.18.1.1/24)"},
    {PORT_IN "port b\n\taddress 198.18.1.6/29\n",
     "t.conf:6: address: 198.18.1.6/29 overlaps port \"in\" "
     "(198.18.1.1/24)"},
    /* gateway */
    {PORT_IN "\tgateway 198.18.2.1\n",
     "t.conf:5: gateway: 198.18.2.1 is not in the port's subnet "
     "198.18.1.0/24"},
    {PORT_IN "\tgateway 198.18.1.1\n",
     "t.conf:5: gateway: 198.18.1.1 is the port's own address"},
    {PORT_IN "\tgateway 198.18.1.255\n",
     "t.conf:5: gateway: 198.18.1.255 is the broadcast address of "
     "198.18.1.0/24"},
    {PORT_IN "\tgateway 198.18.1\n",
     "t.conf:5: gateway: \"198.18.1\" is not an IPv4 address"},
    {PORT_IN "\tgateway 0.0.0.0\n",
     "t.conf:5: gateway: 0.0.0.0 is not a unicast host address"},
    {"port a\n\tgateway 198.18.9.9\n\taddress 198.18.1.1/24\n",
     "t.conf:3: gateway: 198.18.9.9 is not in the port's subnet "
     "198.18.1.0/24"},
    {"port a\n\taddress 198.18.1.1/32\n\tgateway 198.18.1.2\n",
     "t.conf:3: gateway: 198.18.1.2 is not in the port's subnet "
     "198.18.1.1/32"},
    /* tcp section */
    {"tcp\ntcp\n", "t.conf:2: tcp section already given at line 1"},
    {"tcp x\n", "t.conf:1: tcp: unexpected argument \"x\""},
    {"tcp\n\tmax-con 5\n",
     "t.conf:2: unknown directive \"max-con\" in tcp section"},
    {"tcp\n\tmode echo\n",
     "t.conf:2: unknown directive \"mode\" in tcp section (it belongs in "
     "listen sections)"},
    {PORT_IN "listen a\n\tmax-conns 100\n",
     "t.conf:6: unknown directive \"max-conns\" in listen section (it "
     "belongs in tcp sections)"},
    {"global\n\tcongestion-control cubic\n",
     "t.conf:2: unknown directive \"congestion-control\" in global "
     "section (it belongs in tcp or listen sections)"},
    {"tcp\n\tmtu 1500\n",
     "t.conf:2: unknown directive \"mtu\" in tcp section (it belongs in "
     "port sections)"},
    {"tcp\n\tmax-conns 64k\n",
     "t.conf:2: max-conns: \"64k\" is not a decimal number"},
    {"tcp\n\tmax-conns 100\n\tmax-conns 200\n",
     "t.conf:3: max-conns: already given at line 2"},
    {"tcp\n\tcongestion-control reno\n",
     "t.conf:2: congestion-control: \"reno\" is not cubic or newreno"},
    {"tcp\n\tephemeral-ports 32768\n",
     "t.conf:2: ephemeral-ports: \"32768\" is not a range LO-HI"},
    {"tcp\n\tephemeral-ports a-2000\n",
     "t.conf:2: ephemeral-ports: low port \"a\" is not a decimal number"},
    {"tcp\n\tephemeral-ports 2000-\n",
     "t.conf:2: ephemeral-ports: high port \"\" is not a decimal number"},
    {"tcp\n\tephemeral-ports 2000-3000-4000\n",
     "t.conf:2: ephemeral-ports: high port \"3000-4000\" is not a decimal "
     "number"},
    {"tcp\n\tephemeral-ports 40000-30000\n",
     "t.conf:2: ephemeral-ports: 40000-30000: low port is not below high "
     "port"},
    {"tcp\n\tephemeral-ports 40000-40000\n",
     "t.conf:2: ephemeral-ports: 40000-40000: low port is not below high "
     "port"},
    {"tcp\n\tephemeral-ports 32768-33790\n",
     "t.conf:2: ephemeral-ports: 32768-33790 holds 1023 ports, fewer than "
     "1024"},
    {"tcp\n\trto-min-ms 500\n\trto-max-ms 300\n",
     "t.conf:3: tcp: rto-max-ms 300 is below rto-min-ms 500"},
    {"tcp\n\trto-max-ms 300\n\trto-min-ms 500\n\tdelack-ms 40\n",
     "t.conf:3: tcp: rto-max-ms 300 is below rto-min-ms 500"},
    {"tcp\n\trto-max-ms 150\n" PORT_IN,
     "t.conf:2: tcp: rto-max-ms 150 is below rto-min-ms 200"},
    {"tcp\n\trto-min-ms 60000\n\trto-max-ms 59999\n",
     "t.conf:3: tcp: rto-max-ms 59999 is below rto-min-ms 60000"},
    {"tcp\n\tooo-mbufs-max 1k\n",
     "t.conf:2: ooo-mbufs-max: \"1k\" is not a decimal number"},
    {"tcp\n\tooo-mbufs-max -1\n",
     "t.conf:2: ooo-mbufs-max: \"-1\" is not a decimal number"},
    {"tcp\n\tooo-mbufs-max\n", "t.conf:2: ooo-mbufs-max: missing argument"},
    {"tcp\n\tooo-mbufs-max 524288\n",
     "t.conf:2: ooo-mbufs-max: 524288 is out of range 0..524287"},
    /* all workers' queues together: at most half of each port's pool */
    {"tcp\n\tooo-mbufs-max 4096\n" PORT_IN,
     "t.conf:2: tcp: ooo-mbufs-max 4096 x workers 1 = 4096 is more than "
     "half of mbufs-per-port 8191"},
    {"tcp\n\tdelack-ms 40\n\tooo-mbufs-max 2048\n"
     "global\n\tworkers 2\n" PORT_IN,
     "t.conf:3: tcp: ooo-mbufs-max 2048 x workers 2 = 4096 is more than "
     "half of mbufs-per-port 8191"},
    /* listen header */
    {"listen\n", "t.conf:1: listen: missing name"},
    {"listen a b\n", "t.conf:1: listen a: unexpected argument \"b\""},
    {"listen a:b\n",
     "t.conf:1: listen: invalid name \"a:b\" (1 to 31 of A-Z a-z 0-9 _ "
     "-)"},
    {LISTEN_ECHO "listen e\n",
     "t.conf:4: listen \"e\" already defined at line 1"},
    /* listen directives */
    {PORT_IN "listen a\n\tbind 198.18.1.1:7\n",
     "t.conf:5: listen \"a\": mode is required"},
    {PORT_IN "listen a\n\tmode echo\n" PORT_OUT,
     "t.conf:5: listen \"a\": bind is required"},
    {PORT_IN "listen a\n\tmode relay\n\tbind 198.18.1.1:80\n",
     "t.conf:5: listen \"a\": upstream is required in relay mode"},
    {PORT_IN "listen a\n\tupstream 198.19.1.2:80\n\tmode discard\n"
             "\tbind 198.18.1.1:9\n",
     "t.conf:6: listen \"a\": upstream is not allowed in discard mode "
     "(only relay connects upstream)"},
    {"listen a\n\tmode proxy\n",
     "t.conf:2: mode: \"proxy\" is not relay, forward, reverse, socks, echo, "
     "discard or chargen"},
    {"listen a\n\tmode echo\n\tmode echo\n",
     "t.conf:3: mode: already given at line 2"},
    {"listen a\n\tcongestion-control bbr\n",
     "t.conf:2: congestion-control: \"bbr\" is not cubic or newreno"},
    {"listen a\n\tcongestion-control cubic\n\tcongestion-control "
     "cubic\n",
     "t.conf:3: congestion-control: already given at line 2"},
    {"listen a\n\tbind 198.18.1.1\n",
     "t.conf:2: bind: \"198.18.1.1\" has no port (A.B.C.D:PORT)"},
    {"listen a\n\tbind 198.18.1:80\n",
     "t.conf:2: bind: \"198.18.1\" is not an IPv4 address"},
    {"listen a\n\tbind 198.18.1.1.1.1.1.1.1.1:80\n",
     "t.conf:2: bind: \"198.18.1.1.1.1.1.1.1.1\" is not an IPv4 address"},
    {"listen a\n\tbind :80\n", "t.conf:2: bind: \"\" is not an IPv4 address"},
    {"listen a\n\tbind 198.18.1.1:\n",
     "t.conf:2: bind: port \"\" is not a decimal number"},
    {"listen a\n\tbind 198.18.1.1:+80\n",
     "t.conf:2: bind: port \"+80\" is not a decimal number"},
    {"listen a\n\tbind 198.18.1.1:-1\n",
     "t.conf:2: bind: port \"-1\" is not a decimal number"},
    {"listen a\n\tbind 198.18.1.1:0\n",
     "t.conf:2: bind: port 0 is out of range 1..65535"},
    {"listen a\n\tbind 198.18.1.1:65536\n",
     "t.conf:2: bind: port 65536 is out of range 1..65535"},
    {"listen a\n\tbind 198.18.1.1: 80\n",
     "t.conf:2: bind: unexpected argument \"80\""},
    {"listen a\n\tupstream 198.19.1.2:80:1\n",
     "t.conf:2: upstream: port \"80:1\" is not a decimal number"},
    {"listen a\n\tupstream 224.0.0.1:80\n",
     "t.conf:2: upstream: 224.0.0.1 is not a unicast host address"},
    {LISTEN_ECHO "listen f\n\tmode discard\n\tbind 198.18.1.1:7\n",
     "t.conf:6: bind: 198.18.1.1:7 is already used by listen \"e\""},
    /* checked once the whole file is read, any section order */
    {LISTEN_ECHO PORT_OUT, "t.conf: no port with role inside"},
    {"listen e\n\tmode echo\n\tbind 198.18.1.9:7\n" PORT_IN,
     "t.conf:3: listen \"e\": bind 198.18.1.9 is not an address of any "
     "port"},
    {PORT_IN "listen a\n\tmode relay\n\tbind 198.18.1.1:80\n"
             "\tupstream 198.18.1.1:8080\n",
     "t.conf:8: listen \"a\": upstream 198.18.1.1 is the address of port "
     "\"in\""},
    {PORT_IN LISTEN_RELAY,
     "t.conf:8: listen \"r\": upstream 198.19.1.2 is not reachable from "
     "any port (no subnet holds it and no outside port has a gateway)"},
    {PORT_IN "\tgateway 198.18.1.254\n" LISTEN_RELAY,
     "t.conf:9: listen \"r\": upstream 198.19.1.2 is not reachable from "
     "any port (no subnet holds it and no outside port has a gateway)"},
    {LISTEN_RELAY PORT_IN "port out\n\trole outside\n\tdevice net_null1\n"
                          "\taddress 198.19.2.1/24\n",
     "t.conf:4: listen \"r\": upstream 198.19.1.2 is not reachable from "
     "any port (no subnet holds it and no outside port has a gateway)"},
    {PORT_IN PORT_OUT "listen a\n\tmode relay\n\tbind 198.18.1.1:80\n"
                      "\tupstream 198.19.1.255:80\n",
     "t.conf:13: listen \"a\": upstream 198.19.1.255 is the broadcast "
     "address of port \"out\" (198.19.1.1/24)"},
    {PORT_IN PORT_OUT "listen a\n\tmode relay\n\tbind 198.18.1.1:80\n"
                      "\tupstream 198.19.1.0:80\n",
     "t.conf:13: listen \"a\": upstream 198.19.1.0 is the network "
     "address of port \"out\" (198.19.1.1/24)"},
    /* the first listen section's error is the one reported */
    {"listen a\n\tmode relay\n\tbind 198.18.1.1:80\n"
     "\tupstream 198.19.200.1:80\n"
     "listen b\n\tmode echo\n\tbind 198.18.9.9:7\n" PORT_IN,
     "t.conf:4: listen \"a\": upstream 198.19.200.1 is not reachable from "
     "any port (no subnet holds it and no outside port has a gateway)"},
    /* forward mode: allow-src */
    {FWD_HEAD "\tallow-src 198.18.1/24\n",
     "t.conf:15: allow-src: \"198.18.1\" is not an IPv4 address"},
    {FWD_HEAD "\tallow-src 198.18.1.0.0.0.0.0.0.0.0/24\n",
     "t.conf:15: allow-src: \"198.18.1.0.0.0.0.0.0.0.0\" is not an IPv4 "
     "address"},
    {FWD_HEAD "\tallow-src any\n",
     "t.conf:15: allow-src: \"any\" is not an IPv4 address"},
    {FWD_HEAD "\tallow-src 198.18.1.0/\n",
     "t.conf:15: allow-src: prefix length \"\" is not a decimal number"},
    {FWD_HEAD "\tallow-src 198.18.1.0/33\n",
     "t.conf:15: allow-src: prefix length 33 is out of range 0..32"},
    {FWD_HEAD "\tallow-src 198.18.1.1/24\n",
     "t.conf:15: allow-src: 198.18.1.1/24 has host bits set (the network "
     "is 198.18.1.0/24)"},
    {FWD_HEAD "\tallow-src 10.0.0.0/0\n",
     "t.conf:15: allow-src: 10.0.0.0/0 has host bits set (the network is "
     "0.0.0.0/0)"},
    {FWD_HEAD "\tallow-src 198.18.1.0/24\n\tallow-src 198.18.1.0/24\n",
     "t.conf:16: allow-src: 198.18.1.0/24 is listed twice"},
    {FWD_HEAD "\tallow-src 198.18.1.0/24 198.18.2.0/24\n",
     "t.conf:15: allow-src: unexpected argument \"198.18.2.0/24\""},
    /* connect-ports */
    {FWD_HEAD ALLOW "\tconnect-ports 443,8443\n",
     "t.conf:16: connect-ports: port \"443,8443\" is not a decimal "
     "number"},
    {FWD_HEAD ALLOW "\tconnect-ports 443 0\n",
     "t.conf:16: connect-ports: port 0 is out of range 1..65535"},
    {FWD_HEAD ALLOW "\tconnect-ports 65536\n",
     "t.conf:16: connect-ports: port 65536 is out of range 1..65535"},
    {FWD_HEAD ALLOW "\tconnect-ports 443 8443 443\n",
     "t.conf:16: connect-ports: port 443 is listed twice"},
    {FWD_HEAD ALLOW "\tconnect-ports 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
                    "16 17\n",
     "t.conf:16: connect-ports: more than 16 ports in \"1 2 3 4 5 6 7 8 9 "
     "10 11 12 13 14 15 16 17\""},
    {FWD_HEAD ALLOW "\tconnect-ports   # none\n",
     "t.conf:16: connect-ports: missing argument"},
    {FWD_HEAD ALLOW "\tconnect-ports 443\n\tconnect-ports 8443\n",
     "t.conf:17: connect-ports: already given at line 16"},
    /* keywords */
    {FWD_HEAD ALLOW "\tx-forwarded-for keep\n",
     "t.conf:16: x-forwarded-for: \"keep\" is not add, replace, delete or off"},
    {FWD_HEAD ALLOW "\tanonymous yes\n",
     "t.conf:16: anonymous: \"yes\" is not on or off"},
    {FWD_HEAD ALLOW "\tanonymize 1\n",
     "t.conf:16: anonymize: \"1\" is not on or off"},
    {FWD_HEAD ALLOW "\tanonymous on\n\tanonymize off\n",
     "t.conf:17: anonymize: already given at line 16 (anonymize and "
     "anonymous are one setting)"},
    {FWD_HEAD ALLOW "\tanonymize on\n\tanonymize on\n",
     "t.conf:17: anonymize: already given at line 16"},
    {FWD_HEAD ALLOW "\tanonymize-cookies maybe\n",
     "t.conf:16: anonymize-cookies: \"maybe\" is not on or off"},
    {FWD_HEAD ALLOW "\tanonymize-user-agent Bad\x01"
                    "Agent\n",
     "t.conf:16: anonymize-user-agent: only printable ASCII (byte 4 is "
     "0x01)"},
    {FWD_HEAD ALLOW "\tanonymize-user-agent "
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                    "xxxxxxxxxxxxxxxxxxxxx\n",
     "t.conf:16: anonymize-user-agent: expected 1 to 128 characters or "
     "\"remove\""},
    {PORT_IN PORT_OUT LISTEN_RELAY "\tanonymize on\n",
     "t.conf:14: listen \"r\": anonymize is only allowed in forward mode"},
    {FWD_HEAD ALLOW "\tvia 1\n", "t.conf:16: via: \"1\" is not on or off"},
    {FWD_HEAD ALLOW "\tcache-status yes\n",
     "t.conf:16: cache-status: \"yes\" is not on or off"},
    {FWD_HEAD ALLOW "\tcache-cdn-control 1\n",
     "t.conf:16: cache-cdn-control: \"1\" is not on or off"},
    {PORT_IN PORT_OUT LISTEN_RELAY "\tcache-cdn-control on\n",
     "t.conf:14: listen \"r\": cache-cdn-control is only allowed in forward "
     "mode"},
    {FWD_HEAD ALLOW "\tallow-private-dst true\n",
     "t.conf:16: allow-private-dst: \"true\" is not on or off"},
    {FWD_HEAD ALLOW "\tvia on\n\tvia off\n",
     "t.conf:17: via: already given at line 16"},
    {FWD_HEAD ALLOW "\tmax-request-body-bytes 4611686018427387905\n",
     "t.conf:16: max-request-body-bytes: 4611686018427387905 is out of "
     "range 0..4611686018427387904"},
    {FWD_HEAD ALLOW "\tcache maybe\n",
     "t.conf:16: cache: \"maybe\" is not on or off"},
    /* cache-max-object-kb <= cache-mb, at the later one given */
    {FWD_HEAD ALLOW "\tcache-max-object-kb 4096\n\tcache-mb 2\n",
     "t.conf:17: listen \"f\": cache-max-object-kb 4096 is above "
     "cache-mb 2 MiB"},
    /* max-header-bytes >= max-request-line, at the later one given */
    {FWD_HEAD ALLOW "\tmax-header-bytes 4096\n",
     "t.conf:16: listen \"f\": max-header-bytes 4096 is below "
     "max-request-line 8192"},
    {FWD_HEAD ALLOW "\tmax-request-line 65536\n\tvia on\n",
     "t.conf:16: listen \"f\": max-header-bytes 32768 is below "
     "max-request-line 65536"},
    {FWD_HEAD ALLOW "\tmax-header-bytes 2048\n\tmax-request-line 4096\n",
     "t.conf:17: listen \"f\": max-header-bytes 2048 is below "
     "max-request-line 4096"},
    /* forward-only directives in other modes, at the first one's line */
    {PORT_IN PORT_OUT LISTEN_RELAY "\tvia on\n",
     "t.conf:14: listen \"r\": via is only allowed in forward mode"},
    {PORT_IN "listen e\n\tmax-headers 50\n\tallow-src 198.18.1.0/24\n"
             "\tmode echo\n\tbind 198.18.1.1:7\n",
     "t.conf:6: listen \"e\": max-headers is only allowed in forward "
     "mode"},
    {PORT_IN "listen e\n\tmode discard\n\tallow-src 198.18.1.0/24\n"
             "\tallow-src 198.18.2.0/24\n\tconnect-ports 443\n"
             "\tbind 198.18.1.1:9\n",
     "t.conf:7: listen \"e\": allow-src is only allowed in forward mode"},
    {PORT_IN "listen e\n\tmode chargen\n\tbind 198.18.1.1:19\n"
             "\ttimeout-connect-ms 1000\n",
     "t.conf:8: listen \"e\": timeout-connect-ms is only allowed in "
     "forward mode"},
    {FWD_HEAD ALLOW "\tupstream 198.19.1.2:80\n",
     "t.conf:16: listen \"f\": upstream is not allowed in forward mode "
     "(only relay connects upstream)"},
    /* what a forward listener needs */
    {PORT_IN PORT_OUT LISTEN_FWD,
     "t.conf:10: listen \"fwd\": mode forward needs a resolver section"},
    {PORT_IN PORT_OUT LISTEN_ECHO LISTEN_FWD "listen g\n\tmode forward\n"
                                             "\tbind 198.18.1.1:3129\n" ALLOW,
     "t.conf:13: listen \"fwd\": mode forward needs a resolver section"},
    {FWD_HEAD "\tvia on\n",
     "t.conf:12: listen \"f\": mode forward needs at least one allow-src "
     "or http-access (it must not be an open proxy)"},
    {"listen f\n\tmode forward\n\tbind 198.18.1.1:3128\n" PORT_IN,
     "t.conf:1: listen \"f\": mode forward needs at least one allow-src "
     "or http-access (it must not be an open proxy)"},
    /* directives in the wrong section */
    {FWD_HEAD ALLOW "\ttimeout-ms 100\n",
     "t.conf:16: unknown directive \"timeout-ms\" in listen section (it "
     "belongs in resolver sections)"},
    {"resolver\n\tallow-src 198.18.1.0/24\n",
     "t.conf:2: unknown directive \"allow-src\" in resolver section (it "
     "belongs in listen sections)"},
    {"global\n\tpath /x\n",
     "t.conf:2: unknown directive \"path\" in global section (it belongs "
     "in access-log sections)"},
    {"access-log\n\tnameserver 198.19.1.3\n",
     "t.conf:2: unknown directive \"nameserver\" in access-log section "
     "(it belongs in resolver sections)"},
    {"tcp\n\tvia on\n",
     "t.conf:2: unknown directive \"via\" in tcp section (it belongs in "
     "listen sections)"},
    {"resolver\n\tnameservers 198.19.1.3\n",
     "t.conf:2: unknown directive \"nameservers\" in resolver section"},
    {"nameserver 198.19.1.3\n",
     "t.conf:1: unknown section \"nameserver\" (directives must be "
     "indented)"},
    /* resolver section */
    {"resolver\n\ttries 2\n" PORT_IN,
     "t.conf:1: resolver: nameserver is required"},
    {PORT_IN "resolver\n", "t.conf:5: resolver: nameserver is required"},
    {RESOLVER RESOLVER, "t.conf:3: resolver section already given at line 1"},
    {"resolver dns\n", "t.conf:1: resolver: unexpected argument \"dns\""},
    {RESOLVER "\tcache-entries 1000\n",
     "t.conf:3: cache-entries: 1000 is not a power of two"},
    {RESOLVER "\ttries 2\n\ttries 3\n",
     "t.conf:4: tries: already given at line 3"},
    {"resolver\n\tnameserver 198.19.1\n",
     "t.conf:2: nameserver: \"198.19.1\" is not an IPv4 address"},
    {"resolver\n\tnameserver 198.19.1.3:53\n",
     "t.conf:2: nameserver: \"198.19.1.3:53\" is not an IPv4 address"},
    {"resolver\n\tnameserver 127.0.0.53\n",
     "t.conf:2: nameserver: 127.0.0.53 is not a unicast host address"},
    {"resolver\n\tnameserver 224.0.0.251\n",
     "t.conf:2: nameserver: 224.0.0.251 is not a unicast host address"},
    {RESOLVER "\ttries 2\n\tnameserver 198.19.1.3\n",
     "t.conf:4: nameserver: 198.19.1.3 is already given at line 2"},
    {"resolver\n\tnameserver 1.1.1.1\n\tnameserver 1.0.0.1\n"
     "\tnameserver 8.8.8.8\n\tnameserver 8.8.4.4\n"
     "\tnameserver 9.9.9.9\n",
     "t.conf:6: nameserver: more than 4 given, \"9.9.9.9\" is one too "
     "many"},
    /* the resolver's port, once the whole file is read */
    {PORT_IN PORT_OUT "resolver\n\tnameserver 198.19.1.1\n",
     "t.conf:11: resolver: nameserver 198.19.1.1 is the address of port "
     "\"out\""},
    {"resolver\n\tnameserver 8.8.8.8\n" PORT_IN,
     "t.conf:2: resolver: nameserver 8.8.8.8 is not reachable from any "
     "port (no subnet holds it and no outside port has a gateway)"},
    {PORT_IN PORT_OUT "resolver\n\tnameserver 198.19.1.255\n",
     "t.conf:11: resolver: nameserver 198.19.1.255 is the broadcast "
     "address of port \"out\" (198.19.1.1/24)"},
    {PORT_IN PORT_OUT
     "resolver\n\tnameserver 198.19.1.3\n\tnameserver 198.18.1.0\n",
     "t.conf:12: resolver: nameserver 198.18.1.0 is the network address "
     "of port \"in\" (198.18.1.1/24)"},
    {PORT_IN PORT_OUT
     "resolver\n\tnameserver 198.19.1.3\n\tnameserver 198.18.1.53\n",
     "t.conf:12: resolver: nameserver 198.18.1.53 is reached from port "
     "\"in\", the first one from port \"out\" (queries leave from one "
     "port)"},
    /* a forward listener's resolver, and listen errors before it */
    {PORT_IN LISTEN_FWD "resolver\n\tnameserver 8.8.8.8\n",
     "t.conf:10: resolver: nameserver 8.8.8.8 is not reachable from any "
     "port (no subnet holds it and no outside port has a gateway)"},
    {"resolver\n\tnameserver 8.8.8.8\n" PORT_IN
     "listen e\n\tmode echo\n\tbind 198.18.1.9:7\n",
     "t.conf:9: listen \"e\": bind 198.18.1.9 is not an address of any "
     "port"},
    /* access-log section */
    {"access-log\n\tformat squid\n" PORT_IN,
     "t.conf:1: access-log: path is required"},
    {"access-log\n\tpath access.log\n",
     "t.conf:2: path: \"access.log\" is not an absolute path"},
    {"access-log\n\tpath ./access.log\n",
     "t.conf:2: path: \"./access.log\" is not an absolute path"},
    {"access-log\n\tpath " LONG_PATH LONG_PATH "\n",
     "t.conf:2: path: \"" LONG_PATH LONG_PATH "\" is longer than 215 "
     "bytes"},
    {"access-log\n\tpath /a.log\n\tpath /b.log\n",
     "t.conf:3: path: already given at line 2"},
    {"access-log\n\tpath /var/log/my access.log\n",
     "t.conf:2: path: unexpected argument \"access.log\""},
    {"access-log\n\tpath /a.log\n\tformat clf\n",
     "t.conf:3: format: \"clf\" is not squid, combined or json"},
    {"access-log\n\tpath /a.log\n\tring-slots 100\n",
     "t.conf:3: ring-slots: 100 is not a power of two"},
    {"access-log\n\tpath /a.log\naccess-log\n",
     "t.conf:3: access-log section already given at line 1"},
    {"access-log x\n", "t.conf:1: access-log: unexpected argument \"x\""},
    /* first error wins */
    {"global\n\tworkers 0\n\tmemory-mb 1\n",
     "t.conf:2: workers: 0 is out of range 1..16"},
    {"port a\n\trole inside\nglobal\n\tworkers 0\n",
     "t.conf:1: port \"a\": device is required"},
    {"listen a\n\tmode echo\ntcp\n\tdelack-ms 0\n",
     "t.conf:1: listen \"a\": bind is required"},
    {"listen a\n\tmode echo\n\tbind 198.18.9.9:7\n"
     "tcp\n\tdelack-ms 0\n",
     "t.conf:5: delack-ms: 0 is out of range 1..500"},
};

ParameterizedTestParameters(conf, bad_config)
{
	static size_t idx[GH_ARRAY_SIZE(bad_cases)];
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(idx); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, GH_ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, conf, bad_config)
{
	const struct bad_case *bc = &bad_cases[*i];
	struct conf *c;

	errno = 0;
	c = parse(bc->text);
	cr_assert_null(c, "case %zu parsed but should fail with: %s", *i,
	               bc->msg);
	cr_assert_eq(errno, EINVAL, "case %zu: errno %d", *i, errno);
	cr_assert_str_eq(err, bc->msg, "case %zu:\n got: %s\nwant: %s", *i, err,
	                 bc->msg);
}

/* ---- every numeric directive at both ends of its range ---- */

enum range_sect {
	RS_GLOBAL = 0,
	RS_PORT = 1,
	RS_TCP = 2,
	RS_FWD = 3, /* a forward listen section */
	RS_RESOLVER = 4,
	RS_ACCESS_LOG = 5,
};

struct range_case {
	const char *name;
	enum range_sect sect;
	unsigned long long min, max;
	unsigned long long (*get)(const struct conf *c);
	const char *extra; /* more directives of the section, or NULL */
};

#define GETTER(fn, expr)                                   \
	static unsigned long long fn(const struct conf *c) \
	{                                                  \
		return (unsigned long long)(expr);         \
	}

GETTER(get_workers, c->workers)
GETTER(get_cpus, c->worker_cpus[0])
GETTER(get_control_cpu, c->control_cpu)
GETTER(get_spin, c->idle_spin_polls)
GETTER(get_sleep, c->idle_sleep_max_us)
GETTER(get_mem, c->memory_mb)
GETTER(get_mbufs, c->mbufs_per_port)
GETTER(get_ttl, c->arp_entry_ttl_s)
GETTER(get_pmax, c->arp_pending_max)
GETTER(get_ptmo, c->arp_pending_timeout_ms)
GETTER(get_garp, c->garp_count)
GETTER(get_mtu, c->ports[0].mtu)
GETTER(get_rx, c->ports[0].rx_desc)
GETTER(get_tx, c->ports[0].tx_desc)
GETTER(get_max_conns, c->tcp.max_conns)
GETTER(get_syn_backlog, c->tcp.syn_backlog)
GETTER(get_rcv_kb, c->tcp.rcv_buf_bytes / 1024)
GETTER(get_snd_kb, c->tcp.snd_buf_bytes / 1024)
GETTER(get_time_wait, c->tcp.time_wait_ms)
GETTER(get_ka_idle, c->tcp.keepalive_idle_ms)
GETTER(get_ka_intvl, c->tcp.keepalive_intvl_ms)
GETTER(get_ka_probes, c->tcp.keepalive_probes)
GETTER(get_rto_min, c->tcp.rto_min_ms)
GETTER(get_rto_max, c->tcp.rto_max_ms)
GETTER(get_syn_retries, c->tcp.syn_retries)
GETTER(get_data_retries, c->tcp.data_retries)
GETTER(get_delack, c->tcp.delack_ms)
GETTER(get_ooo_mbufs, c->tcp.ooo_mbufs_max)
GETTER(get_client_header, c->listeners[0].fwd.client_header_ms)
GETTER(get_client_idle, c->listeners[0].fwd.client_idle_ms)
GETTER(get_connect, c->listeners[0].fwd.connect_ms)
GETTER(get_upstream_read, c->listeners[0].fwd.upstream_read_ms)
GETTER(get_upstream_idle, c->listeners[0].fwd.upstream_idle_ms)
GETTER(get_upstream_idle_max, c->listeners[0].fwd.upstream_idle_max)
GETTER(get_request_line, c->listeners[0].fwd.max_request_line)
GETTER(get_headers, c->listeners[0].fwd.max_headers)
GETTER(get_header_bytes, c->listeners[0].fwd.max_header_bytes)
GETTER(get_body_bytes, c->listeners[0].fwd.max_body_bytes)
GETTER(get_cache_mb, c->listeners[0].fwd.cache_mb)
GETTER(get_cache_obj_kb, c->listeners[0].fwd.cache_max_object_kb)
GETTER(get_cache_heur, c->listeners[0].fwd.cache_heuristic_max_s)
GETTER(get_cache_bg_max, c->listeners[0].fwd.cache_bg_max)
GETTER(get_dns_timeout, c->resolver.timeout_ms)
GETTER(get_dns_tries, c->resolver.tries)
GETTER(get_dns_cache, c->resolver.cache_entries)
GETTER(get_dns_neg_ttl, c->resolver.neg_ttl_s)
GETTER(get_dns_max_ttl, c->resolver.max_ttl_s)
GETTER(get_ring_slots, c->access_log.ring_slots)

static const struct range_case range_cases[] = {
    {"workers", RS_GLOBAL, 1, 16, get_workers, NULL},
    {"cpus", RS_GLOBAL, 0, 1023, get_cpus, NULL},
    {"control-cpu", RS_GLOBAL, 0, 1023, get_control_cpu, NULL},
    {"idle-spin-polls", RS_GLOBAL, 1, 1000000, get_spin, NULL},
    {"idle-sleep-max-us", RS_GLOBAL, 0, 100000, get_sleep, NULL},
    {"memory-mb", RS_GLOBAL, 64, 65536, get_mem, NULL},
    {"mbufs-per-port", RS_GLOBAL, 1023, 1048575, get_mbufs, NULL},
    {"arp-ttl-s", RS_GLOBAL, 1, 86400, get_ttl, NULL},
    {"arp-pending-max", RS_GLOBAL, 1, 256, get_pmax, NULL},
    {"arp-pending-timeout-ms", RS_GLOBAL, 10, 60000, get_ptmo, NULL},
    {"garp-count", RS_GLOBAL, 0, 10, get_garp, NULL},
    {"mtu", RS_PORT, 68, 9000, get_mtu, NULL},
    {"rx-desc", RS_PORT, 64, 16384, get_rx, NULL},
    {"tx-desc", RS_PORT, 64, 16384, get_tx, NULL},
    {"max-conns", RS_TCP, 16, 4194304, get_max_conns, NULL},
    {"syn-backlog", RS_TCP, 0, 1048576, get_syn_backlog, NULL},
    {"rcv-buf-kb", RS_TCP, 4, 65536, get_rcv_kb, NULL},
    {"snd-buf-kb", RS_TCP, 4, 65536, get_snd_kb, NULL},
    {"time-wait-ms", RS_TCP, 0, 240000, get_time_wait, NULL},
    {"keepalive-idle-ms", RS_TCP, 0, 86400000, get_ka_idle, NULL},
    {"keepalive-intvl-ms", RS_TCP, 1000, 3600000, get_ka_intvl, NULL},
    {"keepalive-probes", RS_TCP, 1, 100, get_ka_probes, NULL},
    /* Both ends must stay within rto-min-ms <= rto-max-ms. */
    {"rto-min-ms", RS_TCP, 1, 60000, get_rto_min, "\trto-max-ms 600000\n"},
    {"rto-max-ms", RS_TCP, 100, 600000, get_rto_max, "\trto-min-ms 1\n"},
    {"syn-retries", RS_TCP, 1, 20, get_syn_retries, NULL},
    {"data-retries", RS_TCP, 1, 30, get_data_retries, NULL},
    {"delack-ms", RS_TCP, 1, 500, get_delack, NULL},
    /* the top end needs the largest pool (half of it per worker) */
    {"ooo-mbufs-max", RS_TCP, 0, 524287, get_ooo_mbufs,
     "global\n\tmbufs-per-port 1048575\n"},
    {"timeout-client-header-ms", RS_FWD, 100, 3600000, get_client_header, NULL},
    {"timeout-client-idle-ms", RS_FWD, 100, 86400000, get_client_idle, NULL},
    {"timeout-connect-ms", RS_FWD, 100, 600000, get_connect, NULL},
    {"timeout-upstream-read-ms", RS_FWD, 100, 3600000, get_upstream_read, NULL},
    {"upstream-idle-ms", RS_FWD, 0, 3600000, get_upstream_idle, NULL},
    {"upstream-idle-max", RS_FWD, 0, 65536, get_upstream_idle_max, NULL},
    /* Both ends must stay within max-request-line <= max-header-bytes. */
    {"max-request-line", RS_FWD, 256, 65536, get_request_line,
     "\tmax-header-bytes 262144\n"},
    {"max-headers", RS_FWD, 8, 128, get_headers, NULL},
    {"max-header-bytes", RS_FWD, 1024, 262144, get_header_bytes,
     "\tmax-request-line 256\n"},
    {"max-request-body-bytes", RS_FWD, 0, 1ull << 62, get_body_bytes, NULL},
    /* Both ends must stay within cache-max-object-kb <= cache-mb. */
    {"cache-mb", RS_FWD, 1, 1048576, get_cache_mb, "\tcache-max-object-kb 1\n"},
    {"cache-max-object-kb", RS_FWD, 1, 1048576, get_cache_obj_kb,
     "\tcache-mb 1048576\n"},
    {"cache-heuristic-max-s", RS_FWD, 0, 31536000, get_cache_heur, NULL},
    {"cache-background-max", RS_FWD, 0, 65536, get_cache_bg_max, NULL},
    {"timeout-ms", RS_RESOLVER, 10, 60000, get_dns_timeout, NULL},
    {"tries", RS_RESOLVER, 1, 10, get_dns_tries, NULL},
    {"cache-entries", RS_RESOLVER, 16, 1048576, get_dns_cache, NULL},
    {"negative-ttl-s", RS_RESOLVER, 0, 86400, get_dns_neg_ttl, NULL},
    {"max-ttl-s", RS_RESOLVER, 1, 604800, get_dns_max_ttl, NULL},
    {"ring-slots", RS_ACCESS_LOG, 64, 1048576, get_ring_slots, NULL},
};

/* A valid config with "<name> <value>" in the right section, on line 2. */
static void
range_text(char *buf, size_t len, const struct range_case *rc,
           const char *value)
{
	const char *extra = rc->extra != NULL ? rc->extra : "";

	switch (rc->sect) {
	case RS_PORT:
		snprintf(buf, len,
		         "port in\n\t%s %s\n\trole inside\n"
		         "\tdevice net_null0\n\taddress 198.18.1.1/24\n",
		         rc->name, value);
		break;
	case RS_GLOBAL:
		snprintf(buf, len, "global\n\t%s %s\n" PORT_IN, rc->name,
		         value);
		break;
	case RS_TCP:
		snprintf(buf, len, "tcp\n\t%s %s\n%s" PORT_IN, rc->name, value,
		         extra);
		break;
	case RS_FWD:
		snprintf(buf, len,
		         "listen f\n\t%s %s\n\tmode forward\n"
		         "\tbind 198.18.1.1:3128\n" ALLOW "%s" PORT_IN
		         "resolver\n\tnameserver 198.18.1.53\n",
		         rc->name, value, extra);
		break;
	case RS_RESOLVER:
		snprintf(
		    buf, len,
		    "resolver\n\t%s %s\n\tnameserver 198.18.1.53\n" PORT_IN,
		    rc->name, value);
		break;
	case RS_ACCESS_LOG:
		snprintf(buf, len,
		         "access-log\n\t%s %s\n\tpath /a.log\n" PORT_IN,
		         rc->name, value);
		break;
	}
}

/* The message for <value> out of range; "cpus" names the element. */
static void
range_msg(char *buf, size_t len, const struct range_case *rc, const char *value)
{
	snprintf(buf, len, "t.conf:2: %s: %s%s is out of range %llu..%llu",
	         rc->name, strcmp(rc->name, "cpus") == 0 ? "CPU " : "", value,
	         rc->min, rc->max);
}

ParameterizedTestParameters(conf, range)
{
	static size_t idx[GH_ARRAY_SIZE(range_cases)];
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(idx); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, GH_ARRAY_SIZE(idx));
}

ParameterizedTest(size_t *i, conf, range)
{
	const struct range_case *rc = &range_cases[*i];
	char text[512], value[32], msg[256];
	struct conf *c;

	/* Both ends are accepted and stored. */
	snprintf(value, sizeof(value), "%llu", rc->min);
	range_text(text, sizeof(text), rc, value);
	c = parse_ok(text);
	cr_assert_eq(rc->get(c), rc->min, "%s min", rc->name);
	conf_free(c);
	snprintf(value, sizeof(value), "%llu", rc->max);
	range_text(text, sizeof(text), rc, value);
	c = parse_ok(text);
	cr_assert_eq(rc->get(c), rc->max, "%s max", rc->name);
	conf_free(c);

	/* One past either end is refused with the range in the message. */
	if (rc->min > 0) {
		snprintf(value, sizeof(value), "%llu", rc->min - 1);
		range_text(text, sizeof(text), rc, value);
		cr_assert_null(parse(text), "%s min-1", rc->name);
		range_msg(msg, sizeof(msg), rc, value);
		cr_assert_str_eq(err, msg);
	}
	snprintf(value, sizeof(value), "%llu", rc->max + 1);
	range_text(text, sizeof(text), rc, value);
	cr_assert_null(parse(text), "%s max+1", rc->name);
	range_msg(msg, sizeof(msg), rc, value);
	cr_assert_str_eq(err, msg);
}

/* ephemeral-ports: both ends of both numbers, and the smallest range. */
Test(conf, ephemeral_ports_range_ends)
{
	static const struct {
		const char *arg;
		unsigned lo, hi;
	} good[] = {
	    {"1024-2047", 1024, 2047},
	    {"64512-65535", 64512, 65535},
	    {"1024-65535", 1024, 65535},
	    {"01024-02047", 1024, 2047},
	};
	static const struct {
		const char *arg, *msg;
	} bad[] = {
	    {"1023-2047", "low port 1023 is out of range 1024..65535"},
	    {"65536-70000", "low port 65536 is out of range 1024..65535"},
	    {"1024-1023", "high port 1023 is out of range 1024..65535"},
	    {"64512-65536", "high port 65536 is out of range 1024..65535"},
	    {"1024-2046", "1024-2046 holds 1023 ports, fewer than 1024"},
	    {"64513-65535", "64513-65535 holds 1023 ports, fewer than 1024"},
	};
	char text[256], msg[256];
	struct conf *c;
	size_t i;

	for (i = 0; i < GH_ARRAY_SIZE(good); i++) {
		snprintf(text, sizeof(text),
		         "tcp\n\tephemeral-ports %s\n" PORT_IN, good[i].arg);
		c = parse_ok(text);
		cr_assert_eq(c->tcp.ephemeral_lo, good[i].lo, "%s",
		             good[i].arg);
		cr_assert_eq(c->tcp.ephemeral_hi, good[i].hi, "%s",
		             good[i].arg);
		conf_free(c);
	}
	for (i = 0; i < GH_ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text),
		         "tcp\n\tephemeral-ports %s\n" PORT_IN, bad[i].arg);
		cr_assert_null(parse(text), "%s", bad[i].arg);
		snprintf(msg, sizeof(msg), "t.conf:2: ephemeral-ports: %s",
		         bad[i].msg);
		cr_assert_str_eq(err, msg);
	}
}

/* bind and upstream: ports 1 and 65535 are accepted and kept in network
 * order. */
Test(conf, listen_port_range_ends)
{
	struct conf *c =
	    parse_ok(PORT_IN PORT_OUT "listen a\n\tmode relay\n"
	                              "\tbind 198.18.1.1:1\n"
	                              "\tupstream 198.19.1.2:65535\n"
	                              "listen b\n\tmode relay\n"
	                              "\tbind 198.18.1.1:65535\n"
	                              "\tupstream 198.19.1.2:1\n");

	cr_assert_eq(c->listeners[0].bind_port_be, htons(1));
	cr_assert_eq(c->listeners[0].upstream_port_be, htons(65535));
	cr_assert_eq(c->listeners[1].bind_port_be, htons(65535));
	cr_assert_eq(c->listeners[1].upstream_port_be, htons(1));
	conf_free(c);
}

/* ---- whole-input limits ---- */

Test(conf, line_too_long)
{
	char text[1100];

	memset(text, 'x', 1024);
	text[0] = '#';
	strcpy(text + 1024, "\n" PORT_IN);
	cr_assert_null(parse(text));
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, "t.conf:1: line is longer than 1023 bytes");
}

Test(conf, nul_byte)
{
	static const char text[] = "global\n\tworkers 1\0\n" PORT_IN;

	errno = 0;
	cr_assert_null(
	    conf_parse("t.conf", text, sizeof(text) - 1, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, "t.conf:2: line contains a NUL byte");
}

Test(conf, too_many_eal_args)
{
	char text[4096];
	int n = 0, i;

	n += snprintf(text + n, sizeof(text) - (size_t)n, "global\n");
	for (i = 0; i <= CONF_EAL_ARGS_MAX; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
		              "\teal-arg --x=%d\n", i);
	cr_assert_null(parse(text));
	cr_assert_str_eq(err, "t.conf:18: eal-arg: more than 16 given, "
	                      "\"--x=16\" is one too many");
}

Test(conf, text_larger_than_16_mib)
{
	size_t len = (16u << 20) + 1;
	char *text = malloc(len);

	cr_assert_not_null(text);
	memset(text, '\n', len);
	errno = 0;
	cr_assert_null(conf_parse("big", text, len, err, sizeof(err)));
	cr_assert_eq(errno, EFBIG);
	cr_assert_str_eq(err, "big: larger than 16777216 bytes");
	free(text);
}

Test(conf, small_or_no_error_buffer)
{
	char small[8];

	memset(small, 'z', sizeof(small));
	cr_assert_null(conf_parse("t.conf", "x\n", 2, small, sizeof(small)));
	cr_assert_str_eq(small, "t.conf:");
	errno = 0;
	cr_assert_null(conf_parse("t.conf", "x\n", 2, NULL, 0));
	cr_assert_eq(errno, EINVAL);
}

Test(conf, free_null_is_noop)
{
	conf_free(NULL);
}

/* ---- conf_load ---- */

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

Test(conf, load_missing_file)
{
	struct conf *c;

	errno = 0;
	c = conf_load("/nonexistent/gh.conf", err, sizeof(err));
	cr_assert_null(c);
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(err, "/nonexistent/gh.conf: cannot open: No such "
	                      "file or directory");
}

Test(conf, load_temp_file)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[64];
	struct conf *c;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ok.conf", dir);
	write_file(path, full_config, strlen(full_config));
	c = conf_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->path, path);
	cr_assert_eq(c->workers, 4);
	cr_assert_eq(c->n_ports, 2);
	conf_free(c);

	write_file(path, "global\n\tworkers 17\n", 19);
	errno = 0;
	cr_assert_null(conf_load(path, err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert(strncmp(err, path, strlen(path)) == 0);
	cr_assert_str_eq(err + strlen(path),
	                 ":2: workers: 17 is out of range 1..16");
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(dir), 0);
}

Test(conf, load_not_regular_file)
{
	errno = 0;
	cr_assert_null(conf_load("/tmp", err, sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert_str_eq(err, "/tmp: not a regular file");
}

Test(conf, load_file_larger_than_16_mib)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[64];
	size_t len = (16u << 20) + 10;
	char *text = malloc(len);

	cr_assert_not_null(text);
	memset(text, '\n', len);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, text, len);
	errno = 0;
	cr_assert_null(conf_load(path, err, sizeof(err)));
	cr_assert_eq(errno, EFBIG);
	cr_assert(strstr(err, "larger than 16777216 bytes") != NULL);
	free(text);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(dir), 0);
}

Test(conf, load_path_too_long)
{
	char path[300];

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	errno = 0;
	cr_assert_null(conf_load(path, err, sizeof(err)));
	cr_assert_eq(errno, ENAMETOOLONG);
	cr_assert(strstr(err, "path is longer than 215 bytes") != NULL);
}

/* The verdict of <set> on a GET of http://<host>/ from <src>, judged
 * again with <dst> (when not NULL) if it needs the address, as the proxy
 * does (lib/proxy/fwd_acl.c). */
static struct acl_verdict
judge(const struct acl_set *set, const char *src, const char *host,
      const char *dst)
{
	struct acl_req r = {
	    .src_ip = ntohl(ip(src)),
	    .dst_port = 80,
	    .method = {"GET", 3},
	    .scheme = {"http", 4},
	    .host = {host, strlen(host)},
	    .url = {"http://x/", 9},
	};
	struct acl_verdict v;

	cr_assert_eq(acl_check(set, &r, &v), 0);
	if (v.reason == ACL_R_NEED_DST && dst != NULL) {
		r.flags = ACL_REQ_DST;
		r.dst_ip = ntohl(ip(dst));
		r.host = (struct acl_str){NULL, 0};
		r.url = (struct acl_str){NULL, 0};
		cr_assert_eq(acl_check(set, &r, &v), 0);
	}
	return v;
}

/* anonymize (or its alias anonymous), anonymize-user-agent with blanks
 * or "remove", anonymize-cookies. */
Test(conf, anonymize_directives)
{
	struct conf *c = parse_ok(FWD_HEAD ALLOW "\tanonymize on\n"
	                                         "\tanonymize-user-agent Corp "
	                                         "Browser/1.0 (x)\n"
	                                         "\tanonymize-cookies on\n");
	const struct conf_forward *f = &c->listeners[0].fwd;

	cr_assert(f->anonymous);
	cr_assert_str_eq(f->anon_user_agent, "Corp Browser/1.0 (x)");
	cr_assert_not(f->anon_ua_remove);
	cr_assert(f->anon_cookies);
	conf_free(c);
	c = parse_ok(FWD_HEAD ALLOW "\tanonymous on\n"
	                            "\tanonymize-user-agent remove\n");
	f = &c->listeners[0].fwd;
	cr_assert(f->anonymous);
	cr_assert(f->anon_ua_remove);
	cr_assert_not(f->anon_cookies);
	conf_free(c);
}

/* The shipped demo config parses and says what the lab expects. */
Test(conf, demo_config_loads)
{
	const char *root = getenv("GH_SOURCE_ROOT");
	char path[512];
	struct conf *c;
	int in, out;

	cr_assert_not_null(root, "GH_SOURCE_ROOT is not set");
	snprintf(path, sizeof(path), "%s/config/gatehouse.conf", root);
	c = conf_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	in = conf_port_find_role(c, CONF_PORT_INSIDE);
	out = conf_port_find_role(c, CONF_PORT_OUTSIDE);
	cr_assert_geq(in, 0);
	cr_assert_geq(out, 0);
	cr_assert_str_eq(c->ports[in].device, "net_af_packet0,iface=in0");
	cr_assert_eq(c->ports[in].addr_be, ip("198.18.1.1"));
	cr_assert_eq(c->ports[in].prefix_len, 24);
	cr_assert_str_eq(c->ports[out].device, "net_af_packet1,iface=out0");
	cr_assert_eq(c->ports[out].addr_be, ip("198.19.1.1"));
	cr_assert_eq(c->ports[out].prefix_len, 24);
	cr_assert_str_eq(c->control_socket, "/run/gatehouse-lab/demo/ctl.sock");
	cr_assert_str_eq(c->file_prefix, "gh-demo");
	conf_free(c);
}

/* The demo config's access rules: its client network may reach public
 * origins, nobody else may use the proxy (no open proxy), and private
 * destinations are refused by its explicit dst rule (allow-private-dst
 * on leaves them to it). */
Test(conf, demo_config_is_no_open_proxy)
{
	const char *root = getenv("GH_SOURCE_ROOT");
	const struct conf_listen *l = NULL;
	struct acl_verdict v;
	char path[512];
	struct conf *c;
	unsigned i;

	cr_assert_not_null(root, "GH_SOURCE_ROOT is not set");
	snprintf(path, sizeof(path), "%s/config/gatehouse.conf", root);
	c = conf_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	for (i = 0; i < c->n_listeners; i++)
		if (c->listeners[i].mode == CONF_LISTEN_FORWARD)
			l = &c->listeners[i];
	cr_assert_not_null(l);
	cr_assert_not(l->fwd.acl_implicit_src); /* the rules are written */
	v = judge(l->fwd.acl, "198.18.1.2", "origin.lab.test", "198.19.1.2");
	cr_assert_eq(v.action, ACL_ALLOW);
	cr_assert_str_eq(l->fwd.acl_rule_text[v.rule],
	                 "http-access allow inside");
	v = judge(l->fwd.acl, "198.18.1.2", "10.1.2.3", "10.1.2.3");
	cr_assert_eq(v.action, ACL_DENY);
	cr_assert_str_eq(l->fwd.acl_rule_text[v.rule],
	                 "http-access deny private_dst");
	v = judge(l->fwd.acl, "198.18.1.2", "intranet.test", "192.168.1.1");
	cr_assert_eq(v.action, ACL_DENY);
	/* anyone else: denied, whatever the destination */
	for (i = 0; i < 4; i++) {
		static const char *const others[] = {"198.18.2.2", "8.8.8.8",
		                                     "10.0.0.1", "198.19.1.2"};

		v = judge(l->fwd.acl, others[i], "origin.lab.test",
		          "198.19.1.2");
		cr_assert_eq(v.action, ACL_DENY, "%s allowed", others[i]);
	}
	conf_free(c);
}

/* The shipped relay example parses into what docs/configuration.md says. */
Test(conf, relay_config_loads)
{
	const char *root = getenv("GH_SOURCE_ROOT");
	const struct conf_listen *l;
	char path[512];
	struct conf *c;
	int in, out;

	cr_assert_not_null(root, "GH_SOURCE_ROOT is not set");
	snprintf(path, sizeof(path), "%s/config/relay.conf", root);
	c = conf_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	in = conf_port_find_role(c, CONF_PORT_INSIDE);
	out = conf_port_find_role(c, CONF_PORT_OUTSIDE);
	cr_assert_geq(in, 0);
	cr_assert_geq(out, 0);
	cr_assert_str_eq(c->ports[in].device, "net_af_packet0,iface=in0");
	cr_assert_eq(c->ports[in].addr_be, ip("198.18.1.1"));
	cr_assert_eq(c->ports[in].prefix_len, 24);
	cr_assert_str_eq(c->ports[out].device, "net_af_packet1,iface=out0");
	cr_assert_eq(c->ports[out].addr_be, ip("198.19.1.1"));
	cr_assert_eq(c->ports[out].prefix_len, 24);
	cr_assert_neq(c->tcp.line, 0);

	cr_assert_eq(c->n_listeners, 4);
	l = &c->listeners[0];
	cr_assert_eq(l->mode, CONF_LISTEN_RELAY);
	cr_assert_eq(l->bind_ip_be, ip("198.18.1.1"));
	cr_assert_eq(l->bind_port_be, htons(8080));
	cr_assert_eq(l->bind_port_idx, (unsigned)in);
	cr_assert_eq(l->upstream_ip_be, ip("198.19.1.2"));
	cr_assert_eq(l->upstream_port_be, htons(80));
	cr_assert_eq(l->upstream_port_idx, (unsigned)out);
	cr_assert_eq(c->listeners[1].mode, CONF_LISTEN_ECHO);
	cr_assert_eq(c->listeners[1].bind_port_be, htons(7));
	cr_assert_eq(c->listeners[2].mode, CONF_LISTEN_DISCARD);
	cr_assert_eq(c->listeners[2].bind_port_be, htons(9));
	cr_assert_eq(c->listeners[3].mode, CONF_LISTEN_CHARGEN);
	cr_assert_eq(c->listeners[3].bind_port_be, htons(19));
	conf_free(c);
}

/* ---- access control (issue 13): acl lines and http-access rules ---- */

/* allow-src alone still compiles: one implicit rule, nothing else. */
Test(conf, acl_allow_src_only_is_one_implicit_rule)
{
	struct conf *c = parse_ok(FWD_HEAD "\tallow-src 10.1.0.0/16\n"
	                                   "\tallow-src 10.2.3.4\n");

	cr_assert_not_null(c->listeners[0].fwd.acl);
	cr_assert_eq(acl_set_rules(c->listeners[0].fwd.acl), 1);
	cr_assert_eq(acl_set_elems(c->listeners[0].fwd.acl), 1);
	/* shown by `gatehousectl acl test` as what it is */
	cr_assert(c->listeners[0].fwd.acl_implicit_src);
	cr_assert_eq(c->listeners[0].fwd.n_acl_rules, 1);
	cr_assert_str_eq(c->listeners[0].fwd.acl_rule_text[0],
	                 "implicit: allow-src 10.1.0.0/16 10.2.3.4/32");
	conf_free(c);
}

/* acl lines anywhere at the top level (even after the listen section
 * that uses them), rules in order, no allow-src needed. */
Test(conf, acl_lines_and_http_access_rules)
{
	struct conf *c = parse_ok(
	    FWD_HEAD "\thttp-access deny badsites\n"       /* 15 */
	             "\thttp-access allow office !posts\n" /* 16 */
	             "acl office src 10.0.0.0/8\n"         /* 17 */
	             "acl office src 192.168.0.0/16\n"     /* 18: adds up */
	             "acl badsites dstdomain .example.com\n"
	             "acl posts method POST\n"
	             "acl ssl connect\n");

	cr_assert_not_null(c->listeners[0].fwd.acl);
	cr_assert_eq(acl_set_rules(c->listeners[0].fwd.acl), 2);
	cr_assert_eq(acl_set_elems(c->listeners[0].fwd.acl), 4);
	/* each rule's text by its index, as written */
	cr_assert_not(c->listeners[0].fwd.acl_implicit_src);
	cr_assert_eq(c->listeners[0].fwd.n_acl_rules, 2);
	cr_assert_str_eq(c->listeners[0].fwd.acl_rule_text[0],
	                 "http-access deny badsites");
	cr_assert_str_eq(c->listeners[0].fwd.acl_rule_text[1],
	                 "http-access allow office !posts");
	conf_free(c);
}

static void
acl_bad(const char *text, const char *msg)
{
	struct conf *c = parse(text);

	cr_assert_null(c, "parsed: %s", text);
	cr_assert_str_eq(err, msg);
}

Test(conf, acl_errors_at_their_line)
{
	acl_bad(FWD_HEAD "\tallow-src 10.0.0.0/8\nacl x src 10.0.0.0/33\n",
	        "t.conf:16: acl x: bad CIDR '10.0.0.0/33'");
	acl_bad(FWD_HEAD "\tallow-src 10.0.0.0/8\nacl x source 10.0.0.0/8\n",
	        "t.conf:16: acl x: unknown kind \"source\" (src, dst, "
	        "dstdomain, port, method, url_prefix, url_regex, scheme, "
	        "connect, user, group, time, header)");
	acl_bad(FWD_HEAD "\tallow-src 10.0.0.0/8\nacl x src\n",
	        "t.conf:16: acl x: src needs at least one value");
	acl_bad(FWD_HEAD "\tallow-src 10.0.0.0/8\nacl a.b src 10.0.0.0/8\n",
	        "t.conf:16: acl: invalid name \"a.b\" (1 to 63 of A-Z a-z 0-9 "
	        "_ -)");
	acl_bad(FWD_HEAD "\thttp-access permit x\n",
	        "t.conf:15: http-access: \"permit\" is not allow or deny");
	acl_bad(FWD_HEAD "\thttp-access allow nosuch\n",
	        "t.conf:15: http-access: no acl named \"nosuch\"");
	acl_bad(FWD_HEAD "\thttp-access deny inside\n"
	                 "\thttp-access deny bad\n"
	                 "acl inside dst 10.0.0.0/8\n"
	                 "acl bad url_regex ^http://x/\n",
	        "t.conf:16: http-access: acl \"bad\" (url_regex) cannot be "
	        "used in or after a rule with a dst acl (line 15): that "
	        "rule is judged again after DNS, without the request head; "
	        "put this rule before it");
	acl_bad(FWD_HEAD "\tallow-src 10.0.0.0/8\nacl x src 10.0.0.0/8\n"
	                 "\tmode forward\n",
	        "t.conf:17: unknown directive \"mode\" in acl section (it "
	        "belongs in listen sections)");
	acl_bad(PORT_IN PORT_OUT "listen r\n\tmode echo\n"
	                         "\tbind 198.18.1.1:7\n"
	                         "\thttp-access deny x\n",
	        "t.conf:13: listen \"r\": http-access is only allowed in "
	        "forward mode");
	acl_bad(FWD_HEAD "\tmax-headers 64\n",
	        "t.conf:12: listen \"f\": mode forward needs at least one "
	        "allow-src or http-access (it must not be an open proxy)");
}

/* ---- proxy authentication (issue 13 item 3): auth-users, auth-groups,
 * auth-realm ---- */

#define AUTH_HASH "$5$saltsalt$myjXcpMpE2Ofk7fj9hqyNYSn6lmWG4Mqnjx.KIRRr4/"

/* A file in /tmp holding <text>; its path into <path> (64 bytes). */
static void
auth_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/gh-test-auth-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* <fmt> with the users file <u> and groups file <g> put in. */
static struct conf *
parse_auth(const char *fmt, const char *u, const char *g)
{
	static char text[4096];

	snprintf(text, sizeof(text), fmt, u, g);
	return parse(text);
}

Test(conf, auth_users_groups_realm)
{
	char u[64], g[64];
	struct conf *c;

	auth_file(u, "alice:" AUTH_HASH "\nbob:" AUTH_HASH "\n");
	auth_file(g, "staff: alice\n");
	c = parse_auth(FWD_HEAD "\tauth-users %s\n"
	                        "\tauth-groups %s\n"
	                        "\tauth-realm \"Lab proxy\"\n"
	                        "\thttp-access deny nobob\n"
	                        "\thttp-access allow st\n"
	                        "acl nobob user bob\n"
	                        "acl st group staff\n",
	               u, g);
	cr_assert_not_null(c, "%s", err);
	cr_assert_not_null(c->listeners[0].fwd.auth);
	cr_assert_eq(auth_users_count(c->listeners[0].fwd.auth), 2);
	cr_assert_str_eq(c->listeners[0].fwd.auth_realm, "Lab proxy");
	cr_assert_str_eq(c->listeners[0].fwd.auth_users_path, u);
	cr_assert_eq(acl_set_rules(c->listeners[0].fwd.acl), 2);
	conf_free(c); /* the table with it (LSan in the ASan build) */
	/* defaults: no users, realm "Gatehouse" */
	c = parse_ok(FWD_HEAD ALLOW);
	cr_assert_null(c->listeners[0].fwd.auth);
	cr_assert_str_eq(c->listeners[0].fwd.auth_realm, "Gatehouse");
	conf_free(c);
	/* auth-users alone is enough to not be an open proxy?  No: the
	 * listener still needs allow-src or http-access */
	c = parse_auth(FWD_HEAD "\tauth-users %s\n", u, g);
	cr_assert_null(c);
	unlink(u);
	unlink(g);
}

Test(conf, auth_errors_at_their_line)
{
	char u[64], g[64], bad[64], badg[64], msg[512];

	auth_file(u, "alice:" AUTH_HASH "\n");
	auth_file(g, "staff: alice\n");
	auth_file(bad, "alice:" AUTH_HASH "\nbob:$apr1$abcdefgh$82Jub\n");
	auth_file(badg, "staff: alice\nops: carol\n");
	/* errors in the files: the directive's line, then the file's */
	cr_assert_null(parse_auth(FWD_HEAD ALLOW "\tauth-users %s\n", bad, g));
	snprintf(msg, sizeof(msg),
	         "t.conf:16: auth-users: %s:2: user \"bob\": MD5-apr1 "
	         "($apr1$, Apache's) hashes are refused: libcrypt cannot "
	         "check them; use yescrypt, bcrypt or sha512-crypt (htpasswd "
	         "-B, mkpasswd -m yescrypt)",
	         bad);
	cr_assert_str_eq(err, msg);
	cr_assert_null(parse_auth(FWD_HEAD ALLOW "\tauth-users %s\n"
	                                         "\tauth-groups %s\n",
	                          u, badg));
	snprintf(msg, sizeof(msg),
	         "t.conf:17: auth-groups: %s:2: group \"ops\": no user "
	         "\"carol\" in the users file",
	         badg);
	cr_assert_str_eq(err, msg);
	acl_bad(FWD_HEAD ALLOW "\tauth-users /nonexistent/users\n",
	        "t.conf:16: auth-users: /nonexistent/users: cannot open: No "
	        "such file or directory");
	acl_bad(FWD_HEAD ALLOW "\tauth-users users.txt\n",
	        "t.conf:16: auth-users: \"users.txt\" is not an absolute path");
	acl_bad(FWD_HEAD ALLOW "\tauth-groups /etc/groups\n",
	        "t.conf:16: listen \"f\": auth-groups needs auth-users");
	acl_bad(FWD_HEAD ALLOW "\tauth-realm Lab\n",
	        "t.conf:16: listen \"f\": auth-realm needs auth-users");
	acl_bad(FWD_HEAD ALLOW "\tauth-realm \"a\\\"b\"\n",
	        "t.conf:16: auth-realm: only printable ASCII without '\"' and "
	        "'\\\\'");
	acl_bad(FWD_HEAD ALLOW "\tauth-realm \"\"\n",
	        "t.conf:16: auth-realm: must be 1 to 63 characters");
	acl_bad(FWD_HEAD "\thttp-access allow u\nacl u user alice\n",
	        "t.conf:15: http-access: acl \"u\" (user) needs auth-users in "
	        "listen \"f\"");
	cr_assert_null(parse_auth(FWD_HEAD "\tauth-users %s\n"
	                                   "\thttp-access allow st\n"
	                                   "acl st group staff\n",
	                          u, g));
	cr_assert_str_eq(err, "t.conf:16: http-access: acl \"st\" (group) "
	                      "needs auth-groups in listen \"f\"");
	acl_bad(PORT_IN PORT_OUT "listen r\n\tmode echo\n"
	                         "\tbind 198.18.1.1:7\n"
	                         "\tauth-users /etc/users\n",
	        "t.conf:13: listen \"r\": auth-users is only allowed in "
	        "forward mode");
	unlink(u);
	unlink(g);
	unlink(bad);
	unlink(badg);
}

/* ---- the worked examples of docs/configuration.md (config/examples) ---- */

/* One request of an example and the rule that must decide it. */
struct ex_case {
	const char *src, *method, *url, *host;
	uint16_t port;
	const char *dst;   /* the address connected to, for dst rules */
	uint32_t week_sec; /* 0: Sunday 00:00 */
	const char *ua;    /* User-Agent, or NULL */
	const char *want;  /* "allow: RULE", "deny: RULE", "deny: default" */
};

#define WEEKDAY(d, h, m) ((d)*86400u + (h)*3600u + (m)*60u)

static int
ex_header(const void *ctx, const char *name, size_t name_len, const char **val,
          size_t *val_len)
{
	const char *ua = ctx;

	if (ua == NULL || name_len != 10 || strncasecmp(name, "user-agent", 10))
		return -ENOENT;
	*val = ua;
	*val_len = strlen(ua);
	return 0;
}

/* Judges <x> by listener <l> as the proxy does (the head, then the
 * address when a dst rule needs it) and checks the verdict. */
static void
ex_judge(const struct conf_listen *l, const struct ex_case *x)
{
	struct acl_req r = {
	    .src_ip = ntohl(ip(x->src)),
	    .dst_port = x->port,
	    .week_sec = x->week_sec,
	    .method = {x->method, strlen(x->method)},
	    .host = {x->host, strlen(x->host)},
	    .url = {x->url, strlen(x->url)},
	    .header = ex_header,
	    .header_ctx = x->ua,
	};
	struct acl_scratch *sc = acl_scratch_new();
	struct acl_verdict v;
	char got[160];

	cr_assert_not_null(sc);
	r.scratch = sc;
	if (strcmp(x->method, "CONNECT") != 0)
		r.scheme = (struct acl_str){"http", 4};
	cr_assert_eq(acl_check(l->fwd.acl, &r, &v), 0);
	if (v.reason == ACL_R_NEED_DST) {
		cr_assert_not_null(x->dst, "%s needs an address", x->url);
		r.flags = ACL_REQ_DST;
		r.dst_ip = ntohl(ip(x->dst));
		cr_assert_eq(acl_check(l->fwd.acl, &r, &v), 0);
	}
	acl_scratch_free(sc);
	if (v.reason == ACL_R_RULE)
		snprintf(got, sizeof(got), "%s: %s",
		         v.action == ACL_ALLOW ? "allow" : "deny",
		         l->fwd.acl_rule_text[v.rule]);
	else
		snprintf(got, sizeof(got), "deny: default (reason %d)",
		         (int)v.reason);
	cr_assert_str_eq(got, x->want, "%s %s %s", x->src, x->method, x->url);
}

/* config/examples/<name> loads (as `gatehouse --check` does) and judges
 * <cases> as docs/configuration.md says. */
static struct conf *
example_check(const char *name, const struct ex_case *cases, unsigned n)
{
	const char *root = getenv("GH_SOURCE_ROOT");
	char path[512];
	struct conf *c;
	unsigned i;

	cr_assert_not_null(root, "GH_SOURCE_ROOT is not set");
	snprintf(path, sizeof(path), "%s/config/examples/%s", root, name);
	c = conf_load(path, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->listeners[0].mode, CONF_LISTEN_FORWARD);
	for (i = 0; i < n; i++)
		ex_judge(&c->listeners[0], &cases[i]);
	return c;
}

Test(conf, example_isp_cache)
{
	static const struct ex_case cases[] = {
	    {"198.18.4.7", "GET", "http://news.example/", "news.example", 80,
	     NULL, 0, NULL,
	     "allow: http-access allow subscribers safe_methods"},
	    {"198.18.4.7", "POST", "http://news.example/f", "news.example", 80,
	     NULL, 0, NULL, "allow: http-access allow subscribers"},
	    {"198.18.4.7", "GET", "http://news.example:25/", "news.example", 25,
	     NULL, 0, NULL, "deny: http-access deny !safe_ports"},
	    {"198.18.4.7", "GET", "http://WWW.Malware.Example./x",
	     "WWW.Malware.Example.", 80, NULL, 0, NULL,
	     "deny: http-access deny blocklist"},
	    {"198.18.4.7", "GET", "http://ads.example/", "ads.example", 80,
	     NULL, 0, NULL,
	     "allow: http-access allow subscribers safe_methods"},
	    {"198.19.5.5", "GET", "http://news.example/", "news.example", 80,
	     NULL, 0, NULL, "deny: http-access deny"},
	};
	struct conf *c =
	    example_check("isp-cache.conf", cases, GH_ARRAY_SIZE(cases));

	cr_assert(c->listeners[0].fwd.cache);
	cr_assert_not(c->listeners[0].fwd.allow_private_dst);
	conf_free(c);
}

Test(conf, example_office)
{
	static const struct ex_case cases[] = {
	    /* staff: social media on a Wednesday morning, not on Saturday */
	    {"198.18.10.20", "GET", "http://www.facebook.example/",
	     "www.facebook.example", 80, "198.19.77.7", WEEKDAY(3, 10, 0), NULL,
	     "deny: http-access deny staff social work_hours"},
	    {"198.18.10.20", "GET", "http://www.facebook.example/",
	     "www.facebook.example", 80, "198.19.77.7", WEEKDAY(6, 10, 0), NULL,
	     "allow: http-access allow staff"},
	    {"198.18.10.20", "GET", "http://wiki.corp/", "wiki.corp", 80,
	     "10.1.1.1", WEEKDAY(3, 10, 0), NULL,
	     "deny: http-access deny intranet"},
	    {"198.18.10.5", "GET", "http://wiki.corp/", "wiki.corp", 80,
	     "10.1.1.1", WEEKDAY(3, 10, 0), NULL,
	     "allow: http-access allow admin"},
	    {"198.18.10.20", "GET", "http://x.example/", "x.example", 80,
	     "198.19.77.7", WEEKDAY(3, 10, 0), "Mozilla/5.0 uTorrent/3.5",
	     "deny: http-access deny torrent"},
	    /* guests: the night across midnight, ports, uploads, .exe */
	    {"198.18.11.9", "GET", "http://x.example/", "x.example", 80,
	     "198.19.77.7", WEEKDAY(1, 23, 0), NULL,
	     "deny: http-access deny guests night"},
	    {"198.18.11.9", "GET", "http://x.example/", "x.example", 80,
	     "198.19.77.7", WEEKDAY(2, 5, 59), NULL,
	     "deny: http-access deny guests night"},
	    {"198.18.11.9", "GET", "http://x.example:8080/", "x.example", 8080,
	     "198.19.77.7", WEEKDAY(2, 12, 0), NULL,
	     "deny: http-access deny guests !web_ports"},
	    {"198.18.11.9", "POST", "http://x.example/f", "x.example", 80,
	     "198.19.77.7", WEEKDAY(2, 12, 0), NULL,
	     "deny: http-access deny guests uploads"},
	    {"198.18.11.9", "GET", "http://x.example/Setup.EXE?v=2",
	     "x.example", 80, "198.19.77.7", WEEKDAY(2, 12, 0), NULL,
	     "deny: http-access deny guests executables"},
	    {"198.18.11.9", "GET", "http://x.example/", "x.example", 80,
	     "198.19.77.7", WEEKDAY(2, 6, 0), NULL,
	     "allow: http-access allow guests"},
	    {"198.18.12.1", "GET", "http://x.example/", "x.example", 80,
	     "198.19.77.7", WEEKDAY(2, 12, 0), NULL, "deny: http-access deny"},
	};

	conf_free(example_check("office.conf", cases, GH_ARRAY_SIZE(cases)));
}

Test(conf, example_lab)
{
	static const struct ex_case cases[] = {
	    {"198.18.1.9", "GET", "http://svc.lab.test/", "svc.lab.test", 80,
	     NULL, 0, NULL, "allow: http-access allow testers lab_names"},
	    {"198.18.1.9", "GET", "http://10.20.3.4/", "10.20.3.4", 80,
	     "10.20.3.4", 0, NULL, "allow: http-access allow testers lab_nets"},
	    {"198.18.1.9", "GET", "http://example.com/", "example.com", 80,
	     "198.51.100.7", 0, NULL, "deny: http-access deny"},
	    {"198.18.1.9", "GET", "http://status.lab.test/now",
	     "status.lab.test", 80, NULL, 0, NULL,
	     "deny: http-access deny status"},
	    {"198.18.1.250", "GET", "http://status.lab.test/now",
	     "status.lab.test", 80, NULL, 0, NULL,
	     "allow: http-access allow monitor status"},
	    {"198.18.1.9", "CONNECT", "svc.lab.test:22", "svc.lab.test", 22,
	     NULL, 0, NULL, "deny: http-access deny tunnel !tls_ports"},
	    {"198.18.1.9", "CONNECT", "svc.lab.test:8443", "svc.lab.test", 8443,
	     NULL, 0, NULL, "allow: http-access allow testers lab_names"},
	};
	struct conf *c = example_check("lab.conf", cases, GH_ARRAY_SIZE(cases));

	cr_assert(c->listeners[0].fwd.anonymous);
	conf_free(c);
}

/* mode socks: its directives, its defaults (the forward ones but
 * timeout-idle-ms 300000), the access rules and users it shares with
 * mode forward. */
Test(conf, socks_every_directive_and_defaults)
{
	char u[64];
	struct conf *c;

	c = parse_ok(SOCKS_HEAD ALLOW);
	cr_assert_eq(c->listeners[0].mode, CONF_LISTEN_SOCKS);
	cr_assert(conf_listen_is_proxy(c->listeners[0].mode));
	cr_assert(c->listeners[0].fwd.socks);
	cr_assert_eq(c->listeners[0].fwd.client_header_ms, 10000);
	cr_assert_eq(c->listeners[0].fwd.client_idle_ms, 300000);
	cr_assert_eq(c->listeners[0].fwd.connect_ms, 5000);
	cr_assert_not(c->listeners[0].fwd.allow_private_dst);
	cr_assert_null(c->listeners[0].fwd.auth);
	cr_assert_not_null(c->listeners[0].fwd.acl); /* implicit allow-src */
	conf_free(c);

	auth_file(u, "alice:" AUTH_HASH "\n");
	c = parse_auth(SOCKS_HEAD "\tauth-users %s\n"
	                          "\ttimeout-handshake-ms 2000\n"
	                          "\ttimeout-connect-ms 3000\n"
	                          "\ttimeout-idle-ms 4000\n"
	                          "\tallow-private-dst on\n"
	                          "\thttp-access deny lan\n"
	                          "\thttp-access allow all\n"
	                          "acl lan dst 198.18.2.0/24\n"
	                          "acl all src 0.0.0.0/0\n",
	               u, "");
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->listeners[0].fwd.client_header_ms, 2000);
	cr_assert_eq(c->listeners[0].fwd.connect_ms, 3000);
	cr_assert_eq(c->listeners[0].fwd.client_idle_ms, 4000);
	cr_assert(c->listeners[0].fwd.allow_private_dst);
	cr_assert_not_null(c->listeners[0].fwd.auth);
	cr_assert_eq(acl_set_rules(c->listeners[0].fwd.acl), 2);
	conf_free(c);
	/* a forward listener is not socks */
	c = parse_ok(PORT_IN PORT_OUT LISTEN_FWD RESOLVER);
	cr_assert_not(c->listeners[0].fwd.socks);
	cr_assert(conf_listen_is_proxy(c->listeners[0].mode));
	conf_free(c);
	unlink(u);
}
