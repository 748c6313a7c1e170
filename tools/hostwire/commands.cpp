#include <cmath>
#include "tools/hostwire/commands.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <unistd.h>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <systemc>

#include "core/log.h"
#include "core/si.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "platforms/catalog.h"
#include "tools/hostwire/diff.h"
#include "tools/hostwire/progress.h"
#include "tools/hostwire/revision.h"
#include "tools/hostwire/sweep.h"
#include "tools/report/html_report.h"

namespace hostwire::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr const char* kVersion = "0.1.0";
constexpr int kExitInterrupted = 130;  // as a shell reports a process ended by SIGINT

// The command line as typed (arguments with spaces or shell characters quoted), for provenance.
std::string g_command_line;

constexpr const char* kUsage = R"(hostwire: cycle-approximate simulator of hosts, NICs and the wire

usage:
  hostwire run SCENARIO [--set key=value]... [--seed N] [--out DIR] [--log who=level]... [--pcap TAP]... [--vcd FILE] [--trace FILE]
                        [--grid key=v1,v2,... --point K] [--progress | --no-progress]
  hostwire check SCENARIO [--set key=value]... [--seed N] [--grid key=v1,v2,...]...
  hostwire sweep SCENARIO [--grid key=v1,v2,...]... [-j N] [--out DIR] [--set key=value]... [--seed N]
  hostwire sweep SCENARIO --slurm [--submit] [--partition P] [--time T] [--mem M] [--max-parallel N] [--grid ...]... [--set ...]... [--seed N] --out DIR
  hostwire sweep --collect DIR
  hostwire diff A B [--tolerance METRIC=X%]... [--default-tolerance X%]
  hostwire params [TERM] [--platform NAME]        (keys whose name or meaning contains TERM)
  hostwire --help | --version

exit status: 0 ok, 2 bad input (scenario file or flags), 1 simulation failure,
             130 interrupted (Ctrl-C: the report so far is written, marked partial)
)";

void print_errors(const std::vector<InputError>& errors) {
  for (const auto& e : errors) std::cerr << e.str() << '\n';
  std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << "; nothing simulated\n";
}

std::string default_out_dir(const std::string& scenario_path) {
  return (fs::path("out") / fs::path(scenario_path).stem()).string();
}

// "a, b,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (char c : text + ",") {
    if (c != ',') {
      if (c != ' ' || !item.empty()) item += c;
      continue;
    }
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
    item.clear();
  }
  return out;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

LoadResult load(const std::string& path, const po::variables_map& vm, const Catalog& catalog) {
  LoadOptions opts;
  if (vm.count("set")) opts.overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("seed")) opts.seed = vm["seed"].as<uint64_t>();
  const auto grid = grid_option(vm);
  auto r = load_with_grid(path, catalog, opts, grid, point_option(vm));
  if (!r.scenario || !vm.count("pcap")) return r;
  // --pcap adds tap points to the scenario's own; reload so they are checked like the file's.
  std::string taps = r.scenario->at("outputs.pcap").text;
  for (const auto& t : vm["pcap"].as<std::vector<std::string>>()) taps += (taps.empty() ? "" : ",") + t;
  opts.overrides.push_back("outputs.pcap=" + taps);
  return load_with_grid(path, catalog, opts, grid, std::nullopt);
}

// The validated scenario, or nothing after printing every problem.
std::optional<Scenario> load_valid(const std::string& path, const po::variables_map& vm, const Catalog& catalog) {
  auto r = load(path, vm, catalog);
  if (!r.scenario) print_errors(r.errors);
  return std::move(r.scenario);
}

// `check` simulates the scenario briefly (outputs off, about a quarter of a wall second) and
// says how long the whole run would take; a long one is a warning, so a typo such as
// duration: 1000s is caught before the run is started.
constexpr double kProbeWallSeconds = 0.25;
constexpr double kLongRunWallSeconds = 60;

