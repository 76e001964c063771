// The operation registry: specs, argument checks and parsing, shared by every
// face (Python, Dask, the command line, C++ callers of check_argument).
#include "tessera/operation.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "tessera/error.hpp"
#include "tessera/io.hpp"

namespace tessera {

std::string_view param_kind_name(ParamKind kind) {
  switch (kind) {
    case ParamKind::Image: return "image";
    case ParamKind::Images: return "images";
    case ParamKind::Int: return "int";
    case ParamKind::Real: return "float";
    case ParamKind::Ints: return "ints";
    case ParamKind::Reals: return "reals";
    case ParamKind::Choice: return "choice";
    case ParamKind::DType: return "dtype";
    case ParamKind::Array: return "array";
  }
  return "?";
}

namespace {

std::string number_to_string(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // the shortest form that reads back exactly
  return std::string(buf, r.ptr);
}

std::vector<std::unique_ptr<Operation>>& registry() {
  static std::vector<std::unique_ptr<Operation>> ops;
  return ops;
}

[[noreturn]] void fail_kind(const Operation& op, const ParamSpec& p, const Value& v, const char* want) {
  std::string got = value_to_string(v);
  if (std::holds_alternative<std::string>(v)) got = "'" + got + "'";
  if (std::holds_alternative<Image>(v)) got = "an image";
  throw TypeError(op.name + ": " + p.name + " must be " + want + ", got " + got);
}

[[noreturn]] void fail_range(const Operation& op, const ParamSpec& p, const std::string& got) {
  throw ValueError(op.name + ": " + p.name + " must be " + allowed_to_string(p) + ", got " + got);
}

bool in_range(const ParamSpec& p, double v) {
  if (std::isnan(v)) return false;
  if (p.min && (p.min_open ? !(v > *p.min) : !(v >= *p.min))) return false;
  if (p.max && (p.max_open ? !(v < *p.max) : !(v <= *p.max))) return false;
  return true;
}

// An integer from an int or an integral real.
std::optional<std::int64_t> integral(const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.2e18) return static_cast<std::int64_t>(*d);
  }
  return std::nullopt;
}

void check_integer(const Operation& op, const ParamSpec& p, std::int64_t v, const std::string& shown) {
  if (!in_range(p, static_cast<double>(v)) || (p.odd && v % 2 == 0)) fail_range(op, p, shown);
}

}  // namespace

namespace param {

ParamSpec array(std::string name, std::string doc, bool required) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::Array;
  p.doc = std::move(doc);
  p.required = required;
  return p;
}

ParamSpec footprint() {
  return array("footprint",
               "the window's elements: a boolean array of the input's rank (None: the box of size; a given "
               "footprint takes precedence over size)",
               false);
}

ParamSpec input(std::string doc) {
  ParamSpec p;
  p.name = "input";
  p.kind = ParamKind::Image;
  p.doc = std::move(doc);
  p.required = true;
  return p;
}

ParamSpec inputs(std::string doc) {
  ParamSpec p;
  p.name = "images";
  p.kind = ParamKind::Images;
  p.doc = std::move(doc);
  p.required = true;
  return p;
}

ParamSpec dtype(std::string name, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::DType;
  p.doc = std::move(doc);
  return p;
}

ParamSpec sizes(std::string doc, std::optional<std::int64_t> default_size) {
  ParamSpec p = ints("size", default_size, std::move(doc));
  p.min = 0;     // 0 or 1 leaves an axis alone, as scipy
  p.max = 1025;  // the filters' window limit (kMaxWindow, ops/filters/window.hpp)
  return p;
}

ParamSpec ints(std::string name, std::optional<std::int64_t> default_value, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::Ints;
  p.doc = std::move(doc);
  p.required = !default_value;
  if (default_value) p.default_value = Shape{*default_value};
  return p;
}

ParamSpec reals(std::string name, std::optional<double> default_value, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::Reals;
  p.doc = std::move(doc);
  p.required = !default_value;
  if (default_value) p.default_value = std::vector<double>{*default_value};
  return p;
}

ParamSpec integer(std::string name, std::int64_t default_value, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::Int;
  p.doc = std::move(doc);
  p.default_value = default_value;
  return p;
}

