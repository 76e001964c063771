#include "ops/expr/expr_tree.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "ops/derivatives/derivative.hpp"
#include "ops/expr/expr_node.hpp"
#include "ops/expr/program.hpp"

namespace tessera::detail {

ExprTree::~ExprTree() {
  // Children this tree holds the last reference to are taken apart here, in
  // a loop, instead of each destroying its own children recursively.
  std::vector<ExprPtr> pending = std::move(args);
  while (!pending.empty()) {
    ExprPtr node = std::move(pending.back());
    pending.pop_back();
    if (node.use_count() == 1) {
      auto& children = const_cast<ExprTree&>(*node).args;
      for (auto& child : children) pending.push_back(std::move(child));
      children.clear();
    }
  }
}


Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ValueError("operands could not be broadcast together with shapes " + shape_to_string(a) +
                       " " + shape_to_string(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

std::shared_ptr<ExprTree> node(ExprOp op, DType dtype) {
  auto t = std::make_shared<ExprTree>();
  t->op = op;
  t->dtype = dtype;
  return t;
}

// Replaces a tree made only of constants by its value, computed by the same
// program machinery that runs on images (one code path for every semantic).
ExprPtr fold(std::shared_ptr<ExprTree> t) {
  bool all_scalar = !t->args.empty();
  for (const auto& a : t->args) all_scalar = all_scalar && a->is_scalar;
  if (!all_scalar) {
    for (const auto& a : t->args) t->shape = broadcast_shapes(t->shape, a->shape);
    return t;
  }
  const Program program = compile_program(t, {});
  Buffer result(t->dtype, {});
  Workspace workspace;  // constant folding, on the caller's thread
  run_program(program, result.view(), {}, workspace);
  return make_const(dispatch(t->dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = *result.data_as<T>();
    if constexpr (std::is_same_v<T, bool>) return Scalar::of(v);
    else if constexpr (std::is_floating_point_v<T>) return Scalar::typed(t->dtype, v);
    else {
      Scalar s = Scalar::typed(t->dtype, static_cast<double>(v));
      s.i = static_cast<std::int64_t>(v);
      return s;
    }
  }));
}

// numpy 1.x's np.result_type over operands, with tessera's one change: a
// scalar never widens a float array (float32 + 1e300 stays float32).
DType result_type(const std::vector<ExprPtr>& args) {
  int arr_kind = -1, sc_kind = -1;
  for (const auto& a : args) {
    int& k = a->is_scalar ? sc_kind : arr_kind;
    k = std::max(k, static_cast<int>(kind_of(a->dtype)));
  }
  const bool value_based = arr_kind >= 0 && sc_kind <= arr_kind;
  // numpy treats a non-negative integer scalar as "small unsigned": against a
  // signed array it takes the smallest signed type that holds it.
  const bool signed_array = std::any_of(args.begin(), args.end(), [](const ExprPtr& a) {
    return !a->is_scalar && is_integer(a->dtype) && is_signed(a->dtype);
  });
  bool first = true;
  DType out = DType::Bool;
  auto add = [&](DType d) {
    out = first ? d : promote(out, d);
    first = false;
  };
  for (const auto& a : args) {
    if (!a->is_scalar || !value_based) {
      add(a->dtype);
      continue;
    }
    switch (kind_of(a->dtype)) {
      case Kind::Bool: add(DType::Bool); break;
      case Kind::Int: {
        DType d = min_scalar_type_int(a->value.i);
        if (signed_array && !is_signed(d)) d = min_scalar_type_int(-a->value.i - 1);  // same magnitude, signed
        add(arr_kind == static_cast<int>(Kind::Float) ? DType::Bool : d);
        break;
      }
      case Kind::Float: break;  // only reached with float arrays: they decide
    }
  }
  return out;
}

std::shared_ptr<ExprTree> with_args(ExprOp op, DType compute, DType result,
                                    const std::vector<ExprPtr>& args) {
  auto t = node(op, result);
  for (const auto& a : args) t->args.push_back(make_cast(a, compute));
  return t;
}

ExprPtr unary(UnaryFn f, DType type, const ExprPtr& x) {
  auto t = with_args(ExprOp::Unary, type, type, {x});
  t->unary = f;
  return fold(t);
}
ExprPtr binary(BinaryFn f, DType type, const ExprPtr& a, const ExprPtr& b) {
  auto t = with_args(ExprOp::Binary, type, type, {a, b});
  t->binary = f;
  return fold(t);
}
ExprPtr compare(CompareFn f, const ExprPtr& a, const ExprPtr& b) {
  auto t = with_args(ExprOp::Compare, result_type({a, b}), DType::Bool, {a, b});
  t->compare = f;
  return fold(t);
}

struct FunctionInfo {
  int arity;
  UnaryFn unary;  // for one-argument float functions
};
const std::map<std::string, FunctionInfo, std::less<>>& functions() {
  static const std::map<std::string, FunctionInfo, std::less<>> table{
      {"abs", {1, UnaryFn::Abs}},       {"sqrt", {1, UnaryFn::Sqrt}},
      {"exp", {1, UnaryFn::Exp}},       {"log", {1, UnaryFn::Log}},
      {"log10", {1, UnaryFn::Log10}},   {"log1p", {1, UnaryFn::Log1p}},
      {"expm1", {1, UnaryFn::Expm1}},   {"sin", {1, UnaryFn::Sin}},
      {"cos", {1, UnaryFn::Cos}},       {"tan", {1, UnaryFn::Tan}},
      {"arcsin", {1, UnaryFn::Arcsin}}, {"arccos", {1, UnaryFn::Arccos}},
      {"arctan", {1, UnaryFn::Arctan}}, {"sinh", {1, UnaryFn::Sinh}},
      {"cosh", {1, UnaryFn::Cosh}},     {"tanh", {1, UnaryFn::Tanh}},
      {"floor", {1, UnaryFn::Floor}},   {"ceil", {1, UnaryFn::Ceil}},
      {"arcsinh", {1, UnaryFn::Arcsinh}}, {"arccosh", {1, UnaryFn::Arccosh}},
      {"arctanh", {1, UnaryFn::Arctanh}}, {"fmod", {2, UnaryFn::Count}},
      {"copy", {1, UnaryFn::Count}},     {"ones_like", {1, UnaryFn::Count}},
      {"arctan2", {2, UnaryFn::Count}}, {"hypot", {2, UnaryFn::Count}}, {"minimum", {2, UnaryFn::Count}},
      {"maximum", {2, UnaryFn::Count}}, {"where", {3, UnaryFn::Count}},
      {"clip", {3, UnaryFn::Count}},
  };
  return table;
}

std::string kind_word(DType d) { return std::string(dtype_name(d)); }

}  // namespace

int function_arity(std::string_view name) {
  auto it = functions().find(name);
  return it == functions().end() ? -1 : it->second.arity;
}

const std::vector<std::string>& function_list() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [n, _] : functions()) v.push_back(n);
    return v;
  }();
  return names;
}

