// The tessera command line. Every failure prints one line naming the file and
// the problem and exits non-zero; outputs are written whole or not at all.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "io/npy.hpp"
#include "tessera/tessera.hpp"

namespace {

int cmd_info(const std::string& path) {
  const tessera::Buffer b = tessera::io::read_npy(path);
  std::cout << path << ": shape " << tessera::shape_to_string(b.shape()) << ", dtype "
            << tessera::dtype_name(b.dtype()) << "\n";
  return 0;
}

int cmd_eval(const std::string& expr, const std::string& out, const std::vector<std::string>& inputs,
             const std::string& dtype, int threads) {
  std::vector<tessera::Buffer> buffers;
  buffers.reserve(inputs.size());
  tessera::Variables vars;
  for (const auto& spec : inputs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0)
      throw tessera::ValueError("--input takes NAME=FILE, got '" + spec + "'");
    buffers.push_back(tessera::io::read_npy(spec.substr(eq + 1)));
    vars.emplace(spec.substr(0, eq), tessera::Image::wrap(buffers.back().view()));
  }
  tessera::Image result = tessera::expression(expr, vars);
  if (!dtype.empty()) result = result.astype(tessera::parse_dtype(dtype));
  const tessera::Buffer b = result.compute({threads});
  tessera::io::write_npy(out, b.view());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tessera: fast, memory-bounded array and image pipelines"};
  app.require_subcommand(1);
  int threads = 0;

  auto* info = app.add_subcommand("info", "describe an array file");
  std::string info_path;
  info->add_option("FILE", info_path, "a .npy file")->required();

  auto* eval = app.add_subcommand("eval", "evaluate an element-wise expression over array files");
  std::string expr, out, dtype;
  std::vector<std::string> inputs;
  eval->add_option("EXPR", expr, "the expression, e.g. 'where(a > 240, 0, a)'")->required();
  eval->add_option("-o,--output", out, "the output .npy file")->required();
  eval->add_option("-i,--input", inputs, "NAME=FILE, once per variable");
  eval->add_option("--dtype", dtype, "output dtype (tessera's rounding rule)");
  eval->add_option("--threads", threads, "threads (default: all cores)");

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  try {
    if (info->parsed()) return cmd_info(info_path);
    if (eval->parsed()) return cmd_eval(expr, out, inputs, dtype, threads);
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
