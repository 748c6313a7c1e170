// The kernel buffering layer of a socket (mechanisms C and E): it frames a conn's in-order
// received bytes where they lie in the TCP receive queue (nothing is copied until the reader's
// recv), and decides when the reader may have them: one whole message at a time (message
// framing), or when an application-given delivery condition holds. Held bytes stay in the
// receive queue, so they count against the receive buffer and the advertised window shrinks
// as a real stack's does.
//
// Plain C++: the socket (socket.h) calls it from the kbuf layer of the conn's event list and
// from its own calls; it returns the cycles its scanning cost for the stack to charge.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "core/units.h"
#include "cpu/params.h"
#include "kernel/socket/options.h"
#include "net/framers/framer.h"

namespace hostwire::kernel {

// The in-order received bytes a conn holds unread (the TCP receive queue), as kbuf reads them:
// run by run from the first unread byte, in place.
class HeldBytes {
 public:
  using Visit = std::function<bool(std::span<const uint8_t>)>;  // false: stop
  virtual ~HeldBytes() = default;
  virtual uint64_t readable() const = 0;
  virtual void peek(const Visit& f) const = 0;
  virtual uint64_t window() const = 0;  // bytes the window we advertised still lets the peer send
};

// Finds message boundaries in the in-order bytes past `start`, feeding each byte to the framer
// once however the bytes arrive. Offsets are stream offsets of the bytes the reader sees (0 is
// the first byte it reads).
class MessageScanner {
 public:
  struct Message {
    uint64_t start = 0;
    uint64_t length = 0;
  };
  struct Scan {
    uint64_t examined = 0;  // bytes the framer looked at
    uint32_t found = 0;     // messages completed
    const char* error = nullptr;
    bool oversize = false;  // the error is a length over the limit (EMSGSIZE), not malformed input
  };

  MessageScanner(const net::framers::FramerSpec& spec, uint64_t start);
  // Frames what `q` holds: `head` is the stream offset of its first unread byte.
  // A message longer than `limit` (the receive buffer: it could never complete) is oversize.
  Scan advance(const HeldBytes& q, uint64_t head, uint64_t limit);
  // The stream ended: a message that ends at the close (an HTTP response without a length).
  Scan finish(uint64_t end);

  const std::deque<Message>& messages() const { return messages_; }
  void pop() { messages_.pop_front(); }
  // Offset where the message being assembled began, and whether any of its bytes are there.
  uint64_t assembling_start() const { return msg_start_; }
  bool assembling(uint64_t end) const { return end > msg_start_; }
  bool failed() const { return failed_; }

 private:
  std::unique_ptr<net::framers::Framer> framer_;
  std::deque<Message> messages_;  // complete, not yet taken
  uint64_t msg_start_;
  uint64_t scanned_;               // bytes before this were fed
  std::optional<uint64_t> length_;  // the framer told the assembling message's length
  bool failed_ = false;
};

class Kbuf {
 public:
  // What the reader may take next in message mode: `length` bytes from the read head, the
  // whole of a message or (after an assembly timeout that delivers) a part of one.
  struct Piece {
    uint64_t length = 0;
    bool complete = true;
  };
  // The outcome of new bytes or a deadline: cycles the kernel spent, and any error the policy
  // turned it into (the socket fails the reader's next call and resets the conn).
  struct Outcome {
    Cycles cycles{};
    uint32_t messages = 0;
    SocketError error = SocketError::none;
    bool malformed = false, oversize = false, timed_out = false;
    bool fell_back = false;  // framing gave way to a plain stream (policy `stream`)
  };

  // `mss`: the receiver's segment size, for when the window can no longer open (below).
  Kbuf(const cpu::CostTable& costs, uint64_t rcvbuf, uint64_t mss = 1460)
      : costs_(costs), rcvbuf_(rcvbuf), window_step_(std::min(rcvbuf / 2, mss)) {}

  void set_framing(const MessageFraming& m, uint64_t head);
  void clear_framing() { framing_.reset(); scanner_.reset(); pieces_.clear(); }
  void set_condition(const DeliveryCondition& d, uint64_t head, uint64_t end, Time now);
  bool framing() const { return framing_.has_value(); }
  bool active() const { return framing_ || condition_.any(); }

  // New in-order bytes: [head, head + readable) is what the conn holds unread.
  Outcome on_bytes(const HeldBytes& q, uint64_t head, Time now);
  // The peer's FIN: a message that ends at the close completes; bytes of an unfinished one are
  // dropped (returned: the socket counts them).
  uint64_t on_eof(uint64_t head, uint64_t end);
  Outcome on_deadline(const HeldBytes& q, uint64_t head, Time now);
  std::optional<Time> deadline() const;

  // Message mode: the next piece for the reader, if one is ready.
  std::optional<Piece> next_piece() const;
  const std::deque<Piece>& pieces() const { return pieces_; }
  // The reader took `n` bytes; the read head is now `head`.
  void consumed(uint64_t n, uint64_t head, uint64_t readable, Time now);

  // Delivery condition: may the reader have the bytes now?
  bool condition_holds(uint64_t readable) const;

 private:
  void take_messages(Outcome& o);
  void arm_assembly(uint64_t end, Time now);
  void restart_timeout(uint64_t readable, Time now);

  const cpu::CostTable& costs_;
  uint64_t rcvbuf_;
  // Receiver silly-window avoidance opens a shut window only by this much at least: an unfinished
  // message in a shut window leaving less free room, with nothing framed for the reader to take,
  // can never end.
  uint64_t window_step_;
  // Message framing.
  std::optional<MessageFraming> framing_;
  std::unique_ptr<MessageScanner> scanner_;
  std::deque<Piece> pieces_;
  uint64_t piece_read_ = 0;  // bytes of pieces_.front() already read
  uint64_t handed_ = 0;      // bytes of the assembling message handed up as partial pieces
  std::optional<Time> assembly_deadline_;
  // Delivery condition.
  DeliveryCondition condition_;
  std::unique_ptr<MessageScanner> counter_;    // counts whole messages for `messages`
  std::unique_ptr<MessageScanner> delimiter_;  // finds the delimiter for `delimiter`
  uint64_t head_ = 0;
  std::optional<Time> condition_deadline_;
  bool timed_out_ = false;  // the condition's timeout passed since the last read
};

}  // namespace hostwire::kernel