ParamSpec real(std::string name, double default_value, std::string doc) {
  ParamSpec p;
  p.name = std::move(name);
  p.kind = ParamKind::Real;
  p.doc = std::move(doc);
  p.default_value = default_value;
  return p;
}

ParamSpec choice(std::string name, std::vector<std::string> choices, std::string default_value, std::string doc,
                 std::string noun) {
  ParamSpec p;
  p.noun = std::move(noun);
  p.name = std::move(name);
  p.kind = ParamKind::Choice;
  p.doc = std::move(doc);
  p.choices = std::move(choices);
  p.default_value = std::move(default_value);
  return p;
}

ParamSpec output_dtype(std::string doc) { return dtype("output", std::move(doc)); }

std::vector<ParamSpec> boundary() {
  std::vector<std::string> modes;
  for (auto m : {BoundaryMode::Reflect, BoundaryMode::Mirror, BoundaryMode::Nearest, BoundaryMode::Wrap,
                 BoundaryMode::Constant})
    modes.emplace_back(boundary_mode_name(m));
  for (const char* alias : {"grid-mirror", "grid-wrap", "grid-constant"}) modes.emplace_back(alias);
  ParamSpec cval = real("cval", 0.0, "the value outside the input with mode 'constant'");
  ParamSpec mode = choice("mode", std::move(modes), "reflect",
                          "how the window is filled beyond the input's edges, as scipy.ndimage defines the "
                          "modes: one, or one per axis (a sequence; on the command line, separated by commas)",
                          "boundary mode");
  mode.per_axis = true;
  return {std::move(mode), std::move(cval)};
}

std::vector<ParamSpec> join(std::initializer_list<std::vector<ParamSpec>> lists) {
  std::vector<ParamSpec> out;
  for (const auto& l : lists) out.insert(out.end(), l.begin(), l.end());
  return out;
}

}  // namespace param

// ---- Arguments ----

void Arguments::set(std::string name, Value value) { values_[std::move(name)] = std::move(value); }

bool Arguments::has(std::string_view name) const { return values_.find(name) != values_.end(); }

const Value& Arguments::value(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) throw InternalError("no argument '" + std::string(name) + "'");
  return it->second;
}

const Image& Arguments::image(std::string_view name) const { return std::get<Image>(value(name)); }
const std::vector<Image>& Arguments::images(std::string_view name) const {
  return std::get<std::vector<Image>>(value(name));
}
std::optional<Shape> Arguments::optional_ints(std::string_view name) const {
  if (const auto* s = std::get_if<Shape>(&value(name))) return *s;
  return std::nullopt;
}
std::optional<double> Arguments::optional_real(std::string_view name) const {
  if (const auto* d = std::get_if<double>(&value(name))) return *d;
  return std::nullopt;
}
std::optional<Image> Arguments::optional_image(std::string_view name) const {
  if (const auto* i = std::get_if<Image>(&value(name))) return *i;
  return std::nullopt;
}
std::int64_t Arguments::integer(std::string_view name) const { return std::get<std::int64_t>(value(name)); }
double Arguments::real(std::string_view name) const { return std::get<double>(value(name)); }
const std::string& Arguments::word(std::string_view name) const { return std::get<std::string>(value(name)); }
const Shape& Arguments::ints(std::string_view name) const { return std::get<Shape>(value(name)); }
const std::vector<double>& Arguments::reals(std::string_view name) const {
  return std::get<std::vector<double>>(value(name));
}

std::optional<DType> Arguments::dtype(std::string_view name) const {
  const Value& v = value(name);
  if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
  return std::get<DType>(v);
}

Boundary Arguments::boundary() const { return parse_boundary(word("mode"), real("cval")); }

// ---- Operation ----

const ParamSpec& Operation::param(std::string_view pname) const {
  for (const auto& p : params)
    if (p.name == pname) return p;
  std::string names;
  for (const auto& p : params) names += (names.empty() ? "" : ", ") + p.name;
  throw TypeError(name + ": no parameter '" + std::string(pname) + "'; it takes " + names);
}

