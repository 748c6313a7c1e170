// The in-kernel HTTP transport (mechanism G): clients on a star fetch objects from a one-core
// server through the host's HTTP module (path kernel) or from the daemon alone (daemon_only).
// Every request is answered once, in order, with its object's exact body, and tshark's HTTP
// dissector counts the requests hostwire counts; with every object cached and the server
// CPU-bound the module serves at least twice the daemon's rate; with nothing cached it costs a
// little; the two cross at a low hit ratio; the cache obeys each advisory flag; bad requests
// get 400 and 431 from the module; the trace shows each request's preempt indicators and
// response identifier. Each simulation runs in its own child process.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/scenario_metrics.h"
#include "support/tshark.h"

using namespace hostwire;

namespace web_cache_test {

const std::vector<std::string> kWebMetrics = {
    "workloads.web.requests", "workloads.web.responses", "workloads.web.bad_responses", "workloads.web.failed",
    "workloads.web.conns",
    "workloads.web.errors_expected", "workloads.web.response_rate", "workloads.web.hit_ratio",
    "workloads.web.server_cycles_per_request", "workloads.web.responses_module", "workloads.web.responses_daemon",
    "workloads.web.daemon.requests", "workloads.web.daemon.errors", "server.cpu.utilisation", "server.http.requests",
    "server.http.hits", "server.http.misses", "server.http.advisory_upcalls", "server.http.advisory_replace",
    "server.http.advisory_flush", "server.http.advisory_temp", "server.http.responses_cache",
    "server.http.responses_daemon", "server.http.errors_400", "server.http.errors_431", "server.http.cache_entries",
    "server.http.preempt_to_daemon", "server.http.preempt_to_module", "server.http.discarded_bytes"};

// `clients` client hosts (two cores each) and a one-core server on a 10 Gbit/s switch; the web
// workload's keys in `web` (a YAML flow-map body), `host` the hosts' parameters.
std::string web_yaml(int clients, const std::string& web, const std::string& duration, const std::string& host = "",
                     const std::string& outputs = "") {
  return "platform: star\nduration: " + duration + "\nseed: 3\nparameters:\n  hosts:\n"
         "    - {name: server, cores: 1, rings: 1}\n    - {name: client, count: " + std::to_string(clients) +
         ", cores: 2}\n  link: {rate: 10Gbps, propagation: 1us}\n" + (host.empty() ? "" : "  host: " + host + "\n") +
         "workloads:\n  - {name: web, type: web, from: client, to: server, " + web + "}\n" + outputs;
}

nlohmann::json web_run(int clients, const std::string& web, const std::string& duration, const std::string& host = "",
                       const std::string& dir = "", const std::string& outputs = "") {
  return hostwire::testing::metrics_in_child(web_yaml(clients, web, duration, host, outputs), "web_cache_test.yaml",
                                             kWebMetrics, dir);
}

double web_metric(const nlohmann::json& r, const std::string& k) { return r.at(k).is_null() ? -1 : r.at(k).get<double>(); }

// Every request answered with the right body or still in flight, none failed, no invariant broken.
void expect_clean(const nlohmann::json& r) {
  ASSERT_TRUE(r.contains("broken")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  EXPECT_EQ(web_metric(r, "workloads.web.bad_responses"), 0);
  EXPECT_EQ(web_metric(r, "workloads.web.failed"), 0);
}

std::string web_dir(const std::string& tag) {
  const auto d = std::filesystem::temp_directory_path() / ("hostwire_web_" + tag + "_" + std::to_string(getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

// Eight uniformly popular objects, every response with ADVISE, the daemon answering each
// advisory upcall with `reply`; the clients stop half a millisecond early so every count settles.
nlohmann::json advisory_run(const std::string& reply) {
  return web_run(2, "objects: 8, object_size: 512B, alpha: 0, concurrency: 4, advise_fraction: 1, advisory_reply: " +
                        reply + ", stop: 2500us", "3ms");
}

// Small objects, all cached after their first miss: the server core is the bottleneck.
const std::string kAllCached = "objects: 16, object_size: 512B, alpha: 0, concurrency: 32";

}  // namespace web_cache_test

using namespace web_cache_test;

TEST(WebCache, EveryRequestIsAnsweredOnceInOrderAndTsharkCountsTheSameRequests) {
  const std::string dir = web_dir("tshark");
  // Pipelined keep-alive conns (4 requests outstanding each) and lognormal sizes, some over a
  // segment: responses queue behind misses and leave in request order.
  const auto r = web_run(2, "objects: 40, sizes: lognormal, object_size: 3KiB, pipeline: 4, concurrency: 8, stop: 2500us", "3ms",
                         "", dir, "outputs: {pcap: [link_server.a_to_b, link_server.b_to_a]}\n");
  expect_clean(r);
  ASSERT_GT(web_metric(r, "workloads.web.responses"), 150);
  // The clients stopped half a millisecond before the end: everything they asked was answered.
  EXPECT_EQ(web_metric(r, "workloads.web.responses"), web_metric(r, "workloads.web.requests"));
  EXPECT_GT(web_metric(r, "server.http.hits"), 0);
  EXPECT_GT(web_metric(r, "server.http.misses"), 0);
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  // Which file holds the requests: the direction with frames to port 80.
  int64_t requests = 0, responses = 0, malformed = 0;
  for (const char* tap : {"link_server.a_to_b", "link_server.b_to_a"}) {
    const auto rows = hostwire::testing::tshark_fields(dir + "/" + tap + ".pcap",
                                                       {"http.request", "http.response", "_ws.malformed"},
                                                       "-o tcp.desegment_tcp_streams:TRUE");
    ASSERT_TRUE(rows.has_value()) << tap;
    // A frame holding several pipelined messages lists the field once per message.
    auto count = [](const std::string& cell) { return cell.empty() ? 0 : 1 + std::count(cell.begin(), cell.end(), ','); };
    for (const auto& row : *rows) {
      requests += count(row[0]);
      responses += count(row[1]);
      malformed += !row[2].empty();
    }
  }
  EXPECT_EQ(malformed, 0);
  EXPECT_EQ(requests, static_cast<int64_t>(web_metric(r, "server.http.requests")));
  EXPECT_EQ(responses, static_cast<int64_t>(web_metric(r, "server.http.responses_cache") + web_metric(r, "server.http.responses_daemon")));
  std::filesystem::remove_all(dir);
}

TEST(WebCache, TheDaemonAloneAnswersEveryRequestToo) {
  const auto r = web_run(2, "path: daemon_only, objects: 40, sizes: lognormal, object_size: 3KiB, pipeline: 4, "
                            "concurrency: 8", "3ms");
  expect_clean(r);
  EXPECT_GT(web_metric(r, "workloads.web.responses"), 100);
  EXPECT_EQ(web_metric(r, "workloads.web.responses_module"), 0);
  EXPECT_NEAR(web_metric(r, "workloads.web.daemon.requests"), web_metric(r, "workloads.web.responses"), 8 * 4 * 2);
}

TEST(WebCache, CachedResponsesServeAtLeastTwiceTheDaemonRateOnABusyServer) {
  const auto kernel = web_run(8, kAllCached, "20ms");
  const auto daemon = web_run(8, "path: daemon_only, " + kAllCached, "20ms");
  expect_clean(kernel);
  expect_clean(daemon);
  EXPECT_GT(web_metric(kernel, "workloads.web.hit_ratio"), 0.95);
  EXPECT_GT(web_metric(kernel, "server.cpu.utilisation"), 0.95);  // CPU-bound, both
  EXPECT_GT(web_metric(daemon, "server.cpu.utilisation"), 0.95);
  const double ratio = web_metric(kernel, "workloads.web.response_rate") / web_metric(daemon, "workloads.web.response_rate");
  EXPECT_GE(ratio, 2.0);
  EXPECT_LE(ratio, 4.0);  // published in-kernel servers: 2-3x on cached content
  std::printf("hit ratio %.3f: kernel %.0f req/s, daemon only %.0f req/s, %.2fx\n", web_metric(kernel, "workloads.web.hit_ratio"),
              web_metric(kernel, "workloads.web.response_rate"), web_metric(daemon, "workloads.web.response_rate"), ratio);
}

TEST(WebCache, WithNothingCachedTheModuleCostsLittleOverTheDaemonAlone) {
  const auto kernel = web_run(8, kAllCached, "10ms", "{http: {cache_size: 0B}}");
  const auto daemon = web_run(8, "path: daemon_only, " + kAllCached, "10ms");
  expect_clean(kernel);
  expect_clean(daemon);
  EXPECT_EQ(web_metric(kernel, "workloads.web.responses_module"), 0);
  EXPECT_EQ(web_metric(kernel, "server.http.preempt_to_daemon"), web_metric(kernel, "server.http.requests"));
  const double overhead = 1 - web_metric(kernel, "workloads.web.response_rate") / web_metric(daemon, "workloads.web.response_rate");
  EXPECT_GT(overhead, 0.0);   // every miss pays the module and the channel
  EXPECT_LT(overhead, 0.25);  // and that is small next to the daemon's own work
  std::printf("hit ratio 0: the module path serves %.1f %% fewer requests/s (%.0f vs %.0f cycles/request)\n",
              100 * overhead, web_metric(kernel, "workloads.web.server_cycles_per_request"),
              web_metric(daemon, "workloads.web.server_cycles_per_request"));
}

TEST(WebCache, TheKernelPathOvertakesTheDaemonAtALowHitRatio) {
  // Uniform popularity over 64 objects, the least popular `nocache_fraction` never cached: the
  // hit ratio is about 1 - nocache_fraction.
  const std::string base = "objects: 64, object_size: 512B, alpha: 0, concurrency: 32";
  const auto daemon = web_run(8, "path: daemon_only, " + base, "10ms");
  const auto low = web_run(8, base + ", nocache_fraction: 0.95", "10ms");
  const auto high = web_run(8, base + ", nocache_fraction: 0.6", "10ms");
  expect_clean(low);
  expect_clean(high);
  const double d = web_metric(daemon, "workloads.web.response_rate");
  EXPECT_LT(web_metric(low, "workloads.web.hit_ratio"), 0.1);
  EXPECT_GT(web_metric(high, "workloads.web.hit_ratio"), 0.3);
  EXPECT_LT(web_metric(low, "workloads.web.response_rate"), d);   // below the crossover: the daemon alone is faster
  EXPECT_GT(web_metric(high, "workloads.web.response_rate"), d);  // above it: the module is
  std::printf("daemon only %.0f req/s; kernel %.0f req/s at hit ratio %.3f, %.0f at %.3f\n", d,
              web_metric(low, "workloads.web.response_rate"), web_metric(low, "workloads.web.hit_ratio"),
              web_metric(high, "workloads.web.response_rate"), web_metric(high, "workloads.web.hit_ratio"));
}

TEST(WebCache, AdviseMakesEveryLaterHitAskTheDaemonFirst) {
  const auto r = advisory_run("none");
  expect_clean(r);
  const double upcalls = web_metric(r, "server.http.advisory_upcalls");
  EXPECT_GT(upcalls, 100);
  // Each hit on an ADVISE entry went up first and, answered none, came from the cache.
  EXPECT_EQ(web_metric(r, "server.http.hits"), upcalls);
  EXPECT_EQ(web_metric(r, "server.http.responses_cache"), upcalls);
  EXPECT_EQ(web_metric(r, "workloads.web.daemon.requests"), web_metric(r, "server.http.misses") + upcalls);
  // Without the flag no hit asks.
  const auto plain = web_run(2, "objects: 8, object_size: 512B, alpha: 0, concurrency: 4", "3ms");
  EXPECT_EQ(web_metric(plain, "server.http.advisory_upcalls"), 0);
  EXPECT_GT(web_metric(plain, "server.http.hits"), 100);
}

TEST(WebCache, ReplaceAnswersWithTheNewDataAndKeepsItCached) {
  const auto r = advisory_run("replace");
  expect_clean(r);
  const double upcalls = web_metric(r, "server.http.advisory_upcalls");
  EXPECT_GT(upcalls, 100);
  EXPECT_EQ(web_metric(r, "server.http.advisory_replace"), upcalls);
  EXPECT_EQ(web_metric(r, "server.http.responses_cache"), 0);  // every answer carried the daemon's new data
  EXPECT_LE(web_metric(r, "server.http.misses"), 8 * 4 * 2);  // the replaced entries stayed: only cold misses
  EXPECT_EQ(web_metric(r, "server.http.cache_entries"), 8);
}

TEST(WebCache, FlushDropsTheResponseSoTheNextRequestMisses) {
  const auto r = advisory_run("flush");
  expect_clean(r);
  const double flushes = web_metric(r, "server.http.advisory_flush");
  EXPECT_GT(flushes, 50);
  EXPECT_EQ(web_metric(r, "server.http.responses_cache"), 0);
  // After each flush the object is fetched again: misses follow flushes, not just the cold ones.
  EXPECT_GT(web_metric(r, "server.http.misses"), flushes * 0.9);
  EXPECT_GT(web_metric(r, "server.http.misses"), 8 * 4 * 2);
}

TEST(WebCache, TempAnswersWithTheDaemonsDataAndLeavesTheCacheAlone) {
  const auto r = advisory_run("temp");
  expect_clean(r);
  const double upcalls = web_metric(r, "server.http.advisory_upcalls");
  EXPECT_GT(upcalls, 100);
  EXPECT_EQ(web_metric(r, "server.http.advisory_temp"), upcalls);
  EXPECT_EQ(web_metric(r, "server.http.responses_cache"), 0);
  EXPECT_LE(web_metric(r, "server.http.misses"), 8 * 4 * 2);  // the entries stayed
  EXPECT_EQ(web_metric(r, "server.http.cache_entries"), 8);
}

TEST(WebCache, BadRequestsGet400And431FromTheModuleAndTheConnCloses) {
  for (const std::string path : {"kernel", "daemon_only"}) {
    const auto bad = web_run(2, "path: " + path + ", objects: 8, object_size: 512B, concurrency: 4, bad_every: 5, stop: 2500us", "3ms");
    const auto longh = web_run(2, "path: " + path + ", objects: 8, object_size: 512B, concurrency: 4, bad_every: 5, "
                                  "bad: long_header, stop: 2500us", "3ms");
    expect_clean(bad);
    expect_clean(longh);
    const double expected400 = web_metric(bad, "workloads.web.errors_expected");
    const double expected431 = web_metric(longh, "workloads.web.errors_expected");
    EXPECT_GT(expected400, 20) << path;
    EXPECT_GT(expected431, 20) << path;
    EXPECT_GT(web_metric(bad, "workloads.web.responses"), 4 * expected400 * 0.8) << path;  // the good ones still flow
    if (path == "kernel") {
      EXPECT_EQ(web_metric(bad, "server.http.errors_400"), expected400);
      EXPECT_EQ(web_metric(longh, "server.http.errors_431"), expected431);
      EXPECT_EQ(web_metric(bad, "workloads.web.daemon.requests"), web_metric(bad, "server.http.misses"));  // the daemon never saw them
    } else {
      EXPECT_EQ(web_metric(bad, "workloads.web.daemon.errors"), expected400);
      EXPECT_EQ(web_metric(longh, "workloads.web.daemon.errors"), expected431);
    }
  }
}

TEST(WebCache, TheTraceShowsEachRequestsPreemptIndicatorsAndResponseId) {
  const std::string dir = web_dir("trace");
  const std::string path = dir + "/trace.json";
  const auto r = hostwire::testing::in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto l = load_scenario_text(web_yaml(1, "objects: 4, object_size: 512B, concurrency: 2", "1ms"), "web.yaml", catalog);
    if (!l.scenario) return {};
    SimContext ctx(l.scenario->seed());
    std::string error;
    if (!ctx.trace().open(path, TraceLimits{}, error)) return {{"error", error}};
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(l.scenario->duration()));
    ctx.run_end_hooks();
    ctx.trace().close();
    return {{"requests", ctx.stats().value("server.http.requests")}};
  });
  ASSERT_TRUE(r.contains("requests")) << r.dump();
  std::ifstream in(path);
  const auto trace = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(trace.is_discarded());
  const auto& events = trace.is_array() ? trace : trace.at("traceEvents");
  int misses = 0, hits = 0, total = 0;
  for (const auto& e : events) {
    if (e.value("cat", "") != "http") continue;
    ++total;
    const auto& a = e.at("args");
    EXPECT_GT(a.at("response_id").get<uint64_t>(), 0u) << e.dump();
    if (a.at("source") == "daemon") {
      ++misses;  // processing went to the daemon and came back with the response
      EXPECT_TRUE(a.at("preempt_to_daemon").get<bool>()) << e.dump();
      EXPECT_TRUE(a.at("preempt_to_module").get<bool>()) << e.dump();
    } else {
      ++hits;  // the module answered alone
      EXPECT_EQ(a.at("source"), "cache");
      EXPECT_FALSE(a.at("preempt_to_daemon").get<bool>()) << e.dump();
    }
  }
  EXPECT_GT(misses, 0);
  EXPECT_GT(hits, 0);
  // Requests still unanswered at the end have no slice yet.
  EXPECT_LE(total, r["requests"].get<double>());
  EXPECT_GE(total, r["requests"].get<double>() - 2);
  std::filesystem::remove_all(dir);
}

TEST(WebCache, OneConnPerRequestAndPoissonArrivalsAreAnsweredToo) {
  for (const std::string path : {"kernel", "daemon_only"}) {
    const auto per_conn = web_run(2, "path: " + path + ", objects: 40, keep_alive: false, concurrency: 8, stop: 2500us",
                                  "3ms");
    web_cache_test::expect_clean(per_conn);
    EXPECT_GT(web_metric(per_conn, "workloads.web.responses"), 100) << path;
    EXPECT_EQ(web_metric(per_conn, "workloads.web.responses"), web_metric(per_conn, "workloads.web.requests")) << path;
    EXPECT_EQ(web_metric(per_conn, "workloads.web.conns"), web_metric(per_conn, "workloads.web.requests")) << path;
    const auto poisson = web_run(2, "path: " + path + ", objects: 40, rate: 40000, pipeline: 4, stop: 2500us", "3ms");
    web_cache_test::expect_clean(poisson);
    // 2 clients x 40,000/s x 2.5 ms: about 200 arrivals.
    EXPECT_NEAR(web_metric(poisson, "workloads.web.requests"), 200, 50) << path;
    EXPECT_EQ(web_metric(poisson, "workloads.web.responses"), web_metric(poisson, "workloads.web.requests")) << path;
  }
}
