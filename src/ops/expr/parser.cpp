#include "ops/expr/parser.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace tessera::detail {

namespace {

struct Token {
  enum class Kind { Number, Name, Op, End } kind;
  std::string text;
  std::size_t pos;
};

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ >= s_.size()) break;
      const std::size_t start = i_;
      const char c = s_[i_];
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' ||
                                  s_[i_] == '_' ||
                                  ((s_[i_] == '+' || s_[i_] == '-') && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E'))))
          ++i_;
        out.push_back({Token::Kind::Number, s_.substr(start, i_ - start), start});
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_')) ++i_;
        out.push_back({Token::Kind::Name, s_.substr(start, i_ - start), start});
      } else {
        static const char* two[] = {"**", "//", "<=", ">=", "==", "!=", "<<", ">>"};
        std::string op(1, c);
        for (const char* t : two)
          if (s_.compare(i_, 2, t) == 0) op = t;
        if (s_.compare(i_, 3, "...") == 0) op = "...";
        if (op.size() == 1 && std::string("+-*/%<>&|^~(),[]:").find(c) == std::string::npos) {
          if (c == '=') throw ExprSyntaxError("assignment '=' is not allowed; did you mean '=='?", s_, i_);
          // The whole character (UTF-8 continues in bytes 10xxxxxx), or an
          // escape for a control byte such as NUL.
          std::size_t end = i_ + 1;
          while (end < s_.size() && (static_cast<unsigned char>(s_[end]) & 0xC0) == 0x80) ++end;
          const auto byte = static_cast<unsigned char>(c);
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\x%02x", byte);
          const std::string shown = byte < 0x20 || byte == 0x7f ? std::string(escape) : s_.substr(i_, end - i_);
          throw ExprSyntaxError("unexpected character '" + shown + "'", s_, i_);
        }
        i_ += op.size();
        out.push_back({Token::Kind::Op, op, start});
      }
    }
    out.push_back({Token::Kind::End, "", s_.size()});
    return out;
  }

 private:
  const std::string& s_;
  std::size_t i_ = 0;
};

class Parser {
 public:
  Parser(const std::string& s, std::vector<Token> tokens) : s_(s), t_(std::move(tokens)) {}

  std::unique_ptr<Syntax> run() {
    if (peek().kind == Token::Kind::End) throw ExprSyntaxError("empty expression", s_, 0);
    auto e = comparison();
    if (peek().kind != Token::Kind::End)
      throw ExprSyntaxError("unexpected '" + peek().text + "'", s_, peek().pos);
    return e;
  }

 private:
  // Nesting deeper than CPython's own limit (about 200 parentheses) is a
  // syntax error, not a stack overflow. A flat chain (a + b + c ...) is a
  // loop here and nests nothing.
  static constexpr int kMaxNesting = 200;
  struct Nest {
    Parser& p;
    Nest(Parser& parser, std::size_t at) : p(parser) {
      if (++p.nesting_ > kMaxNesting)
        throw ExprSyntaxError("too many nested parentheses or operators (at most " + std::to_string(kMaxNesting) +
                                  ")",
                              p.s_, at);
    }
    ~Nest() { --p.nesting_; }
  };
  int nesting_ = 0;

  const Token& peek() const { return t_[k_]; }
  bool is_op(const char* op) const { return peek().kind == Token::Kind::Op && peek().text == op; }

  static std::unique_ptr<Syntax> binary(const std::string& op, std::unique_ptr<Syntax> a,
                                        std::unique_ptr<Syntax> b) {
    auto n = std::make_unique<Syntax>();
    n->kind = Syntax::Kind::Binary;
    n->text = op;
    n->begin = a->begin;
    n->end = b->end;
    n->args.push_back(std::move(a));
    n->args.push_back(std::move(b));
    return n;
  }

