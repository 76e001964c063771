// The engine owns every worker's scratch memory: a Workspace hands out slots,
// keeps them from tile to tile, and goes back to the engine's idle
// workspaces when its run ends, which retained_bytes() counts,
// set_retained_limit() caps and release_memory() frees. No kernel keeps
// memory between runs.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>

#include "engine/scratch_pool.hpp"
#include "tessera/tessera.hpp"

using namespace tessera;

namespace {

// A node whose kernel asks its workspace for `bytes` in one slot and checks
// that the slot's memory stays with the worker from tile to tile.
class WorkspaceNode final : public Node {
 public:
  WorkspaceNode(const Image& in, std::size_t bytes) : Node(in.shape(), in.dtype(), {in}), bytes_(bytes) {}
  std::string name() const override { return "workspace probe"; }
  void generate(const Region&, const std::vector<View>& in, const View& out, Workspace& workspace) const override {
    auto* p = workspace.get<std::uint8_t>(3, bytes_);
    if (reinterpret_cast<std::uintptr_t>(p) % 64 != 0) throw InternalError("workspace memory not 64-byte aligned");
    std::memset(p, 1, bytes_);  // all of it is ours
    Image::wrap(in[0]).compute_into(out, {1});
  }

 private:
  std::size_t bytes_;
};

Buffer ramp(std::int64_t rows, std::int64_t cols) {
  Buffer b(DType::Float32, {rows, cols});
  for (std::int64_t i = 0; i < rows * cols; ++i) b.data_as<float>()[i] = static_cast<float>(i % 1013);
  return b;
}

}  // namespace

TEST(Workspace, SlotsAreKeptGrownAndGivenBackWhole) {
  release_memory();
  void* grown = nullptr;
  {
    Workspace w;
    void* a = w.get(0, 1000);
    EXPECT_EQ(w.get(0, 500), a);  // a smaller request keeps the slot's memory
    void* b = w.get(1, 100);
    EXPECT_NE(a, b);
    grown = w.get(0, 1 << 20);
    EXPECT_GE(w.bytes(), (std::size_t{1} << 20) + 100);
    detail::give_workspace(std::move(w));  // as a run's context does when the run ends
  }
  // Idle: counted by retained_bytes(), and the next run takes it whole.
  EXPECT_GE(detail::idle_workspace_bytes(), (std::size_t{1} << 20) + 100);
  EXPECT_GE(retained_bytes(), detail::idle_workspace_bytes());
  {
    Workspace again = detail::take_workspace();
    EXPECT_EQ(again.get(0, 4096), grown);
    EXPECT_EQ(detail::idle_workspace_bytes(), 0u);
    detail::give_workspace(std::move(again));
  }
  release_memory();
  EXPECT_EQ(detail::idle_workspace_bytes(), 0u);
  EXPECT_EQ(retained_bytes(), 0u);
}

TEST(Workspace, ARunsWorkspacesAreIdleAfterItAndTheLimitCapsThem) {
  release_memory();
  const Buffer src = ramp(300, 257);
  const Image probe(std::make_shared<WorkspaceNode>(Image::wrap(src.view()), std::size_t{3} << 20));
  const Buffer out = probe.compute({2});
  EXPECT_EQ(std::memcmp(out.data(), src.data(), 300 * 257 * sizeof(float)), 0);
  // Each worker's 3 MiB slot is idle with its workspace after the run, not kept by the kernel.
  EXPECT_GE(detail::idle_workspace_bytes(), std::size_t{3} << 20);
  EXPECT_LE(detail::idle_workspace_bytes(), detail::kScratchPoolBytes);
  const std::size_t limit = retained_limit();
  set_retained_limit(0);  // keeps nothing: freed now, and after the next run too
  EXPECT_EQ(detail::idle_workspace_bytes(), 0u);
  probe.compute({2});
  EXPECT_EQ(detail::idle_workspace_bytes(), 0u);
  EXPECT_EQ(retained_bytes(), 0u);
  set_retained_limit(limit);
}

TEST(Workspace, ALargeComputeRegionLeavesAtMostThePoolsCap) {
  // A filter's scratch for one huge region (about 200 MB of float64 sums) is
  // given back when the region is done; the pool keeps at most its cap.
  release_memory();
  const Buffer src = ramp(3000, 4000);
  const Image f = uniform_filter(Image::wrap(src.view()), {9});
  const Buffer r = f.compute_region(Region{{0, 0}, {3000, 4000}});
  EXPECT_EQ(r.shape(), (Shape{3000, 4000}));
  EXPECT_LE(detail::idle_workspace_bytes(), detail::kScratchPoolBytes);
  EXPECT_LE(detail::scratch_pool_bytes(), detail::kScratchPoolBytes);
  release_memory();
  EXPECT_EQ(retained_bytes(), 0u);
}

TEST(ScratchPool, AThreadTakesBackWhatItGaveBeforeAnotherThreadsBlock) {
  // Blocks remember the thread that gave them back: a thread asking again
  // gets its own (still in its core's cache) when one fits within twice the
  // size asked, else the smallest that fits, whoever gave it.
  release_memory();
  const std::size_t mib = std::size_t{1} << 20;
  detail::ScratchBlock other, other_big;
  std::thread([&] {
    other = detail::take_scratch(mib);
    other_big = detail::take_scratch(8 * mib);
  }).join();
  const detail::ScratchBlock mine = detail::take_scratch(mib + 4096);
  std::thread([&] { detail::give_scratch(other); }).join();
  detail::give_scratch(mine);  // larger than other's, but this thread's
  EXPECT_EQ(detail::take_scratch(mib).memory, mine.memory);
  EXPECT_EQ(detail::take_scratch(mib).memory, other.memory);  // no own block left: the smallest that fits
  // This thread's block of over twice the size is not preferred to another
  // thread's closer fit.
  detail::give_scratch(other_big);
  std::thread([&] { detail::give_scratch(other); }).join();
  EXPECT_EQ(detail::take_scratch(mib).memory, other.memory);
  EXPECT_EQ(detail::take_scratch(mib).memory, other_big.memory);  // what is left fits
  for (const auto& b : {mine, other, other_big}) detail::give_scratch(b);
  release_memory();
  EXPECT_EQ(detail::scratch_pool_bytes(), 0u);
}
