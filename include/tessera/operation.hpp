// The registry of operations: each operation registers once, next to its
// implementation, with its name, its documentation, its parameters (kind,
// default, allowed range or choices) and a builder from checked arguments to
// lazy images. Every face reads it: the Python functions and their help(),
// the tessera.dask twins, the command line's subcommands and --help, and the
// README's table. A parameter check lives here, so every face gives the same
// message ("frost_filter: damping must be >= 0, got -1").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tessera/image.hpp"

namespace tessera {

// What a parameter holds, as every face reads and checks it.
enum class ParamKind {
  Image,   // an input image (a numpy array, a lazy image, a file on the command line)
  Images,  // a sequence of input images (a stack)
  Int,     // an integer (an integral float is accepted)
  Real,    // a real number
  Ints,    // an integer for every axis, or one per axis (a window's size)
  Reals,   // a number for every axis, or one per axis (a sigma), or a list (weights)
  Choice,  // one of a fixed set of words (a boundary mode, an edge rule)
  DType,   // an output dtype, or none (the operation's own choice)
  Array,   // a small array of the input's rank (a footprint, weights), or none; a .npy file on the command line
};
std::string_view param_kind_name(ParamKind kind);

// A parameter's value: none (monostate), an integer, a real, a word,
// integers (Ints), reals (Reals), a dtype, an image or images.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Shape, std::vector<double>, DType, Image,
                           std::vector<Image>>;

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::Real;
  std::string doc;
  bool required = false;
  Value default_value;                  // when not required; monostate means None
  std::optional<double> min, max;       // allowed range, inclusive unless *_open
  bool min_open = false, max_open = false;
  bool odd = false;                     // Int/Ints: odd values only
  std::vector<std::string> choices;     // Choice: the allowed words
  std::string noun = "value";           // Choice: what a word is, for messages ("boundary mode")
  // Choice: one word, or one per axis of the main input (given as words
  // joined by commas; a face turns a sequence into that). call_operation
  // checks their number against the input's axes (or `axes`, when given).
  bool per_axis = false;
  // None means "computed from the whole image" (lee_sigma_filter's z98): a
  // face that runs an operation on parts of an image (Dask) must be given it.
  bool whole_image_default = false;
};

// Parameters most operations share, built the same way everywhere.
namespace param {
ParamSpec input(std::string doc = "the input image");
ParamSpec inputs(std::string doc = "the input images, of one shape");
ParamSpec dtype(std::string name, std::string doc);  // a dtype or None (the default)
// "size": a window of 1 to 1025 per axis (0 or 1 leaves an axis alone).
ParamSpec sizes(std::string doc, std::optional<std::int64_t> default_size = std::nullopt);
ParamSpec ints(std::string name, std::optional<std::int64_t> default_value, std::string doc);
ParamSpec reals(std::string name, std::optional<double> default_value, std::string doc);
ParamSpec integer(std::string name, std::int64_t default_value, std::string doc);
ParamSpec real(std::string name, double default_value, std::string doc);
ParamSpec choice(std::string name, std::vector<std::string> choices, std::string default_value, std::string doc,
                 std::string noun = "value");
ParamSpec output_dtype(std::string doc);
// A small array argument (weights, a footprint, a table): a numpy array in
// Python, a .npy or .tif file on the command line.
ParamSpec array(std::string name, std::string doc, bool required = true);
// "footprint": a boolean array choosing the window's elements, or None (the
// box of `size`), as scipy.ndimage takes it.
ParamSpec footprint();
// "mode" (the boundary table's five modes, default reflect) and "cval".
std::vector<ParamSpec> boundary();
// Lists of parameters, one after another, as a signature reads them.
std::vector<ParamSpec> join(std::initializer_list<std::vector<ParamSpec>> lists);
}  // namespace param

// Checked arguments of one call, by parameter name, defaults filled in.
class Arguments {
 public:
  void set(std::string name, Value value);
  bool has(std::string_view name) const;
  const Value& value(std::string_view name) const;

  const Image& image(std::string_view name) const;
  const std::vector<Image>& images(std::string_view name) const;
  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  const std::string& word(std::string_view name) const;
  const Shape& ints(std::string_view name) const;
  const std::vector<double>& reals(std::string_view name) const;
  std::optional<DType> dtype(std::string_view name) const;
  // Integers whose default is None (axes), or none.
  std::optional<Shape> optional_ints(std::string_view name) const;
  // A real whose default is None, or none.
  std::optional<double> optional_real(std::string_view name) const;
  // A footprint (an image) or none.
  std::optional<Image> optional_image(std::string_view name) const;
  // The boundary from "mode" and "cval".
  Boundary boundary() const;

 private:
  std::map<std::string, Value, std::less<>> values_;
};

struct Operation {
  std::string name;                  // the Python name: "frost_filter"
  std::string summary;               // one line
  std::string doc;                   // the rest of the documentation (may be empty)
  std::vector<ParamSpec> params;     // in the order of the Python signature
  std::vector<std::string> outputs;  // one name per result: {"result"}, or {"mean", "std"}
  std::function<std::vector<Image>(const Arguments&)> build;
  // True when the result is lazy whatever the inputs (a stack reduction,
  // which feeds a save or a filter); else arrays in give arrays out.
  bool lazy_result = false;

  const ParamSpec& param(std::string_view name) const;  // ValueError if it has none of that name
  // The parameter that is the operation's main input (the first Image or Images).
  const ParamSpec& main_input() const;
};

// Registers an operation (at static initialisation, from its own source
// file); a second operation of the same name is an InternalError.
bool register_operation(Operation operation);

// Every registered operation, sorted by name.
const std::vector<const Operation*>& operations();
// One operation; ValueError listing the names if there is none.
const Operation& operation(std::string_view name);

// Checks `value` against parameter `param` of `operation` and returns it in
// its canonical form (an integer for Real becomes a double; one size becomes
// a Shape of one entry). The message names the operation, the parameter and
// what is allowed: "frost_filter: damping must be >= 0, got -1".
Value check_argument(const Operation& operation, const ParamSpec& param, Value value);
Value check_argument(std::string_view operation, std::string_view param, Value value);

// Parses a command-line word for a parameter (Image parameters are paths,
// which the caller opens), then checks it.
Value parse_argument(const Operation& operation, const ParamSpec& param, const std::string& text);

// Checks every argument, fills in defaults, rejects unknown names and
// missing required ones, and builds the operation's lazy results.
std::vector<Image> call_operation(const Operation& operation, const std::map<std::string, Value>& arguments);
std::vector<Image> call_operation(std::string_view name, const std::map<std::string, Value>& arguments);

// A value as the documentation and messages write it ("reflect", "7", "2.5", "None").
std::string value_to_string(const Value& value);
// The allowed values of a parameter in words ("> 0", "one of reflect, ...",
// "odd, from 1 to 255"), or "" when anything of its kind goes.
std::string allowed_to_string(const ParamSpec& param);

}  // namespace tessera
