// The kernel's response cache: least-recently-used eviction by bytes, what does not fit, the
// advisory operations (REPLACE, FLUSH) and the lookups by URI and by response identifier.
#include "http/response_cache.h"

#include <gtest/gtest.h>

using namespace hostwire::http;

namespace response_cache_test {

ResponseBytes data_of(size_t n, uint8_t fill = 0xab) { return std::make_shared<const std::vector<uint8_t>>(n, fill); }

}  // namespace response_cache_test

using response_cache_test::data_of;

TEST(HttpResponseCache, AdvisoryNames) {
  EXPECT_EQ(advisory_names(advisory::none), "none");
  EXPECT_EQ(advisory_names(advisory::advise), "advise");
  EXPECT_EQ(advisory_names(advisory::advise | advisory::replace), "advise|replace");
  EXPECT_EQ(advisory_names(advisory::flush | advisory::temp), "flush|temp");
  EXPECT_EQ(advisory_names(0x0f), "advise|replace|flush|temp");
  EXPECT_EQ(advisory_names(0x31), "advise|0x30");
  EXPECT_EQ(advisory_names(0x80), "0x80");
}

TEST(HttpResponseCache, LookupHitsAndMisses) {
  ResponseCache c(1000);
  EXPECT_EQ(c.capacity(), 1000u);
  EXPECT_EQ(c.lookup("/obj/1"), nullptr);
  const ResponseBytes d = data_of(100);
  ASSERT_TRUE(c.insert("/obj/1", 7, d, true));
  CachedResponse* e = c.lookup("/obj/1");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->uri, "/obj/1");
  EXPECT_EQ(e->id, 7u);
  EXPECT_EQ(e->data, d);  // the same shared buffer, not a copy
  EXPECT_TRUE(e->advise);
  EXPECT_EQ(e->hits, 1u);
  EXPECT_EQ(c.lookup("/obj/1")->hits, 2u);
  EXPECT_EQ(c.lookup("/obj/10"), nullptr);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.bytes(), 100u);
}

TEST(HttpResponseCache, EvictsLeastRecentlyUsedByBytes) {
  ResponseCache c(300);
  ASSERT_TRUE(c.insert("/a", 1, data_of(100), false));
  ASSERT_TRUE(c.insert("/b", 2, data_of(100), false));
  ASSERT_TRUE(c.insert("/c", 3, data_of(100), false));
  EXPECT_EQ(c.bytes(), 300u);
  ASSERT_NE(c.lookup("/a"), nullptr);  // /b is now the least recently used
  ASSERT_TRUE(c.insert("/d", 4, data_of(50), false));
  EXPECT_EQ(c.evictions(), 1u);
  EXPECT_EQ(c.lookup("/b"), nullptr);
  EXPECT_EQ(c.find_id(2), nullptr);
  EXPECT_EQ(c.bytes(), 250u);
  // 200 more bytes need /c (LRU) and then /a to go; /d stays.
  ASSERT_TRUE(c.insert("/e", 5, data_of(200), false));
  EXPECT_EQ(c.evictions(), 3u);
  EXPECT_EQ(c.lookup("/c"), nullptr);
  EXPECT_EQ(c.lookup("/a"), nullptr);
  EXPECT_NE(c.lookup("/d"), nullptr);
  EXPECT_NE(c.lookup("/e"), nullptr);
  EXPECT_EQ(c.bytes(), 250u);
  EXPECT_EQ(c.entries(), 2u);
}

TEST(HttpResponseCache, FindIdHasNoLruEffect) {
  ResponseCache c(200);
  ASSERT_TRUE(c.insert("/a", 1, data_of(100), false));
  ASSERT_TRUE(c.insert("/b", 2, data_of(100), false));
  const CachedResponse* a = c.find_id(1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->uri, "/a");
  EXPECT_EQ(a->hits, 0u);
  EXPECT_EQ(c.find_id(3), nullptr);
  ASSERT_TRUE(c.insert("/c", 3, data_of(100), false));
  EXPECT_EQ(c.find_id(1), nullptr);  // /a was still the least recently used
  EXPECT_NE(c.find_id(2), nullptr);
}

TEST(HttpResponseCache, OversizedNotStored) {
  ResponseCache c(100);
  ASSERT_TRUE(c.insert("/a", 1, data_of(60), false));
  EXPECT_FALSE(c.insert("/big", 2, data_of(101), false));
  EXPECT_EQ(c.lookup("/big"), nullptr);
  EXPECT_NE(c.lookup("/a"), nullptr);  // nothing evicted for it
  EXPECT_EQ(c.evictions(), 0u);
  EXPECT_FALSE(c.insert("/a", 3, data_of(101), false));
  EXPECT_EQ(c.lookup("/a")->id, 1u);  // a failed insert leaves the cache as it was
  EXPECT_FALSE(c.insert("/null", 4, nullptr, false));
  EXPECT_TRUE(c.insert("/full", 5, data_of(100), false));  // exactly the capacity fits
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.bytes(), 100u);
}

