// Opening a connection: the three-way handshake and its option negotiation (RFC 9293 3.5,
// RFC 7323, RFC 2018), simultaneous open, SYN loss and give-up, refusal.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using engine_test::make_segment;
using engine_test::take;

TEST(TcpHandshake, AllOptionsNegotiated) {
  TcpParams p;
  Connection a(p, nullptr, 1000, 40000, 80), b(p, nullptr, 7000, 80, 0);
  std::vector<std::string> sa, sb;
  a.on_state_change = [&](State, State to, Time) { sa.push_back(state_name(to)); };
  b.on_state_change = [&](State, State to, Time) { sb.push_back(state_name(to)); };
  b.open_passive();
  a.open_active(Time{});
  auto first = take(a);
  ASSERT_EQ(first.size(), 1u);
  const net::TcpHeader& h = first[0].header;
  EXPECT_EQ(h.flags, syn);
  EXPECT_EQ(h.seq, 1000u);
  EXPECT_EQ(h.window, 65535);  // never scaled in a SYN
  EXPECT_EQ(h.options.mss, 1460);
  EXPECT_EQ(h.options.window_scale, 7);  // 6 MiB >> 7 = 49152 fits 16 bits
  EXPECT_TRUE(h.options.sack_permitted);
  ASSERT_TRUE(h.options.timestamps);
  EXPECT_EQ(h.options.timestamps->tsecr, 0u);

  b.on_segment(first[0], Time::from_us(10));
  auto synack = take(b);
  ASSERT_EQ(synack.size(), 1u);
  const net::TcpHeader& k = synack[0].header;
  EXPECT_EQ(k.flags, syn | ack);
  EXPECT_EQ(k.seq, 7000u);
  EXPECT_EQ(k.ack, 1001u);
  EXPECT_EQ(k.dst_port, 40000);  // learnt from the SYN
  EXPECT_EQ(k.options.mss, 1460);
  EXPECT_EQ(k.options.window_scale, 7);
  EXPECT_TRUE(k.options.sack_permitted);
  ASSERT_TRUE(k.options.timestamps);
  EXPECT_EQ(k.options.timestamps->tsecr, h.options.timestamps->tsval);

  a.on_segment(synack[0], Time::from_us(20));
  auto third = take(a);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].header.flags, ack);
  EXPECT_EQ(third[0].header.seq, 1001u);
  EXPECT_EQ(third[0].header.ack, 7001u);
  EXPECT_EQ(third[0].header.window, 6 * 1024 * 1024 >> 7);  // the whole buffer, scaled
  b.on_segment(third[0], Time::from_us(30));
  EXPECT_EQ(a.state(), State::established);
  EXPECT_EQ(b.state(), State::established);
  for (Connection* c : {&a, &b}) {
    EXPECT_TRUE(c->sack_enabled());
    EXPECT_TRUE(c->timestamps_enabled());
    EXPECT_TRUE(c->window_scaling_enabled());
    EXPECT_EQ(c->send_mss(), 1448u);  // 1460 - 12 bytes of timestamps
    EXPECT_EQ(c->send_window_shift(), 7);
  }
  EXPECT_EQ(a.srtt(), Time::from_us(20));  // SYN -> SYN-ACK
  EXPECT_EQ(b.srtt(), Time::from_us(20));  // SYN-ACK -> ACK
  EXPECT_EQ(b.snd_wnd(), uint64_t{49152} << 7);
  EXPECT_EQ(sa, (std::vector<std::string>{"SYN_SENT", "ESTABLISHED"}));
  EXPECT_EQ(sb, (std::vector<std::string>{"LISTEN", "SYN_RCVD", "ESTABLISHED"}));
}

TEST(TcpHandshake, PeerWithoutOptions) {
  TcpParams pa, pb;
  pb.sack = false;
  pb.timestamps = false;
  pb.window_scaling = false;
  pb.mss = Bytes{1000};
  Connection a(pa, nullptr, 1000, 40000, 80), b(pb, nullptr, 7000, 80, 40000);
  b.open_passive();
  a.open_active(Time{});
  b.on_segment(take(a)[0], Time::from_us(10));
  auto synack = take(b);
  const net::TcpOptions& o = synack[0].header.options;
  EXPECT_EQ(o.mss, 1000);
  EXPECT_FALSE(o.window_scale);
  EXPECT_FALSE(o.sack_permitted);
  EXPECT_FALSE(o.timestamps);
  a.on_segment(synack[0], Time::from_us(20));
  auto third = take(a);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_FALSE(third[0].header.options.timestamps);  // not negotiated: never sent again
  EXPECT_EQ(third[0].header.window, 65535);          // unscaled, capped
  b.on_segment(third[0], Time::from_us(30));
  for (Connection* c : {&a, &b}) {
    EXPECT_FALSE(c->sack_enabled());
    EXPECT_FALSE(c->timestamps_enabled());
    EXPECT_FALSE(c->window_scaling_enabled());
    EXPECT_EQ(c->send_window_shift(), 0);
    EXPECT_EQ(c->receive_window_shift(), 0);
    EXPECT_EQ(c->send_mss(), 1000u);  // min(1460, 1000), no option overhead
  }
}

TEST(TcpHandshake, MissingMssOptionMeans536) {
  Connection a(TcpParams{}, nullptr, 1000, 40000, 80);
  a.open_active(Time{});
  take(a);
  a.on_segment(make_segment(9000, 1001, syn | ack), Time::from_us(5));
  EXPECT_EQ(a.state(), State::established);
  EXPECT_EQ(a.send_mss(), 536u);  // RFC 9293 3.7.1 default; no timestamps either
  EXPECT_FALSE(a.timestamps_enabled());
}

