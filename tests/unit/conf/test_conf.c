/*
 * Unit tests for the configuration parser (lib/conf): every directive parsed
 * and range-checked at both ends, defaults, a table of bad configs each with
 * its exact message, file loading, and the shipped config/gatehouse.conf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "common/gh_common.h"
#include "conf/conf.h"

TestSuite(conf);

/* A minimal valid port section; bad-config cases append to it. */
#define PORT_IN                \
	"port in\n"            \
	"\trole inside\n"      \
	"\tdevice net_null0\n" \
	"\taddress 198.18.1.1/24\n"

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
	cr_assert_eq(c->ports[0].line, 22);

	cr_assert_str_eq(c->ports[1].name, "wan");
	cr_assert_eq(c->ports[1].role, CONF_PORT_OUTSIDE);
	cr_assert_str_eq(c->ports[1].device, "0000:00:04.0");
	cr_assert(c->ports[1].is_pci);
	cr_assert_eq(c->ports[1].addr_be, ip("198.19.1.1"));
	cr_assert_eq(c->ports[1].prefix_len, 30);
	cr_assert_eq(c->ports[1].gateway_be, 0);
	cr_assert_eq(c->ports[1].mtu, 68);
	cr_assert_eq(c->ports[1].line, 30);

	cr_assert_eq(conf_port_find_role(c, CONF_PORT_INSIDE), 0);
	cr_assert_eq(conf_port_find_role(c, CONF_PORT_OUTSIDE), 1);
	conf_free(c);
}

Test(conf, defaults)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct conf *c = parse_ok(PORT_IN);

	cr_assert_eq(c->workers, 1);
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

/* ---- bad configs: each with its exact message ---- */

struct bad_case {
	const char *text;
	const char *msg;
};

#define LONG_PATH                                                        \
	"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct bad_case bad_cases[] = {
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
    /* first error wins */
    {"global\n\tworkers 0\n\tmemory-mb 1\n",
     "t.conf:2: workers: 0 is out of range 1..16"},
    {"port a\n\trole inside\nglobal\n\tworkers 0\n",
     "t.conf:1: port \"a\": device is required"},
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

struct range_case {
	const char *name;
	bool port; /* port directive, else global */
	unsigned long long min, max;
	unsigned long long (*get)(const struct conf *c);
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

static const struct range_case range_cases[] = {
    {"workers", false, 1, 16, get_workers},
    {"cpus", false, 0, 1023, get_cpus},
    {"control-cpu", false, 0, 1023, get_control_cpu},
    {"idle-spin-polls", false, 1, 1000000, get_spin},
    {"idle-sleep-max-us", false, 0, 100000, get_sleep},
    {"memory-mb", false, 64, 65536, get_mem},
    {"mbufs-per-port", false, 1023, 1048575, get_mbufs},
    {"arp-ttl-s", false, 1, 86400, get_ttl},
    {"arp-pending-max", false, 1, 256, get_pmax},
    {"arp-pending-timeout-ms", false, 10, 60000, get_ptmo},
    {"garp-count", false, 0, 10, get_garp},
    {"mtu", true, 68, 9000, get_mtu},
    {"rx-desc", true, 64, 16384, get_rx},
    {"tx-desc", true, 64, 16384, get_tx},
};

/* A valid config with "<name> <value>" in the right section, on line 2. */
static void
range_text(char *buf, size_t len, const struct range_case *rc,
           const char *value)
{
	if (rc->port)
		snprintf(buf, len,
		         "port in\n\t%s %s\n\trole inside\n"
		         "\tdevice net_null0\n\taddress 198.18.1.1/24\n",
		         rc->name, value);
	else
		snprintf(buf, len, "global\n\t%s %s\n" PORT_IN, rc->name,
		         value);
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

Test(conf, text_larger_than_one_mib)
{
	size_t len = (1u << 20) + 1;
	char *text = malloc(len);

	cr_assert_not_null(text);
	memset(text, '\n', len);
	errno = 0;
	cr_assert_null(conf_parse("big", text, len, err, sizeof(err)));
	cr_assert_eq(errno, EFBIG);
	cr_assert_str_eq(err, "big: larger than 1048576 bytes");
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

Test(conf, load_file_larger_than_one_mib)
{
	char dir[] = "/tmp/test_conf.XXXXXX", path[64];
	size_t len = (1u << 20) + 10;
	char *text = malloc(len);

	cr_assert_not_null(text);
	memset(text, '\n', len);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, text, len);
	errno = 0;
	cr_assert_null(conf_load(path, err, sizeof(err)));
	cr_assert_eq(errno, EFBIG);
	cr_assert(strstr(err, "larger than 1048576 bytes") != NULL);
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
