/*
 * The Internet checksum (RFC 1071), the lowest layer of lib/net: used by
 * IPv4 and ICMP here and by the layers above through net.h.
 */
#include <rte_ip.h>

#include "common/gh_common.h"
#include "net/net.h"

uint16_t
net_cksum(const void *buf, size_t len)
{
	GH_VERIFY(buf != NULL || len == 0);
	return (uint16_t)~rte_raw_cksum(buf, len);
}
