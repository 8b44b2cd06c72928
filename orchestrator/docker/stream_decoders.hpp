#pragma once
// Decoders for Docker's streamed replies, fed with arbitrary pieces as they arrive (no I/O here).
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "orchestrator/docker/types.hpp"

namespace svl::docker {

// Splits a byte stream into '\n'-terminated lines (JSON-lines replies: build progress, events).
class LineSplitter {
public:
  using LineHandler = std::function<bool(std::string_view line)>;  // false: stop
  // Returns false when a handler asked to stop.
  bool feed(std::string_view bytes, const LineHandler& on_line);
  // The unterminated rest, if any (empty when the stream ended on a line boundary).
  const std::string& rest() const noexcept { return partial_; }

private:
  std::string partial_;
};

// Docker's multiplexed stdout/stderr stream (containers without a TTY): frames of an 8-byte header
// {stream, 0, 0, 0, size as big-endian u32} followed by `size` payload bytes.
class LogDemuxer {
public:
  using PayloadHandler = std::function<bool(LogStream stream, std::string_view payload)>;
  enum class Status { ok, stopped, malformed };
  Status feed(std::string_view bytes, const PayloadHandler& on_payload);
  // True when the input so far ends inside a frame: the stream was cut short.
  bool mid_frame() const noexcept { return header_fill_ > 0 || remaining_ > 0; }

private:
  std::array<unsigned char, 8> header_{};
  std::size_t header_fill_ = 0;
  std::uint32_t remaining_ = 0;  // payload bytes still due for the current frame
  LogStream current_ = LogStream::out;
};

// Turns demultiplexed payloads into lines, one partial-line buffer per stream.
class LogLineAssembler {
public:
  using LineHandler = std::function<bool(const LogLine&)>;
  bool feed(LogStream stream, std::string_view payload, const LineHandler& on_line);
  // Delivers unterminated last lines (end of stream).
  bool flush(const LineHandler& on_line);

private:
  std::string out_, err_;
};

}  // namespace svl::docker
