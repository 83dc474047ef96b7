/*
 * The FTP gateway's sessions (fwd_ftp.c) on the two-stack harness: node
 * B's `org` plays the FTP server's control connection (port 80, so the
 * URLs say ftp://10.0.0.2:80/) and `dat` its data port 2020; each test
 * scripts the server's replies and checks the commands the gateway sent,
 * what the client got and the counters: a file with SIZE and MDTM, a
 * listing escaped, an FTP bounce refused, a 550, a 530, an oversized
 * reply, a silent server, a CR/LF smuggled in the path.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "fwd_test_util.h"
#include "log/alog.h"

static struct peer dat;

static void
ftp_setup(void)
{
	ft_setup(&(struct ft_opts){0});
	memset(&dat, 0, sizeof(dat));
	cr_assert_eq(tcp_listen(tt_b.s, 0, TT_IP_B, RTE_BE16(2020),
	                        TCP_CC_NEWRENO, &peer_cbs, &dat),
	             0);
	client_connect();
}

static void
ftp_teardown(void)
{
	ft_teardown();
}

/* The client asks for <url> with <method>. */
static void
ask(const char *method, const char *url)
{
	char req[512];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method,
	         url);
	send_str(&cli, req);
	run(10);
}

/* The server says <reply>; the gateway's next command is <want>. */
static void
step(const char *reply, const char *want)
{
	org.rx_len = 0;
	org.rx[0] = '\0';
	send_str(&org, reply);
	run(10);
	if (want != NULL)
		cr_assert_str_eq(org.rx, want, "after %s", reply);
}

/* Greeting and anonymous login up to TYPE <type>'s answer. */
static void
login(char type)
{
	char want[16];

	cr_assert_eq(org.accepted, 1, "no control connection");
	step("220 hi\r\n", "USER anonymous\r\n");
	step("331 pw\r\n", "PASS gatehouse@\r\n");
	snprintf(want, sizeof(want), "TYPE %c\r\n", type);
	step("230 in\r\n", want);
}

Test(fwd_ftp, file_with_size_and_mdtm, .init = ftp_setup, .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/d/f.bin");
	login('I');
	step("200 ok\r\n", "SIZE d/f.bin\r\n");
	step("213-size\r\n213 11\r\n", "MDTM d/f.bin\r\n");
	step("213 20200101000000\r\n", "EPSV\r\n");
	step("229 Entering Extended Passive Mode (|||2020|)\r\n",
	     "RETR d/f.bin\r\n");
	cr_assert_eq(dat.accepted, 1);
	step("150 here\r\n", NULL);
	send_str(&dat, "hello world");
	tcp_shutdown(dat.c);
	run(10);
	cr_assert(strstr(cli.rx, "HTTP/1.1 200 OK\r\n") == cli.rx, "%s",
	          cli.rx);
	cr_assert_not_null(strstr(cli.rx, "Content-Length: 11\r\n"), "%s",
	                   cli.rx);
	cr_assert_not_null(
	    strstr(cli.rx, "Last-Modified: Wed, 01 Jan 2020 00:00:00 GMT\r\n"),
	    "%s", cli.rx);
	cr_assert_not_null(strstr(cli.rx, "\r\n\r\nhello world"), "%s", cli.rx);
	cr_assert_eq(cnt.ftp_requests, 1);
	cr_assert_eq(cnt.ftp_ok, 1);
	cr_assert_eq(cnt.ftp_bytes, 11);
	run(10);
	cr_assert_str_eq(org.rx, "QUIT\r\n", "the control leg ends with QUIT");
	cr_assert_eq(cnt.fwd_sessions_in_use, 1, "the client stays");
}

Test(fwd_ftp, head_answers_without_transfer, .init = ftp_setup,
     .fini = ftp_teardown)
{
	ask("HEAD", "ftp://10.0.0.2:80/f;type=a");
	login('A');
	step("200 ok\r\n", "SIZE f\r\n");
	step("213 4096\r\n", "MDTM f\r\n");
	step("550 no time\r\n", "QUIT\r\n");
	cr_assert_not_null(strstr(cli.rx, "HTTP/1.1 200 OK\r\n"));
	cr_assert_not_null(strstr(cli.rx, "Content-Type: text/plain\r\n"));
	cr_assert_not_null(strstr(cli.rx, "Content-Length: 4096\r\n"));
	cr_assert_null(strstr(cli.rx, "Last-Modified"));
	cr_assert_eq(dat.accepted, 0);
}