  // Python: a < b < c means (a < b) & (b < c); comparisons bind looser than | ^ &.
  std::unique_ptr<Syntax> comparison() {
    auto left = level(0);
    std::unique_ptr<Syntax> result;
    static const char* ops[] = {"<", "<=", ">", ">=", "==", "!="};
    for (;;) {
      const char* found = nullptr;
      for (const char* op : ops)
        if (is_op(op)) found = op;
      if (!found) break;
      ++k_;
      auto right = level(0);
      // The middle operand of a chain is re-parsed as a copy of its text.
      std::unique_ptr<Syntax> right_copy = right ? clone(*right) : nullptr;
      auto cmp = binary(found, std::move(left), std::move(right));
      result = result ? binary("&", std::move(result), std::move(cmp)) : std::move(cmp);
      left = std::move(right_copy);
    }
    return result ? std::move(result) : std::move(left);
  }

  static std::unique_ptr<Syntax> clone(const Syntax& s) {
    auto c = std::make_unique<Syntax>();
    c->kind = s.kind;
    c->text = s.text;
    c->number = s.number;
    c->begin = s.begin;
    c->end = s.end;
    c->items = s.items;
    for (const auto& a : s.args) c->args.push_back(clone(*a));
    return c;
  }

  // Binary levels, loosest first, as Python's: | ^ & (<< >>) (+ -) (* / // %).
  std::unique_ptr<Syntax> level(int depth) {
    static const std::vector<std::vector<const char*>> levels = {
        {"|"}, {"^"}, {"&"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "//", "%"}};
    if (depth == static_cast<int>(levels.size())) return unary();
    auto left = level(depth + 1);
    for (;;) {
      const char* found = nullptr;
      for (const char* op : levels[depth])
        if (is_op(op)) found = op;
      if (!found) return left;
      ++k_;
      left = binary(found, std::move(left), level(depth + 1));
    }
  }

  std::unique_ptr<Syntax> unary() {
    if (is_op("-") || is_op("+") || is_op("~")) {
      const Token tok = peek();
      const Nest nest(*this, tok.pos);
      ++k_;
      auto n = std::make_unique<Syntax>();
      n->kind = Syntax::Kind::Unary;
      n->text = tok.text == "~" ? "~" : "u" + tok.text;
      n->begin = tok.pos;
      n->args.push_back(unary());
      n->end = n->args[0]->end;
      return n;
    }
    return power();
  }

  std::unique_ptr<Syntax> power() {
    auto base = atom();
    while (is_op("[")) base = subscript(std::move(base));
    if (!is_op("**")) return base;
    const Nest nest(*this, peek().pos);
    ++k_;
    return binary("**", std::move(base), unary());
  }

  std::unique_ptr<Syntax> atom() {
    const Token tok = peek();
    auto n = std::make_unique<Syntax>();
    n->begin = tok.pos;
    n->end = tok.pos + tok.text.size();
    switch (tok.kind) {
      case Token::Kind::Number:
        ++k_;
        n->kind = Syntax::Kind::Number;
        n->number = parse_number(tok);
        return n;
      case Token::Kind::Name:
        ++k_;
        if (tok.text == "True" || tok.text == "False") {
          n->kind = Syntax::Kind::Number;
          n->number = Scalar::of(tok.text == "True");
          return n;
        }
        if (is_op("(")) {
          const Nest nest(*this, peek().pos);
          ++k_;
          n->kind = Syntax::Kind::Call;
          n->text = tok.text;
          if (!is_op(")")) {
            for (;;) {
              n->args.push_back(comparison());
              if (is_op(",")) {
                ++k_;
                continue;
              }
              break;
            }
          }
          expect(")", tok);
          n->end = t_[k_ - 1].pos + 1;
          return n;
        }
        n->kind = Syntax::Kind::Name;
        n->text = tok.text;
        return n;
      case Token::Kind::Op:
        if (tok.text == "(") {
          const Nest nest(*this, tok.pos);
          ++k_;
          auto inner = comparison();
          expect(")", tok);
          inner->begin = tok.pos;
          inner->end = t_[k_ - 1].pos + 1;
          return inner;
        }
        throw ExprSyntaxError("unexpected '" + tok.text + "'", s_, tok.pos);
      case Token::Kind::End:
        throw ExprSyntaxError("unexpected end of expression", s_, tok.pos);
    }
    throw ExprSyntaxError("unexpected token", s_, tok.pos);
  }

