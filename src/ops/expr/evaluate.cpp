// tessera::evaluate and tessera::expression: parse, resolve names, build the
// typed tree (checking types and shapes, naming the culprits), run the engine.
#include "tessera/evaluate.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "core/thread_pool.hpp"
#include "ops/expr/expr_tree.hpp"
#include "ops/expr/parser.hpp"

namespace tessera {

namespace {

using detail::ExprPtr;
using detail::Syntax;

void collect_names(const Syntax& s, std::vector<std::string>& out) {
  if (s.kind == Syntax::Kind::Name && std::find(out.begin(), out.end(), s.text) == out.end())
    out.push_back(s.text);
  for (const auto& a : s.args) collect_names(*a, out);
}

class Resolver {
 public:
  Resolver(const std::string& source, const Variables& vars, const Boundary& boundary)
      : src_(source), vars_(vars), boundary_(boundary) {}

  ExprPtr resolve(const Syntax& s) {
    switch (s.kind) {
      case Syntax::Kind::Number: return detail::make_const(s.number);
      case Syntax::Kind::Name: {
        auto it = vars_.find(s.text);
        if (it == vars_.end())
          throw NameError("name '" + s.text + "' is not defined (at position " +
                          std::to_string(s.begin) + " of '" + src_ + "')");
        return detail::from_operand(it->second);
      }
      case Syntax::Kind::Call: {
        const int arity = detail::function_arity(s.text);
        if (arity < 0)
          throw NameError("unknown function '" + s.text + "' (at position " + std::to_string(s.begin) +
                          "); known: " + join(detail::function_list()));
        if (static_cast<int>(s.args.size()) != arity)
          throw TypeError(s.text + "() takes " + std::to_string(arity) + " argument" +
                          (arity == 1 ? "" : "s") + ", got " + std::to_string(s.args.size()) +
                          " (at position " + std::to_string(s.begin) + ")");
        return apply(s, s.text);
      }
      case Syntax::Kind::Unary:
      case Syntax::Kind::Binary: return apply(s, s.text);
      case Syntax::Kind::Subscript: return subscript(s);
    }
    throw InternalError("unknown syntax node");
  }

 private:
  using Item = Syntax::Item;

  ExprPtr subscript(const Syntax& s) {
    const Syntax& base = *s.args[0];
    if (base.kind != Syntax::Kind::Name && base.kind != Syntax::Kind::Subscript)
      throw ExprSyntaxError("only a variable can be subscripted (a[-1, 0], a[..., 0]), not '" + text(base) + "'",
                            src_, s.begin);
    const ExprPtr value = resolve(base);
    if (value->is_scalar || value->shape.empty())
      throw TypeError("'" + text(base) + "' is a scalar: it has no channels or neighbours (in '" + text(s) + "')");
    // One image per subscripted value: a[0, 1] + a[0, -1] of an expression
    // variable reads one node (fetched once per tile), not one node per read.
    auto known = images_.find(value.get());
    if (known == images_.end()) known = images_.emplace(value.get(), std::make_pair(value, detail::image_of(value))).first;
    const Image& image = known->second.second;
    const auto ellipsis = std::find_if(s.items.begin(), s.items.end(),
                                       [](const Item& i) { return i.kind == Item::Kind::Ellipsis; });
    if (ellipsis != s.items.end()) return channels(s, image, ellipsis);
    for (const Item& i : s.items)
      if (i.kind == Item::Kind::Slice)
        throw ExprSyntaxError("a slice picks channels after '...' (a[..., 0:3]); integers alone are neighbour "
                              "offsets (a[-1, 0])", src_, i.begin);
    if (s.items.size() > image.ndim())
      throw ValueError("'" + text(s) + "' gives " + std::to_string(s.items.size()) + " neighbour offsets, but '" +
                       text(base) + "' has " + std::to_string(image.ndim()) + " axes");
    Shape offset;
    for (const Item& i : s.items) {
      // A reach beyond this is a tile of that many elements per worker: a typo, not a stencil.
      constexpr std::int64_t kMaxOffset = 1 << 20;
      if (*i.start > kMaxOffset || *i.start < -kMaxOffset)
        throw ValueError("a neighbour offset of " + std::to_string(*i.start) + " reaches too far (at most " +
                         std::to_string(kMaxOffset) + "; at position " + std::to_string(i.begin) + ")");
      offset.push_back(*i.start);
    }
    return detail::make_shifted_leaf(image, offset, boundary_);
  }

  // a[..., i, j:k]: numpy's basic indexing of the last axes; '...' first.
  ExprPtr channels(const Syntax& s, const Image& image, std::vector<Item>::const_iterator ellipsis) {
    if (ellipsis != s.items.begin())
      throw ExprSyntaxError("'...' comes first: a[..., 0] picks channels, a[-1, 0] reads a neighbour", src_,
                            ellipsis->begin);
    const std::size_t picked = s.items.size() - 1;
    for (auto it = ellipsis + 1; it != s.items.end(); ++it)
      if (it->kind == Item::Kind::Ellipsis) throw ExprSyntaxError("only one '...' is allowed", src_, it->begin);
    if (picked > image.ndim())
      throw ValueError("'" + text(s) + "' indexes " + std::to_string(picked) + " axes, but the image has " +
                       std::to_string(image.ndim()));
    std::vector<AxisIndex> index(image.ndim() - picked, AxisIndex{AxisIndex::Kind::Slice, 0, 1, 0});
    for (std::size_t a = 0; a < index.size(); ++a) index[a].count = image.shape()[a];
    for (std::size_t k = 0; k < picked; ++k) {
      const std::size_t axis = image.ndim() - picked + k;
      index.push_back(axis_index(s.items[k + 1], image.shape()[axis], axis));
    }
    return detail::from_operand(image.index(index));
  }

