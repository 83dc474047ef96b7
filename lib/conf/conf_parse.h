/*
 * Private to lib/conf: what the parser core (conf.c) and the section
 * modules (conf_global.c, conf_port.c, conf_tcp.c, conf_listen.c,
 * conf_resolver.c, conf_log.c) share.  The state of one parse, the row of a
 * directive, the description of a kind of section, and the value parsers
 * every module uses (conf_value.c).
 *
 * Each module registers its own directives, HAProxy-style, instead of
 * editing one central table: it owns a `const struct directive` table for
 * its section, the setters the rows point to, the defaults, and the checks
 * that need all of its section or all of the file, and exports them in one
 * `struct section_kind`.  The core walks the list of section kinds
 * (sections[] in conf.c, in enum section order) to find a header, a
 * directive or a hook.  A new directive touches its module, conf_types.h
 * and docs/configuration.md; a new kind of section also adds one line to
 * enum section and one to sections[].
 *
 * Every function that can refuse returns 0 or -EINVAL with the
 * "file:line: what is wrong" message already written (conf_fail()), so the
 * error reported is the first one in file order.
 */
#ifndef GH_CONF_PARSE_H
#define GH_CONF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf_types.h"

#define CONF_LINE_MAX_BYTES 1023u /* bytes, newline not counted */
/* Rows in one section's table: the size of parser.seen[]. */
#define CONF_SECTION_ROWS_MAX 48

/* Kinds of section, in the order of sections[] in conf.c: the order the
 * directive lookups walk and the whole-file checks run in. */
enum section {
	SECT_NONE = 0, /* before the first section header */
	SECT_GLOBAL = 1,
	SECT_PORT = 2,
	SECT_TCP = 3,
	SECT_LISTEN = 4,
	SECT_RESOLVER = 5,
	SECT_ACCESS_LOG = 6,
	SECT_ACL = 7,  /* one `acl NAME KIND VALUES` line (conf_acl.c) */
	SECT_POOL = 8, /* a reverse proxy's backend pool (conf_pool.c) */
	SECT_COUNT = 9,
};

/* Lines of the directives of one listen section that are checked only when
 * the whole file is read; 0: not given. */
struct listen_lines {
	unsigned bind;
	unsigned upstream;
	unsigned cc;
};

/* State of one parse; lives on the stack of conf_parse(). */
struct parser {
	const char *name; /* file name used in messages */
	char *err;
	size_t errlen;
	unsigned line; /* current line, from 1 */
	struct conf *c;
	enum section sect;
	unsigned global_line;       /* line of the global header, 0: none yet */
	unsigned ooo_mbufs_line;    /* line of ooo-mbufs-max, 0: not given */
	struct conf_port *port;     /* port section being read, or NULL */
	struct conf_listen *listen; /* listen section being read, or NULL */
	struct conf_pool *pool;     /* pool section being read, or NULL */
	struct listen_lines listen_lines[CONF_LISTENERS_MAX];
	/* acl and http-access lines kept until the whole file is read
	 * (conf_acl.c); freed by conf_acl_parse_done() */
	struct conf_acl_state *acl;
	/* Line of each nameserver, for the whole-file checks. */
	unsigned nameserver_lines[CONF_RESOLVERS_MAX];
	/* Line each directive was given on in the current section (the first
	 * one for a repeatable directive), 0: not; indexed by the row in the
	 * section's table. */
	unsigned seen[CONF_SECTION_ROWS_MAX];
};

struct directive {
	const char *name;
	enum section sect; /* the section whose table holds the row */
	bool pow2;         /* conf_set_number only: must be a power of two */
	bool rest_of_line; /* argument is the rest of the line, spaces kept */
	bool repeatable;
	/* Check <arg> and store it; returns 0 or -EINVAL with the message. */
	int (*set)(struct parser *p, const struct directive *d,
	           const char *arg);
	/* conf_set_number only: the field (in struct conf_port for port
	 * sections, struct conf_listen for listen sections, else in struct
	 * conf), its size and range; the value stored is the one given times
	 * <scale> (0 means 1: KiB to bytes is 1024).  The listen module's
	 * on | off setter uses <off> too: a bool in struct conf_listen. */
	size_t off;
	size_t size;
	uint64_t min;
	uint64_t max;
	uint32_t scale;
};

