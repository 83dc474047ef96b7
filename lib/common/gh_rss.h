/*
 * The one RSS key of Gatehouse, shared by the driver that programs it into
 * NICs (drivers/net/port.c) and the software hash that predicts where a flow
 * lands (lib/net/net_flow_owner.c).  Both must agree bit for bit, so the bytes
 * are written once, here.
 *
 * A Toeplitz key made of one repeated 16-bit pattern hashes (a, b) and
 * (b, a) to the same value, so both directions of a flow land on one queue
 * (Woo and Park, "Scalable TCP Session Monitoring with Symmetric RSS").
 */
#ifndef GH_RSS_H
#define GH_RSS_H

#define GH_RSS_KEY_LEN 40

/* clang-format off */
#define GH_RSS_KEY_SYMMETRIC_INIT                                             \
	{                                                                     \
		0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,   \
		0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,   \
		0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,   \
		0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,   \
	}
/* clang-format on */

#endif /* GH_RSS_H */