const ParamSpec& Operation::main_input() const {
  for (const auto& p : params)
    if (p.kind == ParamKind::Image || p.kind == ParamKind::Images) return p;
  throw InternalError(name + " has no image parameter");
}

bool register_operation(Operation op) {
  for (const auto& existing : registry())
    if (existing->name == op.name) throw InternalError("operation '" + op.name + "' registered twice");
  if (op.outputs.empty()) op.outputs = {"result"};
  registry().push_back(std::make_unique<Operation>(std::move(op)));
  return true;
}

const std::vector<const Operation*>& operations() {
  // Built on first use, after every static registration has run.
  static const std::vector<const Operation*> sorted = [] {
    std::vector<const Operation*> out;
    for (const auto& op : registry()) out.push_back(op.get());
    std::sort(out.begin(), out.end(), [](const Operation* a, const Operation* b) { return a->name < b->name; });
    return out;
  }();
  return sorted;
}

const Operation& operation(std::string_view name) {
  for (const Operation* op : operations())
    if (op->name == name) return *op;
  std::string names;
  for (const Operation* op : operations()) names += (names.empty() ? "" : ", ") + op->name;
  throw ValueError("unknown operation '" + std::string(name) + "'; the operations are " + names);
}

// ---- checks ----

std::string value_to_string(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "None";
        else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>) return number_to_string(x);
        else if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, Shape>) return x.size() == 1 ? std::to_string(x[0]) : shape_to_string(x);
        else if constexpr (std::is_same_v<T, std::vector<double>>) {
          if (x.size() == 1) return number_to_string(x[0]);
          std::string s = "(";
          for (std::size_t i = 0; i < x.size(); ++i) s += (i ? ", " : "") + number_to_string(x[i]);
          return s + (x.size() == 1 ? ",)" : ")");
        }
        else if constexpr (std::is_same_v<T, DType>) return std::string(dtype_name(x));
        else if constexpr (std::is_same_v<T, Image>) return "image of shape " + shape_to_string(x.shape());
        else return std::to_string(x.size()) + " images";
      },
      v);
}

std::string allowed_to_string(const ParamSpec& p) {
  if (p.kind == ParamKind::Choice) {
    std::string s = "one of ";
    for (std::size_t i = 0; i < p.choices.size(); ++i) s += (i ? ", " : "") + p.choices[i];
    return s;
  }
  std::string s;
  if (p.min && p.max) {
    s = "between " + number_to_string(*p.min) + (p.min_open ? " (exclusive)" : "") + " and " +
        number_to_string(*p.max) + (p.max_open ? " (exclusive)" : "");
  } else if (p.min) {
    s = (p.min_open ? "> " : ">= ") + number_to_string(*p.min);
  } else if (p.max) {
    s = (p.max_open ? "< " : "<= ") + number_to_string(*p.max);
  }
  if (p.odd) s = s.empty() ? "odd" : "odd and " + s;
  if ((p.kind == ParamKind::Ints || p.kind == ParamKind::Reals) && !s.empty()) s += " on every axis";
  return s;
}