  // base[item, ...]: constant integers (signed), slices of them, '...'.
  std::unique_ptr<Syntax> subscript(std::unique_ptr<Syntax> base) {
    const Token open = peek();
    const Nest nest(*this, open.pos);
    ++k_;
    auto n = std::make_unique<Syntax>();
    n->kind = Syntax::Kind::Subscript;
    n->begin = base->begin;
    n->args.push_back(std::move(base));
    for (;;) {
      Syntax::Item item;
      item.begin = peek().pos;
      if (is_op("...")) {
        ++k_;
        item.kind = Syntax::Item::Kind::Ellipsis;
      } else {
        item.start = optional_integer();
        if (is_op(":")) {
          item.kind = Syntax::Item::Kind::Slice;
          ++k_;
          item.stop = optional_integer();
          if (is_op(":")) {
            ++k_;
            item.step = optional_integer();
          }
        } else if (!item.start) {
          throw ExprSyntaxError("a subscript takes constant integers, slices and '...' (a[-1, 0], a[..., 0:3])",
                                s_, peek().pos);
        }
      }
      n->items.push_back(item);
      if (!is_op(",")) break;
      ++k_;
      if (is_op("]")) break;  // a trailing comma, as Python allows
    }
    expect("]", open);
    n->end = t_[k_ - 1].pos + 1;
    return n;
  }

  // An integer constant with an optional sign, if one is next.
  std::optional<std::int64_t> optional_integer() {
    static const char* kWhat = "a subscript takes constant integers, slices and '...' (a[-1, 0], a[..., 0:3])";
    const bool sign = is_op("-") || is_op("+");
    const bool negative = is_op("-");
    if (sign) ++k_;
    if (peek().kind != Token::Kind::Number) {
      if (sign) throw ExprSyntaxError(kWhat, s_, peek().pos);
      return std::nullopt;
    }
    const Scalar v = parse_number(peek());
    if (is_float(v.dtype)) throw ExprSyntaxError(kWhat, s_, peek().pos);
    ++k_;
    return negative ? -v.i : v.i;
  }

  void expect(const char* op, const Token& opener) {
    if (is_op(op)) {
      ++k_;
      return;
    }
    if (peek().kind == Token::Kind::End)
      throw ExprSyntaxError("'" + opener.text + "' was never closed", s_, opener.pos);
    throw ExprSyntaxError("expected '" + std::string(op) + "', found '" + peek().text + "'", s_,
                          peek().pos);
  }

  Scalar parse_number(const Token& tok) const {
    const std::string& text = tok.text;
    const bool is_float_literal = text.find_first_of(".eE") != std::string::npos;
    errno = 0;
    char* end = nullptr;
    Scalar value;
    if (is_float_literal) {
      const double v = std::strtod(text.c_str(), &end);
      value = Scalar::of(v);
    } else {
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (errno == ERANGE)
        throw ExprSyntaxError("integer literal '" + text + "' does not fit in int64", s_, tok.pos);
      value = Scalar::of(static_cast<std::int64_t>(v));
    }
    if (end != text.c_str() + text.size())
      throw ExprSyntaxError("invalid number '" + text + "'", s_, tok.pos);
    return value;
  }

  const std::string& s_;
  std::vector<Token> t_;
  std::size_t k_ = 0;
};

}  // namespace

std::unique_ptr<Syntax> parse_expression(const std::string& source) {
  return Parser(source, Lexer(source).run()).run();
}

}  // namespace tessera::detail