/* One kind of section, exported by its module.  Every hook returns 0 or
 * -EINVAL with the message; NULL hooks are skipped. */
struct section_kind {
	const char *name; /* header word, also used in messages */
	const struct directive *directives;
	size_t n_directives; /* <= CONF_SECTION_ROWS_MAX */
	/* Fill in the defaults of the fields the section owns in a new
	 * snapshot, whether the file has the section or not. */
	void (*defaults)(struct conf *c);
	/* The header line; <rest> is what follows the header word.  Sets
	 * p->sect (and p->port or p->listen). */
	int (*begin)(struct parser *p, char *rest);
	/* Checks that need all of the section, when it ends. */
	int (*end)(struct parser *p);
	/* Checks that need other sections, once the whole file is read; run
	 * in section order, whether the file has the section or not. */
	int (*file_end)(struct parser *p);
};

extern const struct section_kind conf_global_section;
extern const struct section_kind conf_port_section;
extern const struct section_kind conf_tcp_section;
extern const struct section_kind conf_listen_section;
extern const struct section_kind conf_resolver_section;
extern const struct section_kind conf_access_log_section;
extern const struct section_kind conf_acl_section;
extern const struct section_kind conf_pool_section;

#define CONF_FIELD_SIZE(type, field) sizeof(((type *)0)->field)

/* A row for conf_set_number: <field> of <type> in lo..hi, a power of two
 * when <p2>, stored times <sc> (0: 1).  Modules wrap it in a shorter macro
 * that names their section and struct. */
#define CONF_NUM(n, s, type, field, lo, hi, p2, sc)                         \
	{                                                                   \
		.name = n, .sect = s, .set = conf_set_number,               \
		.off = offsetof(type, field),                               \
		.size = CONF_FIELD_SIZE(type, field), .min = lo, .max = hi, \
		.pow2 = p2, .scale = sc                                     \
	}

/* A row with its own setter. */
#define CONF_FUNC(n, s, fn)                     \
	{                                       \
		.name = n, .sect = s, .set = fn \
	}

/* ---- messages (conf.c) ---- */

/* Write "name:line: <fmt>" (or "name: <fmt>" when line is 0) into the
 * caller's buffer.  Returns -EINVAL so setters can `return conf_fail(...)`.
 */
__attribute__((format(printf, 3, 4))) int
conf_fail_at(struct parser *p, unsigned line, const char *fmt, ...);

/* The same, at the current line. */
__attribute__((format(printf, 2, 3))) int conf_fail(struct parser *p,
                                                    const char *fmt, ...);

/* ---- sections (conf.c) ---- */

/* The header of a section without a name that may appear once (global,
 * tcp, resolver, access-log); <line> keeps the line of its header, 0 until
 * it is given. */
int conf_header_once(struct parser *p, const char *rest, enum section sect,
                     unsigned *line);

/* The NAME of a `<kind> NAME` header: one word of conf_is_name(). */
int conf_section_name_check(struct parser *p, const char *kind, char *rest);

/* ---- words and values (conf.c, conf_value.c) ---- */

static inline bool
conf_is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static inline bool
conf_is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static inline bool
conf_is_alnum(char ch)
{
	return conf_is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z');
}

/* Cut <s> after its first word; returns the start of the rest (blanks
 * skipped), which is "" when there is none. */
char *conf_cut_word(char *s);

/* True when <s> is 1..max-1 characters of [A-Za-z0-9_-]. */
bool conf_is_name(const char *s, size_t max);

/* Parse <s> as a number in min..max for directive <dname>; <what> says
 * which part of the argument it is ("" for all of it). */