Value check_argument(const Operation& op, const ParamSpec& p, Value v) {
  // None where None is the default (a size beside a footprint, axes, z98).
  if (std::holds_alternative<std::monostate>(v) && !p.required && std::holds_alternative<std::monostate>(p.default_value))
    return v;
  switch (p.kind) {
    case ParamKind::Image:
      if (!std::holds_alternative<Image>(v)) fail_kind(op, p, v, "an array or image");
      return v;
    case ParamKind::Images:
      if (!std::holds_alternative<std::vector<Image>>(v)) fail_kind(op, p, v, "a sequence of arrays, images or paths");
      if (std::get<std::vector<Image>>(v).empty()) throw ValueError(op.name + ": " + p.name + " needs at least one image");
      return v;
    case ParamKind::Int: {
      const auto i = integral(v);
      if (!i) fail_kind(op, p, v, "an integer");
      check_integer(op, p, *i, std::to_string(*i));
      return *i;
    }
    case ParamKind::Real: {
      double d;
      if (const auto* i = std::get_if<std::int64_t>(&v)) d = static_cast<double>(*i);
      else if (const auto* x = std::get_if<double>(&v)) d = *x;
      else fail_kind(op, p, v, "a number");
      // Reals with a range must be finite; cval and its like may be anything.
      if ((p.min || p.max) && (!std::isfinite(d) || !in_range(p, d))) fail_range(op, p, number_to_string(d));
      return d;
    }
    case ParamKind::Ints: {
      Shape s;
      if (const auto i = integral(v)) s = {*i};
      else if (const auto* sh = std::get_if<Shape>(&v)) s = *sh;
      else fail_kind(op, p, v, "an integer or a sequence of integers");
      if (s.empty()) fail_kind(op, p, v, "an integer or a non-empty sequence of integers");
      for (auto x : s) check_integer(op, p, x, value_to_string(s));
      return s;
    }
    case ParamKind::Reals: {
      std::vector<double> r;
      if (const auto* i = std::get_if<std::int64_t>(&v)) r = {static_cast<double>(*i)};
      else if (const auto* d = std::get_if<double>(&v)) r = {*d};
      else if (const auto* sh = std::get_if<Shape>(&v)) r.assign(sh->begin(), sh->end());
      else if (const auto* rs = std::get_if<std::vector<double>>(&v)) r = *rs;
      else fail_kind(op, p, v, "a number or a sequence of numbers");
      if (r.empty()) fail_kind(op, p, v, "a number or a non-empty sequence of numbers");
      for (double x : r)
        if (!std::isfinite(x) || !in_range(p, x)) fail_range(op, p, value_to_string(r));
      return r;
    }
    case ParamKind::Choice: {
      const auto* w = std::get_if<std::string>(&v);
      if (!w) fail_kind(op, p, v, allowed_to_string(p).c_str());
      // A word, or with per_axis words separated by commas.
      for (std::size_t start = 0;;) {
        const std::size_t end = p.per_axis ? std::min(w->find(',', start), w->size()) : w->size();
        const std::string word = w->substr(start, end - start);
        if (std::find(p.choices.begin(), p.choices.end(), word) == p.choices.end())
          throw ValueError(op.name + ": unknown " + p.noun + " '" + word + "' for " + p.name + "; it must be " +
                           allowed_to_string(p) + (p.per_axis ? ", or one per axis" : ""));
        if (end == w->size()) break;
        start = end + 1;
      }
      return v;
    }
    case ParamKind::DType:
      if (!std::holds_alternative<std::monostate>(v) && !std::holds_alternative<DType>(v))
        fail_kind(op, p, v, "a dtype or None");
      return v;
    case ParamKind::Array:
      if (std::holds_alternative<std::monostate>(v) && p.required) fail_kind(op, p, v, "an array");
      if (!std::holds_alternative<std::monostate>(v) && !std::holds_alternative<Image>(v))
        fail_kind(op, p, v, p.required ? "an array" : "an array or None");
      return v;
  }
  throw InternalError("unknown parameter kind");
}

Value check_argument(std::string_view op, std::string_view p, Value v) {
  const Operation& o = operation(op);
  return check_argument(o, o.param(p), std::move(v));
}

