// A stream of messages over TCP, one way: the workload of the kernel buffering experiment
// (mechanisms C and E). The producer writes messages in a framing (message_format.h: 4-byte
// length prefix, delimited lines, HTTP/1.1 requests, TLS records) of fixed or drawn sizes, at
// Poisson arrivals or back to back. The consumer reads them in one of three modes:
//   stream     recv(read_size) calls, framing the bytes in user space with the framer the
//              kernel would run, its cycles charged as user-space work (the baseline);
//   message    the kernel frames (set_framing): each recv returns one message, or recv_batch
//              several;
//   condition  a delivery condition (set_delivery) decides when the reader wakes; reads and
//              user-space framing as in stream mode.
// It checks every message it completes (index in sequence, length, body bytes) and records its
// latency from the hardware RX time of its last byte, and from the moment it arose.
// A hostile producer (hostile_stream.h) writes `hostile_after` good messages, then a stream no
// framer can end well, until the consumer resets the conn or `stop`.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>

#include "apps/app.h"
#include "apps/hostile_stream.h"
#include "apps/message_format.h"
#include "apps/message_sizes.h"
#include "apps/message_splitter.h"
#include "core/rng.h"
#include "core/sim.h"
#include "kernel/socket/sockets.h"

namespace hostwire::apps {

class TcpMessageSender {
 public:
  struct Config {
    net::Ipv4Address peer;
    uint16_t port = 5201;
    int core = 0;
    std::shared_ptr<const MessageFormat> format;
    SizeDistribution sizes;  // clamped to [the framing's minimum, format->max_size()]
    double rate = 0;         // messages/s, Poisson; 0: back to back
    Time start{}, stop{};
    bool nodelay = false;    // TCP_NODELAY: each message leaves as it is written, not held by Nagle
    Hostile hostile = Hostile::none;
    uint64_t hostile_after = 10;  // good messages before the hostile stream
  };
  struct Stats {
    Counter* messages = nullptr;  // messages that arose
    Counter* calls = nullptr;
    Counter* bytes = nullptr;     // bytes the send calls took
    Counter* hostile_bytes = nullptr;  // of them, the hostile stream's
    Counter* resets = nullptr;    // conns found reset: the sender stopped writing
  };
  static Stats register_stats(SimContext& ctx, const std::string& name);
  // `rng_stream` names the sender's arrivals; its sizes come from `rng_stream + ".sizes"`, a
  // hostile garbage stream from `rng_stream + ".hostile"`.
  TcpMessageSender(SimContext& ctx, kernel::Sockets& sockets, const Config& c, Stats stats, const std::string& rng_stream);

 private:
  struct Pending {
    uint64_t index;
    Time arose;
    uint64_t size;
  };
  bool arise(Time now);  // false: no more good messages arise (the hostile stream's turn)
  void arrival(Time now);
  void step();
  bool hostile_due() const;
  void write_hostile();
  void sleep();  // until the socket has room or a message arises
  void stopped_by_reset();
  Config c_;
  kernel::TcpSocket& sock_;
  Stats stats_;
  Rng rng_, sizes_rng_, hostile_rng_;
  uint64_t next_index_ = 0;
  std::deque<Pending> queued_;  // messages not yet written in full
  uint64_t offset_ = 0;         // bytes of the first one written
  std::vector<uint8_t> out_;
  std::unique_ptr<PoissonArrivals> arrivals_;
  std::unique_ptr<HostileStream> hostile_;  // once the hostile stream arose
  std::unique_ptr<AppTimer> reset_poll_;    // a hostile sender's poll timeout
  bool reset_ = false;
};

class TcpMessageReceiver {
 public:
  enum class Mode : uint8_t { stream, message, condition };
  struct Config {
    uint16_t port = 5201;
    uint32_t read_size = 65536;  // bytes per recv (stream, condition); message mode reads into max(read_size, max_size)
    std::shared_ptr<const MessageFormat> format;
    Mode mode = Mode::stream;
    uint32_t batch = 1;                   // message mode: messages per recv_batch (1: recv)
    kernel::MessageFraming framing;       // message mode: the policies (its framer is the format's)
    kernel::DeliveryCondition condition;  // condition mode (a `messages` part framed by the format's framer)
  };
  TcpMessageReceiver(SimContext& ctx, kernel::Sockets& sockets, const Config& c, const std::string& name);

  // The byte accounting: every byte read is in a message counted, in one being assembled or
  // awaiting its parse, or in a conn given up (a framing error, a socket error, an early end).
  // Empty when it holds, else what differs.
  std::string accounting() const;
  const Counter& user_cycles() const { return user_cycles_; }

 private:
  struct Completed {
    uint64_t bytes;
    bool intact;
    Time rx;                    // the hardware RX time of its last byte
    std::optional<Time> arose;  // when its header says it arose
  };
  struct Conn {
    explicit Conn(kernel::TcpSocket& s) : sock(s) {}
    kernel::TcpSocket& sock;
    std::vector<uint8_t> buffer;
    std::unique_ptr<MessageSplitter> splitter;  // user-space framing (stream, condition, a fallen-back message conn)
    MessageAssembly assembly;
    uint64_t index = 0;              // the next message's
    uint64_t read = 0;               // bytes read
    uint64_t offset = 0;             // stream offset after the bytes framed (0: the first byte read)
    std::vector<uint32_t> lengths;   // recv_batch's
    std::vector<Completed> ready;    // completed by the last read, counted once parsed
  };
  void accept(kernel::TcpSocket& s);
  void read(Conn& c);
  void on_read(Conn& c, size_t got);
  void piece(Conn& c, std::span<const uint8_t> bytes, bool ends);
  void end(Conn& c);                    // the read returned 0: end of stream or an error
  void give_up(Conn& c);                // the conn's unfinished bytes are dropped
  void deliver(Conn& c);                // the messages of the last read, now in the app's hands
  Counter& error_counter(kernel::SocketError e);

  kernel::Sockets& sockets_;
  Config c_;
  std::string name_;
  Counter& messages_;
  Counter& bytes_;
  Counter& calls_;
  Counter& wakeups_;
  Counter& corrupt_;
  Counter& malformed_;
  Counter& partial_reads_;
  Counter& fallbacks_;
  Counter& user_cycles_;
  Counter *emsgsize_, *eproto_, *etimedout_, *econnreset_;
  Histogram& latency_;
  Histogram& e2e_latency_;
  uint64_t message_bytes_ = 0;  // bytes of the messages counted
  uint64_t dropped_bytes_ = 0;  // bytes of conns given up, not in a message counted
  std::vector<std::unique_ptr<Conn>> conns_;
};

}  // namespace hostwire::apps
