#pragma once

#include <optional>
#include <string>
#include <utility>

namespace torchamp
{

/** A value or an error message meant for a musician ("model.pt: ..."). Used off the audio thread. */
template <typename T>
class Result
{
public:
    static Result success(T v) { return Result(std::move(v), {}); }
    static Result failure(std::string message) { return Result(std::nullopt, std::move(message)); }

    bool ok() const noexcept { return value.has_value(); }
    explicit operator bool() const noexcept { return ok(); }

    T& operator*() { return *value; }
    const T& operator*() const { return *value; }
    T* operator->() { return &*value; }
    const T* operator->() const { return &*value; }

    const std::string& error() const noexcept { return message; }

private:
    Result(std::optional<T> v, std::string m) : value(std::move(v)), message(std::move(m)) {}

    std::optional<T> value;
    std::string message;
};

} // namespace torchamp
