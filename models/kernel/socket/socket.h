// The socket API applications use (as Linux programs do): connect, listen/accept, send,
// recv, poll-style waiting, close. Every call is a system call on the calling thread's core:
// syscall entry and exit plus the copy of the bytes it moves, charged from the core's cost
// table; `done` runs when the call returns, at the simulated time its work completed.
//
// Blocking is here and only here: a send with no room, a recv with nothing to read and a
// connect in progress park the call on the socket; the stack calls wake() whenever the conn
// may have changed (a packet processed, a timer fired), and the parked call is retried.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/packet.h"
#include "core/stats.h"
#include "kernel/conn/conn.h"
#include "kernel/socket/kbuf.h"
#include "kernel/socket/options.h"
#include "net/result.h"

namespace hostwire::kernel {

class TcpStack;

// An application thread: the core it is pinned to and its identity (going from one thread to
// another on a core costs a context switch).
struct Thread {
  int core = 0;
  int context = 0;
};

// Thread ids of one host's applications (distinct from the kernel's own threads).
class ThreadIds {
 public:
  Thread make(int core) { return Thread{core, next_++}; }

 private:
  int next_ = 1 << 20;
};

class TcpSocket {
 public:
  TcpSocket(TcpStack& stack, Conn& conn, Thread thread);
  ~TcpSocket();
  TcpSocket(const TcpSocket&) = delete;
  TcpSocket& operator=(const TcpSocket&) = delete;

  // What the application can see without a system call (its own state, FIONREAD, SIOCOUTQ).
  bool connected() const;           // ESTABLISHED or CLOSE_WAIT: data may flow
  size_t readable() const;          // in-order bytes waiting to be read
  // For kernel modules (a message framer in the socket's receive path), not a system call:
  // the readable bytes in place, run by run, until `f` returns false; nothing is copied or taken.
  template <class F>
  void peek(F&& f) const { conn_.tcp->peek(std::forward<F>(f)); }
  size_t send_space() const;        // bytes a send would take now
  bool eof() const;                 // the peer closed and every byte was read
  const Conn& conn() const { return conn_; }
  const Thread& thread() const { return thread_; }
  uint64_t bytes_written() const { return written_; }
  uint64_t bytes_read() const { return read_; }

  // Per-workload counters (optional): the calls this socket's application makes, and its
  // wake-ups (a blocked call or a poll resumed by the kernel).
  void count_calls(Counter* c) { calls_ = c; }
  void count_wakeups(Counter* c) { wakeups_ = c; }

  // Active open at the current time; `done` runs when the handshake completes (free: the
  // model charges connect no system call, as the handshake's packets carry the cost).
  void connect(std::function<void()> done);
  // Blocks until connected and there is room, then takes min(data.length, room) bytes.
  // The slice is referenced, not copied (the copy is charged all the same).
  void send(const PayloadSlice& data, std::function<void(size_t taken)> done);
  // As above, copying from the caller's buffer when the call completes (it must stay valid).
  void send(std::span<const uint8_t> data, std::function<void(size_t taken)> done);
  // Blocks until there are bytes to read or the peer closed; reads at most into.size() bytes.
  // `got` is 0 only at end of stream or on an error (error() says which; then the call costs
  // nothing: the wait saw it). In message mode it returns one message (the part that fits in
  // `into` when it is smaller: the rest comes next, message_complete() false until the end);
  // with a delivery condition it blocks until the condition holds.
  void recv(std::span<uint8_t> into, std::function<void(size_t got)> done);
  // Message mode only (recvmmsg-like): up to `max` whole messages that fit in `into`, one system
  // call and one wake-up; their lengths replace `lengths`' contents.
  void recv_batch(std::span<uint8_t> into, uint32_t max, std::vector<uint32_t>& lengths,
                  std::function<void(size_t got)> done);
  // poll(): `ready` runs once, at the next wake-up (data, room, a state change); free.
  void wait(std::function<void()> ready);
  void cancel_wait() { waiter_ = nullptr; }
  // For an event poll (kernel/socket/epoll.h): `ready` runs once, at the next wake-up, without
  // waking the socket's thread (the poll's waiter is woken instead, once for many sockets).
  void watch(std::function<void()> ready) { watcher_ = std::move(ready); }
  // The application hands the socket to another of its threads (an event loop's worker): its
  // calls run there from now on.
  void set_thread(Thread t) { thread_ = t; }
  bool waiting() const { return static_cast<bool>(waiter_); }
  // setsockopt(IPPROTO_TCP, TCP_NODELAY): runts leave at once instead of waiting for Nagle.
  // (Buffer sizes and the other options are host parameters, tcp.*, fixed for the run.)
  void set_nodelay(bool on);
  // The kernel buffering layer (kernel/socket/kbuf.h). Message framing (C) from the first
  // unread byte on: the conn's event list gains the kbuf layer. An invalid setting is refused
  // (EINVAL) with the setting named. Changeable while the conn is open; clear_framing() ends it.
  net::Status set_framing(const MessageFraming& m);
  void clear_framing();
  // A delivery condition (E), from now on; an empty one (no part set) is a plain stream again.
  net::Status set_delivery(const DeliveryCondition& d);
  // Why the last call returned 0 (none at a clean end of stream).
  SocketError error() const { return error_; }
  bool message_mode() const;
  bool message_complete() const { return message_complete_; }  // the last recv ended a message (MSG_EOR)
  uint64_t messages_read() const { return messages_read_; }
  uint64_t kbuf_bytes() const;  // received bytes the kernel holds for this reader, not yet read
  // SO_TIMESTAMPING for received bytes: from enable_rx_timestamps() on, the hardware RX time of
  // the packet that made stream byte `offset` (counted from the first byte read, 0-based)
  // readable; valid for bytes not yet read and those the last call returned.
  void enable_rx_timestamps();
  // The send() whose bytes include stream offset `offset` (its stream id and when it queued
  // them), for the timeline's arrow from a send to the segments carrying it; nullopt: untraced.
  std::optional<std::pair<uint64_t, Time>> trace_sender(uint64_t offset);
  Time rx_timestamp(uint64_t offset) const;
  void close();  // FIN after the queued bytes
  void abort();  // RST

