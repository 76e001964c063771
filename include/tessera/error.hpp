// Exceptions thrown by tessera. The Python binding maps each to the Python
// exception a numpy user expects (ValueError, TypeError, SyntaxError, ...).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace tessera {

// Base of every tessera error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad value: an unknown dtype or mode, a bad size, shapes that do not broadcast.
class ValueError : public Error {
 public:
  using Error::Error;
};

// An operation that does not apply to a dtype (unary minus on bool, ...).
class TypeError : public Error {
 public:
  using Error::Error;
};

// A name in an expression that no variable defines.
class NameError : public Error {
 public:
  using Error::Error;
};

// A file that is missing, unreadable, corrupt or cannot be written.
class IOError : public Error {
 public:
  using Error::Error;
};

// An expression that does not parse. `what()` holds the message with the
// expression and a caret under the offending position; `position` is 0-based.
class ExprSyntaxError : public Error {
 public:
  ExprSyntaxError(const std::string& message, const std::string& expression, std::size_t position);
  const std::string& message() const { return message_; }
  const std::string& expression() const { return expression_; }
  std::size_t position() const { return position_; }

 private:
  std::string message_;
  std::string expression_;
  std::size_t position_;
};

// Work stopped by request_interrupt() (tessera/interrupt.hpp): Ctrl-C in
// Python, a signal on the command line.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted") {}
};

// A broken invariant inside tessera: a bug, never bad input.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace tessera
