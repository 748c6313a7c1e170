#include "tools/hostwire/slurm.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include <fmt/format.h>

extern char** environ;

namespace hostwire::cli::slurm {

std::string array_spec(std::vector<size_t> points, std::optional<unsigned> max_parallel) {
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  std::string out;
  for (size_t i = 0; i < points.size();) {
    size_t j = i;
    while (j + 1 < points.size() && points[j + 1] == points[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(points[i]);
    if (j > i) out += "-" + std::to_string(points[j]);
    i = j + 1;
  }
  if (!out.empty() && max_parallel) out += "%" + std::to_string(*max_parallel);
  return out;
}

namespace {
// Hand-written matchers for Slurm's little syntaxes (std::regex would cost a minute of every
// fresh build's compile time for four patterns).
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// Advances `i` over at least `min` and at most `max` digits of `s`.
bool digits(const std::string& s, size_t& i, size_t min = 1, size_t max = std::string::npos) {
  size_t n = 0;
  while (i < s.size() && is_digit(s[i]) && n < max) ++i, ++n;
  return n >= min;
}
bool lower_equals(const std::string& s, const char* word) {
  size_t k = 0;
  for (; word[k]; ++k)
    if (k >= s.size() || std::tolower(static_cast<unsigned char>(s[k])) != word[k]) return false;
  return k == s.size();
}
}  // namespace

std::optional<std::vector<size_t>> parse_array_spec(const std::string& spec_text) {
  const std::string spec = spec_text.substr(0, spec_text.find('%'));
  std::vector<size_t> out;
  std::stringstream ss(spec);
  for (std::string part; std::getline(ss, part, ',');) {
    // N or N-M
    size_t i = 0;
    if (!digits(part, i)) return std::nullopt;
    const size_t dash = i;
    if (i < part.size() && (part[i] != '-' || !digits(part, ++i) || i != part.size())) return std::nullopt;
    const size_t a = std::stoul(part.substr(0, dash));
    const size_t b = dash < part.size() ? std::stoul(part.substr(dash + 1)) : a;
    if (b < a || b - a > 1000000) return std::nullopt;
    for (size_t k = a; k <= b; ++k) out.push_back(k);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string check_partition(const std::string& p) {
  // Names of letters, digits, _ . -, separated by single commas.
  bool ok = !p.empty() && p.front() != ',' && p.back() != ',' && p.find(",,") == std::string::npos;
  for (char c : p)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ',');
  if (ok) return "";
  return "'" + p + "' is not a partition name (letters, digits, _ . -; several separated by commas)";
}

std::string check_time(const std::string& t) {
  // MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS: digits, an optional -digits, then up to
  // two :d or :dd groups.
  size_t i = 0;
  bool ok = digits(t, i);
  if (ok && i < t.size() && t[i] == '-') ok = digits(t, ++i);
  for (int g = 0; ok && g < 2 && i < t.size() && t[i] == ':'; ++g) ok = digits(t, ++i, 1, 2);
  if ((ok && i == t.size()) || lower_equals(t, "unlimited") || lower_equals(t, "infinite")) return "";
  return "'" + t + "' is not a Slurm time limit (MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED)";
}

std::string check_mem(const std::string& m) {
  size_t i = 0;
  bool ok = digits(m, i);
  if (ok && i < m.size() && std::string("KMGTkmgt").find(m[i]) != std::string::npos) ++i;
  if (ok && i == m.size()) return "";
  return "'" + m + "' is not a Slurm memory size (a number of megabytes, or with a unit: 512M, 4G, 1T)";
}

std::string shell_quote(const std::string& a) {
  const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                       "_-./=,:+@") == std::string::npos;
  if (plain) return a;
  std::string q = "'";
  for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

namespace {

std::string join_quoted(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + shell_quote(w);
  return out;
}

// A value on an #SBATCH line: sbatch splits those lines at blanks and honours double quotes
// (not backslashes).
std::string sbatch_value(const std::string& s) {
  if (s.find_first_of(" \t'") == std::string::npos) return s;
  return "\"" + s + "\"";
}

// A path inside an --output filename pattern: a literal '%' is "%%".
std::string pattern_literal(const std::string& v) {
  std::string s;
  for (char c : v) s += c == '%' ? std::string("%%") : std::string(1, c);
  return s;
}

std::string no_newlines(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

}  // namespace

std::string log_name(const std::string& array_job_id, size_t k) {
  return fmt::format("slurm-{}_{}.out", array_job_id, k);
}

std::string render_script(const ScriptSpec& sp) {
  const std::string points_dir = sp.dir + (sp.dir.empty() || sp.dir.back() == '/' ? "" : "/") + "points";
  std::string s = "#!/bin/bash\n";
  s += "# hostwire sweep of " + no_newlines(sp.scenario) + ": " + std::to_string(sp.points) +
       " points; the manifest is " + no_newlines(sp.dir) + "/sweep.json.\n";
  s += "# Written by `hostwire sweep --slurm`. Submit with `sbatch " + no_newlines(shell_quote(sp.dir + "/sweep.sbatch")) +
       "` (or `--submit`).\n";
  s += "# Array task K runs point K:\n#   " +
       no_newlines(join_quoted(sp.run) + " --point K --out " + shell_quote(points_dir) + "/K" +
                   (sp.flags.empty() ? "" : " " + join_quoted(sp.flags))) +
       "\n";
  s += "# and leaves report.json, status.json, stdout.txt, stderr.txt and slurm-JOB_K.out in points/K.\n";
  s += "# Collect with `hostwire sweep --collect DIR`.\n";
  s += "#SBATCH --job-name=" + sbatch_value(sp.job_name) + "\n";
  s += "#SBATCH --array=" + sp.array + "\n";
  s += "#SBATCH --output=" + sbatch_value(pattern_literal(sp.dir_absolute) + "/points/%a/slurm-%A_%a.out") + "\n";
  s += "#SBATCH --ntasks=1\n";
  if (sp.partition) s += "#SBATCH --partition=" + sbatch_value(*sp.partition) + "\n";
  if (sp.time) s += "#SBATCH --time=" + sbatch_value(*sp.time) + "\n";
  if (sp.mem) s += "#SBATCH --mem=" + sbatch_value(*sp.mem) + "\n";
  s += "\nset -u\n";
  s += "K=${SLURM_ARRAY_TASK_ID:?this script is a Slurm array job: submit it with sbatch}\n";
  s += "cd " + shell_quote(sp.cwd) + " || exit 1\n";
  s += "P=" + shell_quote(points_dir) + "/\"$K\"\n";
  s += "mkdir -p \"$P\" || exit 1\n";
  s += "rm -f \"$P/report.json\" \"$P/status.json\"  # a stale report must not pass for this run's\n";
  s += "start=$(date +%s.%N)\n";
  s += join_quoted(sp.run) + " --point \"$K\" --out \"$P\"" + (sp.flags.empty() ? "" : " " + join_quoted(sp.flags)) +
       " </dev/null >\"$P/stdout.txt\" 2>\"$P/stderr.txt\"\n";
  s += "rc=$?\n";
  s += "wall=$(awk -v a=\"$start\" -v b=\"$(date +%s.%N)\" 'BEGIN { printf \"%.3f\", b - a }')\n";
  s += "status=failed\n";
  s += "if [ \"$rc\" -eq 0 ] && [ -f \"$P/report.json\" ]; then status=ok; elif [ \"$rc\" -eq 0 ]; then rc=1; fi\n";
  s += "printf '{\\n  \"point\": %s,\\n  \"status\": \"%s\",\\n  \"exit_code\": %s,\\n  \"wall_seconds\": %s,\\n"
       "  \"slurm_job_id\": \"%s\",\\n  \"slurm_array_job_id\": \"%s\",\\n  \"host\": \"%s\"\\n}\\n' \\\n"
       "  \"$K\" \"$status\" \"$rc\" \"$wall\" \"${SLURM_JOB_ID:-}\" \"${SLURM_ARRAY_JOB_ID:-}\" \"$(hostname -s)\" "
       ">\"$P/status.json.tmp\" && mv \"$P/status.json.tmp\" \"$P/status.json\"\n";
  s += "[ \"$status\" = ok ] || tail -n 20 \"$P/stderr.txt\" >&2\n";
  s += "exit \"$rc\"\n";
  return s;
}

int capture(const std::vector<std::string>& argv, std::string& out, std::string& err, std::string& error) {
  int po[2], pe[2];
  if (pipe2(po, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  if (pipe2(pe, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    close(po[0]), close(po[1]);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(po[1]), close(pe[1]);
  if (rc != 0) {
    close(po[0]), close(pe[0]);
    error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  pollfd fds[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, size_t(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 1;
}

bool is_active(const std::string& state) {
  static const std::set<std::string> active = {"PENDING",   "RUNNING",      "CONFIGURING", "COMPLETING", "SUSPENDED",
                                               "REQUEUED",  "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING",   "SIGNALING",
                                               "STAGE_OUT", "STOPPED",      "RESV_DEL_HOLD"};
  return active.count(state) > 0;
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::stringstream ss(s);
  while (std::getline(ss, item, sep)) out.push_back(item);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}


}  // namespace

void parse_squeue(const std::string& text, std::map<std::pair<std::string, size_t>, TaskState>& into) {
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    auto f = split(trim(line), '|');
    if (f.size() < 3) continue;
    const std::string job = trim(f[0]);
    // %K is one index for a task of its own; a pending remainder that squeue -r still shows
    // as a range ("2-3%1") covers several.
    auto ks = parse_array_spec(trim(f[1]));
    if (!ks) continue;
    // The reason is why a task waits; squeue keeps showing the last one after it ran.
    std::string reason = f.size() > 3 && trim(f[2]) == "PENDING" ? trim(f[3]) : "";
    if (reason == "None") reason.clear();
    for (size_t k : *ks) into[{job, k}] = {trim(f[2]), reason, "squeue"};
  }
}

void parse_sacct(const std::string& text, std::map<std::pair<std::string, size_t>, TaskState>& into) {
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) {
    auto f = split(trim(line), '|');
    if (f.size() < 2) continue;
    // JobID is "J_K" for a task, "J_[2-3%1]" for a pending remainder.
    const std::string id = trim(f[0]);
    const auto us = id.find('_');
    if (us == std::string::npos) continue;
    const std::string job = id.substr(0, us);
    std::string tasks = id.substr(us + 1);
    if (!tasks.empty() && tasks.front() == '[') tasks = tasks.substr(1, tasks.find(']') - 1);
    auto ks = parse_array_spec(tasks);
    if (!ks) continue;
    std::string state = trim(f[1]);
    state = state.substr(0, state.find(' '));  // "CANCELLED by 0"
    const std::string reason = f.size() > 2 && trim(f[2]) != "0:0" ? "exit code " + trim(f[2]) : "";
    for (size_t k : *ks)
      if (!into.count({job, k})) into[{job, k}] = {state, reason, "sacct"};
  }
}

std::map<std::pair<std::string, size_t>, TaskState> query(const std::vector<std::string>& job_ids, std::string& note) {
  std::map<std::pair<std::string, size_t>, TaskState> states;
  if (job_ids.empty()) return states;
  std::string ids;
  for (const auto& j : job_ids) ids += (ids.empty() ? "" : ",") + j;
  std::string out, err, error;
  // -t all: also the tasks that ended within MinJobAge, which slurmctld still remembers.
  int rc = capture({"squeue", "-h", "-r", "-t", "all", "-j", ids, "-o", "%F|%K|%T|%r"}, out, err, error);
  if (rc == 0) {
    parse_squeue(out, states);
  } else if (rc < 0) {
    note = error;
  } else if (err.find("Invalid job id") == std::string::npos) {
    note = "squeue: " + trim(err.empty() ? out : err);
  }
  out.clear(), err.clear(), error.clear();
  rc = capture({"sacct", "-n", "-P", "-X", "-j", ids, "-o", "JobID,State,ExitCode"}, out, err, error);
  if (rc == 0 && out.find("accounting storage is disabled") == std::string::npos) parse_sacct(out, states);
  return states;
}

}  // namespace hostwire::cli::slurm
