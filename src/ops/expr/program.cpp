// The block VM: runs a register program over 1024-element blocks of its
// output, registers in the worker's workspace; an 8-bit input through its
// lookup table. The compiler is compiler.cpp.
#include <algorithm>
#include <cstring>

#include "core/cast.hpp"
#include "core/layout.hpp"
#include "ops/expr/program.hpp"

namespace tessera::detail {

namespace {

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

}  // namespace

void run_program_blocks(const Program& p, const View& out, const std::vector<View>& leaves,
                        Workspace& workspace) {
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

namespace {

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
  run_program_blocks(p, out, leaves, workspace);
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
    if (ok) return run_program_blocks(programs.rows.value(), out, leaves, workspace);
  }
  run_program(programs.full, out, leaves, workspace);
}

}  // namespace tessera::detail