  // From the stack: the conn may have changed; resumes a parked call or waiter.
  void wake();
  // From the kbuf layer: the conn's new in-order bytes (the stack's packet pass) are framed and
  // the kernel cycles it spent charged to the conn; the reader, woken at the end of the pass,
  // takes only what the mode lets it have.
  void on_data(const Input& in);
  // From the stack's socket_deliver layer: a packet was processed (for RX timestamps).
  void note_rx(const Input& in);
  // From the stack: a deadline the socket asked for (deadline()) has come.
  void on_deadline(Time now);
  std::optional<Time> deadline() const;

 private:
  enum class Parked { none, connect, send, send_copy, recv, recv_batch };
  bool try_send();
  bool try_recv();
  bool try_recv_stream();
  bool try_recv_message();
  bool fail_call(SocketError e);  // the parked call returns 0 with `e`
  void took(uint64_t before, size_t got, Time now);  // a recv took `got` bytes from read head `before`
  void drain_unframed();
  void kbuf_changed();  // an option changed: the event list, the bytes already buffered
  void apply(const Kbuf::Outcome& o, Time now);
  void update_held();
  void count_wakeup();
  void submit(Cycles cycles, const char* kind, std::function<void()> done);
  void finish(size_t n);  // the running call returns n

  TcpStack& stack_;
  Conn& conn_;
  Thread thread_;
  Counter* calls_ = nullptr;
  Counter* wakeups_ = nullptr;
  bool woken_ = false;  // the next call resumes a blocked thread: it pays the wake-up
  bool busy_ = false;  // a call is running on the core
  Parked parked_ = Parked::none;
  PayloadSlice send_slice_;
  std::span<const uint8_t> send_bytes_;
  std::span<uint8_t> recv_into_;
  std::function<void(size_t)> call_done_;
  std::function<void()> connect_done_;
  std::function<void()> waiter_;
  std::function<void()> watcher_;
  uint64_t written_ = 0, read_ = 0;
  std::vector<uint32_t>* batch_lengths_ = nullptr;
  uint32_t batch_max_ = 0;
  SocketError error_ = SocketError::none;
  bool message_complete_ = false;
  uint64_t messages_read_ = 0;
  std::unique_ptr<Kbuf> kbuf_;
  int64_t held_ = 0;  // bytes this socket's kbuf holds, as last told to the stack
  bool rx_timestamps_ = false;
  std::deque<std::pair<uint64_t, Time>> rx_marks_;  // (end of the in-order bytes, RX time of the packet)
  // Timeline only (filled while the trace records): which send() queued which bytes, and
  // which segment's bytes wait for the reader.
  struct TraceMark {
    uint64_t begin, end;  // stream offsets of the first byte and after the last
    uint64_t id;   // the send's stream id, or the segment's packet id
    Time at;       // queued in the send buffer / the receive queue
  };
  std::deque<TraceMark> trace_writes_, trace_reads_;
  Time call_at_{};  // the running call was made
  void trace_read();
};

}  // namespace hostwire::kernel