int conf_want_number(struct parser *p, const char *dname, const char *what,
                     const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The setter of CONF_NUM rows. */
int conf_set_number(struct parser *p, const struct directive *d,
                    const char *arg);

/* Parse on | off into <out>. */
int conf_want_on_off(struct parser *p, const struct directive *d,
                     const char *arg, bool *out);

/* Copy the absolute path <arg> into <buf> of <len> bytes. */
int conf_want_abs_path(struct parser *p, const struct directive *d,
                       const char *arg, char *buf, size_t len);

/* ---- IPv4 addresses (conf_value.c) ---- */

/* Host-order mask of a prefix length 0..32. */
uint32_t conf_prefix_mask(unsigned prefix_len);

/* Dotted quad of a network-order address, in a static buffer of <slot>
 * (two slots so one message can show two addresses). */
const char *conf_ip_str(uint32_t addr_be, unsigned slot);

/* Parse "A.B.C.D" strictly (inet_pton: four decimal parts, no leading
 * zeros) into network order. */
bool conf_parse_ipv4(const char *s, uint32_t *addr_be);

/* Parse "A.B.C.D:PORT" (port 1..65535) into network order; a file:line
 * error naming directive <d> otherwise. */
int conf_want_ip_port(struct parser *p, const struct directive *d,
                      const char *arg, uint32_t *ip_be, uint16_t *port_be);

/* False for 0/8, 127/8 and 224/3 (multicast and reserved); host order. */
bool conf_is_unicast(uint32_t addr);

/* "network" or "broadcast" when the host part of <addr> (host order) is
 * all zeros or all ones in a /<prefix_len> of 30 or less, else NULL. */
const char *conf_host_part_problem(uint32_t addr, unsigned prefix_len);

/* ---- shared by modules ---- */

/* conf_tcp.c: parse cubic | newreno into <out>. */
int conf_want_cc(struct parser *p, const struct directive *d, const char *arg,
                 enum conf_cc *out);

/* conf_port.c: index of the port whose address is <ip_be>, or -ENOENT. */
int conf_port_by_addr(const struct conf *c, uint32_t ip_be);

/* conf_port.c: the port that reaches <ip_be>, a host the appliance
 * connects to, given at <line>; <who> starts the messages.  Returns the
 * port index, or -EINVAL with the message. */
int conf_route_resolve(struct parser *p, unsigned line, const char *who,
                       uint32_t ip_be);

/* conf_acl.c: the setter of a listen section's http-access rows. */
int conf_set_http_access(struct parser *p, const struct directive *d,
                         const char *arg);

/* conf_acl.c: frees what the parse kept of acl and http-access lines
 * (whatever the outcome of the parse). */
void conf_acl_parse_done(struct parser *p);

/* conf_acl.c: frees the compiled sets of <c>'s listeners (conf_free and a
 * failed parse). */
void conf_acl_sets_free(struct conf *c);
/* Free <f>'s access rules (acl set, texts) and clear them. */
void conf_forward_rules_free(struct conf_forward *f);

/* conf_auth.c: the setters of auth-users, auth-groups, auth-realm. */
int conf_set_auth_users(struct parser *p, const struct directive *d,
                        const char *arg);
int conf_set_auth_groups(struct parser *p, const struct directive *d,
                         const char *arg);
int conf_set_auth_realm(struct parser *p, const struct directive *d,
                        const char *arg);

/* conf_auth.c: at the end of a forward listen section, reads its users
 * (and groups) files; the lines its directives were given on (0: not)
 * are where errors are reported. */
int conf_auth_section_end(struct parser *p, unsigned users_line,
                          unsigned groups_line, unsigned realm_line);

/* conf_pool.c: the setters of a reverse listener's route and
 * default-pool rows (pool names resolved when the whole file is read). */
int conf_set_route(struct parser *p, const struct directive *d,
                   const char *arg);
int conf_set_default_pool(struct parser *p, const struct directive *d,
                          const char *arg);

/* conf_pool.c: the snapshot's struct conf_rev, made on first use; NULL
 * (the message written) when out of memory. */
struct conf_rev *conf_rev_get(struct parser *p);

/* conf_auth.c: drops the users tables of <c>'s listeners (conf_free and
 * a failed parse). */
void conf_auth_free(struct conf *c);

#endif /* GH_CONF_PARSE_H */