ExprPtr make_leaf(const Image& image) {
  if (auto* e = dynamic_cast<const ExprNode*>(image.node().get())) return e->tree();
  auto t = node(ExprOp::Leaf, image.dtype());
  t->shape = image.shape();
  t->leaf = image;
  return t;
}

ExprPtr make_shifted_leaf(const Image& image, const Shape& offset, const Boundary& boundary) {
  if (std::all_of(offset.begin(), offset.end(), [](std::int64_t o) { return o == 0; })) return make_leaf(image);
  if (offset.size() > image.ndim())
    throw ValueError(std::to_string(offset.size()) + " neighbour offsets for an image of " +
                     std::to_string(image.ndim()) + " axes");
  auto t = node(ExprOp::Leaf, image.dtype());
  t->shape = image.shape();
  t->leaf = image;
  t->offset = offset;
  t->boundary = boundary;
  return t;
}

ExprPtr make_const(const Scalar& value) {
  auto t = node(ExprOp::Const, value.dtype);
  t->is_scalar = true;
  t->value = value;
  return t;
}

namespace {

// Whether v is exactly a value of `dtype`.
bool holds_exactly(DType dtype, const Scalar& v) {
  const bool integer = is_integer(v.dtype) && v.dtype != DType::Bool;
  return dispatch(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      return integer ? (v.i == 0 || v.i == 1) : (v.f == 0.0 || v.f == 1.0);
    } else if constexpr (std::is_integral_v<T>) {
      const double lo = static_cast<double>(std::numeric_limits<T>::min());
      const double end = std::ldexp(1.0, std::numeric_limits<T>::digits);  // one past the largest
      const double f = integer ? static_cast<double>(v.i) : v.f;
      if (integer && (v.i < std::numeric_limits<T>::min() || (v.i > 0 && static_cast<std::uint64_t>(v.i) >
                                                                             std::numeric_limits<T>::max())))
        return false;
      return f == std::trunc(f) && f >= lo && f < end;
    } else {
      constexpr std::int64_t kSafe = std::int64_t{1} << 62;
      if (integer) return v.i > -kSafe && v.i < kSafe && static_cast<std::int64_t>(static_cast<T>(v.i)) == v.i;
      return std::isnan(v.f) || static_cast<double>(static_cast<T>(v.f)) == v.f;
    }
  });
}