Test(fwd_ftp, listing_escaped_and_list_fallback, .init = ftp_setup,
     .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/pub/");
	login('A');
	step("200 ok\r\n", "EPSV\r\n");
	step("229 (|||2020|)\r\n", "MLSD pub\r\n");
	step("500 what\r\n", "EPSV\r\n");
	cr_assert_eq(cnt.ftp_mlsd_fallback, 1);
	step("229 (|||2020|)\r\n", "LIST pub\r\n");
	cr_assert_eq(dat.accepted, 2);
	step("150 here\r\n", NULL);
	send_str(&dat, "total 8\r\n"
	               "-rw-r--r-- 1 u g 12 Jan 1 2020 a<b>&\"c'.txt\r\n"
	               "drwxr-xr-x 2 u g 4096 Jan 1 12:00 sub\r\n");
	tcp_shutdown(dat.c);
	run(10);
	cr_assert_not_null(strstr(cli.rx, "Content-Type: text/html"));
	cr_assert_not_null(strstr(cli.rx, "<a href=\"/pub/a%3Cb%3E%26%22c%27"
	                                  ".txt\">a&lt;b&gt;&amp;&quot;c&#39;"
	                                  ".txt</a>  12  Jan 1 2020\n"),
	                   "%s", cli.rx);
	cr_assert_not_null(strstr(cli.rx, "<a href=\"/pub/sub/\">sub/</a>"),
	                   "%s", cli.rx);
	cr_assert_null(strstr(cli.rx, "<b>"));
	cr_assert_null(strstr(cli.rx, "total"));
	cr_assert_not_null(strstr(cli.rx, "</html>\n"));
	cr_assert(cli.fin, "a listing ends with the connection");
	cr_assert_eq(cnt.ftp_listings, 1);
}

