#include "http/response_cache.h"

#include <array>
#include <cstdio>
#include <iterator>
#include <utility>

namespace hostwire::http {

std::string advisory_names(uint8_t flags) {
  if (flags == advisory::none) return "none";
  constexpr std::array<std::pair<uint8_t, const char*>, 4> kFlags = {{
      {advisory::advise, "advise"},
      {advisory::replace, "replace"},
      {advisory::flush, "flush"},
      {advisory::temp, "temp"},
  }};
  std::string s;
  for (const auto& [bit, name] : kFlags) {
    if (!(flags & bit)) continue;
    if (!s.empty()) s += '|';
    s += name;
    flags = static_cast<uint8_t>(flags & ~bit);
  }
  if (flags) {
    char rest[8];
    std::snprintf(rest, sizeof rest, "0x%02x", flags);
    if (!s.empty()) s += '|';
    s += rest;
  }
  return s;
}

ResponseCache::ResponseCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

CachedResponse* ResponseCache::lookup(std::string_view uri) {
  const auto found = by_uri_.find(uri);
  if (found == by_uri_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, found->second);
  ++found->second->hits;
  return &*found->second;
}

const CachedResponse* ResponseCache::find_id(uint64_t id) const {
  const auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : &*found->second;
}

bool ResponseCache::insert(std::string uri, uint64_t id, ResponseBytes data, bool advise) {
  const uint64_t size = size_of(data);
  if (!data || size > capacity_) return false;
  if (const auto old = by_uri_.find(uri); old != by_uri_.end()) erase(old->second);
  make_room(size, lru_.end());
  lru_.push_front(CachedResponse{std::move(uri), id, std::move(data), advise, 0});
  by_uri_.emplace(lru_.front().uri, lru_.begin());
  index_id(lru_.begin());
  bytes_ += size;
  return true;
}

bool ResponseCache::replace(std::string_view uri, uint64_t id, ResponseBytes data) {
  const auto found = by_uri_.find(uri);
  if (found == by_uri_.end() || !data || data->size() > capacity_) return false;
  const auto it = found->second;
  lru_.splice(lru_.begin(), lru_, it);
  bytes_ -= size_of(it->data);
  make_room(data->size(), it);
  bytes_ += data->size();
  it->data = std::move(data);
  if (it->id != id) {
    if (const auto by_id = by_id_.find(it->id); by_id != by_id_.end() && by_id->second == it) by_id_.erase(by_id);
    it->id = id;
    index_id(it);
  }
  return true;
}

bool ResponseCache::flush(std::string_view uri) {
  const auto found = by_uri_.find(uri);
  if (found == by_uri_.end()) return false;
  erase(found->second);
  return true;
}

void ResponseCache::erase(Entries::iterator it) {
  bytes_ -= size_of(it->data);
  if (const auto by_id = by_id_.find(it->id); by_id != by_id_.end() && by_id->second == it) by_id_.erase(by_id);
  by_uri_.erase(it->uri);
  lru_.erase(it);
}

void ResponseCache::index_id(Entries::iterator it) { by_id_.insert_or_assign(it->id, it); }

void ResponseCache::make_room(uint64_t incoming, Entries::iterator keep) {
  while (bytes_ + incoming > capacity_ && !lru_.empty() && std::prev(lru_.end()) != keep) {
    erase(std::prev(lru_.end()));
    ++evictions_;
  }
}

}  // namespace hostwire::http
