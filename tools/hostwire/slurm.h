// Slurm support for `hostwire sweep --slurm`: the array-job script, array specs, checks of the
// #SBATCH option values, and asking sbatch / squeue / sacct. No Slurm library is linked: the
// client commands are run as processes, as a user would. See docs/cluster.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hostwire::cli::slurm {

// "0-3", "1,3", "0-2,5,7-9", with "%N" appended when max_parallel is given. `points` need not
// be sorted; duplicates are ignored. Empty for no points.
std::string array_spec(std::vector<size_t> points, std::optional<unsigned> max_parallel);

// The inverse of array_spec (the "%N" suffix, if any, is ignored). nullopt when malformed.
std::optional<std::vector<size_t>> parse_array_spec(const std::string& spec);

// Checks of the values given to --partition, --time and --mem: empty when fine, else what is
// wrong (without the flag's name).
std::string check_partition(const std::string& p);  // name[,name...]: letters, digits, _ . -
std::string check_time(const std::string& t);       // minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]], UNLIMITED
std::string check_mem(const std::string& m);        // N or N{K,M,G,T}

// A word quoted for bash (left as is when it needs no quoting).
std::string shell_quote(const std::string& word);

struct ScriptSpec {
  std::string scenario;           // as given, for the header comment
  std::string job_name;           // --job-name
  std::string array;              // the --array spec, e.g. "0-3%2"
  std::string cwd;                // absolute: the task cd's here, so relative paths mean what they meant
  std::string dir;                // the sweep folder as given (relative to cwd, or absolute)
  std::string dir_absolute;       // for #SBATCH --output, which Slurm resolves itself
  std::vector<std::string> run;   // exe, "run", SCENARIO: the command before --point
  std::vector<std::string> flags; // the sweep's --grid/--set/--log/--pcap/--seed flags, after --out
  std::optional<std::string> partition, time, mem;
  size_t points = 0;              // points in the sweep (for the header)
};

// The text of DIR/sweep.sbatch: #SBATCH lines (--partition/--time/--mem only when given), then
// a task body that runs `RUN --point $K --out DIR/points/$K FLAGS` with stdout/stderr in
// DIR/points/K and writes DIR/points/K/status.json. Slurm's own log: DIR/points/K/slurm-J_K.out.
std::string render_script(const ScriptSpec& spec);

// The file name of point K's Slurm log inside DIR/points/K.
std::string log_name(const std::string& array_job_id, size_t k);

// Runs argv (looked up in PATH) and captures its output. Returns the exit status (a signal
// gives 128+N), or -1 with `error` set when it cannot be started.
int capture(const std::vector<std::string>& argv, std::string& out, std::string& err, std::string& error);

// A point's state as Slurm reports it.
struct TaskState {
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, ...
  std::string reason;  // squeue's reason for a pending task, sacct's exit code, ...
  std::string source;  // "squeue" or "sacct"
};

// True for states in which the task may still write its point (pending, running, ...).
bool is_active(const std::string& state);

// The states of the array tasks of the given array job ids, from `squeue -r -t all` and, for
// tasks squeue no longer knows, `sacct` (when accounting is configured). Keyed by (job id,
// task index). `note` gets a one-line explanation when a command could not be asked.
std::map<std::pair<std::string, size_t>, TaskState> query(const std::vector<std::string>& job_ids, std::string& note);

// Parses squeue -h -r -o "%F|%K|%T|%r" and sacct -n -P -X -o JobID,State,ExitCode output
// (exposed for tests).
void parse_squeue(const std::string& text, std::map<std::pair<std::string, size_t>, TaskState>& into);
void parse_sacct(const std::string& text, std::map<std::pair<std::string, size_t>, TaskState>& into);

}  // namespace hostwire::cli::slurm
