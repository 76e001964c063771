#include "ops/expr/program.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "core/cast.hpp"

namespace tessera::detail {

namespace {

class Compiler {
 public:
  Compiler(const ExprPtr& root, const std::vector<const Node*>& leaves) : leaves_(leaves) {
    count_uses(root.get());
    preallocate(root.get());
    p_.result = emit(root.get());
    p_.result_dtype = root->dtype;
  }
  Program take() { return std::move(p_); }

 private:
  // How many times each tree node's value is read, for register reuse.
  void count_uses(const ExprTree* t) {
    if (uses_[t]++ > 0) return;
    if (t->op == ExprOp::Cast && t->args[0]->op == ExprOp::Leaf) return;  // a converting load
    for (const auto& a : t->args) count_uses(a.get());
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
            p_.loads.push_back({key.first, t->dtype, r});
            load_reg_[key] = r;
          }
          reg_of_[t] = r;
          return r;
        }
        a = args_then(t, t->dtype, r);
        kernel = k.cast[di(t->args[0]->dtype)][di(t->dtype)];
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
    a.resize(3, -1);
    p_.steps.push_back({kernel, r, a[0], a[1], a[2]});
    reg_of_[t] = r;
    return r;
  }

  const std::vector<const Node*>& leaves_;
  Program p_;
  std::vector<bool> free_, pinned_;
  std::map<const ExprTree*, int> uses_, remaining_, reg_of_;
  std::map<std::pair<int, DType>, int> load_reg_;
};

// The iteration space after merging axes that every operand walks contiguously.
struct Layout {
  std::vector<std::int64_t> size;              // outer ..., rows, cols
  std::vector<std::vector<std::int64_t>> strides;  // per operand (0 = out), per axis
};

Layout coalesce(const View& out, const std::vector<View>& leaves) {
  const std::size_t n_ops = 1 + leaves.size();
  auto stride = [&](std::size_t op, std::size_t axis) {
    return op == 0 ? out.strides[axis] : leaves[op - 1].strides[axis];
  };
  Layout l;
  l.strides.resize(n_ops);
  for (std::size_t axis = 0; axis < out.ndim(); ++axis) {
    if (out.shape[axis] == 1) continue;
    bool merge = !l.size.empty();
    for (std::size_t op = 0; op < n_ops && merge; ++op)
      merge = l.strides[op].back() == stride(op, axis) * out.shape[axis];
    if (merge) {
      l.size.back() *= out.shape[axis];
      for (std::size_t op = 0; op < n_ops; ++op) l.strides[op].back() = stride(op, axis);
    } else {
      l.size.push_back(out.shape[axis]);
      for (std::size_t op = 0; op < n_ops; ++op) l.strides[op].push_back(stride(op, axis));
    }
  }
  if (l.size.empty()) {
    l.size.push_back(1);
    for (auto& s : l.strides) s.push_back(0);
  }
  // Always at least (rows, cols).
  if (l.size.size() == 1) {
    l.size.insert(l.size.begin(), 1);
    for (auto& s : l.strides) s.insert(s.begin(), 0);
  }
  return l;
}

struct Scratch {
  std::vector<std::byte> memory;
};

}  // namespace

Program compile_program(const ExprPtr& root, const std::vector<const Node*>& leaves) {
  return Compiler(root, leaves).take();
}

