// Animated GIF through giflib. A frame's colours become its palette exactly
// when there are at most 256 (the first frame's palette is the global one;
// a later frame that needs others carries its own); more than 256 are
// reduced by giflib's median cut.
#include <gif_lib.h>

#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "io/animation_encoder.hpp"
#include "io/format.hpp"
#include "tessera/error.hpp"

namespace tessera::io {

namespace {

std::uint32_t rgb_at(const std::uint8_t* p, int channels) {
  return channels == 1 ? (std::uint32_t{p[0]} * 0x010101u)
                       : (std::uint32_t{p[0]} << 16 | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]});
}

struct MapDeleter {
  void operator()(ColorMapObject* m) const { GifFreeMapObject(m); }
};
using ColorMap = std::unique_ptr<ColorMapObject, MapDeleter>;

ColorMap make_map(const std::vector<std::uint32_t>& colours) {
  int size = 2;
  while (size < static_cast<int>(colours.size())) size *= 2;
  std::vector<GifColorType> entries(static_cast<std::size_t>(size), GifColorType{0, 0, 0});
  for (std::size_t i = 0; i < colours.size(); ++i)
    entries[i] = GifColorType{static_cast<GifByteType>(colours[i] >> 16), static_cast<GifByteType>(colours[i] >> 8),
                              static_cast<GifByteType>(colours[i])};
  return ColorMap(GifMakeMapObject(size, entries.data()));
}

class GifEncoder final : public AnimationWriter::Encoder {
 public:
  GifEncoder(const std::string& path, std::int64_t h, std::int64_t w, int c, double fps)
      : Encoder(path, h, w, c, fps) {
    int error = 0;
    gif_ = EGifOpenFileName(file.temp_path().c_str(), false, &error);
    if (!gif_) fail(error);
    EGifSetGifVersion(gif_, true);
  }
  ~GifEncoder() override {
    if (gif_) {
      int error = 0;
      EGifCloseFile(gif_, &error);
    }
  }

  void add(const std::uint8_t* pixels) override {
    const std::size_t n = static_cast<std::size_t>(height * width);
    indices_.resize(n);
    // The frame's colours, in order of first appearance, up to 257.
    std::unordered_map<std::uint32_t, GifPixelType> local;
    std::vector<std::uint32_t> colours;
    bool exact = true;
    std::uint32_t last = 0xffffffffu;
    GifPixelType last_index = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t rgb = rgb_at(pixels + i * static_cast<std::size_t>(channels), channels);
      if (rgb == last) {
        indices_[i] = last_index;
        continue;
      }
      auto it = local.find(rgb);
      if (it == local.end()) {
        if (colours.size() == 256) {
          exact = false;
          break;
        }
        it = local.emplace(rgb, static_cast<GifPixelType>(colours.size())).first;
        colours.push_back(rgb);
      }
      last = rgb;
      last_index = indices_[i] = it->second;
    }
    ColorMap frame_map;
    if (!exact) {
      frame_map = quantize(pixels);
    } else if (frames == 0) {
      global_ = colours;
      global_index_ = local;
      start(make_map(global_).get());
    } else {
      // The global palette when it holds every colour of the frame.
      bool in_global = true;
      for (std::size_t k = 0; k < colours.size() && in_global; ++k) in_global = global_index_.count(colours[k]) > 0;
      if (in_global) {
        std::vector<GifPixelType> to_global(colours.size());
        for (std::size_t k = 0; k < colours.size(); ++k) to_global[k] = global_index_[colours[k]];
        for (auto& v : indices_) v = to_global[v];
      } else {
        frame_map = make_map(colours);
      }
    }
    if (frames == 0 && !exact) start(nullptr);
    put_frame(frame_map.get());
  }

  void finish() override {
    int error = 0;
    const int ok = EGifCloseFile(gif_, &error);
    gif_ = nullptr;
    if (ok != GIF_OK) fail(error);
  }

 private:
  [[noreturn]] void fail(int error) const {
    const char* why = GifErrorString(error);
    throw IOError(file.path() + ": cannot write the GIF (" + (why ? why : "unknown error") + ")");
  }
  void check(int status) const {
    if (status != GIF_OK) fail(gif_->Error);
  }

  void start(const ColorMapObject* global) {
    check(EGifPutScreenDesc(gif_, static_cast<int>(width), static_cast<int>(height), 8, 0, global));
    // Loop forever (the NETSCAPE2.0 application extension).
    const char app[] = "NETSCAPE2.0";
    const unsigned char loop[] = {1, 0, 0};
    check(EGifPutExtensionLeader(gif_, APPLICATION_EXT_FUNC_CODE));
    check(EGifPutExtensionBlock(gif_, 11, app));
    check(EGifPutExtensionBlock(gif_, 3, loop));
    check(EGifPutExtensionTrailer(gif_));
  }

  ColorMap quantize(const std::uint8_t* pixels) {
    const std::size_t n = static_cast<std::size_t>(height * width);
    std::vector<GifByteType> r(n), g(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t rgb = rgb_at(pixels + i * static_cast<std::size_t>(channels), channels);
      r[i] = static_cast<GifByteType>(rgb >> 16);
      g[i] = static_cast<GifByteType>(rgb >> 8);
      b[i] = static_cast<GifByteType>(rgb);
    }
    int size = 256;
    std::vector<GifColorType> map(256);
    if (GifQuantizeBuffer(static_cast<unsigned>(width), static_cast<unsigned>(height), &size, r.data(), g.data(),
                          b.data(), indices_.data(), map.data()) != GIF_OK)
      throw IOError(file.path() + ": cannot reduce a frame to 256 colours");
    return ColorMap(GifMakeMapObject(256, map.data()));
  }

  void put_frame(const ColorMapObject* local_map) {
    GraphicsControlBlock gcb{};
    gcb.DisposalMode = DISPOSE_DO_NOT;
    gcb.UserInputFlag = false;
    gcb.DelayTime = static_cast<int>(std::lround(100.0 / fps));
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    check(EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, 4, ext));
    check(EGifPutImageDesc(gif_, 0, 0, static_cast<int>(width), static_cast<int>(height), false, local_map));
    for (std::int64_t row = 0; row < height; ++row)
      check(EGifPutLine(gif_, indices_.data() + row * width, static_cast<int>(width)));
  }

  GifFileType* gif_ = nullptr;
  std::vector<GifPixelType> indices_;
  std::vector<std::uint32_t> global_;
  std::unordered_map<std::uint32_t, GifPixelType> global_index_;
};

}  // namespace

std::unique_ptr<AnimationWriter::Encoder> make_gif_encoder(const std::string& path, std::int64_t height,
                                                           std::int64_t width, int channels, double fps) {
  return std::make_unique<GifEncoder>(path, height, width, channels, fps);
}

namespace {
const bool registered = register_format({
    .name = "gif",
    .extensions = {".gif"},
    .magics = {"GIF87a", "GIF89a"},
    .open = nullptr,
    .info = nullptr,
    .sink = &make_animation_sink,
    .encoder = &make_gif_encoder,
});
}  // namespace

}  // namespace tessera::io
