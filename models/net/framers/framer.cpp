#include "net/framers/framer.h"

#include <string>

#include "net/framers/delimiter.h"
#include "net/framers/http1.h"
#include "net/framers/length_prefix.h"
#include "net/framers/tls_record.h"

namespace hostwire::net::framers {

namespace {

constexpr FramerSpec::Kind kKinds[] = {FramerSpec::Kind::length_prefix, FramerSpec::Kind::delimiter,
                                       FramerSpec::Kind::http, FramerSpec::Kind::tls};

std::string at_least(const char* setting, const char* what, uint64_t bytes) {
  return std::string("framer.") + setting + " must be at least " + what + " (" + std::to_string(bytes) + " B)";
}

}  // namespace

const char* to_string(FramerSpec::Kind k) {
  switch (k) {
    case FramerSpec::Kind::length_prefix: return "length_prefix";
    case FramerSpec::Kind::delimiter: return "delimiter";
    case FramerSpec::Kind::http: return "http";
    case FramerSpec::Kind::tls: return "tls";
  }
  return "?";
}

Result<FramerSpec::Kind> parse_kind(std::string_view name) {
  std::string valid;
  for (auto k : kKinds) {
    if (name == to_string(k)) return k;
    valid += valid.empty() ? "" : ", ";
    valid += to_string(k);
  }
  return fail("framer.kind '" + std::string(name) + "' is not one of " + valid);
}

net::Status validate(const FramerSpec& spec) {
  // Only the chosen kind's settings matter: the others keep whatever they hold.
  switch (spec.kind) {
    case FramerSpec::Kind::length_prefix:
      if (spec.width != 1 && spec.width != 2 && spec.width != 4 && spec.width != 8)
        return fail("framer.width must be 1, 2, 4 or 8");
      if (spec.max_message < LengthPrefixFramer::header_size(spec))
        return fail(at_least("max_message", "the header", LengthPrefixFramer::header_size(spec)));
      break;
    case FramerSpec::Kind::delimiter:
      if (spec.delimiter.empty() || spec.delimiter.size() > DelimiterFramer::kMaxDelimiter)
        return fail("framer.delimiter must be 1-16 bytes");
      if (spec.max_message < spec.delimiter.size())
        return fail(at_least("max_message", "the delimiter", spec.delimiter.size()));
      break;
    case FramerSpec::Kind::http:
      if (spec.header_limit < 1) return fail("framer.header_limit must be at least 1 B");
      if (spec.max_message < 1) return fail("framer.max_message must be at least 1 B");
      break;
    case FramerSpec::Kind::tls:
      if (spec.max_message < TlsRecordFramer::kHeader)
        return fail(at_least("max_message", "the header", TlsRecordFramer::kHeader));
      break;
    default:
      return fail("framer.kind is not a framer kind");
  }
  return success();
}

std::unique_ptr<Framer> make_framer(const FramerSpec& spec) {
  switch (spec.kind) {
    case FramerSpec::Kind::length_prefix: return std::make_unique<LengthPrefixFramer>(spec);
    case FramerSpec::Kind::delimiter: return std::make_unique<DelimiterFramer>(spec);
    case FramerSpec::Kind::http: return std::make_unique<Http1Framer>(spec);
    case FramerSpec::Kind::tls: return std::make_unique<TlsRecordFramer>(spec);
  }
  return nullptr;
}

}  // namespace hostwire::net::framers