  // Python's meaning of one item on an axis of length n.
  AxisIndex axis_index(const Item& item, std::int64_t n, std::size_t axis) const {
    if (item.kind == Item::Kind::Integer) {
      const std::int64_t i = *item.start < 0 ? *item.start + n : *item.start;
      if (i < 0 || i >= n)
        throw ValueError("index " + std::to_string(*item.start) + " is out of bounds for axis " +
                         std::to_string(axis) + " with size " + std::to_string(n) + " (at position " +
                         std::to_string(item.begin) + ")");
      return {AxisIndex::Kind::Integer, i, 1, 1};
    }
    // slice.indices(n)
    const std::int64_t step = item.step.value_or(1);
    if (step == 0) throw ValueError("slice step cannot be zero (at position " + std::to_string(item.begin) + ")");
    auto clamp = [&](std::optional<std::int64_t> v, std::int64_t fallback) {
      if (!v) return fallback;
      std::int64_t x = *v < 0 ? *v + n : *v;
      if (step > 0) return std::clamp<std::int64_t>(x, 0, n);
      return std::clamp<std::int64_t>(x, -1, n - 1);
    };
    const std::int64_t start = clamp(item.start, step > 0 ? 0 : n - 1);
    const std::int64_t stop = clamp(item.stop, step > 0 ? n : -1);
    std::int64_t count = 0;  // as Python counts, without overflow for any step
    if (step > 0 && stop > start) count = (stop - start - 1) / step + 1;
    if (step < 0 && start > stop)  // -step overflows for the most negative step, which takes one element
      count = step == std::numeric_limits<std::int64_t>::min() ? 1 : (start - stop - 1) / -step + 1;
    return {AxisIndex::Kind::Slice, start, step, count};
  }

  ExprPtr apply(const Syntax& s, const std::string& op) {
    std::vector<ExprPtr> args;
    for (const auto& a : s.args) args.push_back(resolve(*a));
    // Check broadcasting here, where the operands' text is known.
    for (std::size_t i = 0; i < args.size(); ++i)
      for (std::size_t j = i + 1; j < args.size(); ++j) {
        try {
          detail::broadcast_shapes(args[i]->shape, args[j]->shape);
        } catch (const ValueError&) {
          throw ValueError("operands could not be broadcast together: '" + text(*s.args[i]) +
                           "' has shape " + shape_to_string(args[i]->shape) + " and '" +
                           text(*s.args[j]) + "' has shape " + shape_to_string(args[j]->shape) +
                           channel_hint(args[i]->shape, args[j]->shape));
        }
      }
    try {
      return detail::make_op(op, args);
    } catch (const TypeError& e) {
      throw TypeError(std::string(e.what()) + " (in '" + text(s) + "')");
    }
  }

  // As in numpy, a[..., 0] drops the channel axis; a mask made of such picks
  // meets the image it came from with one axis fewer.
  static std::string channel_hint(const Shape& a, const Shape& b) {
    const Shape& shorter = a.size() < b.size() ? a : b;
    const Shape& longer = a.size() < b.size() ? b : a;
    if (longer.size() != shorter.size() + 1 || !std::equal(shorter.begin(), shorter.end(), longer.begin())) return "";
    return " (a[..., 0] drops the channel axis, as in numpy; a[..., 0:1] keeps it)";
  }

  std::string text(const Syntax& s) const { return src_.substr(s.begin, s.end - s.begin); }
  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  }

  const std::string& src_;
  const Variables& vars_;
  Boundary boundary_;
  // The image made for each subscripted value (its tree kept alive with it).
  std::map<const detail::ExprTree*, std::pair<ExprPtr, Image>> images_;
};

}  // namespace

// Parsing, resolving and compiling recurse over the expression's tree, which
// is as deep as a flat chain is long (a + b + ... is left-deep): they run on
// a stack sized for it, 2 KiB a character (a 100,000-term sum: 400 MB,
// reserved, touched only as deep as it goes).
template <typename F> auto on_stack_for(const std::string& source, F&& f) {
  constexpr std::size_t kSmall = 4096;  // short expressions: the caller's stack is plenty
  if (source.size() < kSmall) return f();
  decltype(f()) result;
  detail::run_on_deep_stack(std::max<std::size_t>(8 << 20, source.size() * 2048 * detail::kStackFrameScale),
                            [&] { result = f(); });
  return result;
}

std::vector<std::string> expression_names(const std::string& expression) {
  return on_stack_for(expression, [&] {
    std::vector<std::string> names;
    collect_names(*detail::parse_expression(expression), names);
    return names;
  });
}

Image expression(const std::string& source, const Variables& variables, const Boundary& boundary) {
  return on_stack_for(source, [&] {
    const auto syntax = detail::parse_expression(source);
    return detail::image_of(Resolver(source, variables, boundary).resolve(*syntax));
  });
}

Buffer evaluate(const std::string& source, const Variables& variables, const ComputeOptions& options,
                const Boundary& boundary) {
  return expression(source, variables, boundary).compute(options);
}

void evaluate_into(const std::string& source, const Variables& variables, const View& out,
                   const ComputeOptions& options, const Boundary& boundary) {
  expression(source, variables, boundary).compute_into(out, options);
}

}  // namespace tessera
