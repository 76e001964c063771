// tessera::evaluate and tessera::expression: parse, resolve names, build the
// typed tree (checking types and shapes, naming the culprits), run the engine.
#include "tessera/evaluate.hpp"

#include <algorithm>

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
  Resolver(const std::string& source, const Variables& vars) : src_(source), vars_(vars) {}

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
    }
    throw InternalError("unknown syntax node");
  }

 private:
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
                           text(*s.args[j]) + "' has shape " + shape_to_string(args[j]->shape));
        }
      }
    try {
      return detail::make_op(op, args);
    } catch (const TypeError& e) {
      throw TypeError(std::string(e.what()) + " (in '" + text(s) + "')");
    }
  }

  std::string text(const Syntax& s) const { return src_.substr(s.begin, s.end - s.begin); }
  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  }

  const std::string& src_;
  const Variables& vars_;
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
  detail::run_on_deep_stack(std::max<std::size_t>(8 << 20, source.size() * 2048), [&] { result = f(); });
  return result;
}

std::vector<std::string> expression_names(const std::string& expression) {
  return on_stack_for(expression, [&] {
    std::vector<std::string> names;
    collect_names(*detail::parse_expression(expression), names);
    return names;
  });
}

Image expression(const std::string& source, const Variables& variables) {
  return on_stack_for(source, [&] {
    const auto syntax = detail::parse_expression(source);
    return detail::image_of(Resolver(source, variables).resolve(*syntax));
  });
}

Buffer evaluate(const std::string& source, const Variables& variables, const ComputeOptions& options) {
  return expression(source, variables).compute(options);
}

void evaluate_into(const std::string& source, const Variables& variables, const View& out,
                   const ComputeOptions& options) {
  expression(source, variables).compute_into(out, options);
}

}  // namespace tessera
