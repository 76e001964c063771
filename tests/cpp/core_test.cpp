// Core: dtypes and promotion, the casting rule, views, the boundary table,
// the thread pool, the memory kept for large buffers.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <thread>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "core/cast.hpp"
#include "core/large_blocks.hpp"
#include "core/thread_pool.hpp"
#include "tessera/tessera.hpp"

using namespace tessera;

TEST(DType, NamesRoundTrip) {
  for (int i = 0; i < kDTypeCount; ++i) {
    const auto d = static_cast<DType>(i);
    EXPECT_EQ(parse_dtype(dtype_name(d)), d);
  }
  EXPECT_THROW(parse_dtype("float16"), ValueError);
  EXPECT_THROW(parse_dtype("complex64"), ValueError);
}

TEST(DType, DispatchGivesTheMatchingType) {
  for (int i = 0; i < kDTypeCount; ++i) {
    const auto d = static_cast<DType>(i);
    const std::size_t size = dispatch(d, [](auto t) { return sizeof(typename decltype(t)::type); });
    EXPECT_EQ(size, itemsize(d)) << dtype_name(d);
    const DType back = dispatch(d, [](auto t) { return dtype_of<typename decltype(t)::type>(); });
    EXPECT_EQ(back, d);
  }
}

TEST(DType, PromotionFollowsNumpy) {
  // Expected values from numpy.promote_types.
  EXPECT_EQ(promote(DType::UInt8, DType::Int8), DType::Int16);
  EXPECT_EQ(promote(DType::UInt16, DType::Int16), DType::Int32);
  EXPECT_EQ(promote(DType::UInt32, DType::Int32), DType::Int64);
  EXPECT_EQ(promote(DType::UInt64, DType::Int8), DType::Float64);
  EXPECT_EQ(promote(DType::UInt8, DType::Float32), DType::Float32);
  EXPECT_EQ(promote(DType::Int16, DType::Float32), DType::Float32);
  EXPECT_EQ(promote(DType::Int32, DType::Float32), DType::Float64);
  EXPECT_EQ(promote(DType::Bool, DType::UInt8), DType::UInt8);
  EXPECT_EQ(promote(DType::Float32, DType::Float64), DType::Float64);
  EXPECT_EQ(promote(DType::Int8, DType::Int64), DType::Int64);
  // Symmetric.
  for (int a = 0; a < kDTypeCount; ++a)
    for (int b = 0; b < kDTypeCount; ++b)
      EXPECT_EQ(promote(static_cast<DType>(a), static_cast<DType>(b)),
                promote(static_cast<DType>(b), static_cast<DType>(a)));
}

TEST(DType, MinScalarType) {
  EXPECT_EQ(min_scalar_type_int(0), DType::UInt8);
  EXPECT_EQ(min_scalar_type_int(255), DType::UInt8);
  EXPECT_EQ(min_scalar_type_int(256), DType::UInt16);
  EXPECT_EQ(min_scalar_type_int(-1), DType::Int8);
  EXPECT_EQ(min_scalar_type_int(-129), DType::Int16);
  EXPECT_EQ(min_scalar_type_int(1LL << 40), DType::UInt64);
  EXPECT_EQ(min_scalar_type_int(-(1LL << 40)), DType::Int64);
}

