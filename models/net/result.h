// Outcome of a decoder or encoder: a value, or an error naming the field at fault
// ("ipv4.ihl < 5"). Decoders return these instead of throwing, so that malformed bytes
// from the wire (or from a fault injector) can never stop a simulation.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace hostwire::net {

struct Error {
  std::string message;
};

inline Error fail(std::string message) { return Error{std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return *std::get_if<0>(&v_); }
  T& value() & { return *std::get_if<0>(&v_); }
  T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // Empty when ok().
  const std::string& error() const {
    static const std::string none;
    const Error* e = std::get_if<1>(&v_);
    return e ? e->message : none;
  }

 private:
  std::variant<T, Error> v_;
};

// For operations with nothing to return but success.
using Status = Result<std::monostate>;
inline Status success() { return std::monostate{}; }

// A decoded header and the number of bytes it occupied on the wire.
template <class H>
struct Decoded {
  H header;
  size_t length = 0;
};

}  // namespace hostwire::net
