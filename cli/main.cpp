// The tessera command line. Every failure prints one line naming the file and
// the problem and exits non-zero; outputs are written whole or not at all.
#include <CLI/CLI.hpp>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <map>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "io/atomic_file.hpp"
#include "tessera/tessera.hpp"

namespace {

// What every command that reads image files takes: which page or overview.
struct InputArgs {
  int page = -1, level = 0;
  std::string palette = "indices";

  void add_to(CLI::App* cmd) {
    cmd->add_option("--page", page, "open this page of every input TIFF (0-based; default: the image, a volume "
                                    "if it has several full-size pages)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--level", level, "open this overview of every input TIFF (1: the largest; a COG's)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--palette", palette, "a palette TIFF: indices (default) or rgb (expanded through its map)");
  }
  tessera::Image open(const std::string& path) const {
    tessera::OpenOptions o;
    o.page = page;
    o.level = level;
    o.palette = palette;
    return tessera::open(path, o);
  }
};

// What every command that writes a file takes.
struct OutputArgs {
  std::string path, dtype, compression = "none", layout = "auto";
  std::vector<std::string> metadata;  // KEY=VALUE, KEY= (removes), or none
  int threads = 0;
  static constexpr int kUnset = std::numeric_limits<int>::min();
  int quality = kUnset, compress_level = kUnset;
  bool progress = false, cog = false;
  std::string overview_resampling = "average";

  void add_to(CLI::App* cmd, bool positional_output = false) {
    if (!positional_output)
      cmd->add_option("-o,--output", path, "the output file (.tif, .tiff, .png, .jpg or .npy)")->required();
    cmd->add_option("--dtype", dtype, "output dtype (tessera's rounding rule: nearest, ties to even, saturate)");
    cmd->add_option("--compression", compression, "TIFF compression: none, deflate, lzw, zstd, packbits");
    cmd->add_option("--threads", threads, "threads (default: all cores)")->check(CLI::Range(1, 1024));
    cmd->add_flag("--progress", progress, "show a progress bar on stderr");
    cmd->add_option("--metadata", metadata,
                    "TIFF: set a tag, KEY=VALUE (numbers separated by commas); KEY= removes it; 'none' writes no "
                    "metadata. By default the first input file's is kept (tessera info lists it)");
    cmd->add_option("--layout", layout, "TIFF, a 3-D output: auto, samples (height, width, samples) or pages");
    cmd->add_option("--quality", quality, "JPEG: 1 (smallest) to 100 (best); default 90");
    cmd->add_option("--compress-level", compress_level, "PNG: zlib level 0 (fastest) to 9 (smallest); default 6");
    cmd->add_flag("--cog", cog, "TIFF: a Cloud-Optimised GeoTIFF (tiled, internal overviews, GDAL's layout)");
    cmd->add_option("--overview-resampling", overview_resampling, "--cog's overviews: average (default) or nearest");
  }

