// A small program against tessera's C++ API: the 001 seed's pixel rule
// ("RGBA to 0 where R, G and B are all > 240") on a generated image, checked
// pixel by pixel against a plain loop.
#include <cstdio>
#include <random>
#include <vector>

#include "tessera/tessera.hpp"

int main() {
  using namespace tessera;
  const std::int64_t h = 257, w = 311;
  Buffer rgba(DType::UInt8, {h, w, 4});
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> dist(200, 255);
  for (std::int64_t i = 0; i < h * w * 4; ++i) rgba.data_as<std::uint8_t>()[i] = static_cast<std::uint8_t>(dist(rng));

  const Image img = Image::wrap(rgba.view());
  auto channel = [&](std::int64_t c) {
    return img.index({{AxisIndex::Kind::Slice, 0, 1, h}, {AxisIndex::Kind::Slice, 0, 1, w},
                      {AxisIndex::Kind::Slice, c, 1, 1}});
  };
  // Lazy: nothing runs until compute(); the whole rule is one fused pass.
  const Image bright = (channel(0) > 240) & (channel(1) > 240) & (channel(2) > 240);
  const Buffer out = where(bright, 0, img).compute();

  // The same with the expression language.
  const Buffer out2 = evaluate("where((r > 240) & (g > 240) & (b > 240), 0, img)",
                               {{"r", channel(0)}, {"g", channel(1)}, {"b", channel(2)}, {"img", img}});

  std::int64_t wrong = 0, cleared = 0;
  const auto* in = rgba.data_as<std::uint8_t>();
  for (std::int64_t p = 0; p < h * w; ++p) {
    const bool clear = in[4 * p] > 240 && in[4 * p + 1] > 240 && in[4 * p + 2] > 240;
    cleared += clear;
    for (int c = 0; c < 4; ++c) {
      const std::uint8_t want = clear ? 0 : in[4 * p + c];
      wrong += out.data_as<std::uint8_t>()[4 * p + c] != want;
      wrong += out2.data_as<std::uint8_t>()[4 * p + c] != want;
    }
  }
  std::printf("cleared %lld of %lld pixels; %lld wrong values\n", static_cast<long long>(cleared),
              static_cast<long long>(h * w), static_cast<long long>(wrong));
  return wrong == 0 ? 0 : 1;
}