Test(fwd_ftp, pasv_bounce_refused, .init = ftp_setup, .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/f");
	login('I');
	step("200 ok\r\n", "SIZE f\r\n");
	step("213 1\r\n", "MDTM f\r\n");
	step("502 no\r\n", "EPSV\r\n");
	step("502 no\r\n", "PASV\r\n");
	step("227 Entering Passive Mode (10,0,0,9,7,228)\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 502 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(cnt.ftp_bounce_refused, 1);
	cr_assert_eq(cnt.ftp_epsv_fallback, 1);
	cr_assert_eq(dat.accepted, 0);
}

Test(fwd_ftp, pasv_same_address_connects, .init = ftp_setup,
     .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/f");
	login('I');
	step("200 ok\r\n", "SIZE f\r\n");
	step("500 no\r\n", "MDTM f\r\n");
	step("500 no\r\n", "EPSV\r\n");
	step("500 no\r\n", "PASV\r\n");
	step("227 Entering Passive Mode (10,0,0,2,7,228)\r\n", "RETR f\r\n");
	cr_assert_eq(dat.accepted, 1);
}

Test(fwd_ftp, not_found_and_directory_redirect, .init = ftp_setup,
     .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/nope");
	login('I');
	step("200 ok\r\n", "SIZE nope\r\n");
	step("550 no such file\r\n", "CWD nope\r\n");
	step("550 no such dir\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 404 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(cnt.ftp_not_found, 1);
}

Test(fwd_ftp, directory_redirect, .init = ftp_setup, .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/pub");
	login('I');
	step("200 ok\r\n", "SIZE pub\r\n");
	step("550 not a file\r\n", "CWD pub\r\n");
	step("250 ok\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 301 ") == cli.rx, "%s", cli.rx);
	cr_assert_not_null(strstr(cli.rx, "Location: ftp://10.0.0.2:80/pub/"),
	                   "%s", cli.rx);
	cr_assert_eq(cnt.ftp_redirects, 1);
}

/* A server without SIZE: RETR's 550 is asked about with CWD too. */
Test(fwd_ftp, retr_550_directory_redirect, .init = ftp_setup,
     .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/pub");
	login('I');
	step("200 ok\r\n", "SIZE pub\r\n");
	step("500 what\r\n", "MDTM pub\r\n");
	step("500 what\r\n", "EPSV\r\n");
	step("229 (|||2020|)\r\n", "RETR pub\r\n");
	step("550 not a plain file\r\n", "CWD pub\r\n");
	step("250 ok\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 301 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(cnt.ftp_redirects, 1);
}

Test(fwd_ftp, login_refused_401_and_403, .init = ftp_setup,
     .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/f");
	step("220 hi\r\n", "USER anonymous\r\n");
	step("530 no anonymous\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 401 ") == cli.rx, "%s", cli.rx);
	cr_assert_not_null(strstr(cli.rx, "WWW-Authenticate: Basic"));
	memset(&cli, 0, sizeof(cli));
	client_connect();
	ask("GET", "ftp://bob:s%40cret@10.0.0.2:80/f");
	step("220 hi\r\n", "USER bob\r\n");
	step("331 pw\r\n", "PASS s@cret\r\n");
	step("530 wrong\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 403 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(cnt.ftp_login_failed, 2);
}

/* A browser answers our 401 with Authorization: Basic: the FTP login. */
Test(fwd_ftp, authorization_basic_logs_in, .init = ftp_setup,
     .fini = ftp_teardown)
{
	send_str(&cli, "GET ftp://10.0.0.2:80/f HTTP/1.1\r\nHost: x\r\n"
	               "Authorization: Basic Ym9iOnMzY3JldA==\r\n\r\n");
	run(10);
	step("220 hi\r\n", "USER bob\r\n");
	step("331 pw\r\n", "PASS s3cret\r\n");
	step("530 wrong\r\n", "QUIT\r\n");
	cr_assert(strstr(cli.rx, "HTTP/1.1 403 ") == cli.rx, "%s", cli.rx);
}

Test(fwd_ftp, oversized_reply_502, .init = ftp_setup, .fini = ftp_teardown)
{
	char big[600];

	ask("GET", "ftp://10.0.0.2:80/f");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "220 ", 4);
	step(big, NULL);
	cr_assert(strstr(cli.rx, "HTTP/1.1 502 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(cnt.ftp_bad_reply, 1);
}

Test(fwd_ftp, silent_server_504, .init = ftp_setup, .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/f");
	cr_assert_eq(org.accepted, 1);
	run(31000);
	cr_assert(strstr(cli.rx, "HTTP/1.1 504 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(cnt.ftp_timeout, 1);
}

Test(fwd_ftp, crlf_in_path_refused, .init = ftp_setup, .fini = ftp_teardown)
{
	ask("GET", "ftp://10.0.0.2:80/a%0d%0aDELE%20x");
	cr_assert(strstr(cli.rx, "HTTP/1.1 400 ") == cli.rx, "%s", cli.rx);
	cr_assert_eq(org.accepted, 0, "no control connection");
	cr_assert_eq(cnt.ftp_bad_url, 1);
	memset(&cli, 0, sizeof(cli));
	client_connect();
	ask("PUT", "ftp://10.0.0.2:80/a");
	cr_assert(strstr(cli.rx, "HTTP/1.1 501 ") == cli.rx, "%s", cli.rx);
}

static struct alog_ring *ring;

static void
ftp_setup_log(void)
{
	ring = alog_ring_create(256);
	cr_assert_not_null(ring);
	ft_setup(&(struct ft_opts){.alog = ring});
	memset(&dat, 0, sizeof(dat));
	client_connect();
}

static void
ftp_teardown_log(void)
{
	ft_teardown();
	alog_ring_destroy(ring);
}

/* The access log has the URL with the password as "***". */
Test(fwd_ftp, password_not_logged, .init = ftp_setup_log,
     .fini = ftp_teardown_log)
{
	const char *lines;

	ask("GET", "ftp://bob:s3cret@10.0.0.2:80/f");
	step("220 hi\r\n", "USER bob\r\n");
	step("331 pw\r\n", "PASS s3cret\r\n");
	step("530 wrong\r\n", "QUIT\r\n");
	lines = ft_log_lines(ring);
	cr_assert_not_null(strstr(lines, " ftp://bob:***@10.0.0.2:80/f "), "%s",
	                   lines);
	cr_assert_null(strstr(lines, "s3cret"), "%s", lines);
}

/*
 * A listing longer than one burst (FTP_LIST_BURST lines an event: the
 * rest resumes 1 ms later) whose 226 arrives while the resume is pending:
 * the control reply set the session's timer to the read timeout, over
 * the 1 ms resume, and the rest of the listing waited for it (30 s here,
 * the read timeout's default).  It must end within a few milliseconds.
 */
Test(fwd_ftp, listing_resumes_past_a_control_reply, .init = ftp_setup,
     .fini = ftp_teardown)
{
	static char lines[1400 + 1];
	unsigned i;

	for (i = 0; i + 3 <= 1400; i += 3)
		memcpy(lines + i, "x\r\n", 3);
	lines[i] = '\0';
	ask("GET", "ftp://10.0.0.2:80/pub/");
	login('A');
	step("200 ok\r\n", "EPSV\r\n");
	step("229 (|||2020|)\r\n", "MLSD pub\r\n");
	step("150 here\r\n", NULL);
	/* 466 lines at once, the data leg's FIN, then the 226: no time
	 * passes between them */
	send_str(&dat, lines);
	tcp_shutdown(dat.c);
	send_str(&org, "226 done\r\n");
	run(40);
	cr_assert_not_null(strstr(cli.rx, "</html>\n"),
	                   "the listing did not end within 40 ms");
	cr_assert(cli.fin, "a listing ends with the connection");
	cr_assert_eq(cnt.ftp_listings, 1);
	cr_assert_eq(cnt.ftp_timeout, 0);
}