  // Computes `image` into the output, streaming.
  void save(tessera::Image image) const {
    if (!dtype.empty()) image = image.astype(tessera::parse_dtype(dtype));
    tessera::SaveOptions o;
    o.compression = compression;
    o.threads = threads;
    o.layout = layout;
    if (quality != kUnset) o.quality = quality;
    if (compress_level != kUnset) o.compress_level = compress_level;
    o.cog = cog;
    o.overview_resampling = overview_resampling;
    if (!metadata.empty()) {
      tessera::Metadata m = image.metadata();
      for (const std::string& spec : metadata) {
        const auto eq = spec.find('=');
        if (spec == "none") {
          m.clear();
          continue;
        }
        if (eq == std::string::npos || eq == 0)
          throw tessera::ValueError("--metadata takes KEY=VALUE, KEY= or none, got '" + spec + "'");
        const std::string key = spec.substr(0, eq), value = spec.substr(eq + 1);
        if (value.empty()) {
          if (!tessera::metadata_tag(key)) tessera::check_metadata(key, tessera::MetaValue{});
          m.erase(key);
        } else {
          m[key] = tessera::metadata_from_text(key, value);
        }
      }
      o.metadata = std::move(m);
    }
    if (progress) {
      o.progress = [name = path, last = -1](double fraction) mutable {
        const int percent = static_cast<int>(fraction * 100);
        if (percent == last) return;
        last = percent;
        std::fprintf(stderr, "\r%s [%-25s] %3d%%", name.c_str(), std::string(percent / 4, '#').c_str(), percent);
        if (percent >= 100) std::fputc('\n', stderr);
        std::fflush(stderr);
      };
    }
    tessera::save(image, path, o);
  }
};

int cmd_info(const std::string& path) {
  const tessera::FileInfo f = tessera::file_info(path);
  std::cout << path << ": " << f.format << ", shape " << tessera::shape_to_string(f.shape) << ", dtype "
            << tessera::dtype_name(f.dtype);
  if (f.format == "tiff") {
    std::cout << ", " << f.pages << (f.pages == 1 ? " page" : " pages") << ", " << f.layout << ", compression "
              << f.compression << (f.bigtiff ? ", BigTIFF" : "");
  } else {
    std::cout << ", " << f.layout;
  }
  std::cout << "\n";
  for (const auto& [name, value] : f.metadata) {
    std::string text = tessera::metadata_to_text(value);
    if (text.size() > 200) text = text.substr(0, 200) + "... (" + std::to_string(text.size()) + " characters)";
    for (auto& c : text)
      if (c == '\n') c = ' ';
    std::cout << "  " << name << ": " << text << "\n";
  }
  return 0;
}

int cmd_eval(const std::string& expr, const std::vector<std::string>& inputs, const tessera::Boundary& boundary,
             const InputArgs& in, const OutputArgs& out) {
  tessera::Variables vars;
  for (const auto& spec : inputs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw tessera::ValueError("--input takes NAME=FILE, got '" + spec + "'");
    vars.emplace(spec.substr(0, eq), in.open(spec.substr(eq + 1)));
  }
  out.save(tessera::expression(expr, vars, boundary));
  return 0;
}

// ---- registered operations: one subcommand each, made from the registry ----

// Words spelled either way on the command line: enhanced-lee == enhanced_lee.
std::string underscored(std::string s) {
  for (auto& c : s)
    if (c == '-') c = '_';
  return s;
}

// A result dtype an operation applies itself ("output", "dtype"): given by --dtype.
bool is_dtype_param(const tessera::ParamSpec& p) {
  return p.kind == tessera::ParamKind::DType && (p.name == "output" || p.name == "dtype");
}

// A registered operation's subcommand: one positional file per image
// parameter, then one per result; an option per other parameter, each kept
// as the word typed and parsed by the registry (so every check and message
// is the registry's). An operation with an "output" dtype takes it from --dtype.
struct OperationCommand {
  const tessera::Operation* op = nullptr;
  CLI::App* cmd = nullptr;
  std::map<std::string, std::string> images;        // parameter -> path
  std::map<std::string, std::vector<std::string>> stacks;  // parameter -> paths
  std::map<std::string, std::string> words;         // parameter -> the word given
  std::map<std::string, CLI::Option*> options;      // parameter -> its option (given if counted)
  std::vector<std::string> outputs;
  InputArgs in;
  OutputArgs out;