TEST(HttpResponseCache, InsertReplacesTheSameUri) {
  ResponseCache c(300);
  ASSERT_TRUE(c.insert("/a", 1, data_of(100), false));
  ASSERT_TRUE(c.insert("/b", 2, data_of(100), false));
  c.lookup("/a");
  ASSERT_TRUE(c.insert("/a", 3, data_of(150, 0x11), true));
  EXPECT_EQ(c.entries(), 2u);
  EXPECT_EQ(c.bytes(), 250u);
  EXPECT_EQ(c.evictions(), 0u);
  EXPECT_EQ(c.find_id(1), nullptr);
  const CachedResponse* a = c.find_id(3);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->data->size(), 150u);
  EXPECT_EQ(a->data->front(), 0x11);
  EXPECT_TRUE(a->advise);
  EXPECT_EQ(a->hits, 0u);
  // The old entry's bytes make room for the new one first; /b must go too.
  ASSERT_TRUE(c.insert("/a", 4, data_of(300), false));
  EXPECT_EQ(c.bytes(), 300u);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.evictions(), 1u);  // /b, for room; the replaced /a is not an eviction
}

TEST(HttpResponseCache, ReplaceSwapsDataAndId) {
  ResponseCache c(300);
  EXPECT_FALSE(c.replace("/a", 9, data_of(10)));  // none to replace
  EXPECT_EQ(c.entries(), 0u);
  ASSERT_TRUE(c.insert("/a", 1, data_of(100), true));
  ASSERT_TRUE(c.insert("/b", 2, data_of(100), false));
  ASSERT_TRUE(c.insert("/c", 3, data_of(100), false));
  c.lookup("/a");
  c.lookup("/b");
  ASSERT_TRUE(c.replace("/c", 13, data_of(150, 0x22)));  // needs /a (LRU) gone; /c itself stays
  EXPECT_EQ(c.evictions(), 1u);
  EXPECT_EQ(c.bytes(), 250u);
  EXPECT_EQ(c.find_id(3), nullptr);
  const CachedResponse* r = c.find_id(13);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->uri, "/c");
  EXPECT_EQ(r->data->size(), 150u);
  EXPECT_EQ(r->data->front(), 0x22);
  EXPECT_EQ(c.lookup("/a"), nullptr);
  // The replaced entry became the most recently used: /b goes first now.
  ASSERT_TRUE(c.insert("/d", 4, data_of(100), false));
  EXPECT_EQ(c.lookup("/b"), nullptr);
  EXPECT_NE(c.lookup("/c"), nullptr);
  // Too big for the cache: false, the entry unaltered.
  EXPECT_FALSE(c.replace("/c", 14, data_of(301)));
  EXPECT_EQ(c.lookup("/c")->id, 13u);
  EXPECT_EQ(c.bytes(), 250u);
}

TEST(HttpResponseCache, ReplaceKeepsAdviseAndHits) {
  ResponseCache c(1000);
  ASSERT_TRUE(c.insert("/a", 1, data_of(10), true));
  c.lookup("/a");
  ASSERT_TRUE(c.replace("/a", 1, data_of(20)));
  const CachedResponse* a = c.find_id(1);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->advise);
  EXPECT_EQ(a->hits, 1u);
  EXPECT_EQ(c.bytes(), 20u);
}

TEST(HttpResponseCache, Flush) {
  ResponseCache c(1000);
  ASSERT_TRUE(c.insert("/a", 1, data_of(10), false));
  ASSERT_TRUE(c.insert("/b", 2, data_of(20), false));
  EXPECT_TRUE(c.flush("/a"));
  EXPECT_FALSE(c.flush("/a"));
  EXPECT_FALSE(c.flush("/zzz"));
  EXPECT_EQ(c.lookup("/a"), nullptr);
  EXPECT_EQ(c.find_id(1), nullptr);
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.bytes(), 20u);
  EXPECT_EQ(c.evictions(), 0u);
  EXPECT_TRUE(c.flush("/b"));
  EXPECT_EQ(c.bytes(), 0u);
  EXPECT_EQ(c.entries(), 0u);
}

TEST(HttpResponseCache, ReusedIdFindsTheLatestEntry) {
  ResponseCache c(1000);
  ASSERT_TRUE(c.insert("/a", 5, data_of(10), false));
  ASSERT_TRUE(c.insert("/b", 5, data_of(10), false));
  EXPECT_EQ(c.find_id(5)->uri, "/b");
  EXPECT_TRUE(c.flush("/a"));  // not the indexed one: /b is still found
  ASSERT_NE(c.find_id(5), nullptr);
  EXPECT_EQ(c.find_id(5)->uri, "/b");
}

TEST(HttpResponseCache, ManyEntriesStayConsistent) {
  ResponseCache c(10000);
  uint64_t expect_bytes = 0;
  for (uint64_t k = 0; k < 1000; ++k) ASSERT_TRUE(c.insert("/obj/" + std::to_string(k), k, data_of(1 + k % 97), false));
  for (uint64_t k = 0; k < 1000; ++k)
    if (const CachedResponse* e = c.find_id(k)) {
      EXPECT_EQ(e->uri, "/obj/" + std::to_string(k));
      expect_bytes += e->data->size();
    }
  EXPECT_EQ(c.bytes(), expect_bytes);
  EXPECT_LE(c.bytes(), c.capacity());
  EXPECT_EQ(c.entries() + c.evictions(), 1000u);
}
