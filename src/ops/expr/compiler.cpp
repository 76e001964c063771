// The expression compiler: a typed tree to a register program (registers
// reused as soon as their values die, loads shared, row-constant parts
// hoisted), and the lookup table of a program of one 8-bit input. The block
// VM that runs programs is program.cpp (as numexpr keeps necompiler.py apart
// from interpreter.cpp).
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "core/cast.hpp"
#include "ops/expr/program.hpp"

namespace tessera::detail {

bool LeafRef::reads(const ExprTree& leaf) const {
  if (leaf.leaf.node().get() != node || leaf.offset != offset) return false;
  return offset.empty() || leaf.boundary == boundary;
}

namespace {

class Compiler {
 public:
  Compiler(const ExprPtr& root, const std::vector<LeafRef>& leaves, const std::vector<bool>& row_leaf)
      : leaves_(leaves), row_leaf_(row_leaf) {
    count_uses(root.get());
    preallocate(root.get());
    p_.result = emit(root.get());
    if (is_row(root.get())) p_.result = expanded(root.get());
    p_.result_dtype = root->dtype;
    // One input of at most 8 bits and real work to do: use a lookup table.
    std::set<int> leaves_used;
    for (const auto& ld : p_.loads) leaves_used.insert(ld.leaf);
    if (leaves_used.size() == 1 && (costly_ || p_.steps.size() > 8)) {
      const DType d = leaves_[static_cast<std::size_t>(*leaves_used.begin())].node->dtype();
      if (itemsize(d) == 1) p_.lookup_leaf = *leaves_used.begin();
    }
  }
  Program take() { return std::move(p_); }

 private:
  // How many times each tree node's value is read, for register reuse.
  void count_uses(const ExprTree* t) {
    if (uses_[t]++ > 0) return;
    if (t->op == ExprOp::Cast && t->args[0]->op == ExprOp::Leaf) return;  // a converting load
    for (const auto& a : t->args) count_uses(a.get());
  }

  bool is_leaf_load(const ExprTree* t) const {
    return t->op == ExprOp::Leaf || (t->op == ExprOp::Cast && t->args[0]->op == ExprOp::Leaf);
  }

  // Computed once per row: all inputs row leaves or constants, one at least a leaf.
  bool is_row(const ExprTree* t) {
    if (row_leaf_.empty()) return false;
    if (auto it = row_of_.find(t); it != row_of_.end()) return it->second;
    bool row = false;
    if (is_leaf_load(t)) {
      const ExprTree* leaf = t->op == ExprOp::Leaf ? t : t->args[0].get();
      row = row_leaf_[static_cast<std::size_t>(leaf_index(*leaf))];
    } else if (t->op != ExprOp::Const) {
      bool all = true;
      for (const auto& a : t->args) {
        all = all && (a->op == ExprOp::Const || is_row(a.get()));
        row = row || is_row(a.get());
      }
      row = row && all;
    }
    row_of_[t] = row;
    return row;
  }

  // The register holding a row value repeated over the block's columns.
  int expanded(const ExprTree* t) {
    if (auto it = expanded_of_.find(t); it != expanded_of_.end()) return it->second;
    const int src = reg_of_.at(t);
    const int r = pinned_reg(t->dtype);
    p_.steps.push_back({nullptr, r, src, -1, -1, Program::Mode::Expand, t->dtype});
    expanded_of_[t] = r;
    return r;
  }

  // Loads run at the start of every block and constants are filled once, so
  // their registers are claimed before any step's: no step may share them.
  void preallocate(const ExprTree* t) {
    // Once per node: a tree is a graph whose shared parts (a kernel's running
    // maximum, read by each next step twice) would otherwise be walked once
    // per path, exponentially often.
    if (reg_of_.count(t) || !preallocated_.insert(t).second) return;
    if (t->op == ExprOp::Leaf || (t->op == ExprOp::Cast && t->args[0]->op == ExprOp::Leaf) ||
        t->op == ExprOp::Const) {
      emit(t);
      return;
    }
    for (const auto& a : t->args) preallocate(a.get());
  }

