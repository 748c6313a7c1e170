// The kernel module's response cache in bounded kernel memory. Entries are keyed by URI and carry
// the response identifier the daemon gave and the whole response bytes (head + body) in a shared
// buffer, so a hit sends the cached bytes without copying them.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hostwire::http {

// Advisory flags the daemon returns with a response (after Solaris NCA's nca_io2_t.advisory):
namespace advisory {
constexpr uint8_t none = 0x00;
constexpr uint8_t advise = 0x01;   // on a miss's return: later hits must ask the daemon first (an advisory upcall)
constexpr uint8_t replace = 0x02;  // on an advisory return: replace the cached object with the returned data
constexpr uint8_t flush = 0x04;    // on an advisory return: flush the object from the cache
constexpr uint8_t temp = 0x08;     // on an advisory return: answer with the returned data, the cached object unaltered
}  // namespace advisory
std::string advisory_names(uint8_t flags);  // "none", "advise", "advise|replace", ...; unknown bits in hex

using ResponseBytes = std::shared_ptr<const std::vector<uint8_t>>;

struct CachedResponse {
  std::string uri;
  uint64_t id = 0;     // the daemon's response identifier
  ResponseBytes data;  // head + body, as sent
  bool advise = false; // a hit needs an advisory upcall first
  uint64_t hits = 0;
};

class ResponseCache {
 public:
  explicit ResponseCache(uint64_t capacity_bytes);

  // The entry for `uri` (its LRU position refreshed, hits counted), or nullptr. The pointer stays
  // valid until the entry is replaced by insert, flushed or evicted.
  CachedResponse* lookup(std::string_view uri);
  // By response identifier, no LRU effect. Identifiers are the daemon's, one per response: should
  // one be reused, it finds the entry stored last (and nothing once that entry is gone).
  const CachedResponse* find_id(uint64_t id) const;
  // Stores a response; evicts least-recently-used entries to make room; a response larger than the
  // whole capacity (or without data) is not stored (returns false, the cache unchanged). An existing
  // entry for the uri is replaced (its hits start again from 0).
  bool insert(std::string uri, uint64_t id, ResponseBytes data, bool advise);
  // Replaces the data (and id) of the entry for `uri` (REPLACE), evicting others to make room; it
  // becomes the most recently used, its advise flag and hits kept. False if there is none or it
  // cannot fit (the cache unchanged).
  bool replace(std::string_view uri, uint64_t id, ResponseBytes data);
  bool flush(std::string_view uri);  // FLUSH: removes it; false if absent

  uint64_t bytes() const { return bytes_; }  // bytes held (sum of data sizes)
  uint64_t capacity() const { return capacity_; }
  size_t entries() const { return lru_.size(); }
  uint64_t evictions() const { return evictions_; }  // entries evicted for room

 private:
  using Entries = std::list<CachedResponse>;  // most recently used first
  struct UriHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  static uint64_t size_of(const ResponseBytes& d) { return d ? d->size() : 0; }
  void erase(Entries::iterator it);
  void index_id(Entries::iterator it);
  // Evicts from the LRU end, never `keep`, until `incoming` more bytes fit.
  void make_room(uint64_t incoming, Entries::iterator keep);

  uint64_t capacity_;
  uint64_t bytes_ = 0;
  uint64_t evictions_ = 0;
  Entries lru_;
  std::unordered_map<std::string, Entries::iterator, UriHash, std::equal_to<>> by_uri_;
  std::unordered_map<uint64_t, Entries::iterator> by_id_;
};

}  // namespace hostwire::http
