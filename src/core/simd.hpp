// Runtime choice of instruction set for the kernel tables. Kernel sources are
// compiled once per ISA (see CMakeLists.txt); TESSERA_ISA_TABLE(name) names
// the table a compilation defines, and pick_isa() says which one to use.
#pragma once

#define TESSERA_ISA_CONCAT2(a, b) a##_##b
#define TESSERA_ISA_CONCAT(a, b) TESSERA_ISA_CONCAT2(a, b)
#define TESSERA_ISA_TABLE(name) TESSERA_ISA_CONCAT(name, TESSERA_ISA)

namespace tessera::detail {

enum class Isa { Baseline, Avx2, Avx512 };

// The widest ISA this CPU runs, or a narrower one forced by TESSERA_SIMD
// (baseline, avx2, avx512); decided once.
Isa pick_isa();

// Selects one of three per-ISA tables.
template <typename T> const T& select_isa(const T& (*baseline)(), const T& (*avx2)(), const T& (*avx512)()) {
  switch (pick_isa()) {
    case Isa::Avx512: return avx512();
    case Isa::Avx2: return avx2();
    default: return baseline();
  }
}

}  // namespace tessera::detail