void estimate_wall_time(const std::string& path, const po::variables_map& vm, const HostwireCatalog& catalog,
                        size_t points) {
  LoadOptions opts;
  if (vm.count("set")) opts.overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("seed")) opts.seed = vm["seed"].as<uint64_t>();
  for (const char* o : {"outputs.pcap=", "outputs.vcd=", "outputs.trace=false"}) opts.overrides.push_back(o);
  // A sweep's first point stands for every point.
  auto r = load_with_grid(path, catalog, opts, grid_option(vm), points > 1 ? std::optional<size_t>(0) : point_option(vm));
  if (!r.scenario) return;  // validated already; nothing to add
  const Scenario& s = *r.scenario;
  SimContext ctx(s.seed());
  const fs::path scratch = fs::temp_directory_path() / fmt::format("hostwire-check-{}", getpid());
  ctx.set_output_dir(scratch.string());  // nothing should be written; if a model does, it lands here
  try {
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
    auto top = catalog.build(s, ctx);
    const double wall = run_for_wall(s.duration(), kProbeWallSeconds);
    const Time reached = now();
    if (reached.ps <= 0) return;
    const double estimate = wall * s.duration().seconds() / reached.seconds();
    std::cout << fmt::format("{}: {} about {} of wall time ({} simulated s per wall s over the first {})", path,
                             points > 1 ? "a point takes" : "a run takes", format_si(estimate, "s"),
                             format_si(reached.seconds() / wall, "1"), format_si(static_cast<double>(reached.ps), "ps"));
    if (points > 1) std::cout << fmt::format("; {} points, about {} on one core", points, format_si(estimate * points, "s"));
    std::cout << '\n';
    if (estimate > kLongRunWallSeconds)
      std::cerr << fmt::format("{}: warning: the run is long ({} of wall time for duration {}); shorten duration or "
                               "expect to wait\n",
                               path, format_si(estimate, "s"), s.at("duration").text);
  } catch (const std::exception& e) {
    std::cerr << path << ": could not estimate the run's wall time: " << e.what() << '\n';
  }
  std::error_code ec;
  fs::remove_all(scratch, ec);
}

int cmd_check(const std::string& path, const po::variables_map& vm) {
  HostwireCatalog catalog;
  const auto loaded = load_valid(path, vm, catalog);
  if (!loaded) return kExitBadInput;
  const Scenario& s = *loaded;
  std::cout << path << ": ok (platform " << s.platform << ", " << s.workloads.size() << " workloads, duration "
            << s.at("duration").text << ", seed " << s.seed();
  size_t points = 1;
  for (const auto& a : s.sweep) points *= a.values.size();
  if (!s.sweep.empty() && !vm.count("point")) std::cout << ", sweep of " << points << " points";
  std::cout << ")\n";
  estimate_wall_time(path, vm, catalog, vm.count("point") ? 1 : points);
  return kExitOk;
}

// Case-insensitive substring test.
bool contains_text(const std::string& text, const std::string& term) {
  auto lower = [](std::string x) {
    for (char& c : x) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return x;
  };
  return lower(text).find(lower(term)) != std::string::npos;
}