TEST(Cast, FloatToIntRoundsHalfToEvenSaturatesAndZeroesNaN) {
  using detail::convert;
  EXPECT_EQ(convert<std::uint8_t>(0.5), 0);
  EXPECT_EQ(convert<std::uint8_t>(1.5), 2);
  EXPECT_EQ(convert<std::uint8_t>(2.5), 2);
  EXPECT_EQ(convert<std::uint8_t>(254.5), 254);
  EXPECT_EQ(convert<std::uint8_t>(255.49), 255);
  EXPECT_EQ(convert<std::uint8_t>(1e9), 255);
  EXPECT_EQ(convert<std::uint8_t>(-3.7), 0);
  EXPECT_EQ(convert<std::uint8_t>(std::nan("")), 0);
  EXPECT_EQ(convert<std::uint8_t>(std::numeric_limits<double>::infinity()), 255);
  EXPECT_EQ(convert<std::int8_t>(-128.5), -128);
  EXPECT_EQ(convert<std::int8_t>(-127.5), -128);
  EXPECT_EQ(convert<std::int8_t>(-1e30f), -128);
  EXPECT_EQ(convert<std::int32_t>(3e9f), std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(convert<std::int32_t>(-3e9), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(convert<std::int32_t>(2147483647.0), 2147483647);
  EXPECT_EQ(convert<std::int64_t>(1e19), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(convert<std::uint64_t>(-1.0), 0u);
  EXPECT_EQ(convert<std::uint64_t>(1e20), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(convert<std::int64_t>(std::nan("")), 0);
  EXPECT_EQ(convert<std::int16_t>(-2.5f), -2);
  EXPECT_EQ(convert<std::int16_t>(-3.5f), -4);
}

TEST(Cast, IntegersSaturateAndBoolsAreNonZero) {
  using detail::convert;
  EXPECT_EQ(convert<std::uint8_t>(300), 255);
  EXPECT_EQ(convert<std::uint8_t>(-5), 0);
  EXPECT_EQ(convert<std::int8_t>(std::uint64_t{1} << 63), 127);
  EXPECT_EQ(convert<std::uint32_t>(std::int64_t{-1}), 0u);
  EXPECT_EQ(convert<std::int64_t>(std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(convert<std::uint16_t>(std::int8_t{-1}), 0);
  EXPECT_EQ(convert<std::int32_t>(std::uint16_t{65535}), 65535);
  EXPECT_TRUE(convert<bool>(std::nan("")));
  EXPECT_TRUE(convert<bool>(-0.1f));
  EXPECT_FALSE(convert<bool>(0.0));
  EXPECT_EQ(convert<float>(true), 1.0f);
}

TEST(View, SubViewsAndContiguity) {
  Buffer b(DType::Int16, {4, 5, 3});
  EXPECT_TRUE(b.view().is_c_contiguous());
  EXPECT_EQ(b.view().strides, (Strides{30, 6, 2}));
  const View s = b.view().sub(Region{{1, 2, 0}, {2, 3, 3}});
  EXPECT_EQ(s.data, b.data() + 30 + 12);
  EXPECT_FALSE(s.is_c_contiguous());
  EXPECT_EQ(shape_to_string({7}), "(7,)");
  EXPECT_EQ(shape_to_string({2, 3}), "(2, 3)");
  EXPECT_THROW(Buffer(DType::UInt8, {-1, 2}), ValueError);
}

// The boundary table against scipy.ndimage's documented patterns, written out.
TEST(Boundary, ModesMatchScipyDefinitions) {
  const std::int64_t n = 4;  // a b c d
  auto row = [&](BoundaryMode m) {
    std::vector<std::int64_t> out;
    for (std::int64_t i = -5; i < n + 5; ++i) out.push_back(map_coordinate(i, n, m));
    return out;
  };
  // reflect: d c b a | a b c d | d c b a
  EXPECT_EQ(row(BoundaryMode::Reflect), (std::vector<std::int64_t>{3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0}));
  // mirror: d c b | a b c d | c b a
  EXPECT_EQ(row(BoundaryMode::Mirror), (std::vector<std::int64_t>{1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2}));
  EXPECT_EQ(row(BoundaryMode::Nearest), (std::vector<std::int64_t>{0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3}));
  EXPECT_EQ(row(BoundaryMode::Wrap), (std::vector<std::int64_t>{3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0}));
  EXPECT_EQ(row(BoundaryMode::Constant), (std::vector<std::int64_t>{-1, -1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, -1}));
  // Length-1 axes.
  for (auto m : {BoundaryMode::Reflect, BoundaryMode::Mirror, BoundaryMode::Nearest, BoundaryMode::Wrap})
    for (std::int64_t i = -3; i < 4; ++i) EXPECT_EQ(map_coordinate(i, 1, m), 0);
  EXPECT_EQ(parse_boundary_mode("wrap"), BoundaryMode::Wrap);
  // scipy's grid- modes are its filters' aliases of wrap, reflect and constant.
  EXPECT_EQ(parse_boundary_mode("grid-wrap"), BoundaryMode::Wrap);
  EXPECT_EQ(parse_boundary_mode("grid-mirror"), BoundaryMode::Reflect);
  EXPECT_EQ(parse_boundary_mode("grid-constant"), BoundaryMode::Constant);
  EXPECT_THROW(parse_boundary_mode("edge"), ValueError);
}

TEST(ThreadPool, RunsEveryTaskOnceOnDistinctWorkers) {
  for (int threads : {1, 2, 3, 8}) {
    std::vector<std::atomic<int>> hits(1000);
    std::vector<std::atomic<int>> busy(static_cast<std::size_t>(threads));
    std::atomic<bool> overlap{false};
    detail::parallel_for(1000, threads, [&](std::int64_t t, int w) {
      ASSERT_GE(w, 0);
      ASSERT_LT(w, threads);
      if (busy[static_cast<std::size_t>(w)]++ != 0) overlap = true;
      hits[static_cast<std::size_t>(t)]++;
      busy[static_cast<std::size_t>(w)]--;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    EXPECT_FALSE(overlap.load());
  }
}

TEST(ThreadPool, FirstErrorStopsTheRunAndSurfacesOnce) {
  // One thread: nothing after the failing task runs.
  std::atomic<int> ran{0};
  try {
    detail::parallel_for(1000, 1, [&](std::int64_t t, int) {
      ran++;
      if (t == 10) throw ValueError("task 10 failed");
    });
    FAIL() << "no exception";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "task 10 failed");
  }
  EXPECT_EQ(ran.load(), 11);
  // Two threads: the other stops soon after. Each task takes a millisecond,
  // so a run that did not stop would take a second per thread (no timing
  // race on a loaded machine, unlike tasks of nanoseconds).
  ran = 0;
  try {
    detail::parallel_for(2000, 2, [&](std::int64_t t, int) {
      ran++;
      if (t == 10) throw ValueError("task 10 failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    FAIL() << "no exception";
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "task 10 failed");
  }
  EXPECT_LT(ran.load(), 1000);
}

TEST(ThreadPool, NestedCallsComplete) {
  std::atomic<int> total{0};
  detail::parallel_for(8, 2, [&](std::int64_t, int) {
    detail::parallel_for(8, 2, [&](std::int64_t, int) { total++; });
  });
  EXPECT_EQ(total.load(), 64);
}

// ---- large blocks (each test is a process of its own: ctest runs them apart) ----

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// Whether [p, p + bytes) is mapped in this process, asked of the kernel.
bool mapped(const void* p, std::size_t bytes) {
  std::vector<unsigned char> pages(bytes / static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) + 1);
  return mincore(const_cast<void*>(p), bytes, pages.data()) == 0;
}

// A float32 buffer of `mib` MiB (whole 2 MiB pages, as kept).
Buffer buffer_of(std::size_t mib) {
  return Buffer(DType::Float32, {static_cast<std::int64_t>(mib * kMiB / sizeof(float))});
}

}  // namespace

TEST(LargeBlocks, AFreedBufferIsReusedByTheNextOfItsSize) {
  release_memory();  // nothing kept from tests before this one in the process (the scratch pool counts too)
  detail::set_large_block_limits(std::chrono::seconds(60), 256 * kMiB);
  const void* first;
  {
    Buffer b = buffer_of(10);
    first = b.data();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(first) % (2 * kMiB), 0u);  // huge pages can back it
    EXPECT_EQ(retained_bytes(), 0u);
  }
  EXPECT_EQ(retained_bytes(), 10 * kMiB);
  EXPECT_TRUE(mapped(first, 10 * kMiB));
  {
    Buffer again = buffer_of(10);
    EXPECT_EQ(again.data(), first);
    EXPECT_EQ(retained_bytes(), 0u);
  }
  Buffer small(DType::Float32, {1000});  // below kLargeBlockMinBytes: malloc's
  EXPECT_EQ(retained_bytes(), 10 * kMiB);
  release_memory();
  EXPECT_EQ(retained_bytes(), 0u);
  EXPECT_FALSE(mapped(first, 10 * kMiB));
}

TEST(LargeBlocks, ARequestOfAnotherSizeUnmapsTheOldestKeptFirst) {
  detail::set_large_block_limits(std::chrono::seconds(60), 256 * kMiB);
  {
    Buffer a = buffer_of(16), b = buffer_of(10);
  }  // b is freed first, so it is the older
  EXPECT_EQ(retained_bytes(), 26 * kMiB);
  {
    Buffer c = buffer_of(12);  // no 12 MiB block; the oldest (b, 10 MiB) is not room enough, so a goes too
    EXPECT_EQ(retained_bytes(), 0u);
  }
  release_memory();
  const void* kept;
  {
    Buffer a = buffer_of(16), b = buffer_of(10);
    kept = a.data();
    b = Buffer();  // b freed first again
  }
  EXPECT_EQ(retained_bytes(), 26 * kMiB);
  Buffer c = buffer_of(8);  // b (10 MiB) makes room; a stays for the next 16 MiB buffer
  EXPECT_EQ(retained_bytes(), 16 * kMiB);
  EXPECT_TRUE(mapped(kept, 16 * kMiB));
  Buffer d = buffer_of(16);
  EXPECT_EQ(d.data(), kept);
}

TEST(LargeBlocks, TheRetainedTotalStaysUnderTheCap) {
  detail::set_large_block_limits(std::chrono::seconds(60), 20 * kMiB);
  std::vector<const void*> addresses;
  {
    std::vector<Buffer> buffers;
    for (int i = 0; i < 3; ++i) {
      buffers.push_back(buffer_of(8));
      addresses.push_back(buffers.back().data());
    }
  }  // freed first to last: the first is the oldest
  EXPECT_EQ(retained_bytes(), 16 * kMiB);
  EXPECT_FALSE(mapped(addresses[0], 8 * kMiB));
  EXPECT_TRUE(mapped(addresses[1], 8 * kMiB));
  EXPECT_TRUE(mapped(addresses[2], 8 * kMiB));
  { Buffer too_large = buffer_of(22); }  // beyond the cap: never kept
  EXPECT_EQ(retained_bytes(), 0u);       // and its request unmapped the others
}

TEST(LargeBlocks, IdleBlocksGoBackToTheSystemAfterTheRetentionTime) {
  // Long enough that a loaded machine (make sanitize beside a fuzzer) still
  // sees the block kept before it goes back; short enough for a quick test.
  detail::set_large_block_limits(std::chrono::milliseconds(1000), 256 * kMiB);
  const void* p;
  {
    Buffer b = buffer_of(10);
    p = b.data();
  }
  EXPECT_EQ(retained_bytes(), 10 * kMiB);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (retained_bytes() != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(retained_bytes(), 0u);
#if !defined(__SANITIZE_THREAD__)
  // (Under TSan the runtime maps memory of its own right away, often at the
  // address just returned; the count above is the check there.)
  EXPECT_FALSE(mapped(p, 10 * kMiB));
#endif
}

TEST(LargeBlocks, AReusedBlockGivesTheSameResultAsFreshMemory) {
  detail::set_large_block_limits(std::chrono::seconds(60), 256 * kMiB);
  const std::int64_t rows = 1031, cols = 2053;  // prime sizes, 8.1 MiB as float32
  Buffer input(DType::Float32, {rows, cols});
  for (std::int64_t i = 0; i < rows * cols; ++i) input.data_as<float>()[i] = static_cast<float>((i * 7919) % 1009);
  const Image filtered = uniform_filter(Image::wrap(input.view()), {5, 3});
  const Buffer fresh = filtered.compute();
  const void* garbage_data;
  {
    Buffer garbage(DType::Float32, {rows, cols});  // a block of that size, filled with NaN, then kept
    std::fill_n(garbage.data_as<float>(), rows * cols, std::numeric_limits<float>::quiet_NaN());
    garbage_data = garbage.data();
  }
  const Buffer reused = filtered.compute();
  EXPECT_EQ(reused.data(), garbage_data);
  EXPECT_EQ(std::memcmp(reused.data(), fresh.data(), static_cast<std::size_t>(rows * cols) * sizeof(float)), 0);
}
