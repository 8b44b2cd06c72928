#include "orchestrator/docker/stream_decoders.hpp"

#include <algorithm>

namespace svl::docker {

bool LineSplitter::feed(std::string_view bytes, const LineHandler& on_line) {
  while (!bytes.empty()) {
    auto nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return true;
    }
    std::string_view line;
    if (partial_.empty()) {
      line = bytes.substr(0, nl);
    } else {
      partial_.append(bytes.substr(0, nl));
      line = partial_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool go_on = line.empty() || on_line(line);
    partial_.clear();
    bytes.remove_prefix(nl + 1);
    if (!go_on) return false;
  }
  return true;
}

LogDemuxer::Status LogDemuxer::feed(std::string_view bytes, const PayloadHandler& on_payload) {
  while (!bytes.empty()) {
    if (remaining_ == 0) {
      const std::size_t take = std::min(header_.size() - header_fill_, bytes.size());
      std::copy_n(bytes.begin(), take, header_.begin() + header_fill_);
      header_fill_ += take;
      bytes.remove_prefix(take);
      if (header_fill_ < header_.size()) return Status::ok;
      header_fill_ = 0;
      // stdin (0) never appears in logs; 3 is the "system error" stream of attach (API >= 1.42).
      if (header_[0] != 1 && header_[0] != 2) return Status::malformed;
      current_ = header_[0] == 1 ? LogStream::out : LogStream::err;
      remaining_ = (std::uint32_t{header_[4]} << 24) | (std::uint32_t{header_[5]} << 16) |
                   (std::uint32_t{header_[6]} << 8) | std::uint32_t{header_[7]};
      continue;
    }
    const std::size_t take = std::min<std::size_t>(remaining_, bytes.size());
    remaining_ -= static_cast<std::uint32_t>(take);
    if (!on_payload(current_, bytes.substr(0, take))) return Status::stopped;
    bytes.remove_prefix(take);
  }
  return Status::ok;
}

bool LogLineAssembler::feed(LogStream stream, std::string_view payload, const LineHandler& on_line) {
  std::string& partial = stream == LogStream::out ? out_ : err_;
  while (!payload.empty()) {
    auto nl = payload.find('\n');
    if (nl == std::string_view::npos) {
      partial.append(payload);
      return true;
    }
    partial.append(payload.substr(0, nl));
    payload.remove_prefix(nl + 1);
    LogLine line{stream, std::move(partial)};
    partial.clear();
    if (!on_line(line)) return false;
  }
  return true;
}

bool LogLineAssembler::flush(const LineHandler& on_line) {
  for (LogStream s : {LogStream::out, LogStream::err}) {
    std::string& partial = s == LogStream::out ? out_ : err_;
    if (partial.empty()) continue;
    LogLine line{s, std::move(partial)};
    partial.clear();
    if (!on_line(line)) return false;
  }
  return true;
}

}  // namespace svl::docker