  int new_reg(DType d) {
    for (std::size_t r = 0; r < free_.size(); ++r)
      if (free_[r]) {
        free_[r] = false;
        p_.reg_dtype[r] = d;
        return static_cast<int>(r);
      }
    free_.push_back(false);
    pinned_.push_back(false);
    p_.reg_dtype.push_back(d);
    return static_cast<int>(free_.size() - 1);
  }

  // Marks one read of an argument done, freeing its register after its last
  // read. Loads and constants keep theirs: they are set once per block or run.
  void release(const ExprTree* t) {
    const int r = reg_of_.at(t);
    if (--remaining_[t] == 0 && !pinned_[r]) free_[r] = true;
  }

  // Emits the arguments, then a fresh register for the result: a step never
  // writes over its own operands (a widening kernel could not run in place).
  std::vector<int> args_then(const ExprTree* t, DType result, int& dst) {
    std::vector<int> regs;
    for (const auto& a : t->args) regs.push_back(emit(a.get()));
    if (!is_row(t))  // a full-shape step reads row values expanded
      for (std::size_t i = 0; i < regs.size(); ++i)
        if (is_row(t->args[i].get())) regs[i] = expanded(t->args[i].get());
    dst = new_reg(result);
    for (const auto& a : t->args) release(a.get());
    return regs;
  }

  int pinned_reg(DType d) {
    const int r = new_reg(d);
    pinned_[r] = true;
    return r;
  }

  int leaf_index(const ExprTree& leaf) const {
    auto it = std::find_if(leaves_.begin(), leaves_.end(), [&](const LeafRef& r) { return r.reads(leaf); });
    if (it == leaves_.end()) throw InternalError("expression leaf missing from the node inputs");
    return static_cast<int>(it - leaves_.begin());
  }

  int emit(const ExprTree* t) {
    if (auto it = reg_of_.find(t); it != reg_of_.end()) return it->second;
    remaining_[t] = uses_[t];
    int r = -1;
    const KernelTable& k = kernels();
    auto di = [](DType d) { return static_cast<int>(d); };
    Kernel kernel = nullptr;
    std::vector<int> a;
    switch (t->op) {
      case ExprOp::Leaf:
      case ExprOp::Cast:
        if (t->op == ExprOp::Leaf || t->args[0]->op == ExprOp::Leaf) {
          // A leaf, or a leaf converted: one load, shared by every use.
          const ExprTree* leaf = t->op == ExprOp::Leaf ? t : t->args[0].get();
          const auto key = std::make_pair(leaf_index(*leaf), t->dtype);
          if (auto it = load_reg_.find(key); it != load_reg_.end()) {
            r = it->second;
          } else {
            r = pinned_reg(t->dtype);
            const bool row = is_row(t);
            p_.loads.push_back({key.first, t->dtype, r, row});
            p_.has_rows = p_.has_rows || row;
            load_reg_[key] = r;
          }
          reg_of_[t] = r;
          return r;
        }
        a = args_then(t, t->dtype, r);
        kernel = convert_kernels().cast[di(t->args[0]->dtype)][di(t->dtype)];
        break;
      case ExprOp::Const:
        r = pinned_reg(t->dtype);
        p_.fills.push_back({t->value, t->dtype, r});
        reg_of_[t] = r;
        return r;
      case ExprOp::Unary:
        a = args_then(t, t->dtype, r);
        kernel = k.unary[static_cast<int>(t->unary)][di(t->dtype)];
        break;
      case ExprOp::Binary:
        a = args_then(t, t->dtype, r);
        kernel = k.binary[static_cast<int>(t->binary)][di(t->dtype)];
        break;
      case ExprOp::Compare:
        a = args_then(t, DType::Bool, r);
        kernel = k.compare[static_cast<int>(t->compare)][di(t->args[0]->dtype)];
        break;
      case ExprOp::Where:
        a = args_then(t, t->dtype, r);
        kernel = k.where[di(t->dtype)];
        break;
    }
    if (!kernel)
      throw InternalError("no kernel for an operation on " + std::string(dtype_name(t->dtype)));
    // Float work or integer division costs more per element than a table lookup.
    if (is_float(t->dtype) || (t->op == ExprOp::Binary && (t->binary == BinaryFn::FloorDiv ||
                                                          t->binary == BinaryFn::Mod || t->binary == BinaryFn::Pow)))
      costly_ = true;
    a.resize(3, -1);
    const bool row = is_row(t);
    p_.has_rows = p_.has_rows || row;
    p_.steps.push_back({kernel, r, a[0], a[1], a[2], row ? Program::Mode::Row : Program::Mode::Full, t->dtype});
    reg_of_[t] = r;
    return r;
  }