void run_program(const Program& p, const View& out, const std::vector<View>& leaves) {
  if (out.count() == 0) return;
  const KernelTable& k = kernels();
  const std::size_t n_regs = p.reg_dtype.size();
  const std::size_t slot = kBlock * 8;
  thread_local Scratch scratch;
  if (scratch.memory.size() < n_regs * slot + 64) scratch.memory.resize(n_regs * slot + 64);
  std::byte* base = reinterpret_cast<std::byte*>(
      (reinterpret_cast<std::uintptr_t>(scratch.memory.data()) + 63) & ~std::uintptr_t{63});
  std::vector<std::byte*> storage(n_regs), ptr(n_regs);
  for (std::size_t r = 0; r < n_regs; ++r) storage[r] = ptr[r] = base + r * slot;

  for (const auto& f : p.fills) {
    std::byte one[8];
    dispatch(f.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T v;
      if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, bool>) v = convert<T>(f.value.f);
      else v = is_float(f.value.dtype) ? convert<T>(f.value.f) : convert<T>(f.value.i);
      std::memcpy(one, &v, sizeof(T));
      T* d = reinterpret_cast<T*>(storage[f.reg]);
      for (std::int64_t i = 0; i < kBlock; ++i) d[i] = v;
    });
  }

  const Layout l = coalesce(out, leaves);
  const std::size_t nd = l.size.size();
  const std::int64_t cols_total = l.size[nd - 1];
  const std::int64_t rows_total = l.size[nd - 2];
  const std::int64_t cols = std::min(cols_total, kBlock);
  const std::int64_t rows_per_block = cols_total >= kBlock ? 1 : std::max<std::int64_t>(1, kBlock / cols_total);
  std::int64_t outer_count = 1;
  for (std::size_t a = 0; a + 2 < nd; ++a) outer_count *= l.size[a];

  const std::size_t out_item = itemsize(out.dtype);
  const bool result_is_step = !p.steps.empty() && p.steps.back().dst == p.result;
  std::vector<std::int64_t> outer(nd > 2 ? nd - 2 : 0, 0);
  for (std::int64_t o = 0; o < outer_count; ++o) {
    std::vector<std::byte*> op_base(1 + leaves.size());
    op_base[0] = out.data;
    for (std::size_t i = 0; i < leaves.size(); ++i) op_base[i + 1] = leaves[i].data;
    for (std::size_t a = 0; a < outer.size(); ++a)
      for (std::size_t op = 0; op < op_base.size(); ++op) op_base[op] += outer[a] * l.strides[op][a];

    for (std::int64_t r0 = 0; r0 < rows_total; r0 += rows_per_block) {
      const std::int64_t nr = std::min(rows_per_block, rows_total - r0);
      for (std::int64_t c0 = 0; c0 < cols_total; c0 += cols) {
        const std::int64_t nc = std::min(cols, cols_total - c0);
        const std::int64_t n = nr * nc;
        auto at = [&](std::size_t op) {
          return op_base[op] + r0 * l.strides[op][nd - 2] + c0 * l.strides[op][nd - 1];
        };
        // A block is one run in memory when its rows follow each other.
        auto contiguous = [&](std::size_t op, std::size_t item) {
          return l.strides[op][nd - 1] == static_cast<std::int64_t>(item) &&
                 (nr == 1 || l.strides[op][nd - 2] == nc * static_cast<std::int64_t>(item));
        };
        for (const auto& ld : p.loads) {
          const View& v = leaves[ld.leaf];
          const std::size_t op = static_cast<std::size_t>(ld.leaf) + 1;
          if (v.dtype == ld.as && contiguous(op, itemsize(v.dtype))) {
            ptr[ld.reg] = at(op);
          } else {
            ptr[ld.reg] = storage[ld.reg];
            k.load[static_cast<int>(v.dtype)][static_cast<int>(ld.as)](
                nr, nc, at(op), l.strides[op][nd - 2], l.strides[op][nd - 1], storage[ld.reg]);
          }
        }
        const bool direct = result_is_step && out.dtype == p.result_dtype && contiguous(0, out_item);
        for (std::size_t s = 0; s < p.steps.size(); ++s) {
          const auto& st = p.steps[s];
          std::byte* dst = (direct && s + 1 == p.steps.size()) ? at(0) : storage[st.dst];
          st.kernel(n, dst, ptr[st.a], st.b >= 0 ? ptr[st.b] : nullptr,
                    st.c >= 0 ? ptr[st.c] : nullptr);
          ptr[st.dst] = dst;
        }
        if (!direct)
          k.store[static_cast<int>(p.result_dtype)][static_cast<int>(out.dtype)](
              nr, nc, at(0), l.strides[0][nd - 2], l.strides[0][nd - 1], ptr[p.result]);
      }
    }
    for (std::size_t a = outer.size(); a-- > 0;) {
      if (++outer[a] < l.size[a]) break;
      outer[a] = 0;
    }
  }
}

}  // namespace tessera::detail
