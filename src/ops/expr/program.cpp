#include "ops/expr/program.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "core/cast.hpp"
#include "core/layout.hpp"

namespace tessera::detail {

namespace {

class Compiler {
 public:
  Compiler(const ExprPtr& root, const std::vector<const Node*>& leaves, const std::vector<bool>& row_leaf)
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
      const DType d = leaves_[static_cast<std::size_t>(*leaves_used.begin())]->dtype();
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
      row = row_leaf_[static_cast<std::size_t>(leaf_index(leaf->leaf.node().get()))];
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
    if (reg_of_.count(t)) return;
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

  int leaf_index(const Node* n) const {
    auto it = std::find(leaves_.begin(), leaves_.end(), n);
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
          const auto key = std::make_pair(leaf_index(leaf->leaf.node().get()), t->dtype);
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

  const std::vector<const Node*>& leaves_;
  const std::vector<bool>& row_leaf_;
  std::map<const ExprTree*, bool> row_of_;
  std::map<const ExprTree*, int> expanded_of_;
  Program p_;
  std::vector<bool> free_, pinned_;
  bool costly_ = false;
  std::map<const ExprTree*, int> uses_, remaining_, reg_of_;
  std::map<std::pair<int, DType>, int> load_reg_;
};

// The workspace slots of the register file and of the lookup buffers.
constexpr std::size_t kRegisterSlot = 64, kLookupSlot = 65;

// Calls block(nr, nc, r0, c0, base) for every block of at most kBlock elements
// of the coalesced layout: nc elements of the innermost axis, and nr rows of
// the next one when the innermost axis is short.
template <typename F> void for_each_block(const Layout& l, F&& block) {
  const std::size_t nd = l.size.size();
  const std::int64_t cols_total = l.size[nd - 1], rows_total = l.size[nd - 2];
  const std::int64_t cols = std::min(cols_total, kBlock);
  const std::int64_t rows_per_block =
      cols_total >= kBlock ? 1 : std::max<std::int64_t>(1, kBlock / cols_total);
  for_each_outer(l, [&](const std::vector<std::int64_t>& base) {
    for (std::int64_t r0 = 0; r0 < rows_total; r0 += rows_per_block) {
      const std::int64_t nr = std::min(rows_per_block, rows_total - r0);
      for (std::int64_t c0 = 0; c0 < cols_total; c0 += cols)
        block(nr, std::min(cols, cols_total - c0), r0, c0, base);
    }
  });
}


void run_blocks(const Program& p, const View& out, const std::vector<View>& leaves, Workspace& workspace);

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
  run_blocks(p, table_view, leaves, workspace);
  return table;
}
}  // namespace

Program compile_program(const ExprPtr& root, const std::vector<const Node*>& leaves,
                        const std::vector<bool>& row_leaf) {
  Program p = Compiler(root, leaves, row_leaf).take();
  if (p.lookup_leaf >= 0) {
    const DType in = leaves[static_cast<std::size_t>(p.lookup_leaf)]->dtype();
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

Programs compile_programs(const ExprPtr& root, const std::vector<const Node*>& leaves, const Shape& shape) {
  Programs p{compile_program(root, leaves), std::nullopt};
  if (shape.empty() || shape.back() <= 1) return p;
  // A row leaf: length 1 (or absent) on the last axis, not broadcast everywhere.
  std::vector<bool> row_leaf(leaves.size(), false);
  bool any = false;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const Shape& s = leaves[i]->shape();
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

namespace {

void run_blocks(const Program& p, const View& out, const std::vector<View>& leaves, Workspace& workspace) {
  const KernelTable& k = kernels();
  const ConvertKernels& cv = convert_kernels();
  const std::size_t n_regs = p.reg_dtype.size();
  constexpr std::size_t slot = kBlock * 8;
  auto* base = static_cast<std::byte*>(workspace.get(kRegisterSlot, n_regs * slot));
  std::vector<std::byte*> storage(n_regs), ptr(n_regs);
  for (std::size_t r = 0; r < n_regs; ++r) storage[r] = ptr[r] = base + r * slot;

  for (const auto& f : p.fills) {
    dispatch(f.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T v;
      if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, bool>) v = convert<T>(f.value.f);
      else v = is_float(f.value.dtype) ? convert<T>(f.value.f) : convert<T>(f.value.i);
      T* d = reinterpret_cast<T*>(storage[f.reg]);
      for (std::int64_t i = 0; i < kBlock; ++i) d[i] = v;
    });
  }

  std::vector<const Strides*> strides{&out.strides};
  for (const auto& v : leaves) strides.push_back(&v.strides);
  const Layout l = coalesce(out.shape, strides);
  const std::size_t nd = l.size.size();
  const std::size_t out_item = itemsize(out.dtype);
  const bool result_is_step = !p.steps.empty() && p.steps.back().dst == p.result;

  for_each_block(l, [&](std::int64_t nr, std::int64_t nc, std::int64_t r0, std::int64_t c0,
                        const std::vector<std::int64_t>& off) {
    const std::int64_t n = nr * nc;
    auto at = [&](std::size_t op) {
      std::byte* b = op == 0 ? out.data : leaves[op - 1].data;
      return b + off[op] + r0 * l.strides[op][nd - 2] + c0 * l.strides[op][nd - 1];
    };
    // A block is one run in memory when its rows follow each other.
    auto contiguous = [&](std::size_t op, std::size_t item) {
      return l.strides[op][nd - 1] == static_cast<std::int64_t>(item) &&
             (nr == 1 || l.strides[op][nd - 2] == nc * static_cast<std::int64_t>(item));
    };
    for (const auto& ld : p.loads) {
      const View& v = leaves[static_cast<std::size_t>(ld.leaf)];
      const std::size_t op = static_cast<std::size_t>(ld.leaf) + 1;
      if (ld.row) {  // one value per row: a gather along the row axis
        ptr[ld.reg] = storage[ld.reg];
        cv.load[static_cast<int>(v.dtype)][static_cast<int>(ld.as)](1, nr, at(op), 0, l.strides[op][nd - 2],
                                                                     storage[ld.reg]);
      } else if (v.dtype == ld.as && contiguous(op, itemsize(v.dtype))) {
        ptr[ld.reg] = at(op);
      } else {
        ptr[ld.reg] = storage[ld.reg];
        cv.load[static_cast<int>(v.dtype)][static_cast<int>(ld.as)](
            nr, nc, at(op), l.strides[op][nd - 2], l.strides[op][nd - 1], storage[ld.reg]);
      }
    }
    const bool direct = result_is_step && out.dtype == p.result_dtype && contiguous(0, out_item);
    for (std::size_t s = 0; s < p.steps.size(); ++s) {
      const auto& st = p.steps[s];
      std::byte* dst = (direct && s + 1 == p.steps.size()) ? at(0) : storage[st.dst];
      switch (st.mode) {
        case Program::Mode::Full:
          st.kernel(n, dst, ptr[st.a], st.b >= 0 ? ptr[st.b] : nullptr, st.c >= 0 ? ptr[st.c] : nullptr);
          break;
        case Program::Mode::Row:
          st.kernel(nr, dst, ptr[st.a], st.b >= 0 ? ptr[st.b] : nullptr, st.c >= 0 ? ptr[st.c] : nullptr);
          break;
        case Program::Mode::Expand: {
          const int dt = static_cast<int>(st.dtype);
          cv.load[dt][dt](nr, nc, ptr[st.a], static_cast<std::int64_t>(itemsize(st.dtype)), 0, dst);
          break;
        }
      }
      ptr[st.dst] = dst;
    }
    if (!direct)
      cv.store[static_cast<int>(p.result_dtype)][static_cast<int>(out.dtype)](
          nr, nc, at(0), l.strides[0][nd - 2], l.strides[0][nd - 1], ptr[p.result]);
  });
}

// An expression of one 8-bit input has at most 256 results: compute them once
// with the program itself (so they are exact), then look each element up.
bool run_lookup(const Program& p, const View& out, const std::vector<View>& leaves, Workspace& workspace) {
  if (!p.lookup || out.count() < 4 * kBlock) return false;
  const View& in = leaves[static_cast<std::size_t>(p.lookup_leaf)];
  // Built when compiled, for the result dtype; another output dtype gets its own.
  std::vector<std::byte> own;
  const bool prebuilt = out.dtype == p.result_dtype;
  if (!prebuilt) own = lookup_table(p, in.dtype, out.dtype, leaves.size());
  const std::byte* table = prebuilt ? p.lookup->table.data() : own.data();
  const bool pairs = prebuilt && !p.lookup->pairs.empty();
  const KernelTable& k = kernels();
  const ConvertKernels& cv = convert_kernels();
  const bool byte_table = k.lookup_bytes != nullptr && itemsize(out.dtype) == 1 && in.dtype != DType::Bool;

  const Layout l = coalesce(out.shape, {&out.strides, &in.strides});
  const std::size_t nd = l.size.size();
  const std::size_t out_item = itemsize(out.dtype);
  auto* idx_buf = static_cast<std::byte*>(workspace.get(kLookupSlot, 2 * kBlock * 8));
  std::byte* val_buf = idx_buf + kBlock * 8;
  for_each_block(l, [&](std::int64_t nr, std::int64_t nc, std::int64_t r0, std::int64_t c0,
                        const std::vector<std::int64_t>& off) {
    std::byte* o = out.data + off[0] + r0 * l.strides[0][nd - 2] + c0 * l.strides[0][nd - 1];
    std::byte* s = in.data + off[1] + r0 * l.strides[1][nd - 2] + c0 * l.strides[1][nd - 1];
    const bool in_run = l.strides[1][nd - 1] == 1 && (nr == 1 || l.strides[1][nd - 2] == nc);
    const bool out_run = l.strides[0][nd - 1] == static_cast<std::int64_t>(out_item) &&
                         (nr == 1 || l.strides[0][nd - 2] == nc * static_cast<std::int64_t>(out_item));
    if (!in_run)  // same bits, gathered into one run
      cv.load[static_cast<int>(in.dtype)][static_cast<int>(in.dtype)](nr, nc, s, l.strides[1][nd - 2],
                                                                     l.strides[1][nd - 1], idx_buf);
    const std::byte* idx = in_run ? s : idx_buf;
    std::byte* dst = out_run ? o : val_buf;
    if (byte_table) k.lookup_bytes(nr * nc, dst, idx, table, nullptr);
    else if (pairs) k.lookup_pairs(nr * nc, dst, idx, p.lookup->pairs.data(), nullptr);
    else k.lookup[static_cast<int>(out.dtype)](nr * nc, dst, idx, table, nullptr);
    if (!out_run)
      cv.store[static_cast<int>(out.dtype)][static_cast<int>(out.dtype)](
          nr, nc, o, l.strides[0][nd - 2], l.strides[0][nd - 1], val_buf);
  });
  return true;
}

}  // namespace

void run_program(const Program& p, const View& out, const std::vector<View>& leaves, Workspace& workspace) {
  if (out.count() == 0) return;
  if (run_lookup(p, out, leaves, workspace)) return;
  run_blocks(p, out, leaves, workspace);
}

void run_programs(const Programs& programs, const View& out, const std::vector<View>& leaves,
                  Workspace& workspace) {
  if (programs.rows && out.count() > 0) {
    // Row mode pays where rows are short (several per block) and every row
    // leaf is constant along the coalesced innermost axis.
    std::vector<const Strides*> strides{&out.strides};
    for (const auto& v : leaves) strides.push_back(&v.strides);
    const Layout l = coalesce(out.shape, strides);
    const std::size_t nd = l.size.size();
    bool ok = l.size[nd - 1] * 4 <= kBlock;
    for (const auto& ld : programs.rows->loads)
      if (ld.row) ok = ok && l.strides[static_cast<std::size_t>(ld.leaf) + 1][nd - 1] == 0;
    if (ok) return run_blocks(programs.rows.value(), out, leaves, workspace);
  }
  run_program(programs.full, out, leaves, workspace);
}

}  // namespace tessera::detail
