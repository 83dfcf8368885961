/* Internal to the broker module: a loopback TCP relay that makes a fixed port
 * (e.g. 9092) reach the mock cluster's ephemeral listener. Clients bootstrap
 * through the relay, then follow the metadata to the broker's own address. */
#ifndef WR_BROKER_RELAY_H
#define WR_BROKER_RELAY_H

#include <stddef.h>

typedef struct wr_relay wr_relay;

/* Listens on 127.0.0.1:port (and [::1]:port when available); port 0 picks a free
 * port, reported by wr_relay_port. Forwards every connection to target_port on
 * 127.0.0.1. Returns NULL with errstr filled on failure. */
wr_relay *wr_relay_start(int port, int target_port, char *errstr, size_t errlen);
int wr_relay_port(const wr_relay *r);
/* Closes the listeners and every relayed connection, then frees the relay. */
void wr_relay_stop(wr_relay *r);

#endif