// `hostwire params [TERM]`: every key whose name or meaning contains TERM, under the heading
// of the platform (and workload type) it belongs to, with type, unit, default and range.
int cmd_params(const std::string& term, const po::variables_map& vm) {
  HostwireCatalog catalog;
  std::vector<std::string> plats = catalog.platforms();
  if (vm.count("platform")) {
    std::string p = vm["platform"].as<std::string>();
    if (std::find(plats.begin(), plats.end(), p) == plats.end()) {
      std::string msg = "--platform: unknown platform '" + p + "' (platforms: ";
      for (size_t i = 0; i < plats.size(); ++i) msg += (i ? ", " : "") + plats[i];
      std::cerr << msg << ")\n";
      return kExitBadInput;
    }
    plats = {p};
  }
  size_t shown = 0;
  std::vector<std::string> all_keys;
  std::string pending_heading;  // printed before the first matching key under it
  auto print = [&](const std::vector<ParamSpec>& specs) {
    for (const auto& s : with_item_fields(specs)) {  // a list's item fields as "<list>[].<field>"
      all_keys.push_back(s.key);
      if (!term.empty() && !contains_text(s.key, term) && !contains_text(s.meaning, term)) continue;
      if (shown == 0)
        std::cout << fmt::format("  {:<38} {:<16} {:<10} {:<14} {}\n", "KEY", "TYPE [UNIT]", "DEFAULT", "RANGE", "MEANING");
      if (!pending_heading.empty()) std::cout << pending_heading << '\n', pending_heading.clear();
      ++shown;
      std::string type = type_name(s.type);
      if (*type_unit(s.type)) type += std::string(" [") + type_unit(s.type) + "]";
      std::string def = s.required() ? "(required)" : s.default_text.empty() ? "\"\"" : s.default_text;
      std::string range = range_text(s);
      if (!s.choices.empty()) {
        range.clear();
        for (const auto& x : s.choices) range += (range.empty() ? "" : "|") + x;
      }
      std::string meaning = s.meaning;
      if (s.type == ParamType::List)
        meaning += fmt::format(" (up to {} items, fields {}[].*)", s.max_items, s.key);
      std::cout << fmt::format("  {:<38} {:<16} {:<10} {:<14} {}\n", s.key, type, def, range, meaning);
    }
  };
  pending_heading = "every scenario:";
  std::vector<ParamSpec> g;
  global_params(g);
  print(g);
  for (const auto& p : plats) {
    pending_heading = "platform " + p + ": " + catalog.platform_description(p);
    std::vector<ParamSpec> specs;
    catalog.platform_params(p, specs);
    // outputs.pcap is every scenario's key; what it may name depends on the platform.
    specs.push_back({"outputs.pcap", ParamType::Text, "", "tap points of this platform: " + catalog.platform_taps(p)});
    print(specs);
    for (const auto& t : catalog.workload_types(p)) {
      pending_heading = "platform " + p + ", workload type " + t + " (keys under workloads.<name>.):";
      std::vector<ParamSpec> w;
      catalog.workload_params(p, t, "workloads.<name>.", w);
      print(w);
    }
  }
  if (shown == 0) {
    std::string msg = "hostwire params: no key or meaning contains '" + term + "'";
    if (auto n = nearest(term, all_keys)) msg += " (did you mean '" + *n + "'?)";
    std::cerr << msg << '\n';
    return kExitBadInput;
  }
  return kExitOk;
}

std::string host_name() {
  char buf[256] = {};
  return gethostname(buf, sizeof buf - 1) == 0 ? buf : "unknown";
}

