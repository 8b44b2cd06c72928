// The process that holds a function's network namespace and published port: it does
// nothing but wait, so it costs no CPU and ~100 KiB of memory. Static, for a FROM scratch image.
#include <csignal>
#include <unistd.h>

namespace {
void on_signal(int) { _exit(0); }
}  // namespace

int main() {
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  for (;;) pause();
}