// Whether x chooses among constants only, each exactly a value of `dtype`:
// a constant, or a where() whose two values do (a label picked by
// conditions: the 004 seed's 13 -> 0..26).
bool selects_constants(const ExprPtr& x, DType dtype) {
  if (x->op == ExprOp::Const) return holds_exactly(dtype, x->value);
  return x->op == ExprOp::Where && selects_constants(x->args[1], dtype) && selects_constants(x->args[2], dtype);
}

}  // namespace

ExprPtr make_cast(const ExprPtr& x, DType dtype) {
  if (x->dtype == dtype) return x;
  // A cast of a choice is the choice of the casts; among constants that the
  // new dtype holds exactly, the casts fold, and the choices run in the
  // narrower dtype (int64 labels wanted as uint8 are chosen as uint8: an
  // eighth of the bytes).
  if (x->op == ExprOp::Where && !x->is_scalar && itemsize(dtype) <= itemsize(x->dtype) &&
      selects_constants(x, dtype)) {
    auto w = node(ExprOp::Where, dtype);
    w->shape = x->shape;
    w->args = {x->args[0], make_cast(x->args[1], dtype), make_cast(x->args[2], dtype)};
    return w;
  }
  auto t = node(ExprOp::Cast, dtype);
  t->args = {x};
  t->shape = x->shape;
  if (!x->is_scalar) return t;
  return fold(t);
}

