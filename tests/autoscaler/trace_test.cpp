#include <doctest/doctest.h>

#include <sstream>

#include "autoscaler/trace.hpp"

using namespace svl::autoscaler;

namespace {

Trace parse_ok(const std::string& text) {
  std::istringstream in(text);
  auto r = read_invocations(in, "inv.csv");
  if (auto* f = std::get_if<Failure>(&r)) FAIL(f->message);
  return std::get<Trace>(r);
}

Failure parse_fail(const std::string& text) {
  std::istringstream in(text);
  auto r = read_invocations(in, "inv.csv");
  REQUIRE(std::holds_alternative<Failure>(r));
  return std::get<Failure>(r);
}

}  // namespace

TEST_CASE("reads the original Azure 2019 schema") {
  auto t = parse_ok("HashOwner,HashApp,HashFunction,Trigger,1,2,3\r\no1,a1,f1,http,0,2,1\r\no1,a1,f2,timer,5,0,0\r\n");
  CHECK(t.schema == TraceSchema::original);
  CHECK(t.minutes == 3);
  REQUIRE(t.functions.size() == 2);
  CHECK(t.functions[0].hash_function == "f1");
  CHECK(t.functions[0].trigger == "http");
  CHECK(t.functions[0].per_minute == std::vector<std::uint32_t>{0, 2, 1});
  CHECK(t.functions[1].per_minute == std::vector<std::uint32_t>{5, 0, 0});
}

TEST_CASE("reads the invitro sampled schema and joins run and mem files") {
  auto t = parse_ok("HashFunction,HashApp,HashOwner,minute_1,minute_2\nf1,f1,f1,3,4\nf2,f2,f2,0,1\n");
  CHECK(t.schema == TraceSchema::invitro);
  REQUIRE(t.functions.size() == 2);
  CHECK(t.functions[0].per_minute == std::vector<std::uint32_t>{3, 4});

  std::istringstream run(
      "HashFunction,HashApp,HashOwner,Count,Average,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
      "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n"
      "f2,f2,f2,10,120,5.0,900.0,5,6,50,100,150,800,900\n");
  REQUIRE_FALSE(join_durations(t, run, "run.csv"));
  CHECK_FALSE(t.functions[0].durations);
  REQUIRE(t.functions[1].durations);
  CHECK(t.functions[1].durations->average_ms == 120);
  CHECK(t.functions[1].durations->points.size() == 7);

  // The sampled mem file has no HashFunction: joined on HashApp.
  std::istringstream mem("HashApp,HashOwner,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1\nf1,f1,10,300,250\n");
  REQUIRE_FALSE(join_memory(t, mem, "mem.csv"));
  CHECK(t.functions[0].memory_mb == 300);
  CHECK_FALSE(t.functions[1].memory_mb);
}

TEST_CASE("original memory file joins on HashFunction") {
  auto t = parse_ok("HashOwner,HashApp,HashFunction,Trigger,1\no,a,f1,http,1\no,a,f2,http,1\n");
  std::istringstream mem("HashOwner,HashApp,HashFunction,SampleCount,AverageAllocatedMb\no,a,f2,5,128\n");
  REQUIRE_FALSE(join_memory(t, mem, "memory.csv"));
  CHECK_FALSE(t.functions[0].memory_mb);
  CHECK(t.functions[1].memory_mb == 128);
}

TEST_CASE("bad input names the file, line and column") {
  auto f = parse_fail("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,x2\n");
  CHECK(f.code == Error::bad_number);
  CHECK(f.message.find("inv.csv:2:6") == 0);
  CHECK(f.message.find("\"2\"") != std::string::npos);

  f = parse_fail("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1\n");
  CHECK(f.code == Error::bad_field_count);
  CHECK(f.message.find("inv.csv:2:") == 0);

  f = parse_fail("HashOwner,HashApp,Trigger,1,2\n");
  CHECK(f.code == Error::missing_column);
  CHECK(f.message.find("HashFunction") != std::string::npos);

  f = parse_fail("HashOwner,HashApp,HashFunction,Trigger\n");
  CHECK(f.code == Error::missing_column);

  f = parse_fail("");
  CHECK(f.code == Error::empty_file);

  auto missing = read_invocations_file("/nonexistent/inv.csv");
  REQUIRE(std::holds_alternative<Failure>(missing));
  CHECK(std::get<Failure>(missing).code == Error::file_not_found);
  CHECK(std::get<Failure>(missing).message.find("/nonexistent/inv.csv") != std::string::npos);

  auto t = parse_ok("HashFunction,HashApp,HashOwner,minute_1\nf,f,f,1\n");
  std::istringstream run("HashFunction,Count\nf,1\n");
  auto e = join_durations(t, run, "run.csv");
  REQUIRE(e);
  CHECK(e->code == Error::missing_column);
  CHECK(e->message.find("run.csv:1: missing column \"Average\"") == 0);
}
