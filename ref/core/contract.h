/*
 * contract.h - what every protocol core of peershake promises, written once.
 *
 * A core (btc/handshake.h struct btc_hs, noise/peer.h struct noise_peer, and
 * the next one) is a sans-I/O state machine in the shape of OpenSSH's
 * ssh_api.h (ssh_input_append / ssh_packet_next / ssh_output_ptr /
 * ssh_output_consume): bytes in, events out, a bounded output queue the
 * caller drains, plus ngtcp2-style expiry. No socket, clock or RNG inside:
 * time comes in as now_ns (monotonic) on every call, randomness through the
 * RNG callback of its configuration. Each core PREFIX provides, with these
 * meanings and nothing else:
 *
 *   PREFIX_init(core, role, cfg, now_ns)   set up; an initiator queues its
 *                                          first message
 *   PREFIX_input(core, now_ns, data, len)  all len bytes consumed. Returns
 *                                          PS_OK, or the PS_ERR_* that ended
 *                                          the exchange during this call.
 *                                          Input after the end is ignored
 *                                          and returns PS_OK.
 *   PREFIX_next_event(core, &ev)           true and *ev while events wait
 *   PREFIX_output(core, &p) -> n           the bytes waiting to be sent
 *   PREFIX_consume(core, n)                n of them were sent
 *   PREFIX_expiry(core) -> ns              when handle_expiry is due: while
 *                                          pending, the deadline; after a
 *                                          success, when something the
 *                                          core does late is due (Bitcoin:
 *                                          a delayed injection), asked
 *                                          while the connection lingers;
 *                                          UINT64_MAX for never (so after
 *                                          a success with nothing to do,
 *                                          and after the end); later than
 *                                          now_ns after handle_expiry
 *   PREFIX_handle_expiry(core, now_ns)     apply the deadline; after a
 *                                          success, do what is due (never
 *                                          a timeout: a success stands)
 *   PREFIX_close(core, reason)             the connection ended underneath
 *   PREFIX_outcome(core) -> ps_outcome     PENDING until the exchange ends
 *   PREFIX_error(core)                     PS_OK, or the PS_ERR_* that ended
 *                                          it (also after a success that a
 *                                          later rule broke)
 *   PREFIX_ended(core)                     true once no more input is taken
 *   PREFIX_note(core)                      the core's words on why it ended
 *                                          (static text) or NULL
 *   PREFIX_waiting_for(core)               what the exchange waits for now
 *                                          ("version", "message 2"), or NULL
 *   PREFIX_events_lost(core)               events dropped because the ring
 *                                          was full (the final SUCCESS or
 *                                          FAILED never is)
 *
 * Events carry the same fields in every core (net/session.h struct
 * net_event, which the adapters in net/cores.c fill from each core's own
 * event): the message's name, length and bytes on the wire, an error and
 * a static note, and a nonce where the protocol's message has one to log
 * (Bitcoin's ping and pong; none in Noise).
 *
 * Nothing outside a core's own folder reads its struct's fields: every
 * question has an accessor.
 *
 * The SOCKS5 client (core/socks5.h) is shaped the same way without the
 * clock (the session's deadline covers it) and with one difference that
 * its place under a protocol forces: its input takes bytes only up to the
 * end of the proxy's last reply and says how many, since what follows
 * belongs to the protocol core above it.
 */
#ifndef PS_CORE_CONTRACT_H
#define PS_CORE_CONTRACT_H

/* How an exchange ended. PARTIAL is Bitcoin's "their version, no verack";
 * a core that has no such state never returns it. */
enum ps_outcome { PS_PENDING, PS_SUCCESS, PS_PARTIAL, PS_FAILED };

/* "PENDING", "SUCCESS", "PARTIAL", "FAILED". Never NULL. */
const char *ps_outcome_name(enum ps_outcome o);

#endif