  // Adds an option per non-image parameter of every operation in `ops` (the
  // `filter` command takes the union, and leaves a missing one to the registry).
  void add_options(const std::vector<const tessera::Operation*>& ops) {
    const bool one = ops.size() == 1;
    for (const tessera::Operation* o : ops)
      for (const tessera::ParamSpec& p : o->params) {
        if (p.kind == tessera::ParamKind::Image || p.kind == tessera::ParamKind::Images || words.count(p.name)) continue;
        if (is_dtype_param(p)) continue;  // --dtype
        std::string help = p.doc;
        if (!p.required) help += " (default " + tessera::value_to_string(p.default_value) + ")";
        if (const std::string allowed = tessera::allowed_to_string(p); !allowed.empty()) help += "; " + allowed;
        // One word each: a list is comma-separated ("--size 7,5"), so that
        // positional inputs after an option are never taken for its values.
        if (p.kind == tessera::ParamKind::Ints || p.kind == tessera::ParamKind::Reals) help += " (one, or comma-separated)";
        options[p.name] = cmd->add_option("--" + p.name, words[p.name], help);
        if (p.required && one) options[p.name]->required();
      }
  }

  // The operation's arguments from what was typed; images opened.
  std::map<std::string, tessera::Value> arguments(const tessera::Operation& o) const {
    std::map<std::string, tessera::Value> args;
    for (const auto& [name, path] : images) args[name] = in.open(path);
    for (const auto& [name, paths] : stacks) {
      std::vector<tessera::Image> opened;
      for (const auto& p : paths) opened.push_back(in.open(p));
      args[name] = opened;
    }
    for (const auto& [name, option] : options) {
      if (option->count() == 0) continue;
      try {
        args[name] = tessera::parse_argument(o, o.param(name), words.at(name));
      } catch (const tessera::ValueError& e) {  // the registry's message, with the option as typed
        throw tessera::ValueError("--" + name + ": " + e.what());
      } catch (const tessera::TypeError& e) {
        throw tessera::TypeError("--" + name + ": " + e.what());
      }
    }
    for (const auto& p : o.params)
      if (is_dtype_param(p) && !out.dtype.empty()) args[p.name] = tessera::parse_argument(o, p, out.dtype);
    return args;
  }
};

void add_operation_command(CLI::App& app, const tessera::Operation& op, OperationCommand& c) {
  c.op = &op;
  c.cmd = app.add_subcommand(op.name, op.summary);
  if (op.name.find('_') != std::string::npos) {
    std::string hyphened = op.name;
    for (auto& ch : hyphened)
      if (ch == '_') ch = '-';
    c.cmd->alias(hyphened);
  }
  bool stack = false;
  for (const auto& p : op.params) {
    if (p.kind == tessera::ParamKind::Image)
      c.cmd->add_option(p.name == "input" ? "INPUT" : p.name, c.images[p.name], p.doc + " (a file)")->required();
    if (p.kind == tessera::ParamKind::Images) {
      c.cmd->add_option("INPUT", c.stacks[p.name], p.doc + " (files)")->required();
      stack = true;
    }
  }
  if (stack) {  // the inputs take every positional word: the output is named
    c.add_options({&op});
    c.out.add_to(c.cmd);
    c.in.add_to(c.cmd);
    return;
  }
  if (op.outputs.size() == 1) {
    c.cmd->add_option("OUTPUT", c.out.path, "the output file")->required();
  } else {
    c.outputs.resize(op.outputs.size());
    for (std::size_t k = 0; k < op.outputs.size(); ++k)
      c.cmd->add_option(op.outputs[k], c.outputs[k], "the output file of " + op.outputs[k])->required();
  }
  c.add_options({&op});
  c.out.add_to(c.cmd, true);
  c.in.add_to(c.cmd);
}

// Runs an operation's command: the arguments are checked (a bad one exits 2
// before any work), then each result is saved.
int run_operation(const tessera::Operation& op, const OperationCommand& c, std::size_t only_output = SIZE_MAX) {
  std::vector<tessera::Image> results;
  try {
    results = tessera::call_operation(op, c.arguments(op));
  } catch (const tessera::IOError&) {
    throw;
  } catch (const tessera::Error& e) {
    std::cerr << "tessera: error: " << e.what() << "\n";
    return 2;
  }
  const bool has_output_param = std::any_of(op.params.begin(), op.params.end(), is_dtype_param);
  OutputArgs out = c.out;
  if (has_output_param) out.dtype.clear();  // applied by the operation itself
  if (only_output != SIZE_MAX) {
    out.save(results.at(only_output));
    return 0;
  }
  if (results.size() == 1) {
    out.save(results[0]);
    return 0;
  }
  for (std::size_t k = 0; k < results.size(); ++k) {
    out.path = c.outputs[k];
    out.save(results[k]);
  }
  return 0;
}

// `tessera filter NAME INPUT OUTPUT`: the filters by short name (uniform,
// enhanced-lee, ...; mean and std are local_mean_std's two results).
int run_filter(const std::string& name, OperationCommand& c) {
  const std::string n = underscored(name);
  std::size_t only = SIZE_MAX;
  std::string op_name = n;
  if (n == "mean" || n == "std") {
    op_name = "local_mean_std";
    only = n == "mean" ? 0 : 1;
  } else if (n.size() < 7 || n.compare(n.size() - 7, 7, "_filter") != 0) {
    op_name = n + "_filter";
  }
  const tessera::Operation* op = nullptr;
  for (const tessera::Operation* o : tessera::operations())
    if (o->name == op_name || o->name == n) op = o;
  if (!op) {
    std::string names;
    for (const tessera::Operation* o : tessera::operations())
      if (o->name.size() > 7 && o->name.compare(o->name.size() - 7, 7, "_filter") == 0)
        names += (names.empty() ? "" : ", ") + o->name.substr(0, o->name.size() - 7);
    throw tessera::ValueError("unknown filter '" + name + "'; use " + names + ", mean or std");
  }
  return run_operation(*op, c, only);  // a parameter op lacks: "frost_filter: no parameter 'looks'", exit 2
}

// `tessera ops`: every operation with its parameters and defaults;
// --markdown prints the README's table.
int cmd_ops(bool markdown) {
  for (const tessera::Operation* op : tessera::operations()) {
    std::string sig;
    for (const auto& p : op->params) {
      sig += (sig.empty() ? "" : ", ") + p.name;
      if (!p.required) {
        const std::string v = tessera::value_to_string(p.default_value);
        sig += "=" + (p.kind == tessera::ParamKind::Choice ? "'" + v + "'" : v);
      }
    }
    if (markdown) {
      std::cout << "| `" << op->name << "(" << sig << ")` | " << op->summary << " |\n";
      continue;
    }
    std::cout << op->name << "(" << sig << ")\n    " << op->summary << "\n";
    for (const auto& p : op->params) {
      const std::string allowed = tessera::allowed_to_string(p);
      std::cout << "    " << p.name << " (" << tessera::param_kind_name(p.kind) << "): " << p.doc
                << (allowed.empty() ? "" : "; " + allowed) << "\n";
    }
  }
  return 0;
}

// ---- tessera chart ----

// A series from an image file tessera reads (.npy, TIFF: 1-D, or 2-D with a
// column) or a CSV/text file (one value per line, or comma-separated fields
// and a column; a first line that is not a number is a header).
std::vector<double> read_series(const std::string& path, int column) {
  std::vector<double> out;
  if (!tessera::readable_format(path).empty()) {  // an image file: .npy, TIFF, ...
    tessera::Image img = tessera::open(path);
    if (img.ndim() == 2) {
      if (column < 0 || column >= img.shape()[1])
        throw tessera::ValueError(path + ": a 2-D series needs --column from 0 to " +
                                  std::to_string(img.shape()[1] - 1));
      tessera::AxisIndex rows, col;
      rows.count = img.shape()[0];
      col.kind = tessera::AxisIndex::Kind::Integer;
      col.start = column;
      img = img.index({rows, col});
    } else if (img.ndim() != 1) {
      throw tessera::ValueError(path + ": a series must be 1-D (or 2-D with --column), got shape " +
                                tessera::shape_to_string(img.shape()));
    }
    const tessera::Buffer b = img.astype(tessera::DType::Float64).compute();
    out.assign(b.data_as<double>(), b.data_as<double>() + b.view().count());
    return out;
  }
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw tessera::IOError(path + ": cannot open (" + std::strerror(errno) + ")");
  std::string line;
  std::int64_t number = 0;
  auto parse_line = [&](const std::string& text) {
    ++number;
    std::vector<std::string> fields(1);
    for (char c : text) {
      if (c == ',' || c == ';' || c == '\t') fields.emplace_back();
      else if (c != '\r' && c != '\n') fields.back() += c;
    }
    const std::string trimmed = text.substr(0, text.find_last_not_of(" \r\n\t") + 1);
    if (trimmed.find_first_not_of(" \t") == std::string::npos) return;  // blank
    const int col = column < 0 ? 0 : column;
    if (col >= static_cast<int>(fields.size()))
      throw tessera::ValueError(path + ": line " + std::to_string(number) + " has no column " + std::to_string(col));
    const std::string& field = fields[static_cast<std::size_t>(col)];
    char* end = nullptr;
    const double v = std::strtod(field.c_str(), &end);
    const bool ok = end != field.c_str() && std::string(end).find_first_not_of(" \t") == std::string::npos;
    if (!ok) {
      if (number == 1) return;  // a header
      throw tessera::ValueError(path + ": line " + std::to_string(number) + ": '" + field + "' is not a number");
    }
    out.push_back(v);
  };
  // Byte by byte (a NUL is a byte like any other), and a file with no line
  // ends (/dev/zero) is not a series: a line is at most 1 MiB.
  constexpr std::size_t kLongestLine = 1 << 20;
  for (int c; (c = getc_unlocked(f)) != EOF;) {
    line += static_cast<char>(c);
    if (c == '\n') {
      parse_line(line);
      line.clear();
    } else if (line.size() > kLongestLine) {
      std::fclose(f);
      throw tessera::ValueError(path + ": line " + std::to_string(number + 1) + " is longer than 1 MiB; not a series");
    }
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) throw tessera::IOError(path + ": read error");
  if (!line.empty()) parse_line(line);
  return out;
}

struct ChartArgs {
  std::string input, output, style = "bars", origin = "lower", colormap = "none", vmin = "0", vmax = "auto";
  std::int64_t height = 128, width = 256, step = 1;
  int channels = 1, column = -1, threads = 0;
  double fps = 15;
};

int cmd_chart(const ChartArgs& a) {
  tessera::ChartOptions o;
  o.height = a.height;
  o.width = a.width;
  o.style = tessera::parse_chart_style(a.style);
  o.origin = tessera::parse_chart_origin(a.origin);
  o.channels = a.channels;
  auto bound = [](const std::string& text, const char* name) -> std::optional<double> {
    if (text == "auto") return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end) throw tessera::ValueError(std::string(name) + " must be a number or auto, got " + text);
    return v;
  };
  o.vmin = bound(a.vmin, "--vmin");
  o.vmax = bound(a.vmax, "--vmax");
  if (a.colormap == "height") o.colormap = tessera::height_colormap(a.channels);
  else if (a.colormap != "none") throw tessera::ValueError("--colormap must be none or height, got " + a.colormap);
  o = tessera::checked_chart_options(o);
  tessera::window_frame_count(1, o.width, a.step);  // checks the step
  // Every option is checked before the series is read.
  std::string ext = std::filesystem::path(a.output).extension().string(), allowed;
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  bool animates = false;
  for (const auto& f : tessera::formats())
    if (f.animates)
      for (const auto& e : f.extensions) {
        allowed += (allowed.empty() ? "" : ", ") + e;
        animates = animates || e == ext;
      }
  if (!animates) throw tessera::ValueError(a.output + ": the extension must be one of " + allowed);
  const std::vector<double> series = read_series(a.input, a.column);
  if (series.empty()) throw tessera::ValueError(a.input + ": the series is empty");
  // Every frame as a lazy image, streamed into the animation by the ordinary
  // sink: a band of frames in memory at a time, drawn on all cores.
  const tessera::Image frames = tessera::window_frames(
      tessera::View{reinterpret_cast<std::byte*>(const_cast<double*>(series.data())), tessera::DType::Float64,
                    {static_cast<std::int64_t>(series.size())}, {sizeof(double)}, nullptr},
      o, a.step);
  tessera::SaveOptions so;
  so.fps = a.fps;
  so.threads = a.threads;
  tessera::save(frames, a.output, so);
  const std::int64_t n_frames = frames.shape()[0];
  std::cout << a.output << ": " << n_frames << " frames of " << o.height << "x" << o.width << "\n";
  return 0;
}

}  // namespace

