// Docker's streamed replies: the multiplexed log stream (LogDemuxer + LogLineAssembler) and the
// JSON-lines streams (LineSplitter, then each line as a build progress message and an event).
// The same bytes fed whole and in pieces (sizes taken from the input) give the same result;
// lines never hold a '\n'; payload bytes add up.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "orchestrator/docker/api_json.hpp"
#include "orchestrator/docker/stream_decoders.hpp"

using namespace svl::docker;

namespace {

struct Demuxed {
  LogDemuxer::Status status = LogDemuxer::Status::ok;
  std::vector<std::pair<LogStream, std::string>> lines;
  std::size_t payload_bytes = 0;
  bool mid_frame = false;
};

bool same(const Demuxed& a, const Demuxed& b) {
  return a.status == b.status && a.lines == b.lines && a.payload_bytes == b.payload_bytes && a.mid_frame == b.mid_frame;
}

// Feeds `bytes` in pieces of the given sizes (cycled); one piece when `pieces` is empty.
template <class Feed>
void in_pieces(std::string_view bytes, const std::vector<std::size_t>& pieces, Feed&& feed) {
  std::size_t i = 0;
  while (!bytes.empty()) {
    const std::size_t n = pieces.empty() ? bytes.size() : std::min(bytes.size(), pieces[i++ % pieces.size()]);
    if (!feed(bytes.substr(0, n))) return;
    bytes.remove_prefix(n);
  }
}

Demuxed demux(std::string_view bytes, const std::vector<std::size_t>& pieces) {
  Demuxed out;
  LogDemuxer demuxer;
  LogLineAssembler assembler;
  auto on_line = [&](const LogLine& line) {
    FUZZ_CHECK(line.text.find('\n') == std::string::npos);
    out.lines.emplace_back(line.stream, line.text);
    return true;
  };
  in_pieces(bytes, pieces, [&](std::string_view piece) {
    out.status = demuxer.feed(piece, [&](LogStream stream, std::string_view payload) {
      out.payload_bytes += payload.size();
      return assembler.feed(stream, payload, on_line);
    });
    return out.status == LogDemuxer::Status::ok;
  });
  out.mid_frame = demuxer.mid_frame();
  if (out.status == LogDemuxer::Status::ok) FUZZ_CHECK(assembler.flush(on_line));
  return out;
}

std::vector<std::string> split_lines(std::string_view bytes, const std::vector<std::size_t>& pieces, std::string& rest) {
  std::vector<std::string> lines;
  LineSplitter splitter;
  in_pieces(bytes, pieces, [&](std::string_view piece) {
    return splitter.feed(piece, [&](std::string_view line) {
      FUZZ_CHECK(!line.empty() && line.find('\n') == std::string_view::npos);
      lines.emplace_back(line);
      return true;
    });
  });
  rest = splitter.rest();
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the piece sizes (1 to 16 bytes, cycling); the rest is the stream.
  std::vector<std::size_t> pieces;
  for (unsigned b = data[0], i = 0; i < 3; ++i, b >>= 2) pieces.push_back(1 + (b & 3) * 5);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);

  const Demuxed whole = demux(bytes, {});
  FUZZ_CHECK(same(whole, demux(bytes, pieces)));
  FUZZ_CHECK(whole.payload_bytes <= bytes.size());

  std::string rest_whole, rest_pieces;
  const auto lines = split_lines(bytes, {}, rest_whole);
  FUZZ_CHECK(lines == split_lines(bytes, pieces, rest_pieces));
  FUZZ_CHECK(rest_whole == rest_pieces);
  for (const auto& line : lines) {
    if (auto message = api::parse_build_message(line)) {
      (void)message->stream.size();
    } else {
      FUZZ_CHECK(!message.error().message.empty());
    }
    if (auto event = api::parse_event(line)) {
      FUZZ_CHECK(!event->exit_code || *event->exit_code >= 0);
    } else {
      FUZZ_CHECK(!event.error().message.empty());
    }
    const Error e = api::http_error(500, line);
    FUZZ_CHECK(!e.message.empty());
  }
  return 0;
}