  const std::vector<LeafRef>& leaves_;
  const std::vector<bool>& row_leaf_;
  std::map<const ExprTree*, bool> row_of_;
  std::map<const ExprTree*, int> expanded_of_;
  Program p_;
  std::vector<bool> free_, pinned_;
  std::set<const ExprTree*> preallocated_;
  bool costly_ = false;
  std::map<const ExprTree*, int> uses_, remaining_, reg_of_;
  std::map<std::pair<int, DType>, int> load_reg_;
};

}  // namespace

// The 256 (or 2, for bool) results of a lookup program, in `dtype`.
std::vector<std::byte> lookup_table(const Program& p, DType in_dtype, DType dtype, std::size_t n_leaves) {
  const std::int64_t entries = in_dtype == DType::Bool ? 2 : 256;
  std::uint8_t values[256];
  for (int i = 0; i < 256; ++i) values[i] = static_cast<std::uint8_t>(i);
  std::vector<std::byte> table(256 * 8);
  View table_view{table.data(), dtype, {entries}, {static_cast<std::int64_t>(itemsize(dtype))}, nullptr};
  std::vector<View> leaves(n_leaves);
  leaves[static_cast<std::size_t>(p.lookup_leaf)] =
      View{reinterpret_cast<std::byte*>(values), in_dtype, {entries}, {1}, nullptr};
  Workspace workspace;  // compile-time work, on the caller's thread
  run_program_blocks(p, table_view, leaves, workspace);
  return table;
}

Program compile_program(const ExprPtr& root, const std::vector<LeafRef>& leaves,
                        const std::vector<bool>& row_leaf) {
  Program p = Compiler(root, leaves, row_leaf).take();
  if (p.lookup_leaf >= 0) {
    const DType in = leaves[static_cast<std::size_t>(p.lookup_leaf)].node->dtype();
    auto lookup = std::make_shared<Program::Lookup>();
    lookup->table = lookup_table(p, in, p.result_dtype, leaves.size());
    if (itemsize(p.result_dtype) == 1 && in != DType::Bool) {
      lookup->pairs.resize(65536);
      for (std::uint32_t v = 0; v < 65536; ++v)
        lookup->pairs[v] = static_cast<std::uint16_t>(std::to_integer<std::uint16_t>(lookup->table[v & 0xff]) |
                                                      (std::to_integer<std::uint16_t>(lookup->table[v >> 8]) << 8));
    }
    p.lookup = std::move(lookup);
  }
  return p;
}

Programs compile_programs(const ExprPtr& root, const std::vector<LeafRef>& leaves, const Shape& shape) {
  Programs p{compile_program(root, leaves), std::nullopt};
  if (shape.empty() || shape.back() <= 1) return p;
  // A row leaf: length 1 (or absent) on the last axis, not broadcast everywhere.
  std::vector<bool> row_leaf(leaves.size(), false);
  bool any = false;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const Shape& s = leaves[i].node->shape();
    const bool last_broadcast = s.empty() || s.back() == 1;
    const bool varies = std::any_of(s.begin(), s.end(), [](std::int64_t d) { return d > 1; });
    row_leaf[i] = last_broadcast && varies;
    any = any || row_leaf[i];
  }
  if (!any) return p;
  Program rows = compile_program(root, leaves, row_leaf);
  if (rows.has_rows && rows.lookup_leaf < 0) p.rows = std::move(rows);
  return p;
}

}  // namespace tessera::detail