// SIGINT, SIGTERM, SIGHUP: the temporary being written is removed, and the
// process exits 128 + the signal's number (130, 143, 129), as a shell's
// interrupted command does. Async-signal-safe: unlink and _exit only.
extern "C" void on_terminating_signal(int sig) {
  tessera::io::remove_temporaries_now();
  _exit(128 + sig);
}

// `tessera kernel FILE.py:NAME ...` runs a @tessera.kernel written in Python:
// the command hands itself to the Python face (tessera/_cli_kernel.py), run by
// the interpreter and the package this build belongs to.
[[noreturn]] void run_python_kernel(int argc, char** argv) {
  std::vector<char*> args{const_cast<char*>(TESSERA_PYTHON), const_cast<char*>("-m"),
                          const_cast<char*>("tessera._cli_kernel")};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  const char* path = std::getenv("PYTHONPATH");
  const std::string python_path = std::string(TESSERA_PYTHON_PACKAGES) + (path && *path ? ":" + std::string(path) : "");
  setenv("PYTHONPATH", python_path.c_str(), 1);
  execv(TESSERA_PYTHON, args.data());
  std::cerr << "tessera: error: kernel: cannot run " << TESSERA_PYTHON << " (" << std::strerror(errno) << ")\n";
  std::exit(1);
}

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "kernel") run_python_kernel(argc, argv);
  // A file-size limit ends a write with EFBIG and a message, not a signal.
  std::signal(SIGXFSZ, SIG_IGN);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action {};
    action.sa_handler = on_terminating_signal;
    sigemptyset(&action.sa_mask);
    sigaction(sig, &action, nullptr);
  }
  CLI::App app{"tessera: fast, memory-bounded array and image pipelines"};
  app.require_subcommand(1);

  auto* info = app.add_subcommand("info", "describe an image file (any format tessera reads)");
  std::string info_path;
  info->add_option("FILE", info_path, "the file")->required();

  auto* eval = app.add_subcommand("eval", "evaluate an expression over image files, streaming");
  std::string expr;
  std::vector<std::string> inputs;
  std::string eval_mode = "reflect";
  double eval_cval = 0.0;
  OutputArgs eval_out;
  InputArgs eval_in;
  eval->add_option("EXPR", expr,
                   "the expression, e.g. 'where(a > 240, 0, a)'; a[..., 0] picks a channel, a[-1, 0] reads a "
                   "neighbour")->required();
  eval->add_option("-i,--input", inputs, "NAME=FILE, once per variable");
  eval->add_option("--mode", eval_mode,
                   "outside the image, for neighbours: reflect, mirror, nearest, wrap, constant (default reflect)");
  eval->add_option("--cval", eval_cval, "the value outside the image for --mode constant (default 0)");
  eval_out.add_to(eval);
  eval_in.add_to(eval);

  // Listed for --help; `main` hands the command to Python before parsing.
  app.add_subcommand("kernel", "run a @tessera.kernel from a Python file: kernel FILE.py:NAME -i v=in.tif -o out.tif "
                               "[--mode nearest] [--dtype uint8] [--const k=4] (kernel --help for more)");

  auto* ops = app.add_subcommand("ops", "list every operation with its parameters and defaults");
  bool ops_markdown = false;
  ops->add_flag("--markdown", ops_markdown, "one table row per operation (the README's table)");

  // One subcommand per registered operation.
  std::vector<OperationCommand> op_commands(tessera::operations().size());
  for (std::size_t k = 0; k < tessera::operations().size(); ++k)
    add_operation_command(app, *tessera::operations()[k], op_commands[k]);
  // The short names the command line had before its operations were generated.
  const std::map<std::string, std::string> short_names{
      {"steepest_neighbor", "steepest"}, {"weighted_sum", "wsum"}, {"stack_mean", "mean"}, {"stack_min", "min"},
      {"stack_max", "max"}};
  for (auto& c : op_commands)
    if (auto it = short_names.find(c.op->name); it != short_names.end()) c.cmd->alias(it->second);

  auto* filter = app.add_subcommand("filter", "run a filter by its short name (uniform, maximum, enhanced-lee, mean, "
                                              "std, ...) on an image file, streaming");
  std::string filter_name;
  OperationCommand filter_cmd;
  filter_cmd.cmd = filter;
  filter->add_option("NAME", filter_name, "the filter: the operation's name without _filter, or mean or std")
      ->required();
  filter->add_option("INPUT", filter_cmd.images["input"], "the input file")->required();
  filter->add_option("OUTPUT", filter_cmd.out.path, "the output file")->required();
  std::vector<const tessera::Operation*> filters;  // the operations of one image
  for (const tessera::Operation* o : tessera::operations())
    if (o->main_input().kind == tessera::ParamKind::Image) filters.push_back(o);
  filter_cmd.add_options(filters);
  filter_cmd.out.add_to(filter, true);
  filter_cmd.in.add_to(filter);

  auto* chart = app.add_subcommand("chart", "render a series (.npy or CSV) to an animated GIF or PNG of sliding-window charts");
  ChartArgs ca;
  chart->add_option("SERIES", ca.input, "the samples: .npy (1-D), or CSV/text, one value per line")->required();
  chart->add_option("OUTPUT", ca.output, "the animation: .gif, .png or .apng")->required();
  chart->add_option("--height", ca.height, "frame height in pixels (128)");
  chart->add_option("--width", ca.width, "frame width: samples per window (256)");
  chart->add_option("--style", ca.style, "bars, line or area");
  chart->add_option("--channels", ca.channels, "1 (grey), 3 (RGB) or 4 (RGBA)");
  chart->add_option("--origin", ca.origin, "lower (bars rise from the bottom) or upper");
  chart->add_option("--colormap", ca.colormap, "none (the foreground) or height (blue low, green middle, red high)");
  chart->add_option("--vmin", ca.vmin, "the value at the baseline, or auto (the window's minimum); default 0");
  chart->add_option("--vmax", ca.vmax, "the value at the top, or auto (the window's maximum; default)");
  chart->add_option("--step", ca.step, "samples between frames (1)");
  chart->add_option("--fps", ca.fps, "frames per second (15)");
  chart->add_option("--column", ca.column, "the column of a CSV or 2-D .npy (0-based)");
  chart->add_option("--threads", ca.threads, "threads (default: all cores)")->check(CLI::Range(1, 1024));

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  try {
    if (info->parsed()) return cmd_info(info_path);
    if (eval->parsed())
      return cmd_eval(expr, inputs, {tessera::parse_boundary_mode(eval_mode), eval_cval}, eval_in, eval_out);
    if (ops->parsed()) return cmd_ops(ops_markdown);
    for (const auto& c : op_commands)
      if (c.cmd->parsed()) return run_operation(*c.op, c);
    if (filter->parsed()) return run_filter(filter_name, filter_cmd);
    if (chart->parsed()) return cmd_chart(ca);
    std::cout << "tessera 0.1.0\n";
    return 0;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    for (auto& c : msg)
      if (c == '\n') c = ' ';
    std::cerr << "tessera: error: " << msg << "\n";
    return 1;
  }
}
