// A cache of decoded chunks (strips, tiles, rows of a compressed file),
// shared by the workers that read one file: least recently used evicted
// first, a chunk still being copied from (pinned by its shared_ptr) never,
// and a chunk decoded once even when two workers want it at once (the
// second waits on its mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tessera::io {

struct ChunkKey {
  int page;
  std::int64_t index;
  bool operator==(const ChunkKey& o) const { return page == o.page && index == o.index; }
};
struct ChunkKeyHash {
  std::size_t operator()(const ChunkKey& k) const {
    return std::hash<std::int64_t>()(k.index * 1000003 + k.page);
  }
};

struct Chunk {
  std::mutex mutex;  // held while decoding: a second reader waits, never decodes twice
  bool ready = false;
  std::vector<std::byte> data;
};

class ChunkCache {
 public:
  explicit ChunkCache(std::size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<Chunk> get(const ChunkKey& key, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = map_.find(key); it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.position);
      return it->second.chunk;
    }
    auto chunk = std::make_shared<Chunk>();
    lru_.push_front(key);
    map_.emplace(key, Entry{chunk, lru_.begin(), bytes});
    used_ += bytes;
    for (auto it = lru_.end(); used_ > capacity_ && it != lru_.begin();) {
      --it;
      auto found = map_.find(*it);
      if (found->second.chunk.use_count() > 1) continue;  // in use
      used_ -= found->second.bytes;
      map_.erase(found);
      it = lru_.erase(it);
    }
    return chunk;
  }

 private:
  std::mutex mutex_;
  std::size_t capacity_, used_ = 0;
  struct Entry {
    std::shared_ptr<Chunk> chunk;
    std::list<ChunkKey>::iterator position;  // in lru_
    std::size_t bytes;
  };
  std::list<ChunkKey> lru_;
  std::unordered_map<ChunkKey, Entry, ChunkKeyHash> map_;
};

}  // namespace tessera::io