TEST(TcpHandshake, SimultaneousOpen) {
  TcpParams p;
  Connection a(p, nullptr, 1000, 5000, 6000), b(p, nullptr, 7000, 6000, 5000);
  std::vector<std::string> sa;
  a.on_state_change = [&](State, State to, Time) { sa.push_back(state_name(to)); };
  a.open_active(Time{});
  b.open_active(Time{});
  auto syn_a = take(a), syn_b = take(b);
  a.on_segment(syn_b[0], Time::from_us(10));
  b.on_segment(syn_a[0], Time::from_us(10));
  EXPECT_EQ(a.state(), State::syn_rcvd);
  EXPECT_EQ(b.state(), State::syn_rcvd);
  auto sa2 = take(a), sb2 = take(b);
  ASSERT_EQ(sa2.size(), 1u);
  EXPECT_EQ(sa2[0].header.flags, syn | ack);
  EXPECT_EQ(sa2[0].header.seq, 1000u);
  EXPECT_EQ(sa2[0].header.ack, 7001u);
  a.on_segment(sb2[0], Time::from_us(20));
  b.on_segment(sa2[0], Time::from_us(20));
  EXPECT_EQ(a.state(), State::established);
  EXPECT_EQ(b.state(), State::established);
  EXPECT_EQ(sa, (std::vector<std::string>{"SYN_SENT", "SYN_RCVD", "ESTABLISHED"}));
  // Data flows afterwards.
  const uint8_t msg[5] = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_EQ(a.send(msg, Time::from_us(30)), 5u);
  auto data = take(a);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].header.seq, 1001u);
  b.on_segment(data[0], Time::from_us(40));
  uint8_t got[8] = {};
  EXPECT_EQ(b.receive(got, Time::from_us(41)), 5u);
  EXPECT_EQ(std::string(got, got + 5), "hello");
}

TEST(TcpHandshake, LostSynIsRetransmittedAfterTheInitialRto) {
  TcpParams p;
  harness::Pipe pipe(p, p);
  std::vector<Time> syn_times;
  pipe.on_wire = [&](const Segment& s, harness::Dir d, Time t) {
    if (d == harness::Dir::a_to_b && s.has(syn)) syn_times.push_back(t);
  };
  pipe.drop = [](const Segment& s, harness::Dir d, uint64_t i) { return d == harness::Dir::a_to_b && i == 0; };
  pipe.connect();
  ASSERT_TRUE(pipe.run_until([&] { return pipe.a.state() == State::established; }, Time::from_s(5)));
  EXPECT_EQ(syn_times, (std::vector<Time>{Time{}, Time::from_s(1)}));
  EXPECT_EQ(pipe.a.retransmitted_segments(), 1u);
  EXPECT_EQ(pipe.a.srtt(), Time{});  // Karn: no sample from a repeated SYN
}

TEST(TcpHandshake, UnansweredSynGivesUpAfterSynRetries) {
  TcpParams p;
  Connection a(p, nullptr, 1000, 40000, 80);
  a.open_active(Time{});
  int syns = static_cast<int>(take(a).size());
  Time t{};
  while (a.state() != State::closed) {
    t = *a.next_timer();
    a.on_timer(t);
    syns += static_cast<int>(take(a).size());
    if (a.state() == State::closed) {
      EXPECT_EQ(a.next_timer(), std::nullopt);
    }
  }
  EXPECT_EQ(syns, 7);  // the SYN and syn_retries = 6 repeats, at 1+2+4+...+32 s
  EXPECT_EQ(a.close_reason(), CloseReason::timed_out);
  EXPECT_EQ(t, Time::from_s(127));  // the last SYN's 64 s ran out
}

TEST(TcpHandshake, RefusedByRstFromAClosedPort) {
  Connection a(TcpParams{}, nullptr, 1000, 40000, 80);
  a.open_active(Time{});
  auto syn_seg = take(a);
  auto rst_seg = make_rst_reply(syn_seg[0]);  // what the peer's stack sends: no listener
  ASSERT_TRUE(rst_seg);
  EXPECT_EQ(rst_seg->header.flags, rst | ack);
  EXPECT_EQ(rst_seg->header.seq, 0u);
  EXPECT_EQ(rst_seg->header.ack, 1001u);  // SEG.SEQ + SEG.LEN (the SYN counts one)
  EXPECT_EQ(rst_seg->header.src_port, 80);
  EXPECT_EQ(rst_seg->header.dst_port, 40000);
  a.on_segment(*rst_seg, Time::from_us(10));
  EXPECT_EQ(a.state(), State::closed);
  EXPECT_EQ(a.close_reason(), CloseReason::refused);
}

TEST(TcpHandshake, RstReplyRules) {
  Segment with_ack = make_segment(5, 777, ack, 100, 10);
  auto r1 = make_rst_reply(with_ack);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->header.flags, rst);
  EXPECT_EQ(r1->header.seq, 777u);  // <SEQ=SEG.ACK><CTL=RST>
  Segment fin_no_ack = make_segment(0xFFFFFFF0u, 0, fin, 100, 20);
  auto r2 = make_rst_reply(fin_no_ack);
  EXPECT_EQ(r2->header.ack, 0xFFFFFFF0u + 21u);  // wraps; FIN counts one
  EXPECT_FALSE(make_rst_reply(make_segment(1, 2, rst)));  // never answer a RST
}

TEST(TcpHandshake, AckInListenGetsRst) {
  Connection b(TcpParams{}, nullptr, 7000, 80, 0);
  b.open_passive();
  b.on_segment(make_segment(5, 4242, ack), Time{});
  auto out = take(b);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].header.flags, rst);
  EXPECT_EQ(out[0].header.seq, 4242u);
  EXPECT_EQ(b.state(), State::listen);
}

}  // namespace
}  // namespace hostwire::tcp