ExprPtr make_op(std::string_view op, const std::vector<ExprPtr>& args) {
  const auto need = [&](std::size_t n) {
    if (args.size() != n)
      throw TypeError(std::string(op) + "() takes " + std::to_string(n) + " argument" +
                      (n == 1 ? "" : "s") + ", got " + std::to_string(args.size()));
  };
  if (op == "u+") {
    need(1);
    return args[0];
  }
  if (op == "u-") {
    need(1);
    if (args[0]->dtype == DType::Bool)
      throw TypeError("the unary '-' is not supported on booleans; use '~' to invert a mask");
    return unary(UnaryFn::Neg, args[0]->dtype, args[0]);
  }
  if (op == "~") {
    need(1);
    if (is_float(args[0]->dtype))
      throw TypeError("'~' needs a boolean or integer operand, got " + kind_word(args[0]->dtype));
    return unary(UnaryFn::Invert, args[0]->dtype, args[0]);
  }
  static const std::map<std::string, CompareFn, std::less<>> comparisons{
      {"<", CompareFn::Lt}, {"<=", CompareFn::Le}, {">", CompareFn::Gt},
      {">=", CompareFn::Ge}, {"==", CompareFn::Eq}, {"!=", CompareFn::Ne}};
  if (auto it = comparisons.find(op); it != comparisons.end()) {
    need(2);
    return compare(it->second, args[0], args[1]);
  }
  if (op == "+" || op == "*" || op == "-" || op == "minimum" || op == "maximum") {
    need(2);
    const DType t = result_type(args);
    if (t == DType::Bool) {
      if (op == "-")
        throw TypeError("'-' is not supported between booleans; use '^' or '&' with '~'");
      const bool is_or = op == "+" || op == "maximum";
      return binary(is_or ? BinaryFn::Or : BinaryFn::And, t, args[0], args[1]);
    }
    const BinaryFn f = op == "+"   ? BinaryFn::Add
                       : op == "*" ? BinaryFn::Mul
                       : op == "-" ? BinaryFn::Sub
                       : op == "minimum" ? BinaryFn::Minimum
                                         : BinaryFn::Maximum;
    return binary(f, t, args[0], args[1]);
  }
  if (op == "/") {
    need(2);
    const DType t = is_float(result_type(args)) ? result_type(args) : DType::Float64;
    // x / 1 is x in IEEE arithmetic (NaN, infinities and signed zeros too):
    // the 004 seed's slopes divide by sqrt(1) on six of their 26 neighbours.
    if (args[1]->op == ExprOp::Const && args[1]->value.as_double() == 1.0 && !args[0]->is_scalar)
      return make_cast(args[0], t);
    return binary(BinaryFn::Div, t, args[0], args[1]);
  }
  if (op == "//" || op == "%" || op == "**") {
    need(2);
    DType t = result_type(args);
    if (t == DType::Bool) t = DType::Int8;
    // Python: an integer to a negative integer power is a float.
    if (op == "**" && args[0]->is_scalar && args[1]->is_scalar && is_integer(t) && args[1]->value.i < 0)
      t = DType::Float64;
    if (op == "**" && args[1]->op == ExprOp::Const && !args[0]->is_scalar) {
      // numpy's fast paths for scalar exponents; exact, as numpy's are.
      const double e = args[1]->value.as_double();
      if (e == 2.0) return unary(UnaryFn::Square, t, args[0]);
      if (e == 1.0) return make_cast(args[0], t);
      if (is_float(t) && e == 0.5) return unary(UnaryFn::Sqrt, t, args[0]);
      if (is_float(t) && e == -1.0) return unary(UnaryFn::Reciprocal, t, args[0]);
    }
    const BinaryFn f = op == "//" ? BinaryFn::FloorDiv : op == "%" ? BinaryFn::Mod : BinaryFn::Pow;
    return binary(f, t, args[0], args[1]);
  }
  if (op == "&" || op == "|" || op == "^") {
    need(2);
    const DType t = result_type(args);
    if (is_float(t))
      throw TypeError("'" + std::string(op) + "' needs boolean or integer operands, got " +
                      kind_word(args[0]->dtype) + " and " + kind_word(args[1]->dtype) +
                      " (combine masks, e.g. (a > 0) & (b > 0))");
    const BinaryFn f = op == "&" ? BinaryFn::And : op == "|" ? BinaryFn::Or : BinaryFn::Xor;
    return binary(f, t, args[0], args[1]);
  }
  if (op == "where") {
    need(3);
    const DType t = result_type({args[1], args[2]});
    auto w = node(ExprOp::Where, t);
    w->args = {make_cast(args[0], DType::Bool), make_cast(args[1], t), make_cast(args[2], t)};
    return fold(w);
  }
  if (op == "clip") {
    need(3);
    const DType t = result_type(args);
    const ExprPtr lo = make_cast(args[1], t), hi = make_cast(args[2], t);
    return make_op("minimum", {make_op("maximum", {make_cast(args[0], t), lo}), hi});
  }
  if (op == "<<" || op == ">>") {
    need(2);
    const DType t = result_type(args);
    if (!is_integer(t) || t == DType::Bool)
      throw TypeError("'" + std::string(op) + "' needs integer operands, got " + kind_word(args[0]->dtype) + " and " +
                      kind_word(args[1]->dtype));
    return binary(op == "<<" ? BinaryFn::LeftShift : BinaryFn::RightShift, t, args[0], args[1]);
  }
  if (op == "fmod") {
    need(2);
    DType t = result_type(args);
    if (t == DType::Bool) t = DType::Int8;
    return binary(BinaryFn::Fmod, t, args[0], args[1]);
  }
  if (op == "copy") {
    need(1);
    return args[0];
  }
  if (op == "ones_like") {  // 1 in x's dtype and shape, whatever x holds (NaN included)
    need(1);
    auto w = node(ExprOp::Where, args[0]->dtype);
    w->shape = args[0]->shape;
    w->args = {compare(CompareFn::Eq, args[0], args[0]), make_cast(make_const(Scalar::of(std::int64_t{1})), args[0]->dtype),
               make_cast(make_const(Scalar::of(std::int64_t{1})), args[0]->dtype)};
    return fold(w);
  }
  if (op == "arctan2") {
    need(2);
    return binary(BinaryFn::Arctan2, float_result_type(result_type(args)), args[0], args[1]);
  }
  if (op == "hypot") {
    need(2);
    // The gradient magnitude of sobel or prewitt: one node, row by row.
    if (args[0]->op == ExprOp::Leaf && args[0]->offset.empty() && args[1]->op == ExprOp::Leaf &&
        args[1]->offset.empty())
      if (auto fused = derivative_magnitude_2d(args[0]->leaf, args[1]->leaf)) return make_leaf(*fused);
    return binary(BinaryFn::Hypot, float_result_type(result_type(args)), args[0], args[1]);
  }
  if (op == "abs") {
    need(1);
    if (args[0]->dtype == DType::Bool) return args[0];
    return unary(UnaryFn::Abs, args[0]->dtype, args[0]);
  }
  auto it = functions().find(op);
  if (it == functions().end() || it->second.arity != 1)
    throw NameError("unknown function '" + std::string(op) + "'");
  need(1);
  return unary(it->second.unary, float_result_type(args[0]->dtype), args[0]);
}

Operand to_operand(const ExprPtr& x) {
  if (x->op == ExprOp::Const) return Operand(x->value);
  return Operand(image_of(x));
}

ExprPtr from_operand(const Operand& x) {
  if (const auto* s = std::get_if<Scalar>(&x.value())) return make_const(*s);
  return make_leaf(std::get<Image>(x.value()));
}

Image image_of(const ExprPtr& x) {
  if (x->op == ExprOp::Leaf && x->offset.empty()) return x->leaf;
  return Image(std::make_shared<ExprNode>(x));
}

}  // namespace tessera::detail