Value parse_argument(const Operation& op, const ParamSpec& p, const std::string& text) {
  if ((text == "none" || text == "None") && !p.required && std::holds_alternative<std::monostate>(p.default_value))
    return std::monostate{};
  auto number = [&](bool integer) -> Value {
    const char* s = text.c_str();
    char* end = nullptr;
    errno = 0;
    if (integer) {
      const long long v = std::strtoll(s, &end, 10);
      if (end != s && *end == '\0' && errno == 0) return static_cast<std::int64_t>(v);
    }
    const double d = std::strtod(s, &end);
    if (end == s || *end != '\0') fail_kind(op, p, text, integer ? "an integer" : "a number");
    return d;
  };
  switch (p.kind) {
    case ParamKind::Image:
    case ParamKind::Images: throw InternalError("an image parameter is opened by the caller");
    case ParamKind::Int: return check_argument(op, p, number(true));
    case ParamKind::Real: return check_argument(op, p, number(false));
    case ParamKind::Ints:
    case ParamKind::Reals: {
      // "7", or one per axis: "7,5".
      Shape ints;
      std::vector<double> reals;
      std::size_t start = 0;
      while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        const std::string item = text.substr(start, end - start);
        char* stop = nullptr;
        if (p.kind == ParamKind::Ints) ints.push_back(std::strtoll(item.c_str(), &stop, 10));
        else reals.push_back(std::strtod(item.c_str(), &stop));
        if (item.empty() || *stop != '\0')
          fail_kind(op, p, text, p.kind == ParamKind::Ints ? "integers separated by commas" : "numbers separated by commas");
        start = end + 1;
      }
      return p.kind == ParamKind::Ints ? check_argument(op, p, ints) : check_argument(op, p, reals);
    }
    case ParamKind::Choice: return check_argument(op, p, text);
    case ParamKind::DType:
      if (text.empty() || text == "none" || text == "None") return std::monostate{};
      return check_argument(op, p, parse_dtype(text));
    case ParamKind::Array:  // a file holding the array (.npy, .tif)
      if (text.empty() || text == "none" || text == "None") return std::monostate{};
      return check_argument(op, p, open(text));
  }
  throw InternalError("unknown parameter kind");
}

namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  for (std::size_t start = 0;;) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    words.push_back(text.substr(start, end - start));
    if (end == text.size()) return words;
    start = end + 1;
  }
}

// A per-axis choice given one word per axis: as many words as the main
// input has axes, or as `axes` lists (scipy's rule), then widened to one per
// axis of the input (the axes not filtered take the first word).
void expand_per_axis_words(const Operation& op, Arguments& args) {
  const ParamSpec* main = nullptr;
  for (const ParamSpec& p : op.params)
    if (p.kind == ParamKind::Image && !main) main = &p;
  for (const ParamSpec& p : op.params) {
    if (!p.per_axis || !main) continue;
    const auto* text = std::get_if<std::string>(&args.value(p.name));
    if (!text || text->find(',') == std::string::npos) continue;
    const std::vector<std::string> words = split_words(*text);
    const std::size_t nd = args.image(main->name).ndim();
    std::optional<Shape> axes;
    if (args.has("axes")) axes = args.optional_ints("axes");
    const std::size_t want = axes ? axes->size() : nd;
    if (words.size() != want)
      throw ValueError(op.name + ": " + std::to_string(words.size()) + " " + p.noun + "s for " + p.name + ", but " +
                       (axes ? "axes lists " + std::to_string(want) : "the input has " + std::to_string(nd)) +
                       " axes; give one, or one per " + (axes ? "axis in axes" : "axis"));
    if (!axes) continue;
    std::vector<std::string> full(nd, words[0]);
    for (std::size_t k = 0; k < axes->size(); ++k) {
      const std::int64_t a = (*axes)[k] < 0 ? (*axes)[k] + static_cast<std::int64_t>(nd) : (*axes)[k];
      if (a >= 0 && a < static_cast<std::int64_t>(nd)) full[static_cast<std::size_t>(a)] = words[k];
    }
    std::string joined;
    for (std::size_t a = 0; a < nd; ++a) joined += (a ? "," : "") + full[a];
    args.set(p.name, joined);
  }
}

}  // namespace

std::vector<Image> call_operation(const Operation& op, const std::map<std::string, Value>& arguments) {
  for (const auto& [name, v] : arguments) op.param(name);  // unknown names
  Arguments args;
  for (const ParamSpec& p : op.params) {
    const auto it = arguments.find(p.name);
    if (it == arguments.end()) {
      if (p.required) throw TypeError(op.name + ": missing the required argument '" + p.name + "'");
      args.set(p.name, p.default_value);
    } else {
      args.set(p.name, check_argument(op, p, it->second));
    }
  }
  expand_per_axis_words(op, args);
  std::vector<Image> results = op.build(args);
  if (results.size() != op.outputs.size())
    throw InternalError(op.name + " built " + std::to_string(results.size()) + " results for " +
                        std::to_string(op.outputs.size()) + " outputs");
  return results;
}

std::vector<Image> call_operation(std::string_view name, const std::map<std::string, Value>& arguments) {
  return call_operation(operation(name), arguments);
}

}  // namespace tessera
