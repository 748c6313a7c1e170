// Parameters of one host's TCP (the kernel registers them under "<host>.tcp."). Defaults
// are Linux's: tcp_rmem/tcp_wmem maxima, 200 ms minimum RTO, 40 ms delayed ACK, 60 s
// TIME_WAIT, initial window 10 (RFC 6928), CUBIC.
#pragma once

#include <cstdint>
#include <string>

#include "core/params.h"
#include "core/units.h"

namespace hostwire::tcp {

struct TcpParams {
  // MSS option we advertise: the largest payload we accept in a segment without TCP options,
  // MTU 1500 - 20 (IPv4) - 20 (TCP). The effective send MSS is min(peer's, ours) less the
  // 12 bytes of the timestamps option when it is negotiated: 1448 by default. Not a scenario
  // key: a host derives it from its link's MTU (one value in one place).
  Bytes mss{1460};
  bool sack = true;
  bool timestamps = true;
  bool window_scaling = true;
  bool nagle = true;
  Bytes sndbuf{4 * 1024 * 1024};
  Bytes rcvbuf{6 * 1024 * 1024};
  Time delayed_ack = Time::from_ms(40);
  int64_t ack_every = 2;
  Time rto_min = Time::from_ms(200);
  Time rto_max = Time::from_s(120);
  Time rto_initial = Time::from_s(1);
  Time msl = Time::from_s(30);
  // Linux net.ipv4.tcp_reordering: how much reordering the sender tolerates in what the receiver
  // reports (its duplicate ACKs and SACK blocks) before it declares a hole lost.
  int64_t reordering = 3;
  std::string congestion = "cubic";
  int64_t initial_window = 10;
  int64_t syn_retries = 6;
  int64_t retries = 15;
  // Largest segment handed to the NIC for TSO (0: software segmentation). Not a scenario key:
  // a host sets it from nic.tso and nic.tso_max_size.
  Bytes tso_max{0};
  // TCP small queues (Linux net.ipv4.tcp_limit_output_bytes): the most a conn may have below it
  // in the qdisc, driver and NIC; the host enforces it (kernel/conn), the engine only obeys.
  Bytes limit_output_bytes{1 << 20};

  template <class V>
  void visit(V& v) {
    v(sack, "sack", "offer selective acknowledgements (RFC 2018) and recover losses from them (RFC 6675)");
    v(timestamps, "timestamps", "offer the timestamps option (RFC 7323): RTT measurement and PAWS");
    v(window_scaling, "window_scaling", "offer window scaling (RFC 7323) so windows can exceed 64 KiB");
    v(nagle, "nagle", "hold a small segment while data is unacknowledged (RFC 896); false is TCP_NODELAY");
    v(sndbuf, "sndbuf", "send buffer: bytes the application may have queued and unacknowledged",
      Limits::range(2048, 1LL << 31));
    v(rcvbuf, "rcvbuf", "receive buffer: bytes held for the application, bounding the advertised window",
      Limits::range(2048, 1LL << 30));
    v(delayed_ack, "delayed_ack", "longest time an ACK for in-order data may wait for a second segment",
      Limits::range(0, 500e9));
    v(ack_every, "ack_every", "full-sized segments (count) received before an ACK is sent at once",
      Limits::range(1, 64));
    v(rto_min, "rto_min", "lower bound of the retransmission timeout (Linux: 200 ms)", Limits::positive());
    v(rto_max, "rto_max", "upper bound of the retransmission timeout after backoff", Limits::positive());
    v(rto_initial, "rto_initial", "retransmission timeout before the first RTT sample (RFC 6298: 1 s)",
      Limits::positive());
    v(msl, "msl", "maximum segment lifetime; TIME_WAIT lasts twice this", Limits::non_negative());
    v(reordering, "reordering", "reordering tolerated (Linux tcp_reordering): duplicate ACKs (count) or SACKed "
      "segments above a hole that declare it lost; raise it where the path reorders (parallel send)",
      Limits::range(1, 1000));
    v.choice(congestion, "congestion", "congestion control algorithm", {"newreno", "cubic"});
    v(initial_window, "initial_window", "initial congestion window in segments (count)", Limits::range(1, 1000));
    v(syn_retries, "syn_retries", "SYN retransmissions (count) before an active open fails",
      Limits::range(0, 255));
    v(retries, "retries", "consecutive timeouts (count) of the same data before the connection is dropped",
      Limits::range(1, 255));
    v(limit_output_bytes, "limit_output_bytes", "TCP small queues: a conn keeps at most about 1 ms of its pacing "
      "rate (at least two super-frames) below it in the qdisc, driver and NIC, capped by this (Linux "
      "tcp_limit_output_bytes); 0B: no limit", Limits::range(0, 1LL << 31));
  }
};

}  // namespace hostwire::tcp
