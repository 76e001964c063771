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

struct FilterArgs {
  std::string name, input, output, mode = "reflect", dtype;
  std::vector<std::int64_t> size{7};
  double looks = 1.0, damping = -1.0, cval = 0.0;
};

int cmd_filter(const FilterArgs& f, int threads) {
  const tessera::Buffer in = tessera::io::read_npy(f.input);
  const tessera::Image img = tessera::Image::wrap(in.view());
  const tessera::Boundary boundary{tessera::parse_boundary_mode(f.mode), f.cval};
  tessera::SpeckleOptions o;
  o.size = f.size.at(0);
  o.looks = f.looks;
  o.boundary = boundary;
  const bool frost = f.name == "frost";
  o.damping = f.damping >= 0 ? f.damping : (frost ? 2.0 : 1.0);
  tessera::Image result;
  if (f.name == "uniform") result = tessera::uniform_filter(img, f.size, boundary);
  else if (f.name == "mean") result = tessera::local_mean_std(img, f.size, boundary).first;
  else if (f.name == "std") result = tessera::local_mean_std(img, f.size, boundary).second;
  else if (f.name == "maximum") result = tessera::maximum_filter(img, f.size, boundary);
  else if (f.name == "minimum") result = tessera::minimum_filter(img, f.size, boundary);
  else if (f.name == "median") result = tessera::median_filter(img, f.size, boundary);
  else if (f.name == "lee") result = tessera::lee_filter(img, o);
  else if (f.name == "kuan") result = tessera::kuan_filter(img, o);
  else if (f.name == "enhanced-lee" || f.name == "enhanced_lee") result = tessera::enhanced_lee_filter(img, o);
  else if (f.name == "frost") result = tessera::frost_filter(img, o);
  else if (f.name == "gamma-map" || f.name == "gamma_map") result = tessera::gamma_map_filter(img, o);
  else
    throw tessera::ValueError("unknown filter '" + f.name +
                              "'; use uniform, mean, std, maximum, minimum, median, lee, kuan, enhanced-lee, frost or gamma-map");
  if (!f.dtype.empty()) result = result.astype(tessera::parse_dtype(f.dtype));
  tessera::io::write_npy(f.output, result.compute({threads}).view());
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

  auto* filter = app.add_subcommand("filter", "run a neighbourhood or speckle filter on an array file");
  FilterArgs fa;
  filter->add_option("NAME", fa.name,
                     "uniform, mean, std, maximum, minimum, median, lee, kuan, enhanced-lee, frost or gamma-map")
      ->required();
  filter->add_option("INPUT", fa.input, "the input .npy file")->required();
  filter->add_option("OUTPUT", fa.output, "the output .npy file")->required();
  filter->add_option("--size", fa.size, "window size (one number, or one per axis except for speckle filters)");
  filter->add_option("--looks", fa.looks, "number of looks L (lee, kuan, enhanced-lee, gamma-map)");
  filter->add_option("--damping", fa.damping, "damping factor (enhanced-lee: 1, frost: 2)");
  filter->add_option("--mode", fa.mode, "boundary mode: reflect, mirror, nearest, wrap, constant");
  filter->add_option("--cval", fa.cval, "the value outside the image for --mode constant");
  filter->add_option("--dtype", fa.dtype, "output dtype (tessera's rounding rule)");
  filter->add_option("--threads", threads, "threads (default: all cores)");

  auto* steepest = app.add_subcommand("steepest", "label each element by its direction of steepest descent");
  std::string st_in, st_out, st_edges = "ignore";
  steepest->add_option("INPUT", st_in, "a 2-D or 3-D .npy file")->required();
  steepest->add_option("OUTPUT", st_out, "the uint8 labels, .npy")->required();
  steepest->add_option("--edges", st_edges, "ignore (outside neighbours are not candidates) or zero (border = 0)");
  steepest->add_option("--threads", threads, "threads (default: all cores)");

  app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  try {
    if (info->parsed()) return cmd_info(info_path);
    if (eval->parsed()) return cmd_eval(expr, out, inputs, dtype, threads);
    if (filter->parsed()) return cmd_filter(fa, threads);
    if (steepest->parsed()) {
      const tessera::Buffer in = tessera::io::read_npy(st_in);
      const tessera::Image labels = tessera::steepest_neighbor(tessera::Image::wrap(in.view()), st_edges);
      tessera::io::write_npy(st_out, labels.compute({threads}).view());
      return 0;
    }
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