int cmd_run(const std::string& path, const po::variables_map& vm) {
  if (vm.count("grid") && !vm.count("point")) {
    std::cerr << "--grid: run simulates one point of a grid; add --point K, or use hostwire sweep for them all\n";
    return kExitBadInput;
  }
  if (vm.count("progress") && vm.count("no-progress")) {
    std::cerr << "--progress and --no-progress: give one\n";
    return kExitBadInput;
  }
  const ProgressMode progress = vm.count("progress")      ? ProgressMode::always
                                : vm.count("no-progress") ? ProgressMode::never
                                                          : ProgressMode::automatic;
  HostwireCatalog catalog;
  const auto loaded = load_valid(path, vm, catalog);
  if (!loaded) return kExitBadInput;
  const Scenario& s = *loaded;

  std::string log_spec = s.at("outputs.log").text;
  if (vm.count("log"))
    for (const auto& l : vm["log"].as<std::vector<std::string>>()) log_spec += "," + l;
  if (auto err = LogConfig::global().parse(log_spec); !err.empty()) {
    std::cerr << "--log: " << err << '\n';
    return kExitBadInput;
  }
  std::string out_dir = vm.count("out") ? vm["out"].as<std::string>() : s.at("outputs.dir").text;
  if (out_dir.empty()) out_dir = default_out_dir(path);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "--out: cannot create " << out_dir << ": " << ec.message() << '\n';
    return kExitBadInput;
  }

  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  sc_core::sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_DISPLAY | sc_core::SC_THROW);

  const auto wall_start = std::chrono::steady_clock::now();
  const std::string started = utc_now();
  SimContext ctx(s.seed());
  ctx.set_output_dir(out_dir);
  std::vector<std::string> vcd_patterns = split_list(s.at("outputs.vcd").text);
  std::string vcd_path;
  if (vm.count("vcd")) vcd_path = vm["vcd"].as<std::string>();
  else if (!vcd_patterns.empty()) vcd_path = (fs::path(out_dir) / "trace.vcd").string();
  ctx.set_vcd_patterns(vcd_patterns);
  const ParamValue &vcd_start = s.at("outputs.vcd_start"), &vcd_stop = s.at("outputs.vcd_stop");
  if (vcd_stop.integer != 0 && vcd_stop.integer <= vcd_start.integer) {
    std::cerr << vcd_stop.origin << ": outputs.vcd_stop: " << vcd_stop.text << " is not after outputs.vcd_start ("
              << vcd_start.text << ", " << vcd_start.origin << ")\n";
    return kExitBadInput;
  }
  ctx.vcd().set_window(Time{vcd_start.integer}, Time{vcd_stop.integer});
  std::string trace_path;
  if (vm.count("trace")) trace_path = vm["trace"].as<std::string>();
  else if (s.at("outputs.trace").integer) trace_path = (fs::path(out_dir) / "trace.json").string();
  std::unique_ptr<sc_core::sc_module> top;
  std::unique_ptr<Sampler> sampler;
  bool interrupted = false;
  try {
    top = catalog.build(s, ctx);
    // A --log rule must name a component the scenario built (a typo would silently log nothing).
    if (auto err = LogConfig::global().unknown_components(); !err.empty()) {
      std::cerr << "--log: " << err << '\n';
      return kExitBadInput;
    }
    sampler = std::make_unique<Sampler>("sampler", ctx, Time{s.at("outputs.timeseries_interval").integer});
    if (!vcd_path.empty()) {
      std::string error;
      if (!ctx.vcd().open(vcd_path, error)) {
        std::cerr << "--vcd: " << error << '\n';
        return kExitBadInput;
      }
    }
    if (!trace_path.empty()) {
      TraceLimits limits{Time{s.at("outputs.trace_start").integer}, Time{s.at("outputs.trace_stop").integer},
                         s.at("outputs.trace_sample").integer, s.at("outputs.trace_sample_by").text == "flow",
                         s.at("outputs.trace_max_events").integer};
      std::string error;
      if (!ctx.trace().open(trace_path, limits, error)) {
        std::cerr << "--trace: " << error << '\n';
        return kExitBadInput;
      }
    }
    interrupted = run_to(s.duration(), progress);
    ctx.run_end_hooks();
    if (ctx.trace().is_open() && !ctx.trace().close()) throw std::runtime_error("cannot finish " + trace_path);
    if (ctx.trace().truncated())
      std::cerr << "warning: " << trace_path << " is truncated: recording stopped at outputs.trace_max_events = "
                << s.at("outputs.trace_max_events").integer
                << " (narrow outputs.trace_start/trace_stop, raise outputs.trace_sample or trace_max_events)\n";
    if (ctx.vcd().is_open() && !ctx.vcd().close(now())) throw std::runtime_error("cannot finish " + vcd_path);
  } catch (const std::exception& e) {
    std::cerr << path << ": simulation failed: " << e.what() << '\n';
    return kExitSimFailure;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const auto broken = ctx.check_invariants();

  nlohmann::ordered_json report;
  report["hostwire"] = {{"version", kVersion}};
  report["provenance"] = {{"command_line", g_command_line},
                          {"overrides", vm.count("set") ? vm["set"].as<std::vector<std::string>>() : std::vector<std::string>{}},
                          {"version", kVersion},
                          {"revision", source_revision()},
                          {"host", host_name()},
                          {"date", started}};
  if (interrupted)
    report["partial"] = {{"reason", "interrupted (SIGINT)"},
                         {"simulated", {{"value", now().ps}, {"unit", "ps"}}},
                         {"of", {{"value", s.duration().ps}, {"unit", "ps"}}}};
  report["scenario"] = s.to_json();
  report["seed"] = s.seed();
  report["simulated_time"] = {{"value", now().ps}, {"unit", "ps"}, {"text", format_si(static_cast<double>(now().ps), "ps")}};
  report["kernel"] = {{"delta_cycles", sc_core::sc_delta_count()},
                      {"process_activations", ctx.activations()},
                      {"packets_created", ctx.next_packet_id() - 1}};
  report["invariants"] = {{"violations", broken}};
  {
    auto& files = report["outputs"] = nlohmann::ordered_json::object();
    files["report"] = "report.json";
    files["timeseries"] = "timeseries.csv";
    files["html"] = "report.html";
    // Relative to DIR where inside it, so the report does not depend on where DIR is.
    auto in_out_dir = [&](const std::string& p) {
      auto rel = fs::path(p).lexically_relative(out_dir);
      return rel.empty() || *rel.begin() == ".." ? p : rel.string();
    };
    if (!vcd_path.empty()) files["vcd"] = in_out_dir(vcd_path);
    if (!trace_path.empty()) {
      files["trace"] = in_out_dir(trace_path);
      files["trace_events"] = ctx.trace().events();
      files["trace_truncated"] = ctx.trace().truncated();
    }
    auto taps = split_list(s.at("outputs.pcap").text);
    for (const auto& t : taps) files["pcap"].push_back(t + ".pcap");
  }
  report["metrics"] = ctx.stats().metrics_json();
  report["wall"] = {{"started_utc", started},
                    {"seconds", wall},
                    {"wall_seconds_per_simulated_second", wall / std::max(1e-12, now().seconds())}};
  const std::string report_path = (fs::path(out_dir) / "report.json").string();
  std::ofstream(report_path) << report.dump(2) << '\n';
  const std::string csv_path = (fs::path(out_dir) / "timeseries.csv").string();
  if (!ctx.stats().write_timeseries_csv(csv_path)) std::cerr << "cannot write " << csv_path << '\n';
  std::string html_error;
  if (!write_html_report((fs::path(out_dir) / "report.html").string(), report, ctx.stats(), html_error))
    std::cerr << html_error << '\n';

  std::cout << fmt::format("{}: simulated {}{} in {} wall; report: {}\n", path, format_si(static_cast<double>(now().ps), "ps"),
                           interrupted ? " (interrupted: partial report)" : "", format_si(wall, "s"), report_path);
  for (const auto& w : s.workloads) {
    const auto& m = ctx.stats();
    const std::string p = w.prefix();
    const Histogram* lat = m.find_histogram(p + "latency");
    // Frame workloads count frames, UDP streams datagrams, request/response responses, message
    // streams messages.
    std::string rate = "";
    for (auto [metric, unit] : {std::pair{"rx_datagram_rate", "datagrams/s"}, std::pair{"rx_frame_rate", "frames/s"},
                                std::pair{"response_rate", "responses/s"}, std::pair{"message_rate", "messages/s"}})
      if (!std::isnan(m.value(p + metric))) {
        rate = ", " + format_si(m.value(p + metric), unit);
        break;
      }
    const std::string latency =
        lat && lat->count() ? fmt::format(", latency p50 {} p99 {}", format_si(static_cast<double>(lat->quantile(0.5)), "ps"),
                                          format_si(static_cast<double>(lat->quantile(0.99)), "ps"))
                            : "";
    std::cout << fmt::format("  {}: {}{}{}\n", w.name, format_si(m.value(p + "rx_throughput"), "bit/s"), rate, latency);
  }
  for (const auto& b : broken) std::cerr << "invariant violated: " << b << '\n';
  if (interrupted) return kExitInterrupted;
  return broken.empty() ? kExitOk : kExitSimFailure;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()("help,h", "this help")("version", "print the version")(
      "set", po::value<std::vector<std::string>>()->composing(), "override a parameter: key=value (repeatable)")(
      "seed", po::value<uint64_t>(), "scenario seed (overrides the file's)")(
      "out", po::value<std::string>(), "output folder (default: outputs.dir, else out/<scenario name>)")(
      "log", po::value<std::vector<std::string>>()->composing(), "log level per component: who=level (repeatable)")(
      "pcap", po::value<std::vector<std::string>>()->composing(), "capture a tap point to DIR/<tap>.pcap (repeatable)")(
      "vcd", po::value<std::string>(), "write waveforms to FILE (signals: outputs.vcd patterns, else all)")(
      "trace", po::value<std::string>(), "write the per-packet timeline (Perfetto/Chrome JSON) to FILE")(
      "progress", "run: draw the progress line on stderr even when it is not a terminal")(
      "no-progress", "run: never draw the progress line")(
      "platform", po::value<std::string>(), "params: list only this platform")(
      "grid", po::value<std::vector<std::string>>()->composing(), "run/check/sweep: sweep axis key=v1,v2,... (repeatable)")(
      "point", po::value<size_t>(), "run/check: only point K of the sweep (0-based)")(
      "jobs,j", po::value<unsigned>(), "sweep: points run at a time (default: number of cores)")(
      "collect", po::value<std::string>(), "sweep: merge DIR/points/*/report.json into DIR/sweep.csv and sweep.html")(
      "slurm", "sweep: write DIR/sweep.sbatch, a Slurm array job of the points not yet ok (docs/cluster.md)")(
      "submit", "sweep --slurm: submit it with sbatch and print the job id")(
      "partition", po::value<std::string>(), "sweep --slurm: #SBATCH --partition")(
      "time", po::value<std::string>(), "sweep --slurm: #SBATCH --time, per point (e.g. 30, 1:00:00)")(
      "mem", po::value<std::string>(), "sweep --slurm: #SBATCH --mem, per point (e.g. 2G)")(
      "max-parallel", po::value<unsigned>(), "sweep --slurm: points Slurm runs at a time (--array=...%N)")(
      "tolerance", po::value<std::vector<std::string>>()->composing(), "diff: METRIC=X% or METRIC=ignore, * globs (repeatable)")(
      "default-tolerance", po::value<std::string>(), "diff: tolerance of every other value (default 0%)");
  po::options_description hidden;
  hidden.add_options()("command", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("command", 1).add("args", -1);

  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:@%+") ==
                                         std::string::npos;
    if (!plain) {  // single-quoted for a POSIX shell, ' written as '\''
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    g_command_line += (i ? " " : "") + a;
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hostwire: " << e.what() << "\n\n" << kUsage;
    return kExitBadInput;
  }
  if (vm.count("help")) {
    std::cout << kUsage << '\n' << opts;
    return kExitOk;
  }
  if (vm.count("version")) {
    std::cout << "hostwire " << kVersion << " (SystemC " << sc_core::sc_release() << ")\n";
    return kExitOk;
  }
  if (!vm.count("command")) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  const std::string cmd = vm["command"].as<std::string>();
  std::vector<std::string> args;
  if (vm.count("args")) args = vm["args"].as<std::vector<std::string>>();
  auto need_one = [&](const char* what) {
    if (args.size() == 1) return true;
    std::cerr << "hostwire " << cmd << ": expected " << what << (args.empty() ? "" : ", got several") << "\n\n" << kUsage;
    return false;
  };
  if (cmd == "run") return need_one("one SCENARIO file") ? cmd_run(args[0], vm) : kExitBadInput;
  if (cmd == "check") return need_one("one SCENARIO file") ? cmd_check(args[0], vm) : kExitBadInput;
  if (cmd == "sweep") return cmd_sweep(args, vm);
  if (cmd == "diff") return cmd_diff(args, vm);
  if (cmd == "params") {
    if (args.size() > 1) {
      std::cerr << "hostwire params: expected at most one TERM\n";
      return kExitBadInput;
    }
    return cmd_params(args.empty() ? "" : args[0], vm);
  }
  std::cerr << "hostwire: unknown command '" << cmd << "' (run, check, params, sweep, diff)\n\n" << kUsage;
  return kExitBadInput;
}

}  // namespace hostwire::cli
